// The C data plane (examples/l3fwd/build/libl3fwd.so) as seen from Node:
// koffi bindings for api.c. Load it after Eal.init (it uses the process's EAL).
import koffi from "koffi";
import { existsSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

// IFPX_L3FWD_DIR: for a bundled copy of this module (tests/vm run bundles), whose import.meta.url is elsewhere
export const L3FWD_DIR = process.env.IFPX_L3FWD_DIR ?? dirname(fileURLToPath(import.meta.url));
export const LIB = join(L3FWD_DIR, "build", "libl3fwd.so");
const SOURCES = ["api.c", "events.c", "fib.c", "neigh.c", "forward.c", "report.c", "subport.c", "dataplane.h", "build.sh"];

/** Builds libl3fwd.so when it is missing or older than a source. */
export function buildIfStale(): void {
  const built = existsSync(LIB) ? statSync(LIB).mtimeMs : 0;
  const newest = Math.max(...SOURCES.map((f) => statSync(join(L3FWD_DIR, f)).mtimeMs),
    statSync(join(L3FWD_DIR, "..", "..", "native", "include", "ifpx_event.h")).mtimeMs);
  if (built < newest) execFileSync("bash", [join(L3FWD_DIR, "build.sh")], { stdio: ["ignore", "ignore", "inherit"] });
}

export interface DataplaneConfig {
  /** LPM rules (IPv4 routes) and route store size for IPv4 */
  routes4: number;
  routes6: number;
  /** LPM tbl8 groups (prefixes longer than /24 need them) */
  tbl8s4: number;
  tbl8s6: number;
  neighs: number;
  /** sleep this long when a loop turn found nothing (0: busy polling) */
  idleSleepUs: number;
  /** entries of the route-change log (benchmark), 0 for none */
  logSize: number;
  mbufs: number;
}

export const DEFAULT_CONFIG: DataplaneConfig = {
  routes4: 65536, routes6: 16384, tbl8s4: 1024, tbl8s6: 4096, neighs: 4096, idleSleepUs: 50, logSize: 0, mbufs: 8191,
};

export interface DataplaneStats {
  fwd4: number; fwd6: number; forwarded: number; punted: number; dropped: number; from_proxy: number;
  punt: Record<string, number>;
  events: number; by_type: Record<string, number>; cfg_done: boolean; resyncs: number; replays: number;
  overflow_records: number; overflow_lost: number; replays_swept: number; awaiting_replay: boolean;
  routes: number; lpm4: number; lpm6: number; neighs: number; lpm_add_fail: number; route_changes: number;
  last_route_ns: number; ring_events: number;
  ports: { port: number; proxy: number; up: boolean; carrier: boolean; mtu: number; mac: string; rx: number; tx: number; forwarded: number; punted: number; from_proxy: number; dropped: number }[];
  /** VLAN sub-interfaces (SUBIF_ADD): port is the logical id (-1 until its first record), proxy ifpx's proxy id, on the physical port */
  subports: { port: number; proxy: number; on: number; tags: { tpid: number; vid: number }[]; up: boolean; carrier: boolean; mtu: number; mac: string; rx: number; tx: number; forwarded: number; punted: number; dropped: number }[];
  subport_full: number;
  [k: string]: unknown;
}

export class Dataplane {
  private readonly f: Record<string, any>;
  private readonly statsBuf = Buffer.alloc(16384);
  private running = false;

  constructor() {
    buildIfStale();
    const lib = koffi.load(LIB);
    const fn = (d: string) => lib.func(d);
    this.f = {
      init: fn("int l3fwd_init(void *ring, unsigned int n, const uint16_t *ports, const uint16_t *proxies, const uint32_t *cfg)"),
      error: fn("const char *l3fwd_error(void)"),
      launch: fn("int l3fwd_launch(unsigned int lcore)"),
      stop: fn("int l3fwd_stop(void)"),
      stats: fn("int l3fwd_stats(void *buf, int cap)"),
      hold: fn("void l3fwd_hold(int on)"),
      request: fn("int l3fwd_request(int what, const char *path)"),
      done: fn("int l3fwd_request_done(int ticket, _Out_ int *result)"),
    };
  }

  private check(ret: number, what: string): number {
    if (ret < 0) throw new Error(`${what}: ${this.f.error()} (errno ${-ret})`);
    return ret;
  }

  /** Configure and start the ports, create the tables. ring: RteRingQueue.ring. */
  init(ring: bigint, ports: number[], proxies: number[], cfg: DataplaneConfig): void {
    const c = Uint32Array.from([cfg.routes4, cfg.routes6, cfg.tbl8s4, cfg.tbl8s6, cfg.neighs, cfg.idleSleepUs, cfg.logSize, cfg.mbufs]);
    this.check(this.f.init(ring, ports.length, Uint16Array.from(ports), Uint16Array.from(proxies), c), "l3fwd_init");
  }

  launch(lcore: number): void {
    this.check(this.f.launch(lcore), "l3fwd_launch");
    this.running = true;
  }

  stop(): void {
    if (!this.running) return;
    this.f.stop();
    this.running = false;
  }

  stats(): DataplaneStats {
    const n = this.check(this.f.stats(this.statsBuf, this.statsBuf.length), "l3fwd_stats");
    return JSON.parse(this.statsBuf.toString("utf8", 0, n));
  }

  /** A test's stand-in for a slow data plane: the lcore stops dequeuing events. */
  hold(on: boolean): void { this.f.hold(on ? 1 : 0); }

  /** The lcore writes its tables (JSON or text) or its route log to a file, after applying every queued event. */
  async request(what: "json" | "text" | "log", path: string, timeoutMs = 30000): Promise<number> {
    const ticket = this.check(this.f.request(what === "json" ? 1 : what === "text" ? 2 : 3, path), "l3fwd_request");
    const result = [0];
    const deadline = Date.now() + timeoutMs;
    while (this.f.done(ticket, result) === 0) {
      if (Date.now() > deadline) throw new Error(`the forwarding lcore did not serve the ${what} request within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return this.check(result[0], `${what} request`);
  }

  /** The tables as text (for people). */
  async text(): Promise<string> {
    const path = join(tmpdir(), `l3fwd-${process.pid}-tables.txt`);
    await this.request("text", path);
    try { return readFileSync(path, "utf8"); } finally { unlinkSync(path); }
  }
}
