// `npm run bench`: ifpx against its peers, on the same tables, in the same run.
//
//   node --import tsx bench/run.ts [--quick] [--only dump|drain|latency|ring|dpdk|l3fwd] [--runs N]
//                                  [--burst N] [--ifpx-module PATH]
//
// Baselines: the raw C reader (bench/c/nl_dump.c, the kernel-side limit), iproute2
// (`ip route show` to /dev/null, `ip monitor`), npm `netlink` 0.3.0. ifpx runners come
// from bench/ifpx.ts (see RUNNER INTERFACE below); ring/dpdk from bench/ring.ts and
// bench/dpdk.ts. Every child runs inside the bench's namespaces under /usr/bin/time -f %M
// (peak RSS of that process alone). Results: stdout tables + bench/out/results.json.
//
// RUNNER INTERFACE (bench/ifpx.ts, all exports optional; a missing one prints "not available")
//   export interface IfpxTarget { ns: string; proxy: string; ifindex: number }
//   export function ifpxDumpArgv(o: IfpxTarget & { family: 4 | 6 }): string[]
//       argv run as `ip netns exec NS /usr/bin/time -f %M ...argv`; last stdout line JSON
//       {"routes": n, "seconds": s}  routes of that family via the proxy, as mirrored by ifpx;
//       seconds: in-process, from the first request sent to the snapshot complete.
//   export function ifpxDrainArgv(o: IfpxTarget & { rcvbufBytes: number; count: number; idleMs: number }): string[]
//       subscribe (IPv4 routes at least), print a line "ready ..." on stdout, then NOT read the
//       socket until a line arrives on stdin; then read/process until `count` route events
//       or idleMs without any; last stdout line JSON {"events", "seconds", "eventsPerSec"}.
//   export function ifpxLatencyArgv(o: IfpxTarget & { count: number; prefixHi: number }): string[]
//       in-process writer: add then delete PREFIXHI.(i>>8).(i&255).0/24 dev proxy, i < count,
//       timing send -> ifpx delivering the matching event; last line JSON
//       {"samples", "p50Us", "p99Us", "lost"?}.
//   Alternatively (used if present, instead of the argv form):
//   export async function ifpxDump(o): Promise<{ seconds: number; rssKiB: number; routes: number }>
//   export async function ifpxDrain(o & { burst: () => Promise<void> }): Promise<{ events; seconds; eventsPerSec; rssKiB? }>
//   export async function ifpxLatency(o): Promise<{ samples; p50Us; p99Us; rssKiB? }>
//       (a function must run its reader in a child process so that rssKiB is its own.)
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cpus, totalmem } from "node:os";
import {
  measure, median, newNetns, delNetns, cleanupAll, renderTable, fmtSec, fmtKiB, fmtRate, ipn, TIME_BIN, type Measured,
} from "./lib.ts";
import { createTable, growV4, insertRoutes, recreateTap, TAP, type Table } from "./tables.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const OUT = join(HERE, "out");
const NL = join(OUT, "nl_dump");
const NODE = process.execPath;

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const opt = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const QUICK = argv.includes("--quick");
const ONLY = opt("--only");
const RUNS = Number(opt("--runs") ?? 3);
const BURST = Number(opt("--burst") ?? 200000);
const LAT_COUNT = Number(opt("--latency-count") ?? 2000);
const IFPX_MODULE = opt("--ifpx-module") ?? join(HERE, "ifpx.ts");
const want = (job: string) => !ONLY || ONLY === job;

const log = (...a: unknown[]) => console.log(...a);
const NA = "not available";

interface Cell {
  runner: string;
  ok: boolean;
  note?: string;
  seconds?: number;       // the figure compared (in-process when the runner reports it, else wall)
  wallSeconds?: number;
  rssKiB?: number | null;
  routes?: number;
  events?: number;
  eventsPerSec?: number;
  p50Us?: number;
  p99Us?: number;
  runs?: any[];
}
const results: any = {
  startedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), kernel: execFileSync("uname", ["-r"], { encoding: "utf8" }).trim(), node: process.version },
  options: { quick: QUICK, only: ONLY ?? null, runs: RUNS, burst: BURST },
  inserts: {} as Record<string, unknown>,
  dump: [] as any[], drain: [] as any[], latency: [] as any[], ring: null, dpdk: null,
  notes: [] as string[],
};

// ---------------------------------------------------------------- setup
function buildC(): void {
  mkdirSync(OUT, { recursive: true });
  execFileSync("cc", ["-O2", "-Wall", "-o", NL, join(HERE, "c", "nl_dump.c")], { stdio: "inherit" });
  execFileSync("cc", ["-O2", "-Wall", "-pthread", "-o", join(OUT, "ring_c"), join(HERE, "c", "ring.c")], { stdio: "inherit" });
  execFileSync("cc", ["-O2", "-Wall", "-o", join(OUT, "first_touch"), join(HERE, "c", "first_touch.c")], { stdio: "inherit" });
}

// What fresh memory costs here (bench/c/first_touch.c says why it matters):
// printed with the machine, and kept in results.json.
function probeFirstTouch(): void {
  const r = JSON.parse(execFileSync(join(OUT, "first_touch"), ["256"], { encoding: "utf8" }));
  results.machine.firstTouch = r;
  log(`fresh memory: ${r.firstMsPerMiB.toFixed(2)} ms/MiB on first touch, ${r.againMsPerMiB.toFixed(2)} ms/MiB when just freed` +
    ` (256 MiB, huge pages advised; a large gap means the hypervisor backs memory lazily: runners that allocate pay it)`);
}

let ifpx: any = null;
let ifpxWhy = "bench/ifpx.ts not found";
async function loadIfpx(): Promise<void> {
  if (!existsSync(IFPX_MODULE)) return;
  try { ifpx = await import(pathToFileURL(IFPX_MODULE).href); ifpxWhy = ""; }
  catch (e: any) { ifpx = null; ifpxWhy = `bench/ifpx.ts failed to load: ${e?.message ?? e}`; }
}

let npmNetlinkWhy = "";
function checkNpmNetlink(): void {
  try { execFileSync(NODE, ["-e", "require('netlink').createRtNetlink().socket.close()"], { cwd: ROOT, stdio: "pipe" }); }
  catch (e: any) { npmNetlinkWhy = `npm netlink does not load: ${String(e?.stderr ?? e).split("\n").slice(0, 3).join(" ")}`; }
}

// ---------------------------------------------------------------- helpers
function cellFromRuns(runner: string, runs: Measured[], pick: (m: Measured) => Partial<Cell>): Cell {
  const ok = runs.every((m) => m.code === 0);
  const parts = runs.map((m) => ({ ...pick(m), wallSeconds: m.wallSeconds, rssKiB: m.rssKiB }));
  const med = (k: keyof Cell) => { const v = parts.map((p: any) => p[k]).filter((x) => typeof x === "number"); return v.length ? median(v) : undefined; };
  const c: Cell = {
    runner, ok,
    seconds: med("seconds"), wallSeconds: med("wallSeconds"), rssKiB: med("rssKiB") ?? null,
    routes: med("routes"), events: med("events"), eventsPerSec: med("eventsPerSec"), p50Us: med("p50Us"), p99Us: med("p99Us"),
    runs: parts,
  };
  if (!ok) c.note = runs.map((m) => (m.code === 0 ? "" : `exit ${m.code ?? m.signal}: ${errSummary(m.stderr)}`)).filter(Boolean).join("; ");
  return c;
}

/** the informative lines of a child's stderr (the error, not Node's version banner) */
function errSummary(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l && !/^Node\.js v|^Command (exited|terminated)|^\^+$/.test(l));
  const i = lines.findIndex((l) => /error|what\(\)|abort/i.test(l));
  return (i >= 0 ? lines.slice(i, i + 2) : lines.slice(-2)).join(" ").slice(0, 300);
}

const na = (runner: string, why: string): Cell => ({ runner, ok: false, note: why });

function dumpCellText(c: Cell | undefined): string {
  if (!c) return "-";
  if (!c.ok) return c.note?.startsWith(NA) || c.note === NA ? NA : `FAILED`;
  return `${fmtSec(c.seconds)}, ${fmtKiB(c.rssKiB)}`;
}
function ratio(a?: number, b?: number): string {
  if (a == null || b == null || !b) return "-";
  const r = a / b;
  return `${r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`;
}

// ---------------------------------------------------------------- dump
async function dumpJob(label: string, t: Table, family: 4 | 6, expect: number, runs: number): Promise<void> {
  log(`\n-- ${label} (${runs} run${runs > 1 ? "s" : ""}, median; the runners take turns, so a drift of the machine hits them alike)`);
  const fam = family === 6 ? ["-6"] : [];
  const cells: Record<string, Cell> = {};
  const target = { ns: t.ns, proxy: t.tap, ifindex: t.ifindex, family };

  const c: Measured[] = [], ip: Measured[] = [], npmRuns: Measured[] = [], ifpxRuns: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    c.push(await measure([NL, "dump", ...fam], { ns: t.ns, timeoutMs: 120000 }));
    ip.push(await measure(["ip", ...fam, "route", "show"], { ns: t.ns, discardStdout: true, timeoutMs: 300000 }));
    if (!npmNetlinkWhy) npmRuns.push(await measure([NODE, join(HERE, "peers", "node-netlink-dump.mjs"), String(family)], { ns: t.ns, timeoutMs: 600000 }));
    if (!ifpx?.ifpxDump && ifpx?.ifpxDumpArgv) ifpxRuns.push(await measure(ifpx.ifpxDumpArgv(target), { ns: t.ns, timeoutMs: 600000 }));
  }
  cells.c = cellFromRuns("C reader", c, (m) => ({ seconds: m.json?.seconds, routes: m.json?.routes }));
  cells.ip = cellFromRuns("ip route show", ip, (m) => ({ seconds: m.wallSeconds }));
  cells.ip.note = (cells.ip.note ? cells.ip.note + "; " : "") + "wall time (process start to exit)";
  if (npmNetlinkWhy) cells.npm = na("npm netlink", `${NA}: ${npmNetlinkWhy}`);
  else cells.npm = cellFromRuns("npm netlink", npmRuns, (m) => ({ seconds: m.json?.seconds, routes: m.json?.routes }));

  if (ifpx?.ifpxDump) {
    const parts: any[] = [];
    let err = "";
    for (let i = 0; i < runs; i++) {
      try { parts.push(await ifpx.ifpxDump(target)); } catch (e: any) { err = String(e?.message ?? e); break; }
    }
    cells.ifpx = err ? { runner: "ifpx", ok: false, note: `ifpxDump threw: ${err}` } : {
      runner: "ifpx", ok: true, seconds: median(parts.map((p) => p.seconds)), rssKiB: median(parts.map((p) => p.rssKiB)),
      routes: median(parts.map((p) => p.routes)), runs: parts,
    };
  } else if (ifpx?.ifpxDumpArgv) {
    cells.ifpx = cellFromRuns("ifpx", ifpxRuns, (m) => ({ seconds: m.json?.seconds, routes: m.json?.routes }));
  } else cells.ifpx = na("ifpx", `${NA}${ifpxWhy ? ` (${ifpxWhy})` : ""}`);

  // sanity: counts
  const checks: string[] = [];
  if (cells.c.ok && (cells.c.routes ?? 0) < expect) checks.push(`C reader saw ${cells.c.routes} < ${expect} routes`);
  if (cells.npm.ok && (cells.npm.routes ?? 0) < expect) checks.push(`npm netlink saw ${cells.npm.routes} < ${expect}`);
  if (cells.ifpx.ok && (cells.ifpx.routes ?? 0) < expect) checks.push(`ifpx reported ${cells.ifpx.routes} < ${expect} routes via the proxy`);
  if (cells.ifpx.ok && cells.c.ok && (cells.ifpx.routes ?? 0) > (cells.c.routes ?? 0))
    checks.push(`ifpx reported ${cells.ifpx.routes} routes, more than the ${cells.c.routes} IPv${family} routes the kernel dumps (other family included?)`);
  for (const k of Object.keys(cells)) if (!cells[k].ok && cells[k].note && !cells[k].note!.startsWith(NA)) log(`  ${cells[k].runner}: ${cells[k].note}`);
  for (const s of checks) log(`  CHECK: ${s}`);
  results.dump.push({ job: label, family, expectRoutes: expect, cells, checks });
}

// ---------------------------------------------------------------- drain
/** spawn a drain child: on its "ready" line, insert the burst, then say go */
function drainRun(argvChild: string[], ns: string, burst: number, onBurst?: (s: number) => void): Promise<Measured> {
  let burstErr: unknown = null;
  let started = false;
  return measure(argvChild, {
    ns, timeoutMs: 240000,
    onLine: (line, child) => {
      if (started || !line.startsWith("ready")) return;
      started = true;
      insertRoutes(ns, 4, 0, burst).then((r) => { onBurst?.(r.perSec); child.stdin!.write("go\n"); },
        (e) => { burstErr = e; child.kill("SIGKILL"); });
    },
  }).then((m) => { if (burstErr) { m.code = m.code ?? 99; m.stderr += `\nburst failed: ${burstErr}`; } return m; });
}

async function drainJob(): Promise<void> {
  log(`\n-- drain a full socket: subscribe, stop reading, insert a ${BURST}-route burst, then read everything (1 run each)`);
  const ns = newNetns("ifpxd");
  const FORCE = 1 << 30; // 1 GiB: a 200k burst fits (no loss)
  const cells: Record<string, Cell> = {};
  const burstRates: number[] = [];
  try {
    let ifindex = recreateTap(ns);
    const c = await drainRun([NL, "drain", "-r", String(FORCE), "-n", String(BURST), "-i", "1000"], ns, BURST, (r) => burstRates.push(r));
    cells.c = cellFromRuns("C reader", [c], (m) => ({ events: m.json?.events, seconds: m.json?.seconds, eventsPerSec: m.json?.eventsPerSec }));

    if (npmNetlinkWhy) cells.npm = na("npm netlink", `${NA}: ${npmNetlinkWhy}`);
    else {
      ifindex = recreateTap(ns);
      const r = await drainRun([NODE, join(HERE, "peers", "node-netlink-drain.mjs"), String(FORCE), String(BURST), "1000", "force"], ns, BURST, (r) => burstRates.push(r));
      cells.npm = cellFromRuns("npm netlink", [r], (m) => ({ events: m.json?.events, seconds: m.json?.seconds, eventsPerSec: m.json?.eventsPerSec }));
      cells.npm.note = (cells.npm.note ? cells.npm.note + "; " : "") + "receive buffer forced to 1 GiB through koffi on its fd (its API: SO_RCVBUF only, capped by rmem_max)";
      // the same through its own API only: how much of the burst survives
      ifindex = recreateTap(ns);
      const r2 = await drainRun([NODE, join(HERE, "peers", "node-netlink-drain.mjs"), String(FORCE), String(BURST), "1000"], ns, BURST, (r) => burstRates.push(r));
      cells.npmApi = cellFromRuns("npm netlink (own API)", [r2], (m) => ({ events: m.json?.events, seconds: m.json?.seconds, eventsPerSec: m.json?.eventsPerSec }));
      const eff = r2.stdout.match(/ready (\d+)/)?.[1];
      cells.npmApi.note = `setRecvBufferSize(1 GiB) -> effective SO_RCVBUF ${eff ?? "?"} bytes` +
        (r2.code === 0 ? `; received ${r2.json?.events} of ${BURST}` : `; the process died (${r2.code ?? r2.signal}${r2.code === 134 ? ", SIGABRT" : ""}): ${r2.stderr.trim().split("\n").slice(-2).join(" ")}`);
    }

    ifindex = recreateTap(ns);
    const target = { ns, proxy: TAP, ifindex, rcvbufBytes: FORCE, count: BURST, idleMs: 1000 };
    if (ifpx?.ifpxDrain) {
      try {
        const r = await ifpx.ifpxDrain({ ...target, burst: async () => { const x = await insertRoutes(ns, 4, 0, BURST); burstRates.push(x.perSec); } });
        cells.ifpx = { runner: "ifpx", ok: true, ...r, runs: [r] };
      } catch (e: any) { cells.ifpx = { runner: "ifpx", ok: false, note: `ifpxDrain threw: ${e?.message ?? e}` }; }
    } else if (ifpx?.ifpxDrainArgv) {
      const r = await drainRun(ifpx.ifpxDrainArgv(target), ns, BURST, (x) => burstRates.push(x));
      cells.ifpx = cellFromRuns("ifpx", [r], (m) => ({ events: m.json?.events, seconds: m.json?.seconds, eventsPerSec: m.json?.eventsPerSec }));
    } else cells.ifpx = na("ifpx", `${NA}${ifpxWhy ? ` (${ifpxWhy})` : ""}`);

    // ip monitor: it cannot be told to stop reading, and its buffer is its own: run it live
    // during the burst and count what it printed (events lost with iproute2's own buffer).
    ifindex = recreateTap(ns);
    cells.ipmon = await ipMonitorLive(ns);
  } finally {
    delNetns(ns);
  }
  for (const k of ["c", "ifpx"]) if (!cells[k]?.ok && cells[k]?.note && !cells[k].note!.startsWith(NA)) log(`  ${cells[k].runner}: ${cells[k].note}`);
  results.drain.push({ job: `drain ${BURST}-route burst`, burst: BURST, burstInsertPerSec: burstRates, cells });
}

async function ipMonitorLive(ns: string): Promise<Cell> {
  return new Promise((resolvePromise) => {
    const child = spawn("ip", ["-n", ns, "-4", "monitor", "route"], { stdio: ["ignore", "pipe", "pipe"] });
    let lines = 0, t0 = 0n, tlast = 0n, err = "";
    child.stdout.on("data", (d: Buffer) => {
      if (!t0) t0 = process.hrtime.bigint();
      for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++;
      tlast = process.hrtime.bigint();
    });
    child.stderr.on("data", (d: Buffer) => { err += d; });
    setTimeout(async () => {
      const ins = await insertRoutes(ns, 4, 0, BURST).catch((e) => ({ perSec: 0, e }));
      // wait until quiet for 1 s
      let last = -1;
      while (last !== lines) { last = lines; await new Promise((r) => setTimeout(r, 1000)); }
      child.kill("SIGTERM");
      const secs = t0 ? Number(tlast - t0) / 1e9 : 0;
      const enobufs = (err.match(/No buffer space/gi) ?? []).length;
      resolvePromise({
        runner: "ip monitor (live)", ok: true, events: lines, seconds: secs, eventsPerSec: secs ? lines / secs : 0,
        note: `read live while the burst was inserted (${Math.round((ins as any).perSec)} routes/s); lost ${BURST - lines}${enobufs ? `, ENOBUFS x${enobufs}` : ""}`,
      });
    }, 300);
  });
}

// ---------------------------------------------------------------- latency
async function latencyJob(): Promise<void> {
  log(`\n-- kernel -> listener latency (in-process writer; add+delete of ${LAT_COUNT} /24 routes)`);
  const ns = newNetns("ifpxl");
  const cells: Record<string, Cell> = {};
  try {
    const ifindex = recreateTap(ns);
    const c = await measure([NL, "latency", "-n", String(LAT_COUNT), "-x", String(ifindex), "-p", "198"], { ns, timeoutMs: 120000 });
    cells.c = cellFromRuns("C reader", [c], (m) => ({ p50Us: m.json?.p50Us, p99Us: m.json?.p99Us }));
    if (npmNetlinkWhy) cells.npm = na("npm netlink", `${NA}: ${npmNetlinkWhy}`);
    else {
      const r = await measure([NODE, join(HERE, "peers", "node-netlink-latency.mjs"), String(LAT_COUNT), String(ifindex), "198"], { ns, timeoutMs: 240000 });
      cells.npm = cellFromRuns("npm netlink", [r], (m) => ({ p50Us: m.json?.p50Us, p99Us: m.json?.p99Us }));
    }
    const target = { ns, proxy: TAP, ifindex, count: LAT_COUNT, prefixHi: 198 };
    if (ifpx?.ifpxLatency) {
      try { const r = await ifpx.ifpxLatency(target); cells.ifpx = { runner: "ifpx", ok: true, ...r, runs: [r] }; }
      catch (e: any) { cells.ifpx = { runner: "ifpx", ok: false, note: `ifpxLatency threw: ${e?.message ?? e}` }; }
    } else if (ifpx?.ifpxLatencyArgv) {
      const r = await measure(ifpx.ifpxLatencyArgv(target), { ns, timeoutMs: 240000 });
      cells.ifpx = cellFromRuns("ifpx", [r], (m) => ({ p50Us: m.json?.p50Us, p99Us: m.json?.p99Us }));
    } else cells.ifpx = na("ifpx", `${NA}${ifpxWhy ? ` (${ifpxWhy})` : ""}`);
  } finally {
    delNetns(ns);
  }
  for (const k of Object.keys(cells)) if (!cells[k].ok && cells[k].note && !cells[k].note!.startsWith(NA)) log(`  ${cells[k].runner}: ${cells[k].note}`);
  results.latency.push({ job: "kernel -> listener latency", count: LAT_COUNT, cells });
}

// ---------------------------------------------------------------- ring / dpdk
async function optionalJob(name: "ring" | "dpdk" | "dpdk-e2e" | "iplat" | "e2e" | "scale" | "l3fwd", file: string, fn: string): Promise<void> {
  log(`\n== ${name}`);
  const path = join(HERE, file);
  if (!existsSync(path)) { log(`  ${name}: ${NA} (bench/${file} not found)`); results[name] = { available: false }; return; }
  try {
    const mod = await import(pathToFileURL(path).href);
    if (typeof mod[fn] !== "function") { log(`  ${name}: ${NA} (bench/${file} has no ${fn}())`); results[name] = { available: false }; return; }
    const r = await mod[fn]({ quick: QUICK });
    results[name] = { available: true, result: r };
    const rows = Array.isArray(r) ? r : Array.isArray(r?.rows) ? r.rows : null;
    if (rows && rows.length && typeof rows[0] === "object") {
      const keys = [...new Set(rows.flatMap((x: any) => Object.keys(x)))] as string[];
      log(renderTable(keys, rows.map((x: any) => keys.map((k) => (x[k] == null ? "" : typeof x[k] === "number" ? String(+x[k].toPrecision(4)) : String(x[k]))))));
    } else log(JSON.stringify(r, null, 2));
  } catch (e: any) {
    log(`  ${name}: FAILED: ${e?.stack ?? e}`);
    results[name] = { available: true, error: String(e?.message ?? e) };
  }
}

// ---------------------------------------------------------------- report
function printDumpTable(): void {
  if (!results.dump.length) return;
  log("\n== dump: time (in-process; ip: wall) and peak RSS, median");
  const rows = results.dump.map((j: any) => {
    const { c, ip, npm, ifpx: x } = j.cells;
    const vsNpm = x.ok && npm.ok ? `${ratio(npm.seconds, x.seconds)} faster, ${ratio(x.rssKiB, npm.rssKiB)} RSS` : "-";
    return [j.job, dumpCellText(c), ip.ok ? `${fmtSec(ip.seconds)}, ${fmtKiB(ip.rssKiB)}` : "FAILED", dumpCellText(npm), dumpCellText(x),
      x.ok && c.ok ? ratio(x.seconds, c.seconds) : "-", vsNpm];
  });
  log(renderTable(["job", "C reader", "ip", "npm netlink", "ifpx", "ifpx/C ratio", "ifpx vs npm netlink"], rows));
}

function printDrainTable(): void {
  if (!results.drain.length) return;
  log("\n== drain: events/s reading a full socket (events received of the burst)");
  const t = (c?: Cell) => !c ? "-" : !c.ok ? (c.note?.startsWith(NA) ? NA : "FAILED") : `${fmtRate(c.eventsPerSec)} (${c.events}), ${fmtKiB(c.rssKiB)}`;
  const rows = results.drain.map((j: any) => {
    const { c, npm, ifpx: x, ipmon } = j.cells;
    return [j.job, t(c), `live: ${t(ipmon)}`, t(npm), t(x),
      x?.ok && c.ok ? ratio(x.eventsPerSec, c.eventsPerSec) : "-",
      x?.ok && npm?.ok ? `${ratio(x.eventsPerSec, npm.eventsPerSec)} the rate` : "-"];
  });
  log(renderTable(["job", "C reader", "ip", "npm netlink", "ifpx", "ifpx/C ratio", "ifpx vs npm netlink"], rows));
  for (const j of results.drain) for (const k of ["npm", "npmApi", "ipmon"]) {
    const c = j.cells[k];
    if (c) log(`  ${c.runner}: ${c.ok ? t(c) : "FAILED"}${c.note ? ` - ${c.note}` : ""}`);
  }
}

function printLatencyTable(): void {
  if (!results.latency.length) return;
  log("\n== latency: kernel -> listener, p50 / p99 (us)");
  const t = (c?: Cell) => !c ? "-" : !c.ok ? (c.note?.startsWith(NA) ? NA : "FAILED") : `${c.p50Us?.toFixed(1)} / ${c.p99Us?.toFixed(1)} us, ${fmtKiB(c.rssKiB)}`;
  const rows = results.latency.map((j: any) => {
    const { c, npm, ifpx: x } = j.cells;
    return [j.job, t(c), "-", t(npm), t(x), x?.ok && c.ok ? ratio(x.p50Us, c.p50Us) : "-",
      x?.ok && npm?.ok ? `${ratio(npm.p50Us, x.p50Us)} lower p50` : "-"];
  });
  log(renderTable(["job", "C reader", "ip", "npm netlink", "ifpx", "ifpx/C ratio (p50)", "ifpx vs npm netlink"], rows));
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  if (process.getuid?.() !== 0) { console.error("bench: needs root (network namespaces)"); process.exit(2); }
  const t0 = Date.now();
  buildC();
  checkNpmNetlink();
  await loadIfpx();
  log(`ifpx bench: ${results.machine.cpus} CPUs ${results.machine.cpuModel}, kernel ${results.machine.kernel}, node ${process.version}`);
  log(`peak RSS via ${TIME_BIN ?? "NOT AVAILABLE (install package 'time')"}; npm netlink: ${npmNetlinkWhy || "ok"}; ifpx runners: ${ifpx ? Object.keys(ifpx).filter((k) => k.startsWith("ifpx")).join(", ") || "none exported" : ifpxWhy}`);
  probeFirstTouch();

  try {
    if (want("dump")) {
      log("\n== tables");
      const { table, inserts } = await createTable(100000, 100000, (s) => log(s));
      Object.assign(results.inserts, inserts);
      try {
        await dumpJob("dump 100k IPv4 routes", table, 4, 100000, RUNS);
        await dumpJob("dump 100k IPv6 routes", table, 6, 100000, RUNS);
        if (!QUICK) {
          const g = await growV4(table, 1000000, (s) => log(s));
          results.inserts["ipv4 100000..1000000"] = g;
          await dumpJob("dump 1M IPv4 routes", table, 4, 1000000, RUNS);
        }
      } finally {
        const td = Date.now();
        delNetns(table.ns);
        log(`  (namespace removed in ${((Date.now() - td) / 1000).toFixed(1)} s)`);
      }
    }
    if (want("drain")) await drainJob();
    if (want("latency")) await latencyJob();

    printDumpTable();
    printDrainTable();
    printLatencyTable();

    if (want("ring")) await optionalJob("ring", "ring.ts", "runRingBench");
    if (want("dpdk")) await optionalJob("dpdk", "dpdk.ts", "runDpdkBench");
    if (want("dpdk-e2e")) await optionalJob("dpdk-e2e", "dpdk-e2e.ts", "runDpdkE2eBench");
    if (want("iplat")) await optionalJob("iplat", "ip-latency.ts", "runIpLatencyBench");
    if (want("e2e")) await optionalJob("e2e", "e2e.ts", "runE2eBench");
    if (want("scale")) await optionalJob("scale", "scale.ts", "runScaleBench");
    if (want("l3fwd")) await optionalJob("l3fwd", "l3fwd.ts", "runL3fwdBench");
  } finally {
    cleanupAll();
    results.seconds = (Date.now() - t0) / 1000;
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, "results.json"), JSON.stringify(results, null, 2));
    log(`\nresults: bench/out/results.json (${results.seconds.toFixed(0)} s)`);
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); cleanupAll(); process.exit(1); });
