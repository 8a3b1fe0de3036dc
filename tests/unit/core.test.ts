// The netlink core against recorded kernel datagrams (tests/fixtures, recorded
// by scripts/record-fixtures.ts on a 6.18 kernel): t0 and t1 are proxies
// (ids 100, 101) bound to ports 1 and 2; t2 is a foreign interface.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, fx, T0, T1, T2, F, brief, index } from "./helpers/core.ts";

function setup(opts: { dumps?: boolean; initial?: boolean } = {}): Core {
  const c = new Core();
  assert.is(c.x.proxy_add(100, T0), 0);
  assert.is(c.x.proxy_add(101, T1), 0);
  assert.is(c.x.port_bind(1, 100), 0);
  assert.is(c.x.port_bind(2, 101), 0);
  if (opts.dumps !== false) {
    if (opts.initial) c.x.sync_begin(15, F.INITIAL);
    for (const d of ["dump-link", "dump-addr", "dump-route", "dump-neigh"]) c.feed(fx(d));
    if (opts.initial) assert.equal(c.sweep(), []);
  }
  return c;
}
const K = (r: any, keys: string[]) => brief(r, keys);
const RK = ["type", "port", "proxy", "flags", "family", "ifindex", "dst", "gw", "depth", "table", "rtype", "weight", "nh_count"];
const AK = ["type", "port", "proxy", "flags", "ip", "prefixlen"];
const NK = ["type", "port", "proxy", "flags", "ip", "mac", "state"];

/** feed all steps from `from` to `to` (fixture index numbers) */
function feedRange(c: Core, from: number, to: number, skip: string[] = []): any[] {
  const out: any[] = [];
  for (const s of index.steps.slice(from, to + 1)) {
    if (skip.some((k) => s.name.includes(k))) continue;
    out.push(...c.feed(fx(s.name.replace(".bin", ""))));
  }
  return out;
}
const stepNo = (name: string) => index.steps.findIndex((s: any) => s.name.includes(name));

test("initial dump: link state of every proxy, then its address, routes and neighbour, flagged INITIAL", () => {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1); c.x.port_bind(1, 100); c.x.port_bind(2, 101);
  c.x.sync_begin(15, F.INITIAL);
  const link = c.feed(fx("dump-link"));
  assert.equal(link.map((r) => [r.type, r.port, r.flags]), [
    ["LINK_CHANGE", 1, F.INITIAL], ["MTU_CHANGE", 1, F.INITIAL], ["MAC_CHANGE", 1, F.INITIAL],
    ["LINK_CHANGE", 2, F.INITIAL], ["MTU_CHANGE", 2, F.INITIAL], ["MAC_CHANGE", 2, F.INITIAL]]);
  assert.is(link[0].up, 0); // t0 is down
  assert.is(link[3].up, 1);
  assert.is(link[1].mtu, index.mtu0);
  assert.is(c.status().flags & 1, 1, "DONE seen");
  assert.is(c.status().seq, 1001);
  const rest = [...c.feed(fx("dump-addr")), ...c.feed(fx("dump-route")), ...c.feed(fx("dump-neigh"))];
  assert.equal(rest.map((r) => K(r, ["type", "port", "flags", "ip", "dst", "depth"])), [
    { type: "ADDR_ADD", port: 2, flags: F.INITIAL, ip: "198.18.0.14", dst: undefined, depth: undefined },
    { type: "ROUTE_ADD", port: 2, flags: F.INITIAL, ip: undefined, dst: "10.20.0.0", depth: 16 },
    { type: "ROUTE_ADD", port: 2, flags: F.INITIAL, ip: undefined, dst: "198.18.0.0", depth: 24 },
    { type: "ROUTE_ADD", port: 2, flags: F.INITIAL | F.LOCAL, ip: undefined, dst: "198.18.0.14", depth: 32 },
    { type: "ROUTE_ADD", port: 2, flags: F.INITIAL | F.LOCAL, ip: undefined, dst: "198.18.0.255", depth: 32 },
    { type: "NEIGH_ADD", port: 2, flags: F.INITIAL, ip: "198.18.0.7", dst: undefined, depth: undefined },
  ]);
  assert.equal(c.sweep(), [], "nothing to sweep after a first dump");
  assert.is(c.status().sync, 0);
  assert.is(c.x.stage_marker(15, 0xffff, 0, 0, 0, 0), 1);
  assert.equal(K(c.staged(1)[0], ["type", "port", "proxy"]), { type: "CFG_DONE", port: 0xffff, proxy: 0xffff });
  const s = c.stats();
  assert.is(s.sync_added, 8); // 2 links + 1 address + 4 routes + 1 neighbour (lo and t2 filtered)
  assert.is(s.malformed, 0);
  const i0 = c.info(100), i1 = c.info(101);
  assert.equal([i0.name, i0.known, i0.gone, i0.ifindex, i0.mtu], ["t0", 1, 0, T0, index.mtu0]);
  assert.equal([i1.name, i1.ifi_flags & 1], ["t1", 1]);
});

test("upstream 16 steps: the expected events, for the bound port", () => {
  const c = setup();
  const M1 = index.M1, M2 = index.M2;
  const step = (n: string) => c.feed(fx(n));
  assert.equal(step("s00-down"), []); // already down: no message at all
  assert.equal(step("s01-up").map((r) => K(r, ["type", "port", "proxy", "up"])), [{ type: "LINK_CHANGE", port: 1, proxy: 100, up: 1 }]);
  assert.equal(step("s02-mac").map((r) => K(r, ["type", "port", "mac"])), [{ type: "MAC_CHANGE", port: 1, mac: M1 }]);
  assert.equal(step("s03-mtu").map((r) => K(r, ["type", "port", "mtu"])), [{ type: "MTU_CHANGE", port: 1, mtu: index.mtu0 + 100 }]);
  assert.is(c.info(100).mtu, index.mtu0 + 100);
  assert.is(c.info(100).mac, M1);
  assert.equal(step("s04-addr-add").map((r) => K(r, ["type", "port", "flags", "ip", "dst", "depth", "prefixlen"])), [
    { type: "ADDR_ADD", port: 1, flags: 0, ip: "198.51.100.14", dst: undefined, depth: undefined, prefixlen: 32 },
    { type: "ROUTE_ADD", port: 1, flags: F.LOCAL, ip: undefined, dst: "198.51.100.14", depth: 32, prefixlen: undefined },
  ]);
  assert.equal(step("s05-addr-del").map((r) => [r.type, r.ip ?? r.dst]), [["ADDR_DEL", "198.51.100.14"], ["ROUTE_DEL", "198.51.100.14"]]);
  assert.equal(step("s06-route-add").map((r) => K(r, RK)), [{ type: "ROUTE_ADD", port: 1, proxy: 100, flags: 0, family: 2, ifindex: T0,
    dst: "198.51.100.0", gw: "0.0.0.0", depth: 24, table: 254, rtype: 1, weight: 1, nh_count: 1 }]);
  assert.equal(step("s07-route-del").map((r) => [r.type, r.dst, r.depth]), [["ROUTE_DEL", "198.51.100.0", 24]]);
  assert.equal(step("s08-neigh-add").map((r) => K(r, NK)), [{ type: "NEIGH_ADD", port: 1, proxy: 100, flags: 0, ip: "198.51.100.14", mac: M2, state: 0x40 }]);
  // kernel quirk: `ip neigh del` first reports the entry FAILED without lladdr, then deletes it
  // (the DELNEIGH has no lladdr either): the DEL carries the MAC the mirror knew
  assert.equal(step("s09-neigh-del").map((r) => K(r, NK)), [
    { type: "NEIGH_ADD", port: 1, proxy: 100, flags: F.REPLACE, ip: "198.51.100.14", mac: "00:00:00:00:00:00", state: 0x20 },
    { type: "NEIGH_DEL", port: 1, proxy: 100, flags: 0, ip: "198.51.100.14", mac: M2, state: 0x20 }]);
  const a6 = step("s10-addr6-add");
  assert.equal(a6.map((r) => [r.type, r.ip ?? r.dst, r.prefixlen ?? r.depth, r.flags]), [
    ["ROUTE6_ADD", "ff00::", 8, F.LOCAL], ["ROUTE6_ADD", "2001:db8::dead:beef", 128, 0], ["ADDR6_ADD", "2001:db8::dead:beef", 128, 0]]);
  assert.equal(step("s11-addr6-del").map((r) => [r.type, r.ip ?? r.dst]), [["ADDR6_DEL", "2001:db8::dead:beef"], ["ROUTE6_DEL", "2001:db8::dead:beef"]]);
  assert.equal(step("s12-route6-add").map((r) => [r.type, r.dst, r.depth, r.prio]), [["ROUTE6_ADD", "2001:db8::", 96, 1024]]);
  assert.equal(step("s13-route6-del").map((r) => [r.type, r.dst, r.depth]), [["ROUTE6_DEL", "2001:db8::", 96]]);
  assert.equal(step("s14-neigh6-add").map((r) => [r.type, r.ip, r.mac]), [["NEIGH6_ADD", "2001:db8::dead:beef", M2]]);
  assert.equal(step("s15-neigh6-del").map((r) => [r.type, r.flags, r.mac]), [["NEIGH6_ADD", F.REPLACE, "00:00:00:00:00:00"], ["NEIGH6_DEL", 0, M2]]);
  assert.equal(step("s16-down").map((r) => [r.type, r.up ?? r.dst]), [["LINK_CHANGE", 0], ["ROUTE6_DEL", "ff00::"]]);
  assert.is(c.stats().malformed, 0);
});

test("set_wanted: types nobody consumes are mirrored but not staged; replays and markers are not filtered", () => {
  const all = setup({ initial: true });
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1); c.x.port_bind(1, 100); c.x.port_bind(2, 101);
  const ROUTE_ADD = 7, LINK_CHANGE = 2;
  c.x.set_wanted((1 << LINK_CHANGE) >>> 0);
  c.x.sync_begin(15, F.INITIAL);
  const recs: any[] = [];
  for (const d of ["dump-link", "dump-addr", "dump-route", "dump-neigh"]) recs.push(...c.feed(fx(d)));
  assert.ok(recs.length > 0 && recs.every((r) => r.type === "LINK_CHANGE"), "only the wanted type was staged");
  assert.equal(c.sweep(), []);
  for (const k of [2, 4, 8]) assert.is(c.x.mirror_count(k, -1), all.x.mirror_count(k, -1), `kind ${k} mirrored as with every type wanted`);
  c.x.set_wanted((1 << ROUTE_ADD) >>> 0);
  const replayed = c.replay(101, 2); // t1 has an address, routes and a neighbour
  assert.ok(replayed.some((r) => r.type === "ADDR_ADD") && replayed.some((r) => r.type === "NEIGH_ADD"), "a replay to one port is not filtered");
  assert.is(c.x.stage_marker(15, 0xffff, 0, 0, 0, 0), 1, "markers are not filtered");
});

test("one proxy, two ports: two copies sharing one seq, in port order", () => {
  const c = setup();
  assert.is(c.x.port_bind(7, 100), 0);
  const r = c.feed(fx("s06-route-add"));
  assert.equal(r.map((x) => x.port), [1, 7]);
  assert.is(r[0].seq, r[1].seq);
  assert.equal(brief(r[0], RK.slice(2)), brief(r[1], RK.slice(2)));
  const next = c.feed(fx("s07-route-del"));
  assert.ok(next[0].seq > r[0].seq);
  const out = new Uint16Array(c.buf as ArrayBuffer, c.x.rx_ptr(), 4);
  assert.is(c.x.ports_of_proxy(100, c.x.rx_ptr(), 1), 2, "total count even when max is smaller");
  assert.is(out[0], 1);
  // a proxy with no port stages nothing but keeps its mirror
  c.x.port_unbind(1); c.x.port_unbind(7);
  assert.equal(c.feed(fx("s06-route-add")), []);
  assert.is(c.x.mirror_count(4, 100), 1);
});

test("foreign interfaces and oif-less routes are filtered", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-up-addrs"));
  const f0 = c.stats().filtered;
  assert.equal(c.feed(fx("x-foreign")), []);
  assert.is(c.stats().filtered, f0 + 2);
  assert.equal(c.feed(fx("x-blackhole")), []); // blackhole / unreachable have no oif
  assert.is(c.stats().filtered, f0 + 4);
});

test("multipath: one record per next hop through a proxy, weight and nh_count", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-up-addrs"));
  assert.equal(c.feed(fx("x-multipath")).map((r) => K(r, RK)), [
    { type: "ROUTE_ADD", port: 1, proxy: 100, flags: F.MULTIPATH, family: 2, ifindex: T0, dst: "10.10.0.0", gw: "198.51.100.1", depth: 16, table: 254, rtype: 1, weight: 2, nh_count: 2 },
    { type: "ROUTE_ADD", port: 2, proxy: 101, flags: F.MULTIPATH, family: 2, ifindex: T1, dst: "10.10.0.0", gw: "198.18.0.1", depth: 16, table: 254, rtype: 1, weight: 1, nh_count: 2 }]);
  // t2 is foreign: its next hop is counted, not reported
  assert.equal(c.feed(fx("x-multipath-foreign")).map((r) => [r.port, r.dst, r.gw, r.nh_count, r.flags]), [[1, "10.11.0.0", "198.51.100.1", 2, F.MULTIPATH]]);
  assert.equal(c.feed(fx("x-multipath6")).map((r) => [r.type, r.port, r.dst, r.gw, r.nh_count]), [
    ["ROUTE6_ADD", 1, "2001:db8:10::", "2001:db8::1", 2], ["ROUTE6_ADD", 2, "2001:db8:10::", "2001:db8:1::1", 2]]);
  // IPv6 deletes one sibling alone and says nothing of the other, which now has one next hop:
  // reported as changed (REPLACE, no longer MULTIPATH), as a dump would show it
  assert.equal(c.feed(fx("x-multipath6-del1")).map((r) => [r.type, r.port, r.gw, r.nh_count, r.flags]), [
    ["ROUTE6_DEL", 2, "2001:db8:1::1", 2, F.MULTIPATH], ["ROUTE6_ADD", 1, "2001:db8::1", 1, F.REPLACE]]);
  // the mirror holds it so (a late-bound port's replay reads the mirror)
  assert.equal(c.replay(100, 3).filter((r) => r.dst === "2001:db8:10::").map((r) => [r.type, r.gw, r.nh_count, r.flags]), [
    ["ROUTE6_ADD", "2001:db8::1", 1, F.INITIAL]]);
  // appended back: the kernel announces the whole route again
  assert.equal(c.feed(fx("x-multipath6-readd")).map((r) => [r.type, r.port, r.gw, r.nh_count, r.flags]), [
    ["ROUTE6_ADD", 2, "2001:db8:1::1", 2, F.MULTIPATH], ["ROUTE6_ADD", 1, "2001:db8::1", 2, F.REPLACE | F.MULTIPATH]]);
});

test("default routes (no RTA_DST): dst 0, depth 0; other tables", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-multipath6"));
  assert.equal(c.feed(fx("x-default")).map((r) => [r.type, r.dst, r.depth, r.gw]), [["ROUTE_ADD", "0.0.0.0", 0, "198.51.100.1"]]);
  assert.equal(c.feed(fx("x-default6")).map((r) => [r.type, r.dst, r.depth, r.gw]), [["ROUTE6_ADD", "::", 0, "2001:db8::1"]]);
  assert.equal(c.feed(fx("x-table100")).map((r) => [r.dst, r.table, r.flags]), [["10.40.0.0", 100, 0]]);
});

test("NLM_F_REPLACE: old next hop deleted, new one added with REPLACE; replaced to a foreign oif: DEL; append: union", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-table100"));
  assert.equal(c.feed(fx("x-route-add")).map((r) => [r.type, r.gw, r.flags]), [["ROUTE_ADD", "198.51.100.1", 0]]);
  assert.equal(c.feed(fx("x-route-replace")).map((r) => [r.type, r.gw, r.flags]), [["ROUTE_DEL", "198.51.100.1", 0], ["ROUTE_ADD", "198.51.100.2", F.REPLACE]]);
  assert.equal(c.feed(fx("x-route-replace-foreign")).map((r) => [r.type, r.gw]), [["ROUTE_DEL", "198.51.100.2"]]);
  assert.equal(c.feed(fx("x-route-append")).map((r) => [r.type, r.gw, r.flags]), [["ROUTE_ADD", "198.51.100.3", 0]]);
  // a repeated identical NEWROUTE stages nothing
  assert.equal(c.feed(fx("x-route-append")), []);
});

test("a repeated identical NEWADDR stages nothing; neighbour lladdr change is a REPLACE", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-up-addrs"));
  assert.equal(c.feed(fx("x-up-addrs")).length, 0);
  assert.equal(c.feed(fx("x-neigh-change")).map((r) => [r.type, r.mac, r.flags]), [
    ["NEIGH_ADD", index.M2, 0], ["NEIGH_ADD", index.M1, F.REPLACE], ["NEIGH6_ADD", index.M2, 0]]);
});

/** a resync against a dump must find the mirror equal to the kernel */
function assertInSync(c: Core, dump: string, kinds = 4): void {
  c.x.sync_begin(kinds, F.RESYNC);
  const adds = c.feed(fx(dump));
  const dels = c.sweep();
  assert.equal([...adds, ...dels].map((r) => [r.type, r.port, r.dst ?? r.ip, r.gw]), [], `mirror differs from ${dump}`);
  const s = c.stats();
  assert.equal([s.sync_added, s.sync_removed, s.sync_changed], [0, 0, 0]);
}

test("link down: IPv4 routes the kernel drops silently are reported as ROUTE_DEL; the mirror matches the dump", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-dump2-neigh"));
  assertInSync(c, "x-dump2-route");
  const implied0 = c.stats().implied;
  const r = c.feed(fx("x-t0-down"));
  const v4 = r.filter((x) => x.type === "ROUTE_DEL").map((x) => [x.dst, x.depth, x.table, x.gw]);
  assert.equal(v4.sort(), [["0.0.0.0", 0, 254, "198.51.100.1"], ["10.40.0.0", 16, 100, "198.51.100.1"], ["198.51.100.0", 24, 254, "0.0.0.0"],
    ["198.51.100.255", 32, 255, "0.0.0.0"], ["203.0.113.0", 24, 254, "198.51.100.3"]].sort());
  assert.is(c.stats().implied - implied0, 5);
  // the scope-host local route and the multipath routes (a live next hop remains) stay
  assert.equal(r.filter((x) => x.dst === "198.51.100.14" || x.dst === "10.10.0.0" || x.dst === "10.11.0.0"), []);
  assertInSync(c, "x-dump3-route");
  assert.equal(c.feed(fx("x-t0-up")).map((x) => [x.type, x.dst ?? x.up]), [["LINK_CHANGE", 1], ["ROUTE_ADD", "198.51.100.0"], ["ROUTE_ADD", "198.51.100.255"]]);
  assertInSync(c, "x-dump4-route");
  // last IPv4 address of t1: its IPv4 routes go silently too
  const la = c.feed(fx("x-t1-lastaddr"));
  assert.ok(la.some((x) => x.type === "ROUTE_DEL" && x.dst === "10.20.0.0" && x.port === 2));
  assert.ok(la.some((x) => x.type === "ROUTE_DEL" && x.dst === "10.60.0.0" && x.port === 2));
  assertInSync(c, "x-dump5-route");
});

test("RTM_DELLINK: DELs for everything the proxy had, then PROXY_GONE; bindings dropped; ifindex no longer matched", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-dump5-route"));
  c.x.port_bind(9, 101);
  const before = c.x.mirror_count(2, 101) + c.x.mirror_count(4, 101) + c.x.mirror_count(8, 101);
  const r = c.feed(fx("x-t1-del"));
  const gone = r.findIndex((x) => x.type === "PROXY_GONE");
  assert.equal(r.slice(gone).map((x) => [x.type, x.port, x.proxy]), [["PROXY_GONE", 2, 101], ["PROXY_GONE", 9, 101]]);
  // The kernel deletes the IPv6 multipath route one sibling at a time (t0's first): t1's sibling
  // is reported with its one next hop left (REPLACE), then deleted in turn. Nothing else is added.
  const pre = r.slice(0, gone);
  assert.ok(pre.every((x, i) => x.proxy !== 101 || x.type.endsWith("_DEL") || x.type === "LINK_CHANGE" ||
    (x.type === "ROUTE6_ADD" && x.flags === F.REPLACE && x.nh_count === 1 &&
      pre.slice(i + 1).some((y) => y.type === "ROUTE6_DEL" && y.dst === x.dst && y.gw === x.gw))));
  // the IPv4 multipath route through t1 goes entirely, t0's next hop too (verified: kernel drops it silently)
  assert.ok(r.some((x) => x.type === "ROUTE_DEL" && x.dst === "10.10.0.0" && x.proxy === 100));
  assert.is(c.x.mirror_count(2, 101) + c.x.mirror_count(4, 101) + c.x.mirror_count(8, 101), 0);
  assert.ok(before > 0);
  assert.is(c.info(101).gone, 1);
  assert.is(c.x.proxy_of_port(2), -1);
  assert.is(c.x.proxy_of_port(9), -1);
  assert.is(c.x.ports_of_proxy(101, 0, 0), 0);
  assert.is(c.x.port_bind(2, 101), -22, "cannot bind to a gone proxy");
  // t1's ifindex reused by a new interface is not mistaken for the gone proxy
  const f = c.stats().filtered;
  c.feed(fx("dump-addr"));
  assert.ok(c.stats().filtered > f);
  assert.is(c.x.proxy_remove(101), 0);
  assert.is(c.x.is_proxy(101), 0);
  assert.is(c.x.proxy_add(101, T1), 0);
});

test("sync: mark and sweep deletes entries missing from the dump and adds missed ones, flagged RESYNC", () => {
  const c = setup();
  // miss the replace-to-foreign (a stale 203.0.113.0/24 via .2 remains) and the default route
  feedRange(c, stepNo("s01-up"), stepNo("x-neigh-change"), ["x-route-replace-foreign", "x-default.bin"]);
  c.x.sync_begin(2 | 4 | 8, F.RESYNC);
  const adds = [...c.feed(fx("x-dump2-route")), ...c.feed(fx("x-dump2-addr")), ...c.feed(fx("x-dump2-neigh"))];
  // (the dump also has the kernel's unannounced NOARP ff02::16 entries: not mirrored)
  assert.equal(adds.map((r) => [r.type, r.port, r.dst ?? r.ip, r.flags]), [["ROUTE_ADD", 1, "0.0.0.0", F.RESYNC]]);
  const dels = c.sweep();
  assert.equal(dels.map((r) => [r.type, r.dst, r.gw, r.flags]), [["ROUTE_DEL", "203.0.113.0", "198.51.100.2", F.RESYNC]]);
  const s = c.stats();
  assert.equal([s.sync_added, s.sync_removed, s.sync_changed], [1, 1, 0]);
  assert.is(c.status().sync, 0);
  assert.is(c.x.stage_marker(18, 0xffff, s.sync_added, s.sync_removed, s.sync_changed, 1), 1);
  assert.equal(K(c.staged(1)[0], ["type", "a", "b", "c", "d"]), { type: "RESYNC_DONE", a: 1, b: 1, c: 0, d: 1 });
});

test("sync with kind link: a proxy absent from the link dump is purged (PROXY_GONE)", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-dump5-route"));
  c.x.sync_begin(1, F.RESYNC);
  c.feed(fx("x-dump6-link")); // recorded after `ip link del t1`
  const r = c.sweep();
  assert.is(r[r.length - 1].type, "PROXY_GONE");
  assert.is(r[r.length - 1].flags, F.RESYNC);
  assert.is(c.info(101).gone, 1);
  assert.is(c.info(100).gone, 0);
});

test("replay: the full current state of a proxy for a late-bound port, flagged INITIAL", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-neigh-change"));
  assert.is(c.x.port_bind(5, 100), 0);
  const r = c.replay(100, 5);
  assert.ok(r.every((x) => x.port === 5 && x.proxy === 100 && (x.flags & F.INITIAL)));
  assert.equal(r.slice(0, 3).map((x) => x.type), ["LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE"]);
  const n = (t: string[]) => r.filter((x) => t.includes(x.type)).length;
  assert.is(n(["ADDR_ADD", "ADDR6_ADD"]), c.x.mirror_count(2, 100));
  assert.is(n(["ROUTE_ADD", "ROUTE6_ADD"]), c.x.mirror_count(4, 100));
  assert.is(n(["NEIGH_ADD", "NEIGH6_ADD"]), c.x.mirror_count(8, 100));
  assert.is(r.length, 3 + c.x.mirror_count(2, 100) + c.x.mirror_count(4, 100) + c.x.mirror_count(8, 100));
  // all proxies, every bound port
  const all = c.replay(-1, -1);
  const ports = new Set(all.map((x) => x.port));
  assert.equal([...ports].sort(), [1, 2, 5]);
  assert.is(all.filter((x) => x.port === 2).length, 3 + c.x.mirror_count(2, 101) + c.x.mirror_count(4, 101) + c.x.mirror_count(8, 101));
  // replay state equals the mirror: resyncing against it changes nothing
  assert.is(c.status().replay, 0);
  assert.is(c.x.replay_step(), 0);
});

test("proxy and binding API: errors and lookups", () => {
  const c = new Core();
  const x = c.x;
  assert.is(x.proxy_add(10, 5), 0);
  assert.is(x.proxy_add(10, 6), -17, "id already a proxy");
  assert.is(x.proxy_add(11, 5), -17, "ifindex already a proxy");
  assert.is(x.proxy_add(0xffff, 7), -22);
  assert.is(x.proxy_add(12, 0), -22);
  assert.is(x.port_bind(3, 10), 0);
  assert.is(x.proxy_add(3, 8), -17, "a bound port cannot become a proxy");
  assert.is(x.port_bind(4, 99), -22, "not a proxy");
  assert.is(x.port_bind(10, 10), -22, "a proxy cannot be a port");
  assert.is(x.port_bind(0xffff, 10), -22);
  assert.is(x.proxy_add(20, 9), 0);
  assert.is(x.port_bind(3, 20), 0, "rebinding allowed");
  assert.is(x.proxy_of_port(3), 20);
  assert.is(x.ports_of_proxy(10, 0, 0), 0);
  assert.is(x.ports_of_proxy(20, 0, 0), 1);
  assert.is(x.ports_of_proxy(99, 0, 0), -22);
  assert.is(x.ports_of_proxy(20, 0xfffffff0, 100), -22, "out pointer beyond memory");
  assert.is(x.port_unbind(3), 0);
  assert.is(x.port_unbind(3), -2);
  assert.is(x.proxy_of_port(3), -1);
  assert.is(x.is_proxy(10), 1);
  assert.is(x.is_proxy(3), 0);
  assert.is(x.is_proxy(0xfffffff), 0);
  assert.is(x.proxy_info_ptr(3), 0);
  assert.is(x.proxy_set_ifindex(10, 9), -17);
  assert.is(x.proxy_set_ifindex(10, 15), 0);
  assert.is(c.info(10).ifindex, 15);
  assert.is(x.proxy_remove(10), 0);
  assert.is(x.proxy_remove(10), -22);
  for (let i = 0; i < 255; i++) assert.is(x.proxy_add(1000 + i, 100 + i), 0);
  assert.is(x.proxy_add(2000, 9999), -28, "256 proxies max");
  assert.is(x.mirror_count(4, -1), 0);
  assert.is(x.mirror_count(3, 1000), 0);
});

test("proxy_remove drops the proxy's mirror entries without staging", () => {
  const c = setup();
  feedRange(c, stepNo("s01-up"), stepNo("x-neigh-change"));
  const n100 = c.x.mirror_count(4, 100), all = c.x.mirror_count(4, -1);
  assert.ok(n100 > 0);
  assert.is(c.x.proxy_remove(100), 0);
  assert.is(c.x.mirror_count(4, -1), all - n100);
  assert.is(c.x.proxy_of_port(1), -1);
  assert.equal(c.feed(fx("s06-route-add")), []);
});

test.run();
