// A router between a BGP peer and a host, in three namespaces:
//
//   peer  eth0 10.0.1.2 ---- link 1 ---- proxy 0 10.0.1.1 |        |
//   peer  eth1 10.0.3.2 ---- link 3 ---- proxy 2 10.0.3.1 | router | proxy 1 10.0.2.1 ---- link 2 ---- eth0 10.0.2.2 host
//
// FRR runs in the peer (bgpd, AS 64502) and in the router (zebra + bgpd, AS
// 64501, maximum-paths 2) on the router's proxies. Session 1 runs over link 1;
// session 2 over link 3 is configured on both sides but shut down by the peer
// until a test brings it up (ECMP). The peer announces /24s from 100.0.0.0 up
// (helpers/bgp-peer.ts) and owns the first address of some of them on its
// loopback (LabOptions.answer), for the host's pings.
//
// The router's side of each link is a veth end `vN`. What forwards between the
// links is the plane: "linux" adopts the veths themselves as proxies and the
// kernel routes; "l3fwd" (added when the l3fwd example lands) puts a DPDK port
// on each veth with a net_tap proxy `dpN`, and the BGP sessions cross the data
// plane's punt path.
import { execFileSync } from "node:child_process";
import { createNetns, type Netns } from "./netns.js";
import { Frr, pollUntil, sleep } from "./frr.js";
import { addPrefixes, addressIn, ANNOUNCED, bgpdConf, ipBatch, KernelPrefixes } from "./bgp-peer.js";
import { kernelRoutes, routeDiff, type RouteLine } from "./route-views.js";
import { IfpxFib } from "./ifpx-fib.js";

export const PEER_AS = 64502;
export const ROUTER_AS = 64501;

export interface Link { n: number; host: "peer" | "host"; hostIf: string; routerIf: string }
export const LINKS: Link[] = [
  { n: 1, host: "peer", hostIf: "eth0", routerIf: "v0" },
  { n: 2, host: "host", hostIf: "eth0", routerIf: "v1" },
  { n: 3, host: "peer", hostIf: "eth1", routerIf: "v2" },
];
export const hostAddr = (n: number) => `10.0.${n}.2`;
export const routerAddr = (n: number) => `10.0.${n}.1`;

/** what forwards between the links, and its FIB as route lines */
export interface Plane {
  /** the proxies in the router namespace, in link order */
  readonly proxies: string[];
  fib(prefix?: (p: string) => boolean): Promise<RouteLine[]>;
  /** IPv4 prefixes in the FIB (cheap enough to poll) */
  count(): Promise<number>;
  /** Date.now() time of the last route change applied to the FIB */
  lastRouteChange(): Promise<number>;
  /** per link: packets the fast path sent out of it (undefined when Linux forwards) */
  forwardedOut(): Promise<number[] | undefined>;
  close(): Promise<void>;
}

/** the kernel forwards; the FIB is what ifpx delivered for the veths adopted as proxies */
class LinuxPlane implements Plane {
  readonly proxies = LINKS.map((l) => l.routerIf);
  private constructor(readonly view: IfpxFib) {}
  static async start(r: Netns, reserve?: number): Promise<LinuxPlane> {
    const view = new IfpxFib(r.name, LINKS.map((l) => l.routerIf), { reserve });
    try { await view.listen(); } catch (e) { await view.close(); throw e; }
    return new LinuxPlane(view);
  }
  async fib(prefix?: (p: string) => boolean) { return this.view.view(prefix); }
  async count() { return new Set([...this.view.lines].map((l) => l.slice(0, l.indexOf(" ")))).size; }
  async lastRouteChange() { return this.view.lastChange; }
  async forwardedOut() { return undefined; }
  close() { return this.view.close(); }
}

export interface LabOptions {
  plane?: "linux";
  /** blackhole routes added to the peer's kernel before FRR starts (announced later) */
  prefixes?: number;
  /** prefixes (indexes) whose first address the peer answers on */
  answer?: number[];
  /** mirror/FIB sizing for large tables */
  reserve?: number;
}

export class BgpLab {
  peerFrr!: Frr;
  routerFrr!: Frr;
  plane!: Plane;
  table!: KernelPrefixes;

  private constructor(readonly peer: Netns, readonly router: Netns, readonly host: Netns) {}

  static async create(opts: LabOptions = {}): Promise<BgpLab> {
    const made: Netns[] = [];
    try {
      for (let i = 0; i < 3; i++) made.push(createNetns());
    } catch (e) { for (const ns of made) ns.remove(); throw e; }
    const lab = new BgpLab(made[0], made[1], made[2]);
    try { await lab.setUp(opts); } catch (e) { await lab.close(); throw e; }
    return lab;
  }

  nsOf(l: Link): Netns { return l.host === "peer" ? this.peer : this.host; }

  private async setUp(opts: LabOptions): Promise<void> {
    const { peer, router, host } = this;
    router.exec("sysctl", "-qw", "net.ipv4.ip_forward=1");
    for (const l of LINKS) {
      const ns = this.nsOf(l);
      execFileSync("ip", ["link", "add", l.routerIf, "netns", router.name, "type", "veth", "peer", "name", l.hostIf, "netns", ns.name]);
      ns.ip("addr", "add", `${hostAddr(l.n)}/24`, "dev", l.hostIf);
      ns.ip("link", "set", l.hostIf, "up");
      // a DPDK port on the veth's other end passes partial checksums on as they are
      ns.exec("ethtool", "-K", l.hostIf, "tx", "off");
    }
    host.ip("route", "add", "default", "via", routerAddr(2));
    peer.ip("route", "add", "default", "via", routerAddr(1));
    // /32s: the kernel merges tables local and main, so a /24 blackhole of the
    // announced table would hide a shorter prefix on lo
    ipBatch(peer, (opts.answer ?? []).map((i) => `addr add ${addressIn(i)}/32 dev lo`));
    if (opts.prefixes) {
      // before FRR: its zebra then reads them in one dump
      addPrefixes(peer, opts.prefixes);
    }

    this.plane = await LinuxPlane.start(router, opts.reserve);
    for (const [i, l] of LINKS.entries()) {
      router.ip("addr", "add", `${routerAddr(l.n)}/24`, "dev", this.plane.proxies[i]);
      router.ip("link", "set", this.plane.proxies[i], "up");
    }

    this.peerFrr = new Frr(peer, "peer", {
      bgpd: bgpdConf({ as: PEER_AS, routerId: hostAddr(1), neighbours: [{ address: routerAddr(1), remoteAs: ROUTER_AS }, { address: routerAddr(3), remoteAs: ROUTER_AS }] })
        + `router bgp ${PEER_AS}\n neighbor ${routerAddr(3)} shutdown\nexit\n`,
    });
    this.routerFrr = new Frr(router, "router", {
      bgpd: bgpdConf({ as: ROUTER_AS, routerId: routerAddr(2), maximumPaths: 2,
        neighbours: [1, 3].map((n) => ({ address: hostAddr(n), remoteAs: PEER_AS, routeMapOut: "NOTHING" })) }),
    });
    await this.peerFrr.start();
    await this.routerFrr.start();
    this.table = new KernelPrefixes(peer, this.peerFrr, PEER_AS);
    await this.routerFrr.waitSession(hostAddr(1));
  }

  /** the kernel's routes through the proxies in the router namespace */
  kernel(prefix?: (p: string) => boolean): RouteLine[] {
    return kernelRoutes(this.router, { devs: this.plane.proxies, prefix });
  }

  /**
   * Waits until the kernel's BGP routes (the announced prefixes) are `want`
   * and the plane's FIB equals all the kernel's routes through the proxies;
   * throws with the differences when that does not happen within timeoutMs.
   */
  async settle(want: RouteLine[], timeoutMs = 20_000): Promise<{ kernel: RouteLine[]; fib: RouteLine[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const kernel = this.kernel();
      const bgp = kernel.filter((l) => ANNOUNCED(l.slice(0, l.indexOf(" "))));
      const fib = await this.plane.fib();
      const bgpOk = same(bgp, want), fibOk = same(fib, kernel);
      if (bgpOk && fibOk) return { kernel, fib };
      if (Date.now() > deadline) {
        throw new Error(`not settled after ${timeoutMs} ms: ` + (bgpOk ? "" : `kernel BGP routes ${bgp.length}, want ${want.length}, ` +
          `diff ${JSON.stringify(routeDiff(want, bgp))}; `) + (fibOk ? "" : `FIB ${fib.length} lines, kernel ${kernel.length}, ` +
          `diff (missing from the FIB / not in the kernel) ${JSON.stringify(routeDiff(kernel, fib))}`));
      }
      await sleep(100);
    }
  }

  /** polls the plane until its FIB holds `n` IPv4 prefixes; the time of its last route change then */
  async fibReaches(n: number, timeoutMs: number): Promise<number> {
    let c = -1;
    await pollUntil(async () => (c = await this.plane.count()) === n, timeoutMs, () => `FIB has ${c} prefixes, want ${n}`, 20);
    return this.plane.lastRouteChange();
  }

  /** ping from the host: how many of count replies came back */
  ping(dst: string, count = 3): number {
    try {
      const out = this.host.exec("ping", "-n", "-q", "-c", String(count), "-i", "0.01", "-W", "1", dst);
      return Number(/(\d+) received/.exec(out)?.[1] ?? 0);
    } catch (e: any) {
      return Number(/(\d+) received/.exec(String(e.stdout ?? ""))?.[1] ?? 0);
    }
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const f of [this.routerFrr, this.peerFrr]) {
      try { await f?.stop(); } catch (e) { errors.push(e); }
    }
    try { await this.plane?.close(); } catch (e) { errors.push(e); }
    for (const ns of [this.host, this.router, this.peer]) ns.remove();
    if (errors.length) throw errors[0];
  }
}

const same = (a: RouteLine[], b: RouteLine[]) => a.length === b.length && a.every((l, i) => l === b[i]);

/** create a lab, run fn, close it whatever happens */
export async function withBgpLab<T>(opts: LabOptions, fn: (lab: BgpLab) => Promise<T>): Promise<T> {
  const lab = await BgpLab.create(opts);
  try { return await fn(lab); } finally { await lab.close(); }
}
