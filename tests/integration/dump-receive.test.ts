// Dumps received on libuv's pool (host/netlink/dump-receiver.ts) while the main thread
// parses: the initial dump and a resync of a real table go that way and give
// the kernel's table; close() while a call is in flight ends cleanly; with
// dumpThread: false every dump stays on the main thread.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, execFileSync } from "node:child_process";
import { Ifpx, EventType, IfpxError } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";

const ROUTES = 60000;

function addRoutes(ns: Netns, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["-n", ns.name, "-batch", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => { err += d; });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ip -batch: ${code} ${err.slice(0, 300)}`))));
    let s = "";
    for (let i = 0; i < n; i++) s += `route add 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev prx0\n`;
    p.stdin.end(s);
  });
}

function kernelCount(ns: Netns): number {
  const out = execFileSync("sh", ["-c", `ip -n ${ns.name} -4 route show table all dev prx0 | wc -l`], { encoding: "utf8" });
  return Number(out.trim());
}

async function until(what: string, ok: () => boolean, ms = 10000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function tableNs(ns: Netns): Promise<void> {
  ns.ip("tuntap", "add", "dev", "prx0", "mode", "tap");
  ns.ip("link", "set", "prx0", "up");
  ns.ip("addr", "add", "192.0.2.1/24", "dev", "prx0");
  await addRoutes(ns, ROUTES);
}

test("initial dump and resync received on the pool: no differences, RESYNC_DONE, mirror = kernel, live events after", () => withNetns(async (ns) => {
  await tableNs(ns);
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, families: [4], onError: (e) => errors.push(e) });
  try {
    const p = ifpx.adoptProxy("prx0");
    ifpx.bind(3, p);
    const resyncs: number[][] = [];
    let routeEvents = 0;
    ifpx.registerCallbacks([
      { type: EventType.RESYNC_DONE, callback: (e: any) => { resyncs.push([e.added, e.removed, e.changed]); return true; } },
      { type: EventType.ROUTE_ADD, callback: () => { routeEvents++; return true; } },
      { type: EventType.ROUTE_DEL, callback: () => { routeEvents++; return true; } },
    ]);
    await ifpx.listen();
    const kernel = kernelCount(ns);
    assert.is(ifpx.mirrorCount("route", p), kernel, "initial dump mirrored");
    assert.is(routeEvents, kernel, "one ROUTE_ADD per route");
    const first = ifpx.stats().dumpThreadDatagrams;
    assert.ok(first >= ROUTES / 1000, `the initial dump was received on the pool (${first} datagrams)`);
    await until("the poll handle reading again", () => ifpx.stats().dumpThread === "ready");
    routeEvents = 0;
    ifpx.resync();
    await until("RESYNC_DONE", () => resyncs.length > 0);
    const st = ifpx.stats();
    assert.ok(st.dumpThreadDatagrams - first >= ROUTES / 1000, `the resync was received on the pool (${st.dumpThreadDatagrams - first} datagrams)`);
    assert.equal(resyncs, [[0, 0, 0]], "nothing added, removed or changed");
    assert.is(routeEvents, 0, "no route events: the state did not change");
    assert.is(ifpx.mirrorCount("route", p), kernel);
    // live notifications after the dump (main thread's poll handle)
    ns.ip("route", "add", "198.51.100.0/24", "dev", "prx0");
    await until("ROUTE_ADD", () => routeEvents === 1);
    assert.is(ifpx.mirrorCount("route", p), kernel + 1);
    assert.equal(errors, []);
  } finally {
    await ifpx.dispose();
  }
}));

test("close() while a pool call reads a dump: resolves, nothing reported, listening again works", () => withNetns(async (ns) => {
  await tableNs(ns);
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, families: [4], onError: (e) => errors.push(e) });
  const p = ifpx.adoptProxy("prx0");
  ifpx.bind(0, p);
  await ifpx.listen();
  ifpx.resync();
  await until("a dump on the pool", () => ifpx.stats().dumpThread === "active");
  const t0 = Date.now();
  await ifpx.close();
  assert.ok(Date.now() - t0 < 2000, `close() took ${Date.now() - t0} ms`);
  assert.is(ifpx.stats().syncing, false);
  assert.equal(errors, []);
  await ifpx.listen();
  assert.is(ifpx.mirrorCount("route", p), kernelCount(ns));
  await ifpx.dispose();
  assert.throws(() => ifpx.resync(), (e: unknown) => e instanceof IfpxError && e.code === "ECLOSED");
}));

test("dumpThread: false keeps every dump on the main thread", () => withNetns(async (ns) => {
  await tableNs(ns);
  const ifpx = new Ifpx({ netns: ns.name, families: [4], dumpThread: false });
  try {
    const p = ifpx.adoptProxy("prx0");
    await ifpx.listen();
    let done = 0;
    ifpx.registerCallbacks([{ type: EventType.RESYNC_DONE, callback: () => { done++; return true; } }]);
    ifpx.resync();
    await until("RESYNC_DONE", () => done === 1);
    const st = ifpx.stats();
    assert.is(st.dumpThread, "off");
    assert.is(st.dumpThreadDatagrams, 0);
    assert.is(ifpx.mirrorCount("route", p), kernelCount(ns));
  } finally {
    await ifpx.dispose();
  }
  assert.throws(() => new Ifpx().resync(), (e: unknown) => e instanceof IfpxError && e.code === "EINVAL");
}));

test.run();
