// The async API (listen, close, dispose, replayInto) only ever rejects: on a
// disposed instance, with bad arguments, and when a port backend throws while
// proxies are destroyed. No root needed: no socket is opened here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, IfpxError, type PortBackend } from "../../host/index.js";

async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  let p: Promise<unknown>;
  try { p = fn(); } catch (e) { return { sync: e }; }
  assert.instance(p, Promise);
  return p.then(() => "resolved", (e) => e);
}

test("a disposed instance: listen/replayInto reject ECLOSED, close/dispose resolve", async () => {
  const ifpx = new Ifpx();
  const q = ifpx.createQueue({ slots: 4 });
  await ifpx.dispose();
  for (const fn of [() => ifpx.listen(), () => ifpx.replayInto(q)]) {
    const e = await outcome(fn);
    assert.instance(e, IfpxError);
    assert.is((e as IfpxError).code, "ECLOSED");
  }
  assert.is(await outcome(() => ifpx.close()), "resolved");
  assert.is(await outcome(() => ifpx.dispose()), "resolved");
});

test("replayInto with anything but an added queue: a rejection, never a throw", async () => {
  const ifpx = new Ifpx();
  try {
    const hostile = new Proxy({}, { get() { throw new Error("getter"); } });
    for (const v of [undefined, null, 5, "q", {}, { ptr: 0xffffffc0 }, hostile, ifpx.createQueue({ slots: 4 })]) {
      const e = await outcome(() => ifpx.replayInto(v as any));
      assert.not.ok(e && typeof e === "object" && "sync" in e, "no synchronous throw");
      assert.ok(e instanceof IfpxError || (e as Error).message === "getter", String(e));
    }
  } finally {
    await ifpx.dispose();
  }
});

test("dispose: a backend that fails to destroy proxies; the first failure rejects, the rest reach onError, the instance is closed", async () => {
  let next = 100;
  const boom = (id: number) => new Error(`cannot destroy ${id}`);
  const ports: PortBackend = {
    kind: "fake",
    createProxy: () => ({ id: next, ifindex: 1000 + next, name: `fake${next++}` }),
    createProxyByDevarg: () => { throw new Error("no"); },
    destroyProxy: (id) => { throw boom(id); },
    isValidPort: () => true,
  };
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ ports, onError: (e) => errors.push(e) });
  ifpx.createProxy();
  ifpx.createProxy();
  const e = await outcome(() => ifpx.dispose());
  assert.instance(e, Error);
  assert.match((e as Error).message, /cannot destroy 100/);
  assert.equal(errors.map((x) => (x as Error).message), ["cannot destroy 101"]);
  const again = await outcome(() => ifpx.listen());
  assert.is((again as IfpxError).code, "ECLOSED");
});

test.run();
