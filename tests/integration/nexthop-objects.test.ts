// Routes that use nexthop objects (`ip nexthop`, as FRR installs them), on a
// real kernel: the kernel announces them with their next hops spelled out
// (nexthop_compat_mode=1, the default), re-announces them when a nexthop is
// replaced, but changes or deletes them SILENTLY when a nexthop they use, or a
// member of their group, is deleted. ifpx watches RTNLGRP_NEXTHOP and dumps
// again then: the application's view (built from events) and the mirror end
// up equal to the kernel's table.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventFlag, type IfpxEvent } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";
import { twoProxies } from "./helpers/proxies.js";

/** "prefix gateway" of each next hop the kernel has for 203.0.11x.0/24 routes via prxa/prxb */
function kernelView(ns: Netns): string[] {
  const out: string[] = [];
  let prefix = "";
  for (const line of ns.ip("-4", "route", "show").split("\n")) {
    const m = /^(203\.0\.11\d\.0\/24)/.exec(line);
    if (m) prefix = m[1]; else if (!/^\s/.test(line)) prefix = "";
    const via = /via (\S+) dev (prx[ab])/.exec(line);
    if (prefix && via) out.push(`${prefix} ${via[1]}`);
  }
  return out.sort();
}

/** the same, built from the events an application received (adds and dels in order) */
function eventView(events: IfpxEvent[]): string[] {
  const s = new Set<string>();
  for (const e of events as any[]) {
    if (e.type !== "ROUTE_ADD" && e.type !== "ROUTE_DEL") continue;
    if (!/^203\.0\.11\d\.0$/.test(e.ip)) continue;
    const k = `${e.ip}/${e.depth} ${e.gateway}`;
    if (e.type === "ROUTE_ADD") s.add(k); else s.delete(k);
  }
  return [...s].sort();
}

function mirrorView(ifpx: Ifpx): string[] {
  return (ifpx.routes() as any[]).filter((r) => /^203\.0\.11\d\.0$/.test(r.ip)).map((r) => `${r.ip}/${r.depth} ${r.gateway}`).sort();
}

test("nexthop objects: silent route changes after nexthop deletions are resynchronised; replacements are not", () => withNetns(async (ns) => {
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
  const c = new Collector();
  try {
    // The test counts address messages (a nexthop resync must not dump addresses): no IPv6 on the
    // proxies, so no link-local address finishes DAD and is announced in the middle of the count.
    for (const k of ["all", "default"]) ns.exec("sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`);
    twoProxies(ns, ifpx, { a: ["198.51.100.2/24"], b: ["198.51.101.2/24"] });
    c.attach(ifpx);
    await ifpx.listen();
    const settle = async (want: string[]) => {
      for (let i = 0; i < 100 && (eventView(c.events).join() !== want.join() || ifpx.stats().syncing); i++) await sleep(20);
      assert.equal(kernelView(ns), want, "kernel");
      assert.equal(eventView(c.events), want, "view built from events");
      assert.equal(mirrorView(ifpx), want, "mirror");
    };

    ns.ip("nexthop", "add", "id", "1", "via", "198.51.100.1", "dev", "prxa");
    ns.ip("nexthop", "add", "id", "2", "via", "198.51.101.1", "dev", "prxb");
    ns.ip("nexthop", "add", "id", "10", "group", "1/2");
    ns.ip("route", "add", "203.0.113.0/24", "nhid", "10");
    ns.ip("route", "add", "203.0.114.0/24", "nhid", "2");
    await settle(["203.0.113.0/24 198.51.100.1", "203.0.113.0/24 198.51.101.1", "203.0.114.0/24 198.51.101.1"]);
    const mp = c.find({ type: "ROUTE_ADD", ip: "203.0.113.0", portId: 2 }) as any;
    assert.is(mp.nhCount, 2);
    assert.ok(mp.flags & EventFlag.MULTIPATH);

    // a replacement is announced by the kernel itself: no resync
    let r0 = ifpx.stats().nexthopResyncs;
    ns.ip("nexthop", "replace", "id", "1", "via", "198.51.100.7", "dev", "prxa");
    await settle(["203.0.113.0/24 198.51.100.7", "203.0.113.0/24 198.51.101.1", "203.0.114.0/24 198.51.101.1"]);
    assert.is(ifpx.stats().nexthopResyncs, r0, "no resync for a replace");

    // deleting nexthop 2: 203.0.114.0/24 (uses it) is deleted and group 10 shrinks, silently
    const from = c.events.length;
    const before = ifpx.stats().core;
    ns.ip("nexthop", "del", "id", "2");
    await settle(["203.0.113.0/24 198.51.100.7"]);
    assert.ok(ifpx.stats().nexthopResyncs > r0, "resynchronised");
    // only the routes were dumped again: no link or address message since
    const after = ifpx.stats().core;
    assert.is(after.link, before.link, "no link dump");
    assert.is(after.addr, before.addr, "no address dump");
    assert.ok(after.route > before.route, "a route dump");
    const left = c.find({ type: "ROUTE_ADD", ip: "203.0.113.0", portId: 1, gateway: "198.51.100.7" }, from) as any;
    assert.is(left.nhCount, 1);
    assert.ok(left.flags & EventFlag.RESYNC);
    assert.ok(c.find({ type: "ROUTE_DEL", ip: "203.0.114.0", portId: 2 }, from));

    // nexthops no route uses: no resync
    r0 = ifpx.stats().nexthopResyncs;
    ns.ip("nexthop", "add", "id", "20", "via", "198.51.101.20", "dev", "prxb");
    ns.ip("nexthop", "del", "id", "20");
    await sleep(100);
    assert.is(ifpx.stats().nexthopResyncs, r0, "unrelated nexthops");
    assert.ok(ifpx.stats().core.nexthop_messages >= 6);
    assert.is(ifpx.stats().core.nexthop_routes_unmirrored, 0);
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
