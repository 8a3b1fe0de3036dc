// Random configuration against the kernel's own state. A seeded generator
// (mulberry32: the same seed gives the same commands) writes batches of
// ordinary `ip` commands over two proxies and one interface that is no proxy
// (dum0, a veth): addresses, routes of every kind (multipath mixing proxy and
// non-proxy next hops, tables, metrics, replace/append, IPv4 via IPv6),
// neighbours, nexthop objects and groups, link down/up/MTU/MAC, flushes. Many
// commands fail (a route whose gateway is not reachable, a delete of what is
// not there): that is part of the test, since the kernel then changes nothing
// and ifpx must report nothing. After each batch a resync must find no
// difference between the mirror (built from notifications) and a fresh dump.
//
// IFPX_RANDOM_SEEDS=a,b,c and IFPX_RANDOM_BATCHES=N run other seeds / longer;
// IFPX_RANDOM_PER_BATCH=1 resyncs after every command (the same command stream).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, type IfpxEvent } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";
import { twoProxies } from "./helpers/proxies.js";
import { prng } from "./helpers/prng.js";

/** One `ip -batch` line at random (ip's own syntax, without the leading "ip"). */
function command(rnd: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const n = (k: number) => Math.floor(rnd() * k);
  const dev = () => pick(["prxa", "prxb", "dum0"] as const);
  const net = { prxa: "198.51.100", prxb: "198.51.101", dum0: "203.0.113" } as const;
  const net6 = { prxa: "2001:db8:a", prxb: "2001:db8:b", dum0: "2001:db8:d" } as const;
  const gw4 = () => { const d = dev(); return `via ${net[d]}.${1 + n(3)} dev ${d}`; };
  const gw6 = () => { const d = dev(); return rnd() < 0.3 ? `via fe80::${1 + n(3)} dev ${d}` : `via ${net6[d]}::${1 + n(3)} dev ${d}`; };
  const dst4 = () => (rnd() < 0.7 ? `10.${n(6)}.0.0/16` : `10.9.${n(4)}.0/24`);
  const dst6 = () => `2001:db8:${10 + n(6)}::/48`;
  const metric = () => (rnd() < 0.6 ? "" : ` metric ${pick([5, 7])}`);
  const table = () => (rnd() < 0.75 ? "" : " table 100");
  const mac = () => `02:00:00:00:${n(4).toString(16).padStart(2, "0")}:${n(256).toString(16).padStart(2, "0")}`;
  const r = rnd();
  if (r < 0.12) {
    const d = dev();
    return rnd() < 0.55
      ? `address ${pick(["add", "add", "del"])} ${net[d]}.${2 + n(6)}/${pick([24, 24, 32])} dev ${d}`
      : `-6 address ${pick(["add", "add", "del"])} ${net6[d]}::${2 + n(6)}/64 dev ${d}`;
  }
  if (r < 0.42) {
    const verb = pick(["add", "add", "replace", "append", "del", "change"]);
    const kind = rnd();
    if (kind < 0.08) return `route ${verb === "del" ? "del" : "add"} ${pick(["blackhole", "unreachable", "prohibit"])} ${dst4()}${metric()}${table()}`;
    if (kind < 0.25) return `route ${verb} ${dst4()} nexthop ${gw4()} nexthop ${gw4()}${metric()}${table()}`;
    if (kind < 0.35) return `route ${verb} ${dst4()} ${rnd() < 0.5 ? `via inet6 fe80::${1 + n(3)} dev ${dev()}` : `nexthop via inet6 fe80::1 dev ${dev()} nexthop via inet6 fe80::2 dev ${dev()}`}${metric()}`;
    if (kind < 0.45) return `route ${verb} ${dst4()} dev ${dev()}${metric()}${table()}`;
    return `route ${verb} ${dst4()} ${gw4()}${metric()}${table()}`;
  }
  if (r < 0.58) {
    const verb = pick(["add", "add", "replace", "append", "del"]);
    if (rnd() < 0.25) return `-6 route ${verb} ${dst6()} nexthop ${gw6()} nexthop ${gw6()}${metric()}`;
    return `-6 route ${verb} ${dst6()} ${gw6()}${metric()}${table()}`;
  }
  if (r < 0.72) {
    const d = dev();
    const ip = rnd() < 0.6 ? `${net[d]}.${20 + n(6)}` : `${net6[d]}::${20 + n(6)}`;
    const verb = pick(["add", "replace", "change", "del"]);
    if (verb === "del") return `neigh del ${ip} dev ${d}`;
    return `neigh ${verb} ${ip} lladdr ${mac()} dev ${d} nud ${pick(["permanent", "reachable", "stale", "noarp"])}`;
  }
  if (r < 0.84) {
    const id = 1 + n(5);
    const k = rnd();
    if (k < 0.35) return `nexthop ${pick(["add", "replace"])} id ${id} ${gw4()}`;
    if (k < 0.5) return `nexthop ${pick(["add", "replace"])} id ${10 + n(2)} group ${1 + n(2)}/${3 + n(3)}`;
    if (k < 0.7) return `nexthop del id ${rnd() < 0.8 ? id : 10 + n(2)}`;
    return `route ${pick(["add", "replace"])} ${dst4()} nhid ${rnd() < 0.7 ? id : 10 + n(2)}${metric()}`;
  }
  if (r < 0.95) {
    const d = dev();
    const k = rnd();
    if (k < 0.45) return `link set ${d} ${pick(["down", "up", "up"])}`;
    if (k < 0.75) return `link set ${d} mtu ${pick([1280, 1400, 1500, 9000])}`;
    return `link set ${d} address ${mac()}`;
  }
  const k = rnd();
  if (k < 0.3) return `address flush dev ${dev()}`;
  if (k < 0.6) return `route flush table ${pick(["main", "100"])}`;
  if (k < 0.8) return `neigh flush dev ${dev()}`;
  return `-6 route flush ${dst6()}`;
}

// Seeds 1, 5, 10 and 11 each found a divergence, fixed since (IPv4 routes
// sharing an identity: a replace, a shared next hop; a multipath route through
// a proxy and another interface, gone when the last of them went down).
const seeds = (process.env.IFPX_RANDOM_SEEDS ?? "1,5,10,11").split(",").map(Number);
const batches = Number(process.env.IFPX_RANDOM_BATCHES ?? 20);
const PER_BATCH = Number(process.env.IFPX_RANDOM_PER_BATCH ?? 14);

for (const seed of seeds) {
  test(`seed ${seed}: after each batch of random changes a resync finds the mirror equal to the kernel`, () => withNetns(async (ns: Netns) => {
    for (const k of ["all", "default"]) {
      ns.exec("sysctl", "-qw", `net.ipv6.conf.${k}.accept_dad=0`);
      ns.exec("sysctl", "-qw", `net.ipv4.conf.${k}.promote_secondaries=1`);
    }
    ns.ip("link", "add", "dum0", "type", "veth", "peer", "name", "dum1");
    ns.ip("link", "set", "dum1", "up");
    ns.ip("link", "set", "dum0", "up");
    const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
    const c = new Collector();
    const rnd = prng(seed);
    try {
      twoProxies(ns, ifpx, { a: ["198.51.100.10/24", "2001:db8:a::10/64"], b: ["198.51.101.10/24", "2001:db8:b::10/64"] });
      for (const a of ["203.0.113.10/24", "2001:db8:d::10/64"]) ns.ip(...(a.includes(":") ? ["-6"] : []), "addr", "add", a, "dev", "dum0");
      c.attach(ifpx);
      await ifpx.listen();
      let applied = 0, failed = 0;
      for (let b = 0; b < batches; b++) {
        const lines = Array.from({ length: PER_BATCH }, () => command(rnd));
        for (const line of lines) {
          try { ns.exec("ip", ...line.split(" ")); applied++; } catch { failed++; }
        }
        // a link brought up again and address changes settle within ~100 ms
        await sleep(150);
        const at = c.events.length;
        ifpx.resync();
        const [done] = await c.waitFor([{ type: "RESYNC_DONE" }], 5000, at) as any[];
        const diffs = c.events.slice(at).filter((e: IfpxEvent) => e.type !== "RESYNC_DONE");
        assert.equal(diffs.map((e: any) => `${e.type} ${e.ip ?? ""}/${e.depth ?? ""} ${e.gateway ?? ""} port ${e.portId}`), [],
          `seed ${seed} batch ${b}: differences after\n  ${lines.join("\n  ")}`);
        assert.equal([done.added, done.removed, done.changed], [0, 0, 0], `seed ${seed} batch ${b}: counts`);
      }
      // the random commands did change things (not every one failed)
      assert.ok(applied > batches * PER_BATCH / 4, `applied ${applied}, failed ${failed}`);
      assert.is(ifpx.stats().callbackErrors, 0);
    } finally {
      await ifpx.dispose();
    }
  }));
}

test.run();
