// The dump thread (host/dump-thread.ts): dumps read by a worker while the main
// thread parses. Here it is started by a dump that passes its size and then
// reads a resync of a real table; close() in the middle of a dump it is
// reading ends cleanly; it is not started for a small dump or when turned off.
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

test("a dump past the size starts the dump thread; a resync it reads: no differences, RESYNC_DONE, mirror = kernel", () => withNetns(async (ns) => {
  await tableNs(ns);
  const errors: unknown[] = [];
  // ~3 MB of dump: past 1 MiB the thread starts
  const ifpx = new Ifpx({ netns: ns.name, families: [4], dumpThread: 1 << 20, onError: (e) => errors.push(e) });
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
    assert.is.not(ifpx.stats().dumpThread, "off", "started by the initial dump");
    await until("the dump thread", () => ifpx.stats().dumpThread === "ready");
    const before = ifpx.stats().dumpThreadDatagrams;
    routeEvents = 0;
    ifpx.resync();
    assert.is(ifpx.stats().dumpThread, "active", "the resync is handed to the dump thread at once");
    await until("RESYNC_DONE", () => resyncs.length > 0);
    const st = ifpx.stats();
    assert.ok(st.dumpThreadDatagrams - before >= ROUTES / 1000, `the dump thread read the dump (${st.dumpThreadDatagrams - before} datagrams)`);
    assert.equal(resyncs, [[0, 0, 0]], "nothing added, removed or changed");
    assert.is(routeEvents, 0, "no route events: the state did not change");
    assert.is(st.dumpThread, "ready", "the socket is back with the main thread");
    assert.is(ifpx.mirrorCount("route", p), kernel);
    // live notifications still arrive after the hand-back
    ns.ip("route", "add", "198.51.100.0/24", "dev", "prx0");
    await until("ROUTE_ADD", () => routeEvents === 1);
    assert.is(ifpx.mirrorCount("route", p), kernel + 1);
    assert.equal(errors, []);
  } finally {
    await ifpx.dispose();
  }
}));

test("close() while the dump thread reads a dump: resolves, the worker stops", () => withNetns(async (ns) => {
  await tableNs(ns);
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, families: [4], dumpThread: 0, onError: (e) => errors.push(e) });
  const p = ifpx.adoptProxy("prx0");
  ifpx.bind(0, p);
  await ifpx.listen();
  await until("the dump thread", () => ifpx.stats().dumpThread === "ready");
  ifpx.resync();
  assert.is(ifpx.stats().dumpThread, "active");
  const t0 = Date.now();
  await ifpx.close();
  assert.ok(Date.now() - t0 < 2000, `close() took ${Date.now() - t0} ms`);
  assert.is(ifpx.stats().dumpThread, "off");
  assert.equal(errors, []);
  // listening again works (a new socket, a new thread)
  await ifpx.listen();
  assert.is(ifpx.mirrorCount("route", p), kernelCount(ns));
  await ifpx.dispose();
  assert.throws(() => ifpx.resync(), (e: unknown) => e instanceof IfpxError && e.code === "ECLOSED");
}));

test("the dump thread dies in the middle of a dump: the main thread takes over, the dump restarts, the mirror ends equal to the kernel", () => withNetns(async (ns) => {
  await tableNs(ns);
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, families: [4], dumpThread: 0, onError: (e) => errors.push(e) });
  try {
    const p = ifpx.adoptProxy("prx0");
    await ifpx.listen();
    await until("the dump thread", () => ifpx.stats().dumpThread === "ready");
    let done = 0;
    ifpx.registerCallbacks([{ type: EventType.RESYNC_DONE, callback: () => { done++; return true; } }]);
    ifpx.resync();
    assert.is(ifpx.stats().dumpThread, "active");
    // kill the worker while it owns the socket (as a crash would)
    await (ifpx as any).dumper.worker.terminate();
    await until("RESYNC_DONE after the takeover", () => done === 1);
    const st = ifpx.stats();
    assert.is(st.dumpThread, "off", "not started again by this instance");
    assert.ok(st.dumpRetries >= 1, "the interrupted dump was restarted");
    assert.is(ifpx.mirrorCount("route", p), kernelCount(ns));
    assert.ok(errors.some((e) => e instanceof IfpxError && e.code === "EIO"), "the failure was reported");
    // live notifications are read by the main thread again
    ns.ip("route", "add", "198.51.100.0/24", "dev", "prx0");
    await until("the new route", () => ifpx.mirrorCount("route", p) === kernelCount(ns));
  } finally {
    await ifpx.dispose();
  }
}));

test("a dump below the size (default 8 MiB) and dumpThread: false keep dumps on the main thread", () => withNetns(async (ns) => {
  await tableNs(ns);
  const small = new Ifpx({ netns: ns.name, families: [4] });
  try {
    await small.listen();
    assert.is(small.stats().dumpThread, "off", "a 60k-route dump does not start it");
  } finally {
    await small.dispose();
  }
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
