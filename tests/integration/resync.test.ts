// netlink is not reliable: with a deliberately small receive buffer a 200k
// route burst overruns the socket (ENOBUFS). ifpx must resynchronise and the
// application's view, built only from the events it received, must end equal
// to the kernel's table.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, execFileSync } from "node:child_process";
import { Ifpx, EventType, type IfpxEvent } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";

const BURST = Number(process.env.IFPX_TEST_BURST ?? 200000);

function batch(ns: Netns, lines: Iterable<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["-n", ns.name, "-batch", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => { err += d; });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ip -batch exited ${code}: ${err.slice(0, 500)}`))));
    const it = lines[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        let chunk = "";
        for (let i = 0; i < 4096; i++) { const n = it.next(); if (n.done) { p.stdin.end(chunk); return; } chunk += n.value + "\n"; }
        if (!p.stdin.write(chunk)) { p.stdin.once("drain", pump); return; }
      }
    };
    pump();
  });
}

function* routes(n: number, verb: string) {
  for (let i = 0; i < n; i++) yield `route ${verb} 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 dev prx0`;
}

/** The kernel's IPv4 routes through prx0, in all tables, as "table|dst/len|type". */
function kernelRoutes(ns: Netns): Set<string> {
  const out = execFileSync("ip", ["-n", ns.name, "-j", "-4", "route", "show", "table", "all", "dev", "prx0"], { encoding: "utf8", maxBuffer: 1 << 30 });
  const set = new Set<string>();
  const tables: Record<string, number> = { main: 254, local: 255, default: 253 };
  for (const r of JSON.parse(out) as any[]) {
    const dst = r.dst === "default" ? "0.0.0.0/0" : r.dst.includes("/") ? r.dst : `${r.dst}/32`;
    const table = r.table === undefined ? 254 : (tables[r.table] ?? Number(r.table));
    set.add(`${table}|${dst}|${r.type ?? "unicast"}`);
  }
  return set;
}

const TYPE_NAMES: Record<number, string> = { 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast" };

// once with dumps received on libuv's pool (the default), once on the main thread
for (const dumpThread of [true, false]) test(`a ${BURST}-route burst overruns a small buffer; resync converges to the kernel's table (dumps ${dumpThread ? "received on the pool" : "on the main thread"})`, () => withNetns(async (ns) => {
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, rcvbuf: 64 * 1024, dumpThread, onError: (e) => errors.push(e) });
  try {
    const p = ifpx.createProxy({ name: "prx0" });
    ifpx.bind(1, p);
    ns.ip("link", "set", "prx0", "up");
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "prx0");
    const view = new Set<string>();
    let resyncDone = 0, lastEvent = Date.now();
    const key = (e: any) => `${e.table}|${e.ip}/${e.depth}|${TYPE_NAMES[e.routeType] ?? e.routeType}`;
    ifpx.registerCallbacks([
      { type: EventType.ROUTE_ADD, callback: (e: IfpxEvent) => { view.add(key(e)); lastEvent = Date.now(); return true; } },
      { type: EventType.ROUTE_DEL, callback: (e: IfpxEvent) => { view.delete(key(e)); lastEvent = Date.now(); return true; } },
      { type: EventType.RESYNC_DONE, callback: () => { resyncDone++; return true; } },
    ]);
    await ifpx.listen();
    await batch(ns, routes(BURST, "add"));
    await batch(ns, routes(BURST / 4, "del")); // deletions lost in an overrun must be found too
    // settle: no event for 1 s and no resync running
    for (let deadline = Date.now() + 120000; Date.now() < deadline;) {
      if (!ifpx.stats().syncing && Date.now() - lastEvent > 1000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const st = ifpx.stats();
    assert.equal(errors.map(String), [], "no error reported");
    assert.is(st.syncing, false, "no resync left running");
    assert.ok(st.overruns > 0, `the small buffer overran (${st.overruns})`);
    assert.ok(st.resyncs > 0 && resyncDone > 0, `resynchronised (${st.resyncs} resyncs, ${resyncDone} RESYNC_DONE)`);
    if (dumpThread) assert.ok(st.dumpThreadDatagrams > 0, `resync dumps were received on the pool (${st.dumpThreadDatagrams} datagrams)`);
    else assert.is(st.dumpThread, "off");
    const kernel = kernelRoutes(ns);
    assert.is(kernel.size, BURST - BURST / 4 + 3, "kernel: the burst minus deletions, plus the address's 3 routes");
    const missing = [...kernel].filter((k) => !view.has(k));
    const extra = [...view].filter((k) => !kernel.has(k));
    assert.equal({ missing: missing.slice(0, 5), extra: extra.slice(0, 5), nMissing: missing.length, nExtra: extra.length },
      { missing: [], extra: [], nMissing: 0, nExtra: 0 }, "the view built from events equals the kernel's table");
    console.log(`  burst ${BURST}: overruns ${st.overruns}, resyncs ${st.resyncs}, pool datagrams ${st.dumpThreadDatagrams}, stalled syncs redone ${st.syncStalls}, view ${view.size} routes = kernel`);
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
