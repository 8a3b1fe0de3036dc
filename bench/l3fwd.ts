// l3fwd-ifpx (examples/l3fwd) in the benchmark: the C data plane's tables fed
// by ifpx, and its fast path, each next to a baseline measured in the same run.
//
//  1. Full table: N IPv4 /24 routes (1M; --quick 100k) configured on proxy dp0
//     before the data plane listens; time from listen() until its LPM holds
//     every one (the lcore's CLOCK_MONOTONIC at the last route applied minus
//     the control process's hrtime before listen(): the same clock). Baseline:
//     the C netlink reader's dump of the same table (bench/c/nl_dump.c), median of 3.
//  2. Live route changes: a further `ip -batch` of 100k routes while the data
//     plane listens: routes/s into the LPM (batch start -> last route in the
//     LPM) against ip -batch's own rate (the kernel's insertion). Then routes
//     added one at a time, 2 ms apart (bench/c/route_writer.c): latency from
//     the writer's sendmsg to the lcore's FIB write (p50/p99), against the C
//     reader's kernel -> socket latency (nl_dump latency, its own writer).
//  3. Fast path: UDP flood h1 -> h2 (bench/c/udp_flood.c, 18-byte payloads) for
//     4 s: datagrams/s received through the data plane, then through Linux's
//     own forwarding over the same veths (the data plane stopped, the
//     addresses moved onto the veth ends).
// The data plane busy-polls here (--busy-poll): its idle sleep would add to
// the latency figures.
//
//   node --import tsx bench/l3fwd.ts [--quick] [--routes N]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { newNetns, delNetns, measure, median, ipn } from "./lib.ts";
import { v4Prefix } from "./tables.ts";
import { L3fwd, prepareL3fwd, wire, ipBatch, addProxyAddresses } from "../examples/l3fwd/driver.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, "out");

export interface L3fwdBenchOptions { quick?: boolean; routes?: number; log?: (...a: unknown[]) => void }
export interface L3fwdRow { job: string; l3fwd: string; baseline: string; ratio: string; note?: string }

function buildTools(): { nl: string; flood: string; writer: string } {
  mkdirSync(OUT, { recursive: true });
  const nl = join(OUT, "nl_dump"), flood = join(OUT, "udp_flood"), writer = join(OUT, "route_writer");
  if (!existsSync(nl)) execFileSync("cc", ["-O2", "-Wall", "-o", nl, join(HERE, "c", "nl_dump.c")], { stdio: "inherit" });
  execFileSync("cc", ["-O2", "-Wall", "-o", flood, join(HERE, "c", "udp_flood.c")], { stdio: "inherit" });
  execFileSync("cc", ["-O2", "-Wall", "-o", writer, join(HERE, "c", "route_writer.c")], { stdio: "inherit" });
  return { nl, flood, writer };
}

const ms = (s: number) => s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`;
const rate = (r: number) => r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : `${(r / 1e3).toFixed(1)} k/s`;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

async function waitFor<T>(what: string, get: () => Promise<T>, ok: (x: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const x = await get();
    if (ok(x)) return x;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms: ${JSON.stringify(x).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Rows 1 and 2: tables into the data plane. */
async function tables(o: L3fwdBenchOptions, nl: string, writer: string, rows: L3fwdRow[], log: (...a: unknown[]) => void): Promise<void> {
  const N = o.routes ?? (o.quick ? 100_000 : 1_000_000);
  const LIVE = o.quick ? 20_000 : 100_000;
  const LAT = o.quick ? 500 : 2000;
  const r = newNetns("ifpxl3"), h1 = newNetns("ifpxl3"), h2 = newNetns("ifpxl3");
  let dp: L3fwd | undefined;
  try {
    wire(r, [h1, h2]);
    const cap = N + LIVE + LAT + 1024;
    dp = await L3fwd.start(r, [["v0", "dp0"], ["v1", "dp1"]], ["--defer-listen", ...(process.env.L3FWD_BENCH_IDLE ? [] : ["--busy-poll"]), "--routes4", String(cap),
      "--ring-size", String(1 << 20), "--log-size", String(LAT * 2 + 16)]);
    addProxyAddresses(r, 2);
    log(`  inserting ${N} routes via dp0 (ip -batch) ...`);
    const t0 = Date.now();
    await ipBatch(r, (function* () { for (let i = 0; i < N; i++) yield `route add ${v4Prefix(i)} dev dp0`; })());
    log(`  ... ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const cRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await measure([nl, "dump"], { ns: r, timeoutMs: 120000 });
      if (!m.json) throw new Error(`nl_dump: ${m.stderr}`);
      cRuns.push(m.json.seconds);
    }
    const l = JSON.parse(await dp.command("listen", "LISTENING", 600000));
    const base = (await dp.stats()).lpm4;
    const s = await waitFor("LPM holds every route", () => dp!.stats(), (x) => x.lpm4 >= N && x.ring_events === 0 && x.ring.count === 0, 600000);
    const seconds = (s.last_route_ns - Number(l.t0)) / 1e9;
    const listenSeconds = (Number(l.t1) - Number(l.t0)) / 1e9;
    const c = median(cRuns);
    rows.push({
      job: `${N / 1000}k IPv4 routes on a proxy: listen() -> the C data plane's LPM holds all`,
      l3fwd: ms(seconds), baseline: `C reader dump ${ms(c)}`, ratio: `${(seconds / c).toFixed(2)}x`,
      note: `listen() resolved after ${ms(listenSeconds)}; LPM prefixes ${s.lpm4} (${base} at listen's end), ring lost ${s.ring.lost}, LPM add failures ${s.lpm_add_fail}; C runs ${cRuns.map(ms).join("/")}`,
    });
    log(`  ${rows[rows.length - 1].job}: ${rows[rows.length - 1].l3fwd} vs ${rows[rows.length - 1].baseline}`);

    // live: ip -batch of LIVE more routes while listening
    const before = s.lpm4;
    const b0 = process.hrtime.bigint();
    await ipBatch(r, (function* () { for (let i = N; i < N + LIVE; i++) yield `route add ${v4Prefix(i)} dev dp0`; })());
    const b1 = process.hrtime.bigint();
    const s2 = await waitFor("LPM holds the live batch", () => dp!.stats(), (x) => x.lpm4 >= before + LIVE && x.ring.count === 0, 120000);
    const ipSec = Number(b1 - b0) / 1e9, dpSec = (s2.last_route_ns - Number(b0)) / 1e9;
    rows.push({
      job: `live: ip -batch of ${LIVE / 1000}k routes -> LPM, routes/s`,
      l3fwd: rate(LIVE / dpSec), baseline: `ip -batch (kernel) ${rate(LIVE / ipSec)}`, ratio: `${(ipSec / dpSec).toFixed(2)}x`,
      note: `last route in the LPM ${ms(Math.max(0, dpSec - ipSec))} after ip -batch exited; ring lost ${s2.ring.lost}`,
    });

    // latency: one change at a time, sent by bench/c/route_writer.c (its send times)
    const ifindex = Number(ipn(r, "-o", "link", "show", "dev", "dp1").split(":")[0]);
    const logStart = (await dp.stats()).route_changes;
    const w = await measure([writer, String(ifindex), String(LAT), "2000", "198"], { ns: r, timeoutMs: 120000 });
    if (w.code !== 0) throw new Error(`route_writer: ${w.stderr}`);
    const sent = new Map<string, bigint>();
    for (const line of w.stdout.trim().split("\n")) { const [ns, p] = line.split(" "); sent.set(p, BigInt(ns)); }
    await waitFor("LPM holds the latency routes", () => dp!.stats(), (x) => x.route_changes >= logStart + LAT && x.ring.count === 0, 60000);
    const path = join(tmpdir(), `l3fwd-bench-${process.pid}.log`);
    await dp.command(`log ${path}`, "LOG");
    const lat: number[] = [];
    for (const line of readFileSync(path, "utf8").split("\n")) {
      const [ns, verb, pfx] = line.split(" ");
      const t = sent.get(pfx);
      if (verb === "add" && t !== undefined) { lat.push(Number(BigInt(ns) - t) / 1000); sent.delete(pfx); }
    }
    rmSync(path, { force: true });
    const cl = await measure([nl, "latency", "-n", String(LAT), "-x", String(ifindex), "-p", "199"], { ns: r, timeoutMs: 120000 });
    const cj = cl.json ?? {};
    rows.push({
      job: `route change -> LPM updated, latency p50 / p99 (${lat.length} of ${LAT} samples)`,
      l3fwd: `${pct(lat, 0.5).toFixed(1)} / ${pct(lat, 0.99).toFixed(1)} us`,
      baseline: `C reader, kernel -> socket ${cj.p50Us ?? "?"} / ${cj.p99Us ?? "?"} us`,
      ratio: cj.p50Us ? `${(pct(lat, 0.5) / cj.p50Us).toFixed(1)}x` : "-",
      note: "both from the writer's sendmsg (RTM_NEWROUTE, one at a time, 2 ms apart): l3fwd's to the lcore's FIB write, the C reader's to its recv; " +
        `l3fwd p10/p50/p90/p95/p99/max ${[0.1, 0.5, 0.9, 0.95, 0.99, 1].map((p) => pct(lat, p).toFixed(0)).join("/")} us`,
    });
  } finally {
    if (dp) await dp.quit().catch(() => dp!.kill());
    for (const n of [r, h1, h2]) delNetns(n);
  }
}

/** Row 3: fast path against Linux's forwarding over the same veths. */
async function fastPath(o: L3fwdBenchOptions, flood: string, rows: L3fwdRow[]): Promise<void> {
  const SECS = o.quick ? 2 : 4;
  const r = newNetns("ifpxl3"), h1 = newNetns("ifpxl3"), h2 = newNetns("ifpxl3");
  let dp: L3fwd | undefined;
  const run = async () => {
    const recv = measure([flood, "recv", "9000", String(SECS + 2)], { ns: h2 });
    await new Promise((res) => setTimeout(res, 300));
    const snd = await measure([flood, "send", "10.0.2.2", "9000", String(SECS)], { ns: h1 });
    const rc = await recv;
    return { sent: snd.json?.pps ?? 0, received: rc.json?.received ?? 0, pps: rc.json?.pps ?? 0 };
  };
  try {
    wire(r, [h1, h2]);
    dp = await L3fwd.start(r, [["v0", "dp0"], ["v1", "dp1"]], ["--busy-poll"]);
    addProxyAddresses(r, 2);
    execFileSync("ip", ["netns", "exec", h1, "ping", "-c", "3", "-i", "0.2", "10.0.2.2"], { stdio: "ignore" });
    const s0 = await dp.stats();
    const viaDp = await run();
    const s1 = await dp.stats();
    await dp.quit();
    dp = undefined;
    // Linux: the same veths, the router's addresses on them, forwarding on
    for (const [i, v] of [[1, "v0"], [2, "v1"]] as const) {
      ipn(r, "link", "set", v, "arp", "on");
      ipn(r, "addr", "add", `10.0.${i}.1/24`, "dev", v);
    }
    for (const hn of [h1, h2]) ipn(hn, "neigh", "flush", "all");
    execFileSync("ip", ["netns", "exec", h1, "ping", "-c", "3", "-i", "0.2", "10.0.2.2"], { stdio: "ignore" });
    const viaLinux = await run();
    rows.push({
      job: `fast path, UDP 18-byte payloads h1 -> h2, ${SECS} s (datagrams/s received)`,
      l3fwd: rate(viaDp.pps), baseline: `Linux forwarding ${rate(viaLinux.pps)}`, ratio: `${(viaDp.pps / viaLinux.pps).toFixed(2)}x`,
      note: `offered ${rate(viaDp.sent)} / ${rate(viaLinux.sent)}; data plane forwarded ${s1.fwd4 - s0.fwd4}, punted ${s1.punted - s0.punted}, ` +
        `dropped ${s1.dropped - s0.dropped} (af_packet rx rings and veths drop the excess before either router sees it)`,
    });
  } finally {
    if (dp) await dp.quit().catch(() => dp!.kill());
    for (const n of [r, h1, h2]) delNetns(n);
  }
}

export async function runL3fwdBench(o: L3fwdBenchOptions = {}): Promise<{ available: boolean; reason?: string; rows?: L3fwdRow[] }> {
  const log = o.log ?? console.log;
  const reason = prepareL3fwd();
  if (reason) return { available: false, reason };
  const { nl, flood, writer } = buildTools();
  const rows: L3fwdRow[] = [];
  await tables(o, nl, writer, rows, log);
  await fastPath(o, flood, rows);
  return { available: true, rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const routes = a.includes("--routes") ? Number(a[a.indexOf("--routes") + 1]) : undefined;
  const res = await runL3fwdBench({ quick: a.includes("--quick"), routes });
  console.log(JSON.stringify(res, null, 2));
}
