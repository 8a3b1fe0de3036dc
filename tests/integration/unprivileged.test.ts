// What a user without the rights ifpx needs meets: a typed error with the
// documented code, as a rejected promise from the async APIs (never a
// synchronous throw). Runs children as `nobody` (setpriv), and one in a mount
// namespace where /dev/net/tun does not exist (unshare -m, a tmpfs over /dev/net).
// Also: a watched namespace deleted while listening (README: the listener
// holds it alive and goes on; onError is told once).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Ifpx, IfpxError } from "../../host/index.js";
import { createNetns, withNetns } from "./helpers/netns.js";
import { Collector } from "./helpers/collector.js";

const CHILD = fileURLToPath(new URL("./workers/limited-child.mjs", import.meta.url));
const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"];

function child(prefix: string[], ...args: string[]): any {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  const out = execFileSync(prefix[0], [...prefix.slice(1), process.execPath, CHILD, ...args], { encoding: "utf8", timeout: 30000, env });
  const line = out.trim().split("\n").pop()!;
  return JSON.parse(line);
}

test("as nobody: listen() in a namespace rejects EPERM; createProxy() throws EPERM; listen() without a namespace works", () => withNetns((ns) => {
  assert.equal(child(NOBODY, "listen", ns.name).rejected, "EPERM");
  const r = child(NOBODY, "listen", ns.name);
  assert.not.ok(r.sync, "not a synchronous throw");
  assert.equal(child(NOBODY, "createProxy").threw, "EPERM");
  assert.equal(child(NOBODY, "listen"), { resolved: true });
}));

test("missing namespace: listen() rejects ENOENT (not a synchronous throw), createProxy() throws ENOENT", async () => {
  const ifpx = new Ifpx({ netns: `ifpx-missing-${process.pid}` });
  let p: Promise<void> | undefined;
  assert.not.throws(() => { p = ifpx.listen(); });
  const e = await p!.then(() => undefined, (err) => err);
  assert.instance(e, IfpxError);
  assert.is(e.code, "ENOENT");
  assert.throws(() => ifpx.createProxy(), (err: any) => err instanceof IfpxError && err.code === "ENOENT");
  await ifpx.dispose();
});

test("missing /dev/net/tun: createProxy() throws ENODEV", () => {
  // sh -c SCRIPT node CHILD createProxy: "$0" is node, "$@" the rest
  const r = child(["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount -t tmpfs none /dev/net && exec "$0" "$@"'], "createProxy");
  assert.is(r.threw, "ENODEV", JSON.stringify(r));
  assert.match(r.message, /\/dev\/net\/tun/);
});

test("the watched namespace deleted while listening: onError hears ENOENT once, the listener goes on, close() resolves", async () => {
  const ns = createNetns();
  const errors: any[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e) });
  const c = new Collector();
  try {
    const proxy = ifpx.createProxy({ name: "prxa" });
    ifpx.bind(1, proxy);
    c.attach(ifpx);
    await ifpx.listen();
    ns.ip("link", "set", "prxa", "up");
    // a process inside keeps a way in after the name is gone
    ns.remove();
    ifpx.resync();
    await c.waitFor([{ type: "RESYNC_DONE" }], 5000);
    assert.ok(ifpx.info(proxy).up, "the proxy is still watched");
    const deadline = Date.now() + 3000;
    while (!errors.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.is(errors.length, 1, "signalled once");
    assert.instance(errors[0], IfpxError);
    assert.is(errors[0].code, "ENOENT");
    assert.match(errors[0].message, /was deleted/);
  } finally {
    await ifpx.dispose();
    ns.remove();
  }
});

test.run();
