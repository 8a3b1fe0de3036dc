// FRR instances for integration tests: zebra, staticd and bgpd of Debian's FRR
// 8.4, one instance per network namespace, each in its own directory (config,
// pid files, vty sockets, zserv socket, logs), no watchfrr.
//
// The daemons run in the foreground as children of this process (no -d): the
// test owns them, Node reaps them when they exit (pid 1 on these machines does
// not, so a daemonised FRR that stops stays a zombie), and a crash of this
// process still kills them from the exit handler below. A daemon left running
// would keep its namespace alive after `ip netns del`.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, existsSync, readFileSync, chownSync, chmodSync } from "node:fs";
import { join } from "node:path";
import type { Netns } from "./netns.js";
import { sleep } from "./collector.js";

export type FrrDaemon = "zebra" | "staticd" | "bgpd";

export interface FrrOptions {
  /** config files (plain FRR configuration, given with -f); zebra always runs, staticd and bgpd when given one */
  zebra?: string;
  staticd?: string;
  bgpd?: string;
}

const SBIN = "/usr/lib/frr";

// every daemon still running and every instance directory when the process
// exits, however it exits
const running = new Set<ChildProcess>();
const dirs = new Set<string>();
function killRunning(): void {
  for (const c of running) { try { c.kill("SIGKILL"); } catch { /* gone */ } }
  running.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on("exit", killRunning);
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.once(sig, () => { killRunning(); process.kill(process.pid, sig); });
}

let frrIds: { uid: number; gid: number } | undefined;
function frrUser(): { uid: number; gid: number } {
  if (!frrIds) {
    const uid = Number(execFileSync("id", ["-u", "frr"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "frr"], { encoding: "utf8" }).trim());
    frrIds = { uid, gid };
  }
  return frrIds;
}

/** poll fn until it returns a truthy value; throws with what(last) on timeout */
export async function pollUntil<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: () => string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await sleep(everyMs);
  }
}

export class Frr {
  readonly dir: string;
  private readonly children = new Map<FrrDaemon, ChildProcess>();
  private exited: string[] = [];

  constructor(readonly ns: Netns, readonly label: string, private readonly opts: FrrOptions = {}) {
    // 0755 and owned by frr: the daemons drop privileges before they create
    // their pid lock files here (a 0700 mktemp directory makes zebra fail)
    this.dir = `/tmp/ifpx-frr-${ns.name}-${label}`;
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    dirs.add(this.dir);
    chmodSync(this.dir, 0o755);
    const { uid, gid } = frrUser();
    chownSync(this.dir, uid, gid);
  }

  private path(f: string): string { return join(this.dir, f); }

  /** start the daemons; resolves when each answers on its vty socket */
  async start(): Promise<this> {
    const want = (["zebra", "staticd", "bgpd"] as FrrDaemon[]).filter((d) => d === "zebra" || this.opts[d] !== undefined);
    for (const d of want) {
      const conf = this.path(`${d}.conf`);
      writeFileSync(conf, this.opts[d] ?? "");
      chownSync(conf, frrUser().uid, frrUser().gid);
      const args = [SBIN + "/" + d, "-u", "frr", "-g", "frr", "-f", conf, "-i", this.path(`${d}.pid`),
        "-z", this.path("zserv.api"), "--vty_socket", this.dir, "-P", "0", "--log", `file:${this.path(d + ".log")}`];
      // zebra: a large netlink receive buffer, or a full table overruns it
      if (d === "zebra") args.push("-s", "90000000");
      const child = spawn("ip", ["netns", "exec", this.ns.name, ...args], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (b) => { stderr += b; });
      running.add(child);
      this.children.set(d, child);
      child.on("exit", (code, sig) => {
        running.delete(child);
        this.exited.push(`${d} exited (${code ?? sig}): ${stderr.trim()}`);
      });
      // the next daemon connects to zebra's zserv socket; vtysh to each vty socket
      await pollUntil(() => existsSync(this.path(`${d}.vty`)) || this.exited.length > 0, 10_000, () => `${d} vty socket in ${this.dir}`, 20);
      if (this.exited.length) throw new Error(`FRR ${this.label} in ${this.ns.name}: ${this.exited.join("; ")}\n${this.log(d)}`);
    }
    return this;
  }

  /** a daemon's log (for failure messages) */
  log(d: FrrDaemon): string {
    try { return readFileSync(this.path(`${d}.log`), "utf8"); } catch { return ""; }
  }

  /** run vtysh -c for each command (one vtysh process), return its output */
  vtysh(...cmds: string[]): string {
    const args = ["netns", "exec", this.ns.name, "vtysh", "--vty_socket", this.dir];
    for (const c of cmds) args.push("-c", c);
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
  }

  /** configuration lines, committed as one transaction (configure terminal ... end) */
  configure(...lines: string[]): string {
    return this.vtysh("configure terminal", ...lines, "end");
  }

  /** a `show ... json` command, parsed */
  json(cmd: string): any {
    return JSON.parse(this.vtysh(cmd.endsWith(" json") ? cmd : `${cmd} json`));
  }

  /** the BGP state of a neighbour ("Established", "Active", ...), undefined if unknown */
  bgpState(neighbour: string): string | undefined {
    const n = this.json(`show bgp neighbors ${neighbour}`)[neighbour];
    return n?.bgpState;
  }

  async waitSession(neighbour: string, state = "Established", timeoutMs = 30_000): Promise<void> {
    let last: string | undefined;
    await pollUntil(() => (last = this.bgpState(neighbour)) === state, timeoutMs,
      () => `BGP ${this.label} -> ${neighbour} is ${last}, want ${state}\n${this.log("bgpd").split("\n").slice(-20).join("\n")}`, 100);
  }

  /** prefixes received from / advertised to a neighbour (pfxRcd, pfxSnt of the summary) */
  peerCounts(neighbour: string, afi = "ipv4"): { received: number; sent: number } {
    const s = this.json(`show bgp ${afi} unicast summary`);
    const p = s?.peers?.[neighbour];
    return { received: p?.pfxRcd ?? 0, sent: p?.pfxSnt ?? 0 };
  }

  /** kill the daemons (bgpd first), wait until they are gone, remove the directory */
  async stop(): Promise<void> {
    const order: FrrDaemon[] = ["bgpd", "staticd", "zebra"];
    for (const d of order) {
      const c = this.children.get(d);
      if (!c || c.exitCode !== null || c.signalCode !== null) continue;
      c.kill("SIGTERM");
      const t0 = Date.now();
      while (c.exitCode === null && c.signalCode === null && Date.now() - t0 < 3000) await sleep(20);
      if (c.exitCode === null && c.signalCode === null) {
        c.kill("SIGKILL");
        while (c.exitCode === null && c.signalCode === null && Date.now() - t0 < 6000) await sleep(20);
      }
      running.delete(c);
    }
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }
}
