// Ring throughput between worker threads: the AssemblyScript rings (SPSC and
// MPMC, bursts of 1 and 32) next to a plain-JS SharedArrayBuffer ring with the
// same algorithm, and the same algorithm in C between two pthreads (the
// hardware's figure), measured in the same run. Every run verifies that each
// record arrived exactly once and in order (per producer).
//
//   node --import tsx bench/ring.ts [--total N] [--slots N] [--runs N]
//
// `runRingBench()` returns the rows for the main bench (bench/run.ts);
// `runRingCase()` runs one configuration (also used by tests/unit).
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createCore } from "../host/core/wasm.js";
import { RingHdr } from "../host/core/layout.js";

export type RingImpl = "as" | "js";
export interface RingCase {
  impl: RingImpl;
  mode: "spsc" | "mpmc";
  burst: number;
  total: number;        // records per producer
  producers?: number;   // default 1
  consumers?: number;   // default 1
  slots?: number;       // default 1024
  /** failed enqueue tries on a full ring before the producer sleeps ~20 us (default 2^20) */
  spinFull?: number;
  /** empty dequeues before the consumer blocks in the ring's wait (default 2^20) */
  spinEmpty?: number;
  workerUrl?: URL;
}
export interface RingResult {
  impl: RingImpl; mode: "spsc" | "mpmc"; burst: number; producers: number; consumers: number; slots: number;
  records: number; seconds: number; mrps: number;
  /** producer sleeps on a full ring, consumer blocking waits on an empty one */
  fullSleeps: number; emptyWaits: number;
  /** failed enqueue tries (full ring), empty dequeues, and dequeue calls that returned records */
  fullTries: number; emptyTries: number; dequeueCalls: number;
  received: number; lost: number; dups: number; orderErrors: number; bad: number; ok: boolean;
}
export interface RingBenchRow {
  mode: "spsc" | "mpmc"; burst: number; records: number;
  /** best of the runs, million records per second */
  asMrps: number; jsMrps: number; ratio: number;
  /** the same algorithm in C between two spinning pthreads (bench/c/ring.c): the hardware's figure */
  cMrps: number; asVsC: number;
  asRuns: number[]; jsRuns: number[]; cRuns: number[];
  /** per run: producer sleeps + consumer blocking waits (0 = both threads spun throughout) */
  asSleeps: number[]; jsSleeps: number[];
  ok: boolean;
}

const C_RING = fileURLToPath(new URL("./out/ring_c", import.meta.url));
function cRing(mode: "spsc" | "mpmc", burst: number, total: number, slots: number): { mrps: number; ok: boolean } {
  if (!existsSync(C_RING)) {
    mkdirSync(fileURLToPath(new URL("./out", import.meta.url)), { recursive: true });
    execFileSync("cc", ["-O2", "-Wall", "-pthread", "-o", C_RING, fileURLToPath(new URL("./c/ring.c", import.meta.url))], { stdio: "inherit" });
  }
  return JSON.parse(execFileSync(C_RING, [mode, String(burst), String(total), String(slots)], { encoding: "utf8" }));
}

const DEFAULT_WORKER = new URL("./workers/ring-worker.mjs", import.meta.url);
// Failed tries before a thread sleeps: 2^20, so that a thread sleeps only when
// the other one is really off the CPU, as in the C baseline (a pure spin).
// Fewer tries let a preempted vCPU turn every stall into a sleep that lets the
// other thread drain the ring and wait in turn (bench/README.md has the runs).
const SPINS = 1 << 20;
let core: ReturnType<typeof createCore> | undefined;
function getCore() { return (core ??= createCore()); }

export async function runRingCase(c: RingCase): Promise<RingResult> {
  const producers = c.producers ?? 1, consumers = c.consumers ?? 1, slots = c.slots ?? 1024;
  const flags = c.mode === "spsc" ? 3 : 0;
  if (c.mode === "spsc" && (producers > 1 || consumers > 1)) throw new RangeError("spsc: one producer, one consumer");
  const ctlSab = new SharedArrayBuffer(64);
  const ctl = new Int32Array(ctlSab);
  // the JS ring of the worker uses the header layout of the core's (layout/shared-memory.json)
  const base: any = { hdr: RingHdr, spinFull: c.spinFull ?? SPINS, spinEmpty: c.spinEmpty ?? SPINS, impl: c.impl, burst: c.burst, total: c.total, producers, consumers, ctl: ctlSab, flags };
  const k = getCore();
  if (c.impl === "as") {
    base.module = k.share.module;
    base.memory = k.share.memory;
    base.ring = k.exports.ring_alloc(slots, flags) >>> 0;
    if (!base.ring) throw new Error("ring_alloc failed");
  } else {
    base.sab = new SharedArrayBuffer(RingHdr.SIZE + slots * 64);
    new Int32Array(base.sab)[RingHdr.SLOTS / 4] = slots;
  }
  const url = c.workerUrl ?? DEFAULT_WORKER;
  const workers: Worker[] = [];
  const results: any[] = [];
  const done: Promise<void>[] = [];
  const spawn = (data: any) => {
    if (c.impl === "as") data.buf = k.exports.ring_buf_alloc(c.burst * 64) >>> 0;
    const w = new Worker(fileURLToPath(url), { workerData: data });
    workers.push(w);
    done.push(new Promise((res, rej) => {
      w.on("message", (m) => results.push(m));
      w.on("error", rej);
      w.on("exit", (code) => (code === 0 ? res() : rej(new Error(`worker exit ${code}`))));
    }));
  };
  for (let i = 0; i < consumers; i++) spawn({ ...base, role: "consumer" });
  for (let i = 0; i < producers; i++) spawn({ ...base, role: "producer", pid: i });
  const n = producers + consumers;
  while (Atomics.load(ctl, 0) < n) await new Promise((r) => setTimeout(r, 2));
  const t0 = performance.timeOrigin + performance.now();
  Atomics.store(ctl, 1, 1);
  Atomics.notify(ctl, 1);
  await Promise.all(done);
  const cons = results.filter((m) => m.role === "consumer");
  const prod = results.filter((m) => m.role === "producer");
  const end = Math.max(...cons.map((m) => m.end));
  const seconds = (end - t0) / 1000;
  const records = producers * c.total;
  let received = 0, dups = 0, orderErrors = 0, bad = 0;
  for (const m of cons) {
    received += m.counts.reduce((a: number, b: number) => a + b, 0);
    dups += m.dups; orderErrors += m.orderErrors; bad += m.bad;
  }
  let lost = 0;
  if (consumers > 1) {
    for (let p = 0; p < producers; p++) {
      const maps: Uint8Array[] = cons.map((m) => m.maps[p]);
      for (let s = 0; s < c.total; s++) {
        let sum = 0;
        for (const mp of maps) sum += mp[s];
        if (sum === 0) lost++; else if (sum > 1) dups += sum - 1;
      }
    }
  } else {
    lost = records - received;
  }
  const ok = lost === 0 && dups === 0 && orderErrors === 0 && bad === 0 && received === records;
  return {
    impl: c.impl, mode: c.mode, burst: c.burst, producers, consumers, slots,
    records, seconds, mrps: records / seconds / 1e6,
    fullSleeps: prod.reduce((a, m) => a + m.sleeps, 0), emptyWaits: cons.reduce((a, m) => a + m.waits, 0),
    fullTries: prod.reduce((a, m) => a + m.fullTries, 0), emptyTries: cons.reduce((a, m) => a + m.emptyTries, 0),
    dequeueCalls: cons.reduce((a, m) => a + m.calls, 0), received, lost, dups, orderErrors, bad, ok,
  };
}

/** AS vs plain-JS ring, SPSC and MPMC rings (one producer, one consumer
 *  thread), bursts of 1 and 32. Each configuration runs `runs` times for
 *  each implementation, alternating; the best throughput is reported and
 *  every run must deliver every record exactly once. */
export async function runRingBench(opts: { total?: number; slots?: number; runs?: number; log?: boolean } = {}): Promise<RingBenchRow[]> {
  const total = opts.total ?? 10_000_000, runs = opts.runs ?? 3;
  const rows: RingBenchRow[] = [];
  for (const mode of ["spsc", "mpmc"] as const) {
    for (const burst of [1, 32]) {
      const as: RingResult[] = [], js: RingResult[] = [], c: { mrps: number; ok: boolean }[] = [];
      for (let i = 0; i < runs; i++) {
        as.push(await runRingCase({ impl: "as", mode, burst, total, slots: opts.slots }));
        js.push(await runRingCase({ impl: "js", mode, burst, total, slots: opts.slots }));
        c.push(cRing(mode, burst, total, opts.slots ?? 1024));
      }
      const best = (a: { mrps: number }[]) => Math.max(...a.map((r) => r.mrps));
      const ok = [...as, ...js, ...c].every((r) => r.ok);
      const row: RingBenchRow = {
        mode, burst, records: total, asMrps: best(as), jsMrps: best(js), ratio: best(as) / best(js),
        cMrps: best(c), asVsC: best(as) / best(c), ok,
        asRuns: as.map((r) => r.mrps), jsRuns: js.map((r) => r.mrps), cRuns: c.map((r) => r.mrps),
        asSleeps: as.map((r) => r.fullSleeps + r.emptyWaits), jsSleeps: js.map((r) => r.fullSleeps + r.emptyWaits),
      };
      if (opts.log) {
        const f = (v: number) => v.toFixed(1).padStart(6);
        console.log(`${mode.padEnd(5)} burst ${String(burst).padStart(2)}  AS ${f(row.asMrps)} M/s  JS ${f(row.jsMrps)} M/s  C ${f(row.cMrps)} M/s` +
          `  AS/JS x${row.ratio.toFixed(2)}  AS/C x${row.asVsC.toFixed(2)}  ${ok ? "ok: none lost or duplicated" : "FAILED"}` +
          `   (runs AS ${row.asRuns.map((v) => v.toFixed(1)).join("/")}, JS ${row.jsRuns.map((v) => v.toFixed(1)).join("/")}, C ${row.cRuns.map((v) => v.toFixed(1)).join("/")}; sleeps AS ${row.asSleeps.join("/")}, JS ${row.jsSleeps.join("/")})`);
        if (!ok) console.log(JSON.stringify([...as, ...js].filter((r) => !r.ok)));
      }
      rows.push(row);
    }
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const total = arg("--total") ?? 10_000_000;
  const slots = arg("--slots") ?? 1024;
  const runs = arg("--runs") ?? 3;
  console.log(`ring throughput, 2 workers (1 producer, 1 consumer), ${total} records of 64 B, ${slots} slots, best of ${runs}`);
  const rows = await runRingBench({ total, slots, runs, log: true });
  if (!rows.every((r) => r.ok)) process.exitCode = 1;
}
