// Driving l3fwd-ifpx from Node (its integration test, the benchmark, and
// whoever builds on it, e.g. FRR through its proxies): what it needs, the
// topology, the data-plane process and its command channel, and the
// comparison of its tables with the kernel's.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dpdkAvailable } from "../../host/dpdk/index.js";
import { ChildOutput } from "../dpdk-primary/driver.js";
import { L3FWD_DIR, buildIfStale, type DataplaneStats } from "./dataplane.js";

export const TOPOLOGY = join(L3FWD_DIR, "topology.sh");
export const PROGRAM = join(L3FWD_DIR, "l3fwd.ts");

const has = (cmd: string) => { try { execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }); return true; } catch { return false; } };

/** DPDK, root, ping, ethtool and the built data plane: why l3fwd cannot run here, or undefined. */
export function prepareL3fwd(): string | undefined {
  const a = dpdkAvailable();
  if (!a.ok) return a.reason;
  if (process.getuid?.() !== 0) return "needs root (namespaces, af_packet)";
  for (const c of ["ping", "ethtool"]) if (!has(c)) return `${c} is not installed (scripts/test-setup.sh installs it)`;
  try { buildIfStale(); } catch (e) { return `cannot build examples/l3fwd: ${(e as any).stderr ?? e}`; }
  return undefined;
}

/** Wire existing namespaces: router, then hosts (host i on router port v<i-1>, see topology.sh). */
export function wire(router: string, hosts: string[]): void {
  execFileSync("bash", [TOPOLOGY, router, ...hosts], { stdio: ["ignore", "pipe", "pipe"] });
}

export interface PortInfo { iface: string; port: number; proxy: number; name: string }
export interface Ready { pid: number; ports: PortInfo[]; ring: { name: string; capacity: number } }

export interface Stats extends DataplaneStats {
  ifpx: { overruns: number; resyncs: number; delivered: number; syncing: boolean };
  ring: { name: string; capacity: number; count: number; lost: number; replays: number };
}

/** The data plane's tables (the `dump` command's JSON). */
export interface Tables {
  stats: DataplaneStats;
  routes: { family: 4 | 6; dst: string; table: number; type: number; proto: number; metric: number; tos: number; lpm: boolean | string; nh: { port: number; weight: number; gw?: string }[] }[];
  neigh: { port: number; family: 4 | 6; ip: string; mac: string }[];
}

/** The data-plane process (examples/l3fwd/l3fwd.ts) in the router namespace, and its command channel. */
export class L3fwd {
  readonly out: ChildOutput;
  private tags = new Map<string, number>();
  ready?: Ready;

  private constructor(readonly child: ChildProcess, readonly ns: string) {
    this.out = new ChildOutput(child);
  }

  /** Start it with one IFACE:PROXY per port; resolves at READY (or STARTED with --defer-listen). */
  static async start(ns: string, ports: [string, string][], extra: string[] = [], timeoutMs = 60000): Promise<L3fwd> {
    const args = ["netns", "exec", ns, process.execPath, "--import", "tsx", PROGRAM, ...ports.flatMap(([i, p]) => ["--port", `${i}:${p}`]), ...extra];
    const child = spawn("ip", args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: undefined } });
    const l = new L3fwd(child, ns);
    // `ip netns exec` execs node: the child's pid is the data plane's (its EAL --file-prefix)
    child.on("exit", () => rmSync(`/var/run/dpdk/l3fwd${child.pid}`, { recursive: true, force: true }));
    const m = await l.out.waitFor(/^(READY|STARTED) (.*)$/m, timeoutMs, "l3fwd READY");
    if (m[1] === "READY") l.ready = JSON.parse(m[2]);
    else l.ready = { pid: 0, ring: { name: "", capacity: 0 }, ...JSON.parse(m[2]) };
    return l;
  }

  /** Send a command, resolve with the JSON (or text) of its answer line. */
  async command(line: string, tag: string, timeoutMs = 30000): Promise<string> {
    const cmd = line.split(" ")[0];
    const re = new RegExp(`^(?:${tag}|ERROR ${cmd})(?: (.*))?$`, "gm");
    // the answer is output after the command is written: look only at what came since
    const from = this.out.text.length;
    this.child.stdin!.write(`${line}\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      re.lastIndex = from;
      const m = re.exec(this.out.text);
      if (m) {
        if (m[0].startsWith("ERROR")) throw new Error(`l3fwd ${line}: ${m[0]}`);
        return m[1] ?? "";
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) throw new Error(`l3fwd ${line}: no ${tag} within ${timeoutMs} ms:\n${this.out.text.slice(-2000)}`);
      await this.out.next(left);
    }
  }

  async stats(): Promise<Stats> { return JSON.parse(await this.command("stats", "STATS")); }

  async tables(): Promise<Tables> {
    const path = join(tmpdir(), `l3fwd-${process.pid}-${Date.now()}.json`);
    try {
      await this.command(`dump ${path}`, "DUMP", 120000);
      return JSON.parse(readFileSync(path, "utf8"));
    } finally { rmSync(path, { force: true }); }
  }

  /** Wait until the ring is empty and no sync is running (every event so far applied). */
  async settle(timeoutMs = 10000): Promise<Stats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (s.ring.count === 0 && s.ring_events === 0 && !s.ifpx.syncing && !s.awaiting_replay) return s;
      if (Date.now() > deadline) throw new Error(`l3fwd did not settle: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async quit(timeoutMs = 20000): Promise<string> {
    if (this.child.exitCode !== null) return this.out.text;
    this.child.stdin!.end("quit\n");
    await this.out.waitFor(/^BYE /m, timeoutMs, "l3fwd BYE").catch(() => this.child.kill("SIGKILL"));
    await new Promise((r) => this.child.exitCode !== null ? r(null) : this.child.on("exit", r));
    return this.out.text;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

// ------------------------------------------------------------- comparison

const RT_TYPES: Record<string, number> = { unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 };
const TABLES: Record<string, number> = { main: 254, local: 255, default: 253 };

function normDst(dst: string, family: 4 | 6): string {
  if (dst === "default") return family === 4 ? "0.0.0.0/0" : "::/0";
  return dst.includes("/") ? dst : `${dst}/${family === 4 ? 32 : 128}`;
}

/**
 * One line per (route, next hop through a proxy), as the kernel has them in
 * every table: "4 t254 10.0.2.0/24 m0 type1 port2 via -". `portOf` maps proxy
 * names to data ports.
 */
export function kernelRoutes(ns: string, portOf: Record<string, number>): string[] {
  const lines: string[] = [];
  for (const family of [4, 6] as const) {
    const j = JSON.parse(execFileSync("ip", ["-n", ns, "-j", "-d", `-${family}`, "route", "show", "table", "all"], { encoding: "utf8", maxBuffer: 1 << 30 }));
    for (const r of j) {
      const hops = r.nexthops ?? [{ dev: r.dev, gateway: r.gateway, via: r.via, weight: 1 }];
      const table = TABLES[r.table ?? "main"] ?? Number(r.table);
      for (const h of hops) {
        if (!(h.dev in portOf)) continue;
        const gw = h.gateway ?? h.via?.host ?? "-";
        lines.push(`${family} t${table} ${normDst(r.dst, family)} m${r.metric ?? 0} type${RT_TYPES[r.type ?? "unicast"]} port${portOf[h.dev]} via ${gw}`);
      }
    }
  }
  return lines.sort();
}

/** The same lines from the data plane's dump. */
export function dataplaneRoutes(t: Tables): string[] {
  const lines: string[] = [];
  for (const r of t.routes) for (const h of r.nh) lines.push(`${r.family} t${r.table} ${r.dst} m${r.metric} type${r.type} port${h.port} via ${h.gw ?? "-"}`);
  return lines.sort();
}

const USABLE = new Set(["REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT"]);

/** Neighbours the data plane may forward to, as the kernel has them: "port ip mac". */
export function kernelNeighbours(ns: string, portOf: Record<string, number>): string[] {
  const j = JSON.parse(execFileSync("ip", ["-n", ns, "-j", "neigh", "show"], { encoding: "utf8" }));
  return j.filter((n: any) => n.dev in portOf && n.lladdr && (n.state ?? []).some((s: string) => USABLE.has(s)))
    .map((n: any) => `${portOf[n.dev]} ${n.dst} ${n.lladdr}`).sort();
}

export function dataplaneNeighbours(t: Tables): string[] {
  return t.neigh.map((n) => `${n.port} ${n.ip} ${n.mac}`).sort();
}

/** Lines only in a, only in b. */
export function diff(a: string[], b: string[]): { onlyKernel: string[]; onlyDataplane: string[] } {
  const sa = new Set(a), sb = new Set(b);
  return { onlyKernel: a.filter((x) => !sb.has(x)), onlyDataplane: b.filter((x) => !sa.has(x)) };
}

/** Router namespace counters of Linux's own forwarding (the punt path's work). */
export function linuxForwarded(ns: string): { v4: number; v6: number } {
  const snmp = execFileSync("ip", ["netns", "exec", ns, "cat", "/proc/net/snmp"], { encoding: "utf8" }).split("\n").filter((l) => l.startsWith("Ip:"));
  const keys = snmp[0].split(/\s+/), vals = snmp[1].split(/\s+/);
  const snmp6 = execFileSync("ip", ["netns", "exec", ns, "cat", "/proc/net/snmp6"], { encoding: "utf8" });
  const v6 = /^Ip6OutForwDatagrams\s+(\d+)/m.exec(snmp6);
  return { v4: Number(vals[keys.indexOf("ForwDatagrams")]), v6: v6 ? Number(v6[1]) : 0 };
}

/** `ip -n NS -batch -` fed with the lines (streamed with back-pressure). */
export function ipBatch(ns: string, lines: Iterable<string>, family?: 4 | 6): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["-n", ns, ...(family ? [`-${family}`] : []), "-batch", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    p.stderr!.on("data", (d) => { if (err.length < 4000) err += d; });
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ip -batch exited ${code}: ${err.slice(0, 500)}`))));
    const it = lines[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        let chunk = "";
        for (let i = 0; i < 4096; i++) {
          const n = it.next();
          if (n.done) { p.stdin!.end(chunk); return; }
          chunk += n.value + "\n";
        }
        if (!p.stdin!.write(chunk)) { p.stdin!.once("drain", pump); return; }
      }
    };
    pump();
  });
}

/** The proxies' addresses of the demo and the tests: dp<i> has 10.0.<i+1>.1/24 and 2001:db8:<i+1>::1/64. */
export function addProxyAddresses(ns: string, count: number): void {
  for (let i = 0; i < count; i++) {
    execFileSync("ip", ["-n", ns, "addr", "add", `10.0.${i + 1}.1/24`, "dev", `dp${i}`]);
    execFileSync("ip", ["-n", ns, "-6", "addr", "add", `2001:db8:${i + 1}::1/64`, "dev", `dp${i}`, "nodad"]);
  }
}
