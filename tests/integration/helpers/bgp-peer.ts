// The BGP side of the FRR tests: bgpd configurations, a peer that announces N
// prefixes, and the time of the first UPDATE on the wire.
//
// How the peer announces: the prefixes are blackhole routes in the peer's own
// kernel (`ip -batch`, before or after FRR starts) that its bgpd
// redistributes (`redistribute kernel`), filtered by a route-map so the peer's
// other kernel routes (its default route) stay out. One vtysh command then
// announces or withdraws the whole table, and deleting some of the kernel
// routes withdraws just those; the routes can be made before FRR starts.
// `network` statements take about as long for a large table, static routes
// far longer (bench/frr-bgp.ts, "The peer's table").
import { spawn, type ChildProcess } from "node:child_process";
import { ipBatch } from "../../../examples/l3fwd/driver.js";
import type { Netns } from "./netns.js";
import type { Frr } from "./frr.js";

/** prefix i of a table of /24s from 100.0.0.0 up (1M fit below 116.0.0.0) */
export function prefixOf(i: number): string {
  return `${100 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.0/24`;
}

/** the first address of prefix i */
export function addressIn(i: number): string {
  return prefixOf(i).replace(/0\/24$/, "1");
}

/** what the peer's route-map lets out: the /24s of 96.0.0.0/3 */
export const ANNOUNCED = (p: string) => /^(9[6-9]|1[01]\d|12[0-7])\.\d+\.\d+\.0\/24$/.test(p);

export interface Neighbour {
  address: string;
  remoteAs: number;
  /** outbound route-map (default: none) */
  routeMapOut?: string;
}

export interface BgpConfig {
  as: number;
  routerId: string;
  neighbours: Neighbour[];
  /** ECMP: paths installed per prefix */
  maximumPaths?: number;
  /** redistribute the kernel's routes through route-map ANNOUNCE (the peer) */
  announceKernelRoutes?: boolean;
}

/**
 * bgpd.conf. eBGP without FRR's "requires policy" default; fast timers and no
 * advertisement interval, so sessions come up and updates leave at once.
 */
export function bgpdConf(c: BgpConfig): string {
  const l = [
    "ip prefix-list ANNOUNCE seq 5 permit 96.0.0.0/3 ge 24 le 24",
    "route-map ANNOUNCE permit 10", " match ip address prefix-list ANNOUNCE", "exit",
    // what a router sends back to its peer: nothing (the peer would only drop it: own AS in the path)
    "route-map NOTHING deny 10", "exit",
    `router bgp ${c.as}`,
    ` bgp router-id ${c.routerId}`,
    " no bgp ebgp-requires-policy",
    " no bgp network import-check",
    " timers bgp 3 9",
  ];
  for (const n of c.neighbours) {
    l.push(` neighbor ${n.address} remote-as ${n.remoteAs}`, ` neighbor ${n.address} timers connect 1`,
      ` neighbor ${n.address} advertisement-interval 0`);
  }
  l.push(" address-family ipv4 unicast");
  if (c.announceKernelRoutes) l.push("  redistribute kernel route-map ANNOUNCE");
  if (c.maximumPaths) l.push(`  maximum-paths ${c.maximumPaths}`);
  for (const n of c.neighbours) if (n.routeMapOut) l.push(`  neighbor ${n.address} route-map ${n.routeMapOut} out`);
  l.push(" exit-address-family", "exit");
  return l.join("\n") + "\n";
}

function* blackholes(verb: "add" | "del", n: number, from: number): Iterable<string> {
  for (let i = from; i < from + n; i++) yield `route ${verb} blackhole ${prefixOf(i)}`;
}

/** add prefixes [from, from+n) to the kernel of ns as blackhole routes */
export function addPrefixes(ns: Netns, n: number, from = 0): Promise<void> {
  return ipBatch(ns.name, blackholes("add", n, from));
}

/** the peer's table: blackhole routes in its kernel, announced through bgpd's redistribution */
export class KernelPrefixes {
  constructor(readonly ns: Netns, readonly frr: Frr, readonly as: number) {}

  add(n: number, from = 0): Promise<void> { return addPrefixes(this.ns, n, from); }

  /** delete prefixes [from, from+n) from the peer's kernel: bgpd withdraws them (while it announces) */
  del(n: number, from = 0): Promise<void> { return ipBatch(this.ns.name, blackholes("del", n, from)); }

  announce(): void {
    this.frr.configure(`router bgp ${this.as}`, "address-family ipv4 unicast", "redistribute kernel route-map ANNOUNCE");
  }

  withdrawAll(): void {
    this.frr.configure(`router bgp ${this.as}`, "address-family ipv4 unicast", "no redistribute kernel route-map ANNOUNCE");
  }
}

/**
 * Waits for the first BGP UPDATE that `from` sends with at least one prefix or
 * withdrawal (longer than an End-of-RIB marker, 23 bytes) and gives its capture
 * time (ms, the epoch of Date.now()). Start it before the UPDATE is caused.
 * The filter looks at the first BGP message of each TCP segment (type at
 * payload offset 18, length at 16).
 */
export class UpdateCapture {
  readonly at: Promise<number>;
  private readonly child: ChildProcess;
  private listening!: Promise<void>;

  constructor(ns: Netns, dev: string, from: string) {
    const payload = "((tcp[12:1] & 0xf0) >> 2)";
    const filter = `tcp and src host ${from} and tcp[${payload} + 18] = 2 and tcp[${payload} + 16:2] > 23`;
    this.child = spawn("ip", ["netns", "exec", ns.name, "tcpdump", "-i", dev, "-n", "-p", "-tt", "-l", "-c", "1", filter],
      { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    this.listening = new Promise((resolve, reject) => {
      this.child.stderr!.on("data", (b) => { err += b; if (/listening on/.test(err)) resolve(); });
      this.child.on("exit", () => reject(new Error(`tcpdump exited: ${err.trim()}`)));
    });
    this.at = new Promise((resolve, reject) => {
      let out = "";
      this.child.stdout!.on("data", (b) => {
        out += b;
        const m = /^(\d+\.\d+) /m.exec(out);
        if (m) resolve(Number(m[1]) * 1000);
      });
      this.child.on("exit", () => reject(new Error(`no UPDATE from ${from} captured: ${err.trim()}`)));
    });
    this.at.catch(() => { /* observed by whoever awaits it */ });
  }

  /** resolves once tcpdump captures (its "listening on" line) */
  ready(): Promise<void> { return this.listening; }

  stop(): void { if (this.child.exitCode === null) this.child.kill("SIGKILL"); }

  static async start(ns: Netns, dev: string, from: string): Promise<UpdateCapture> {
    const c = new UpdateCapture(ns, dev, from);
    try { await c.ready(); } catch (e) { c.stop(); throw e; }
    return c;
  }
}
