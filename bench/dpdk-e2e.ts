// End-to-end throughput into a C data plane: netlink -> ifpx (Node, a DPDK
// secondary process) -> an rte_ring owned by a C DPDK primary
// (examples/dpdk-primary --count) that dequeues and counts the records.
//
// A namespace with a plain tap proxy made by ifpx (link up, no IPv4 address, so
// the only ROUTE_ADDs are the burst's), bound to port 0, the primary's ring
// added with queueAdd, listen(); then a burst of N IPv4 /24 routes via the proxy
// inserted by `ip -n NS -batch -`. The primary stamps (CLOCK_MONOTONIC, the
// clock of Node's process.hrtime) the dequeue of the first and of the N-th
// burst ROUTE_ADD. Two modes:
//   live:    ifpx reads while ip inserts; events/s = N / (last - first). The
//            kernel inserts at a finite rate (~80k/s, platform-notes), so this
//            shows that ifpx keeps up, bounded by `ip -batch`.
//   backlog: the listener is paused (ifpx.pause()) during the insertion, the
//            notifications wait in a 512 MiB receive buffer, then resume();
//            events/s = N / (last - resume): ifpx's own netlink -> rte_ring ->
//            C consumer rate.
// The primary must count exactly N with no OVERFLOW (lost = 0).
//
//   node --import tsx bench/dpdk-e2e.ts [--routes N] [--ring EVENTS] [--json]
//
// runDpdkE2eBench() returns { available: false, reason } when DPDK, root,
// hugepages or the primary are missing. The parent never initialises EAL: the
// secondary is a child Node process (this file, IFPX_DPDK_E2E_CHILD set).
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { newNetns, delNetns, ipn, type BurstRun } from "./lib.ts";
import { insertRoutes } from "./tables.ts";
import { preparePrimary, primaryBin, removePrefixFiles, ChildOutput } from "../examples/dpdk-primary/driver.ts";

const PROXY = "de2e0";
const BACKLOG_RCVBUF = 512 << 20;

export interface DpdkE2eOptions {
  /** routes in the burst (default 50000) */
  routes?: number;
  /** rte_ring capacity in events (default 16384) */
  ringEvents?: number;
  /** modes to run (default both) */
  modes?: ("live" | "backlog")[];
  quick?: boolean;
  log?: (...a: unknown[]) => void;
}

/** the consumer is the C primary (port 0's records) */
export interface DpdkE2eRun extends BurstRun {
  /** OVERFLOW records' sum at the consumer, and RteRingQueue.lost in the producer */
  consumerLost: number;
  producerLost: number;
  /** all records the primary dequeued (burst + IPv6 link-local routes etc.) */
  received: number;
}

export interface DpdkE2eResult {
  available: boolean;
  reason?: string;
  rows?: DpdkE2eRun[];
}




const exitOf = (c: ChildProcess) => c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise<number | null>((r) => c.on("exit", (code) => r(code)));

interface ChildCfg { prefix: string; ring: string; ns: string; routes: number; mode: "live" | "backlog" }

/** The secondary: ifpx into the primary's ring, the burst, then timings on stdout. */
async function childRole(cfg: ChildCfg): Promise<void> {
  const { Ifpx } = await import("../host/index.ts");
  const { Eal, RteRingQueue } = await import("../host/dpdk/index.ts");
  Eal.init({ mode: "secondary", filePrefix: cfg.prefix, logLevel: "lib.eal:warning" });
  const q = RteRingQueue.lookup(cfg.ring);
  const errors: string[] = [];
  const ifpx = new Ifpx({ netns: cfg.ns, onError: (e) => errors.push(String(e)), rcvbuf: cfg.mode === "backlog" ? BACKLOG_RCVBUF : undefined });
  const proxy = ifpx.createProxy({ name: PROXY });
  ifpx.bind(0, proxy);
  ipn(cfg.ns, "link", "set", PROXY, "up");
  ifpx.queueAdd(q);
  await ifpx.listen();
  const before = ifpx.stats();
  if (cfg.mode === "backlog") ifpx.pause();
  const ipStart = process.hrtime.bigint();
  const ins = await insertRoutes(cfg.ns, 4, 0, cfg.routes, PROXY);
  const ipEnd = process.hrtime.bigint();
  let resumed = 0n;
  if (cfg.mode === "backlog") { resumed = process.hrtime.bigint(); ifpx.resume(); }
  console.log(`INSERTED ${JSON.stringify({ ipStart: String(ipStart), ipEnd: String(ipEnd), resumed: String(resumed), ipSeconds: ins.seconds, ipPerSec: ins.perSec })}`);
  // keep delivering until the parent (which watches the primary) says quit
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) if (line.trim() === "quit") break;
  rl.close();
  const after = ifpx.stats();
  await ifpx.dispose();
  const lost = q.lost;
  q.close();
  Eal.cleanup();
  console.log(`RESULT ${JSON.stringify({ lost, errors, overruns: after.overruns - before.overruns, resyncs: after.resyncs - before.resyncs, datagrams: after.datagrams - before.datagrams })}`);
  process.exit(0);
}

async function oneRun(mode: "live" | "backlog", routes: number, ringEvents: number): Promise<DpdkE2eRun> {
  const prefix = `ifpxde${process.pid}`;
  const ring = `ifpxde${process.pid}`;
  removePrefixFiles(prefix);
  const ns = newNetns("ifpxb");
  let primary: ChildProcess | undefined, child: ChildProcess | undefined;
  try {
    primary = spawn(primaryBin, ["--file-prefix", prefix, "--no-pci", "--lcores=0@(0-1)", "--log-level=lib.eal:warning", "--",
      "--ring", ring, "--size", String(ringEvents), "--port", "0", "--count", `ROUTE_ADD:${routes}`, "--quiet", "--timeout", "120"],
      { stdio: ["ignore", "pipe", "pipe"] });
    const pout = new ChildOutput(primary);
    await pout.waitFor(/^READY /m, 20000, "primary READY");
    child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
      env: { ...process.env, IFPX_DPDK_E2E_CHILD: JSON.stringify({ prefix, ring, ns, routes, mode } satisfies ChildCfg) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const cout = new ChildOutput(child);
    const ins = JSON.parse((await cout.waitFor(/^INSERTED (.*)$/m, 120000, "secondary INSERTED"))[1]);
    const c = await pout.waitFor(/^COUNT n=(\d+) first_ns=(\d+) last_ns=(\d+) lost=(\d+) received=(\d+)(.*)$/m, 120000, "primary COUNT");
    child.stdin!.end("quit\n");
    await exitOf(child);
    const res = JSON.parse((await cout.waitFor(/^RESULT (.*)$/m, 5000, "secondary RESULT"))[1]);
    await exitOf(primary);
    const count = Number(c[1]);
    const first = BigInt(c[2]), last = BigInt(c[3]);
    const from = mode === "backlog" ? BigInt(ins.resumed) : first;
    const seconds = Number(last - from) / 1e9;
    return {
      mode, routes, count, ok: count === routes && Number(c[4]) === 0 && res.lost === 0 && !c[6],
      seconds, eventsPerSec: seconds > 0 ? count / seconds : 0,
      ipSeconds: ins.ipSeconds, ipPerSec: ins.ipPerSec,
      lagAfterIpMs: Number(last - BigInt(ins.ipEnd)) / 1e6,
      consumerLost: Number(c[4]), producerLost: res.lost,
      overruns: res.overruns, resyncs: res.resyncs, datagrams: res.datagrams, received: Number(c[5]),
    };
  } finally {
    for (const p of [child, primary]) if (p && p.exitCode === null && p.signalCode === null) { p.kill("SIGKILL"); await exitOf(p); }
    delNetns(ns);
    removePrefixFiles(prefix);
  }
}

export async function runDpdkE2eBench(opts: DpdkE2eOptions = {}): Promise<DpdkE2eResult> {
  const log = opts.log ?? console.log;
  const { dpdkAvailable } = await import("../host/dpdk/index.ts");
  const a = dpdkAvailable();
  if (!a.ok) return { available: false, reason: a.reason };
  const why = preparePrimary();
  if (why) return { available: false, reason: why };
  const routes = opts.routes ?? (opts.quick ? 10000 : 50000);
  const ringEvents = opts.ringEvents ?? 16384;
  const rows: DpdkE2eRun[] = [];
  for (const mode of opts.modes ?? ["live", "backlog"]) {
    const r = await oneRun(mode, routes, ringEvents);
    log(`  ${mode}: ${r.count}/${routes} ROUTE_ADD at the C consumer in ${(r.seconds * 1000).toFixed(1)} ms = ${Math.round(r.eventsPerSec)} events/s` +
      ` (ip -batch ${Math.round(r.ipPerSec)} routes/s, consumer ${r.lagAfterIpMs.toFixed(1)} ms after ip exit, lost ${r.consumerLost}/${r.producerLost}, overruns ${r.overruns})`);
    rows.push(r);
  }
  return { available: true, rows };
}

const childCfg = process.env.IFPX_DPDK_E2E_CHILD;
if (childCfg) {
  await childRole(JSON.parse(childCfg));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (k: string) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : undefined; };
  const json = process.argv.includes("--json");
  const r = await runDpdkE2eBench({ routes: arg("--routes"), ringEvents: arg("--ring"), log: json ? () => {} : console.log });
  if (json) console.log(JSON.stringify(r));
  else if (!r.available) console.log(`dpdk-e2e: not run: ${r.reason}`);
}
