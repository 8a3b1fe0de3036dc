// Helpers shared by the bench: namespaces, spawning measured children, stats.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";

export const TIME_BIN = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** every namespace created by this process, removed by cleanupAll() */
const created = new Set<string>();
let hooksInstalled = false;

export function cleanupAll(): void {
  for (const ns of created) {
    try { execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" }); } catch { /* gone */ }
    created.delete(ns);
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", cleanupAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => { cleanupAll(); process.exit(130); });
  }
}

export function newNetns(prefix = "ifpxb"): string {
  installHooks();
  const name = `${prefix}-${process.pid}-${randomBytes(3).toString("hex")}`;
  execFileSync("ip", ["netns", "add", name]);
  created.add(name);
  execFileSync("ip", ["-n", name, "link", "set", "lo", "up"]);
  return name;
}

export function delNetns(name: string): void {
  try { execFileSync("ip", ["netns", "del", name], { stdio: "ignore" }); } catch { /* gone */ }
  created.delete(name);
}

export function ipn(ns: string, ...args: string[]): string {
  return execFileSync("ip", ["-n", ns, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  rssKiB: number | null;
  /** last stdout line parsed as JSON, if it is JSON */
  json: any;
}

export interface MeasureOpts {
  ns?: string;
  timeoutMs?: number;
  /** stdout handling: discard (to /dev/null) or capture */
  discardStdout?: boolean;
  env?: NodeJS.ProcessEnv;
  /** called once per stdout line while running (capture mode only) */
  onLine?: (line: string, child: ChildProcess) => void;
}

/**
 * Run argv (inside ns with `ip netns exec` if given) under /usr/bin/time -f %M,
 * measuring wall time from spawn to exit and the peak RSS of the child.
 */
export function measure(argv: string[], opts: MeasureOpts = {}): Promise<Measured> {
  const marker = "__RSS_KIB__=";
  let full = [...argv];
  if (TIME_BIN) full = [TIME_BIN, "-f", `${marker}%M`, ...full];
  if (opts.ns) full = ["ip", "netns", "exec", opts.ns, ...full];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), {
      stdio: ["pipe", opts.discardStdout ? "ignore" : "pipe", "pipe"],
      env: opts.env ?? process.env,
    });
    let out = "", err = "", partial = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      out += d;
      if (opts.onLine) {
        partial += d;
        let i;
        while ((i = partial.indexOf("\n")) >= 0) {
          const line = partial.slice(0, i);
          partial = partial.slice(i + 1);
          opts.onLine(line, child);
        }
      }
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => { err += d; });
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => { child.kill("SIGKILL"); }, opts.timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const t1 = process.hrtime.bigint();
      if (timer) clearTimeout(timer);
      let rss: number | null = null;
      const m = err.match(new RegExp(`${marker}(\\d+)`));
      if (m) { rss = Number(m[1]); err = err.replace(new RegExp(`.*${marker}\\d+\\n?`), ""); }
      let json: any = null;
      const lines = out.trim().split("\n");
      for (let i = lines.length - 1; i >= 0; i--) {
        const l = lines[i].trim();
        if (l.startsWith("{")) { try { json = JSON.parse(l); } catch { /* not json */ } break; }
      }
      resolve({ code, signal, stdout: out, stderr: err, wallSeconds: Number(t1 - t0) / 1e9, rssKiB: rss, json });
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (!n) return NaN;
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

export function fmtSec(s: number | null | undefined): string {
  if (s == null || !Number.isFinite(s)) return "-";
  return s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`;
}
export function fmtKiB(k: number | null | undefined): string {
  if (k == null || !Number.isFinite(k)) return "-";
  return k < 10240 ? `${(k / 1024).toFixed(1)} MB` : `${Math.round(k / 1024)} MB`;
}
export function fmtRate(r: number | null | undefined): string {
  if (r == null || !Number.isFinite(r)) return "-";
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : `${Math.round(r / 1000)}k/s`;
}

/** render rows as a markdown-ish aligned table */
export function renderTable(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (c ?? "").padEnd(w[i])).join(" | ") + " |";
  return [line(header), "|" + w.map((x) => "-".repeat(x + 2)).join("|") + "|", ...rows.map(line)].join("\n");
}

/** One end-to-end run: a `ip -batch` route burst through netlink to a consumer (bench/e2e.ts, bench/dpdk-e2e.ts). */
export interface BurstRun {
  /** live: the consumer reads while ip inserts; backlog: the listener was paused during the insertion */
  mode: "live" | "backlog";
  routes: number;
  /** burst ROUTE_ADD records the consumer got */
  count: number;
  ok: boolean;
  /** live: first to last burst record at the consumer; backlog: resume() to the last record */
  seconds: number;
  eventsPerSec: number;
  /** `ip -batch` wall time (spawn to exit) and its insertion rate */
  ipSeconds: number;
  ipPerSec: number;
  /** last record at the consumer minus the moment Node saw ip exit (negative: it had
   *  everything before the exit was reported) */
  lagAfterIpMs: number;
  overruns: number;
  resyncs: number;
  datagrams: number;
}
