// DPDK bench: ns per ifpx event enqueued into an rte_ring from Node through
// koffi (RteRingQueue.publish, and the bare shim call), next to the same loop
// in C (ifpx_dpdk_bench_native in native/ifpx_dpdk.c) measured in the same
// run on the same ring. One record = 64 bytes = four 16-byte ring elements,
// enqueued with the bulk (all-or-nothing) call; single = 1 event per call,
// burst = 32 events per call. Each round enqueues PER_ROUND events (timed)
// then dequeues them natively (not timed, except for the C dequeue column).
// Each cell: median of REPEATS interleaved runs.
//
//   node --import tsx bench/dpdk.ts [--quick] [--json]
//
// runDpdkBench() runs this file in a child process (EAL initialises once per
// process and pins/forks badly inside a bigger runner) and returns its rows.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface DpdkBenchRow {
  case: string;
  "node publish ns/ev": number;
  "node raw koffi ns/ev": number;
  "C enqueue ns/ev": number;
  "C dequeue ns/ev": number;
  "publish/C": number;
}

export interface DpdkBenchResult {
  available: boolean;
  reason?: string;
  rows?: DpdkBenchRow[];
  /** events per cell, over all repeats */
  events?: number;
  repeats?: number;
  ealArgs?: string[];
}

const PER_ROUND = 512;
const REPEATS = 5;

async function measure(quick: boolean): Promise<DpdkBenchResult> {
  const { dpdkAvailable, Eal, RteRingQueue, EVENT_SIZE } = await import("../host/dpdk/index.js");
  const { dpdk } = await import("../host/dpdk/lib.js");
  const a = dpdkAvailable();
  if (!a.ok) return { available: false, reason: a.reason };
  const eal = Eal.init({ logLevel: "lib.eal:warning" });
  const lib = dpdk();
  const rounds = quick ? 200 : 2000;
  const q = RteRingQueue.create(`ifpxbench${process.pid}`, 1024);
  // records in WebAssembly shared memory, as ifpx's delivery code hands them over
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const recs = new Uint8Array(mem.buffer, 4096, 32 * EVENT_SIZE);
  for (let i = 0; i < 32; i++) { recs[i * EVENT_SIZE] = 7; recs[i * EVENT_SIZE + 2] = 1; recs[i * EVENT_SIZE + 12] = i; }
  const singles = Array.from({ length: 32 }, (_, i) => recs.subarray(i * EVENT_SIZE, (i + 1) * EVENT_SIZE));

  // one monomorphic loop per case (a shared loop taking a callback skewed the
  // single-event figures by 2-5x); REPEATS interleaved runs, median reported
  const R = rounds / REPEATS;
  const timed = (loop: () => void): number => {
    let ns = 0n;
    for (let r = 0; r < R; r++) {
      const t0 = process.hrtime.bigint();
      loop();
      ns += process.hrtime.bigint() - t0;
      lib.ring_drain(q.ring, PER_ROUND);
    }
    return Number(ns) / (R * PER_ROUND);
  };
  const cases = {
    pub1: () => { for (let i = 0; i < PER_ROUND; i++) q.publish(singles[i & 31], 1); },
    raw1: () => { for (let i = 0; i < PER_ROUND; i++) lib.enqueue_burst(q.ring, singles[i & 31], 1); },
    pub32: () => { for (let i = 0; i < PER_ROUND; i += 32) q.publish(recs, 32); },
    raw32: () => { for (let i = 0; i < PER_ROUND; i += 32) lib.enqueue_burst(q.ring, recs, 32); },
  };
  const samples: Record<string, number[]> = { pub1: [], raw1: [], pub32: [], raw32: [], c1: [], c32: [], d1: [], d32: [] };
  const out = new Float64Array(2);
  for (const f of Object.values(cases)) timed(f); // warm-up (JIT)
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const [k, f] of Object.entries(cases)) samples[k].push(timed(f));
    for (const burst of [1, 32]) {
      const rc = lib.bench_native(q.ring, burst, PER_ROUND, R, out);
      if (rc !== 0) throw new Error(`bench_native: ${rc}`);
      samples[`c${burst}`].push(out[0]);
      samples[`d${burst}`].push(out[1]);
    }
  }
  const med = (k: string) => { const a = [...samples[k]].sort((x, y) => x - y); return a[a.length >> 1]; };
  const rows: DpdkBenchRow[] = [1, 32].map((b) => ({
    case: b === 1 ? "single event" : `burst of ${b}`,
    "node publish ns/ev": +med(`pub${b}`).toFixed(1),
    "node raw koffi ns/ev": +med(`raw${b}`).toFixed(1),
    "C enqueue ns/ev": +med(`c${b}`).toFixed(2),
    "C dequeue ns/ev": +med(`d${b}`).toFixed(2),
    "publish/C": +(med(`pub${b}`) / med(`c${b}`)).toFixed(1),
  }));
  if (q.lost !== 0) throw new Error(`lost ${q.lost}`);
  q.close();
  Eal.cleanup();
  return { available: true, rows, events: rounds * PER_ROUND, repeats: REPEATS, ealArgs: eal.args };
}

/** Runs the bench in a child process; rows for bench/run.ts. */
export async function runDpdkBench(opts: { quick?: boolean } = {}): Promise<DpdkBenchResult> {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ["--import", "tsx", self, "--json", ...(opts.quick ? ["--quick"] : [])], {
    encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000,
  });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try { return JSON.parse(last); } catch {
    throw new Error(`bench/dpdk.ts failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  }
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const quick = process.argv.includes("--quick");
  const res = await measure(quick);
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(res));
  } else if (!res.available) {
    console.log(`dpdk bench not run: ${res.reason}`);
  } else {
    console.log(`rte_ring of 16-byte elements, 4 per 64-byte event, ${res.events} events per cell (median of ${res.repeats} runs); EAL ${res.ealArgs!.join(" ")}`);
    console.table(res.rows);
  }
}
