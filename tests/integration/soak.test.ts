// A bounded soak (IFPX_SOAK_MS, default 100 s): three instances in two
// namespaces (one with a tiny receive buffer, so that bursts overrun it; one
// watching another's proxy with dumps on the main thread), each with a queue
// drained by a worker thread and a tiny queue drained rarely (forced ring
// overflows, then replayInto), while random `ip` changes, bursts of routes,
// random API calls (legitimate and hostile) and pauses interleave. At the end:
// each mirror equals the kernel (a resync finds no difference, and the
// addresses match `ip -j addr`), fd count and RSS are flat against a point
// taken after warm-up, and nothing was unhandled.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Worker } from "node:worker_threads";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ifpx, IfpxError, EventType, type Queue, type IfpxEvent } from "../../host/index.js";
import { createNetns, type Netns } from "./helpers/netns.js";
import { sleep } from "./helpers/collector.js";
import { prng, hostileValues, randomCall, runCall, SENTINEL } from "./helpers/hostile.js";

const SOAK_MS = Number(process.env.IFPX_SOAK_MS ?? 100_000);
const SEED = Number(process.env.IFPX_SOAK_SEED ?? 0x5eed);
const WORKER = fileURLToPath(new URL("./workers/soak-consumer.mjs", import.meta.url));

const unhandled: unknown[] = [];
process.on("unhandledRejection", (e) => unhandled.push(e));
process.on("uncaughtException", (e) => unhandled.push(e));

const fds = () => readdirSync("/proc/self/fd").length;
const rss = () => process.memoryUsage().rss;

interface Inst {
  name: string;
  ns: Netns;
  ifpx: Ifpx;
  devs: string[];
  proxies: number[];
  big: Queue;
  tiny: Queue;
  worker: Worker;
  result: Promise<any>;
  errors: unknown[];
  resyncDone: IfpxEvent[];
}

function instance(name: string, ns: Netns, devs: string[], adopt: boolean, opts: { rcvbuf?: number; dumpThread?: boolean }): Inst {
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e), ...opts });
  const proxies = devs.map((d) => (adopt ? ifpx.adoptProxy(d) : ifpx.createProxy({ name: d })));
  proxies.forEach((p, i) => ifpx.bind(1 + i, p));
  const big = ifpx.createQueue({ slots: 1024 });
  const tiny = ifpx.createQueue({ slots: 8 });
  ifpx.queueAdd(big);
  ifpx.queueAdd(tiny);
  const worker = new Worker(WORKER, { workerData: { handle: big.handle } });
  const result = new Promise<any>((res, rej) => { worker.once("message", res); worker.once("error", rej); });
  result.catch(() => {});
  const resyncDone: IfpxEvent[] = [];
  ifpx.registerCallbacks([{ type: EventType.RESYNC_DONE, callback: (e) => { resyncDone.push(e); } }]);
  return { name, ns, ifpx, devs, proxies, big, tiny, worker, result, errors, resyncDone };
}

function kernelAddrs(ns: Netns, dev: string): string[] {
  const j = JSON.parse(ns.ip("-j", "addr", "show", "dev", dev));
  return (j[0]?.addr_info ?? []).map((a: any) => `${a.local}/${a.prefixlen}`).sort();
}

test(`soak ${SOAK_MS / 1000} s: instances, queues, workers, ip churn, overruns, random calls`, async () => {
  const ns1 = createNetns(), ns2 = createNetns();
  const insts: Inst[] = [];
  try {
    for (const ns of [ns1, ns2]) for (const k of ["all", "default"]) ns.exec("sysctl", "-qw", `net.ipv6.conf.${k}.accept_dad=0`);
    insts.push(instance("A", ns1, ["sa0", "sa1"], false, { rcvbuf: 8192 }));
    insts.push(instance("B", ns1, ["sa0"], true, { dumpThread: false }));
    insts.push(instance("C", ns2, ["sc0"], false, {}));
    for (const i of insts) await i.ifpx.listen();
    for (const [ns, dev] of [[ns1, "sa0"], [ns1, "sa1"], [ns2, "sc0"]] as const) ns.ip("link", "set", dev, "up");

    const rnd = prng(SEED);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    const pool = hostileValues();
    const devsOf: [Netns, string][] = [[ns1, "sa0"], [ns1, "sa1"], [ns2, "sc0"]];
    const noCreate = new Set(["createProxy", "adoptProxy", "createQueue", "Queue.create", "destroyProxy", "pause"]);
    let ipOps = 0, ipFails = 0, apiCalls = 0, replays = 0, bursts = 0;
    const problems: string[] = [];
    let warm: { fds: number; rss: number } | undefined;
    const start = Date.now();

    const ipChange = () => {
      const [ns, dev] = pick(devsOf);
      const n = Math.floor(rnd() * 8), m = Math.floor(rnd() * 250) + 1;
      const a = `10.${dev === "sa1" ? 2 : dev === "sc0" ? 3 : 1}.${n}`;
      const cmds: string[][] = [
        ["addr", "add", `${a}.${m}/24`, "dev", dev], ["addr", "del", `${a}.${m}/24`, "dev", dev],
        ["-6", "addr", "add", `2001:db8:${n}::${m}/64`, "dev", dev, "nodad"], ["-6", "addr", "del", `2001:db8:${n}::${m}/64`, "dev", dev],
        ["route", "replace", `172.16.${m}.0/24`, "dev", dev], ["route", "del", `172.16.${m}.0/24`, "dev", dev],
        ["neigh", "replace", `${a}.${m}`, "lladdr", `02:00:00:00:${n.toString(16).padStart(2, "0")}:${(m & 255).toString(16).padStart(2, "0")}`, "dev", dev],
        ["neigh", "del", `${a}.${m}`, "dev", dev],
        ["link", "set", dev, "mtu", String(1280 + m)], ["link", "set", dev, "down"], ["link", "set", dev, "up"], ["link", "set", dev, "up"],
      ];
      ipOps++;
      try { ns.ip(...pick(cmds)); } catch { ipFails++; /* deleting what is not there */ }
    };
    const burst = () => {
      // many routes at once: overruns the tiny receive buffer of A
      const [ns, dev] = pick(devsOf);
      const lines = Array.from({ length: 400 }, (_, i) => `route replace 192.168.${i >> 8}.${i & 255}/32 dev ${dev}`).join("\n");
      try {
        execBatch(ns, lines);
        execBatch(ns, Array.from({ length: 400 }, (_, i) => `route del 192.168.${i >> 8}.${i & 255}/32 dev ${dev}`).join("\n"));
      } catch { ipFails++; }
      bursts++;
    };
    const apiCall = async () => {
      const i = pick(insts);
      const r = rnd();
      apiCalls++;
      if (r < 0.15) { i.ifpx.pause(); await sleep(Math.floor(rnd() * 30)); i.ifpx.resume(); return; }
      if (r < 0.25) { i.ifpx.resync(); return; }
      if (r < 0.35) {
        // drain the tiny ring a little, replay into it when it lost something
        const rd = i.tiny.reader();
        rd.dequeue(3);
        const lost = rd.stats().overflowed || rd.stats().lost > 0;
        rd.close();
        if (lost) { replays++; i.ifpx.replayInto(i.tiny).catch((e) => problems.push(`replayInto ${i.name}: ${e}`)); }
        return;
      }
      if (r < 0.45) { const port = 20 + Math.floor(rnd() * 8); try { i.ifpx.bind(port, pick(i.proxies)); } catch (e) { if (!(e instanceof IfpxError)) throw e; } return; }
      if (r < 0.5) { try { i.ifpx.unbind(20 + Math.floor(rnd() * 8)); } catch (e) { if (!(e instanceof IfpxError)) throw e; } return; }
      if (r < 0.6) { i.ifpx.forEachEntry(pick(["addr", "route", "neigh"] as const), undefined, () => {}); return; }
      // a hostile call (nothing that creates kernel objects or queues: fds and memory are measured)
      let c = randomCall(i.ifpx, rnd, pool);
      while (noCreate.has(c.name)) c = randomCall(i.ifpx, rnd, pool);
      const p = await runCall(c);
      if (p) problems.push(p);
      // keep the RESYNC_DONE watcher registered whatever the call did
      i.ifpx.registerCallbacks([{ type: EventType.RESYNC_DONE, callback: (e) => { i.resyncDone.push(e); } }]);
    };

    while (Date.now() - start < SOAK_MS && problems.length === 0) {
      const r = rnd();
      if (r < 0.55) ipChange();
      else if (r < 0.58) burst();
      else await apiCall();
      await sleep(Math.floor(rnd() * 15));
      if (!warm && Date.now() - start > Math.min(20_000, SOAK_MS / 4)) warm = { fds: fds(), rss: rss() };
    }
    assert.equal(problems, [], problems.join("\n"));

    // quiet: every instance reads everything, then a resync must find nothing to change
    for (const i of insts) i.ifpx.resume();
    for (const i of insts) {
      const deadline = Date.now() + 20000;
      while (i.ifpx.stats().syncing) { if (Date.now() > deadline) throw new Error(`${i.name} still syncing`); await sleep(20); }
    }
    await sleep(300);
    for (const i of insts) {
      i.resyncDone.length = 0;
      i.ifpx.registerCallbacks([{ type: EventType.RESYNC_DONE, callback: (e) => { i.resyncDone.push(e); } }]);
      i.ifpx.resync();
      const deadline = Date.now() + 20000;
      while (!i.resyncDone.length) { if (Date.now() > deadline) throw new Error(`${i.name}: no RESYNC_DONE`); await sleep(20); }
      const d = i.resyncDone[0] as any;
      assert.equal([d.added, d.removed, d.changed], [0, 0, 0], `${i.name}: mirror differs from the kernel`);
      i.devs.forEach((dev, k) => {
        const mirror = i.ifpx.addresses(i.proxies[k]).map((e: any) => `${e.ip}/${e.prefixLen}`).sort();
        assert.equal(mirror, kernelAddrs(i.ns, dev), `${i.name} ${dev}: addresses`);
      });
    }
    const end = { fds: fds(), rss: rss() };
    assert.ok(warm, "warm-up point taken");
    const stats = insts.map((i) => ({ name: i.name, overruns: i.ifpx.stats().overruns, resyncs: i.ifpx.stats().resyncs, tinyLost: i.tiny.stats().totalLost, errors: i.errors.length }));
    console.log(`soak: ${ipOps} ip changes (${ipFails} refused), ${bursts} bursts, ${apiCalls} API calls, ${replays} replays; ` +
      `fds ${warm!.fds} -> ${end.fds}, RSS ${(warm!.rss / 2 ** 20).toFixed(0)} -> ${(end.rss / 2 ** 20).toFixed(0)} MiB; ${JSON.stringify(stats)}`);
    assert.ok(end.fds <= warm!.fds + 2, `fd count flat (${warm!.fds} -> ${end.fds})`);
    assert.ok(end.rss <= warm!.rss + 64 * 2 ** 20, `RSS flat (${warm!.rss} -> ${end.rss})`);
    assert.ok(insts[0].ifpx.stats().overruns > 0, "the tiny receive buffer overran (forced overruns happened)");
    assert.ok(insts.some((i) => i.tiny.stats().totalLost > 0), "a tiny ring overflowed");
    for (const i of insts) {
      const odd = i.errors.filter((e) => !(e instanceof IfpxError) && e !== SENTINEL);
      assert.equal(odd.map(String), [], `${i.name}: onError got only typed errors and the callbacks' own`);
    }
  } finally {
    for (const i of insts) await i.ifpx.dispose().catch((e) => unhandled.push(e));
    const results = await Promise.all(insts.map((i) => Promise.race([i.result, sleep(5000).then(() => ({ timeout: true }))])));
    for (const i of insts) await i.worker.terminate();
    ns1.remove();
    ns2.remove();
    for (const [k, r] of results.entries()) {
      assert.not.ok(r.timeout, `worker ${k} saw END`);
      assert.is(r.bad, 0, "every record had a valid type");
      assert.ok(r.records > 0, "the worker consumed records");
    }
  }
  await sleep(20);
  assert.equal(unhandled, [], `unhandled: ${unhandled.map(String).join("; ")}`);
});

function execBatch(ns: Netns, lines: string) {
  execFileSync("ip", ["netns", "exec", ns.name, "ip", "-batch", "-"], { input: lines + "\n", stdio: ["pipe", "ignore", "ignore"] });
}

test.run();
