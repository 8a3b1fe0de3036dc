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
// The router's side of each link is a veth end `vN`, a DPDK port of the l3fwd
// data plane with a net_tap proxy `dpN` (Plane): FRR runs on the proxies, so
// its BGP sessions cross the data plane's punt path, and what it installs
// reaches the data plane's FIB through ifpx only.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createNetns, type Netns } from "./netns.js";
import { Frr, pollUntil } from "./frr.js";
import { sleep } from "./collector.js";
import { addPrefixes, addressIn, ANNOUNCED, bgpdConf, KernelPrefixes } from "./bgp-peer.js";
import { kernelRoutes, routeDiff, routeLine, type RouteLine } from "./route-views.js";
import { L3fwd, prepareL3fwd, ipBatch, dataplaneRoutes, diff, kernelRoutes as l3fwdKernelRoutes } from "../../../examples/l3fwd/driver.js";

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

/**
 * The l3fwd data plane (examples/l3fwd) in the router namespace: a
 * net_af_packet port on each veth end `vN`, a net_tap proxy `dpN` bound to it.
 * Its FIB, neighbours and port state come only from ifpx events.
 */
export class Plane {
  readonly proxies: string[];
  private readonly nameOfPort = new Map<number, string>();
  private readonly portOf: Record<string, number> = {};
  /** Date.now() minus CLOCK_MONOTONIC in ms (the data plane stamps route changes with the latter) */
  private readonly epochOffset = Date.now() - Number(process.hrtime.bigint()) / 1e6;

  private constructor(readonly l3: L3fwd, readonly ns: string) {
    for (const p of l3.ready!.ports) { this.nameOfPort.set(p.port, p.name); this.portOf[p.name] = p.port; }
    this.proxies = l3.ready!.ports.map((p) => p.name);
  }

  static async start(router: Netns, tableSize: number): Promise<Plane> {
    const args = ["--routes4", String(Math.max(65536, Math.ceil(tableSize * 1.1))),
      // room for a table's events (a lost record costs a replay: correct, but not what is measured);
      // 1M records is what bench/l3fwd.ts gives a full table too
      "--ring-size", String(Math.min(1 << 20, Math.max(65536, 2 ** Math.ceil(Math.log2(tableSize * 2)))))];
    const l3 = await L3fwd.start(router.name, LINKS.map((l, i) => [l.routerIf, `dp${i}`] as [string, string]), args);
    return new Plane(l3, router.name);
  }

  /** the data plane's IPv4 routes of table main, as route lines */
  async fib(): Promise<RouteLine[]> {
    const t = await this.l3.tables();
    const out: RouteLine[] = [];
    for (const r of t.routes) {
      if (r.family !== 4 || r.table !== 254 || r.type !== 1) continue;
      for (const nh of r.nh) out.push(routeLine(r.dst, this.nameOfPort.get(nh.port) ?? `port${nh.port}`, nh.gw));
    }
    return out.sort();
  }

  /** every route of every table and family, with metric and type, against the kernel (examples/l3fwd/driver.ts) */
  async exactDiff(): Promise<{ onlyKernel: string[]; onlyDataplane: string[] }> {
    const dp = dataplaneRoutes(await this.l3.tables());
    return diff(l3fwdKernelRoutes(this.ns, this.portOf), dp);
  }

  /** IPv4 prefixes in the data plane's LPM */
  async count(): Promise<number> { return (await this.l3.stats()).lpm4; }

  /** Date.now() time of the last route change the data plane applied */
  async lastRouteChange(): Promise<number> {
    return Number((await this.l3.stats()).last_route_ns) / 1e6 + this.epochOffset;
  }

  async close(): Promise<void> {
    await this.l3.quit().catch(() => undefined);
    // after quit too: it removes the EAL's runtime directory
    this.l3.kill();
  }
}

export interface LabOptions {
  /** blackhole routes added to the peer's kernel before FRR starts (announced later) */
  prefixes?: number;
  /** prefixes (indexes) whose first address the peer answers on */
  answer?: number[];
  /** namespace names' prefix (helpers/netns.ts; default: the tests') */
  nsPrefix?: string;
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
      for (let i = 0; i < 3; i++) made.push(createNetns(opts.nsPrefix));
    } catch (e) { for (const ns of made) ns.remove(); throw e; }
    const lab = new BgpLab(made[0], made[1], made[2]);
    try { await lab.setUp(opts); } catch (e) { await lab.close(); throw e; }
    return lab;
  }

  private nsOf(l: Link): Netns { return l.host === "peer" ? this.peer : this.host; }

  private async setUp(opts: LabOptions): Promise<void> {
    const { peer, router, host } = this;
    // Linux routes what the data plane punts (no route or neighbour yet)
    router.exec("sysctl", "-qw", "net.ipv4.ip_forward=1");
    for (const l of LINKS) {
      const ns = this.nsOf(l);
      execFileSync("ip", ["link", "add", l.routerIf, "netns", router.name, "type", "veth", "peer", "name", l.hostIf, "netns", ns.name]);
      // as examples/l3fwd/topology.sh (which gives each host one link): the
      // router's kernel ignores the data plane's veth ends, or it would answer
      // and route the frames the data plane handles too (the proxies have the
      // ports' MACs, i.e. the veth ends': only rp_filter keeps Linux out)
      router.exec("sysctl", "-qw", `net.ipv6.conf.${l.routerIf}.disable_ipv6=1`, `net.ipv4.conf.${l.routerIf}.rp_filter=1`);
      router.ip("link", "set", l.routerIf, "arp", "off", "up");
      ns.ip("addr", "add", `${hostAddr(l.n)}/24`, "dev", l.hostIf);
      ns.ip("link", "set", l.hostIf, "up");
      // a DPDK port on the veth's other end passes partial checksums on as they are
      ns.exec("ethtool", "-K", l.hostIf, "tx", "off");
    }
    host.ip("route", "add", "default", "via", routerAddr(2));
    peer.ip("route", "add", "default", "via", routerAddr(1));
    // /32s: the kernel merges tables local and main, so a /24 blackhole of the
    // announced table would hide a shorter prefix on lo
    await ipBatch(peer.name, (opts.answer ?? []).map((i) => `addr add ${addressIn(i)}/32 dev lo`));
    // before FRR: its zebra then reads them in one dump
    if (opts.prefixes) await addPrefixes(peer, opts.prefixes);

    this.plane = await Plane.start(router, opts.prefixes ?? 0);
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

  /** the kernel's IPv4 routes of table main through the proxies, in the router namespace */
  kernel(): RouteLine[] {
    return kernelRoutes(this.router, { devs: this.plane.proxies });
  }

  /**
   * Waits until the kernel's BGP routes (the announced prefixes) are `want`
   * and the data plane's FIB equals all the kernel's routes through the
   * proxies (as route lines, then every table and family with metrics and
   * types); throws with the differences when that does not happen in time.
   */
  async settle(want: RouteLine[], timeoutMs = 20_000): Promise<{ kernel: RouteLine[]; fib: RouteLine[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const kernel = this.kernel();
      const bgp = kernel.filter((l) => ANNOUNCED(l.slice(0, l.indexOf(" "))));
      const bgpOk = same(bgp, want);
      // the data plane's tables are dumped only once the kernel is where it should be
      const fib = bgpOk ? await this.plane.fib() : [];
      const fibOk = bgpOk && same(fib, kernel);
      const exact = fibOk ? await this.plane.exactDiff() : undefined;
      if (exact && !exact.onlyKernel.length && !exact.onlyDataplane.length) return { kernel, fib };
      if (Date.now() > deadline) {
        throw new Error(`not settled after ${timeoutMs} ms: ` +
          (!bgpOk ? `kernel BGP routes ${bgp.length}, want ${want.length}, diff ${JSON.stringify(routeDiff(want, bgp))}`
            : !fibOk ? `FIB ${fib.length} lines, kernel ${kernel.length}, diff (missing from the FIB / not in the kernel) ${JSON.stringify(routeDiff(kernel, fib))}`
              : `all tables: only in the kernel ${JSON.stringify(exact!.onlyKernel.slice(0, 10))}, only in the data plane ${JSON.stringify(exact!.onlyDataplane.slice(0, 10))}`));
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

  /**
   * ping from the host: how many of `count` replies came back, what the data
   * plane's fast path sent out of each link meanwhile, and a report with its
   * punts by reason for assertion messages
   */
  async ping(dst: string, count = 3): Promise<{ replies: number; fastPath: number[]; report: string }> {
    const before = await this.plane.l3.stats();
    let out: string;
    try {
      out = this.host.exec("ping", "-n", "-q", "-c", String(count), "-i", "0.01", "-W", "1", dst);
    } catch (e: any) { out = String(e.stdout ?? ""); }
    const after = await this.plane.l3.stats();
    const replies = Number(/(\d+) received/.exec(out)?.[1] ?? 0);
    const fwd = after.ports.map((p, i) => (p.tx - p.from_proxy) - (before.ports[i].tx - before.ports[i].from_proxy));
    const punts = Object.entries(after.punt).map(([k, v]) => [k, v - (before.punt[k] ?? 0)]).filter(([, d]) => d);
    return { replies, fastPath: fwd, report: `ping ${dst}: ${replies}/${count} replies; fast path out of each link ${fwd}; punts ${JSON.stringify(Object.fromEntries(punts))}` };
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

/** why the lab cannot run here (DPDK, root, tools, FRR), or undefined */
export function frrLabUnavailable(): string | undefined {
  const l3fwd = prepareL3fwd();
  if (l3fwd) return l3fwd;
  if (!existsSync("/usr/lib/frr/bgpd")) return "FRR is not installed (scripts/test-setup.sh installs it)";
  try { execFileSync("sh", ["-c", "command -v tcpdump"], { stdio: "ignore" }); } catch { return "tcpdump is not installed (scripts/test-setup.sh installs it)"; }
  return undefined;
}

const same = (a: RouteLine[], b: RouteLine[]) => a.length === b.length && a.every((l, i) => l === b[i]);

/** create a lab, run fn, close it whatever happens */
export async function withBgpLab<T>(opts: LabOptions, fn: (lab: BgpLab) => Promise<T>): Promise<T> {
  const lab = await BgpLab.create(opts);
  try { return await fn(lab); } finally { await lab.close(); }
}
