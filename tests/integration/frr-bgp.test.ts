// FRR as the router's control plane: a BGP peer announces 1,000 prefixes to
// the router's bgpd, zebra installs them on a proxy with nexthop objects, and
// the l3fwd data plane's FIB (fed by ifpx's events only) follows the kernel through
// a withdrawal, a next-hop change by route-map, ECMP over two proxies and the
// shutdown of both sessions. After each step the FIB equals the kernel's
// routes through the proxies (helpers/bgp-lab.ts, settle), and pings from the
// host show which links the fast path used.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { frrLabUnavailable, withBgpLab, hostAddr, routerAddr, PEER_AS, ROUTER_AS, type BgpLab } from "./helpers/bgp-lab.js";
import { addressIn, prefixOf } from "./helpers/bgp-peer.js";
import { routeLine } from "./helpers/route-views.js";
import { linuxForwarded } from "../../examples/l3fwd/driver.js";

const N = 1000;

/** the kernel lines of prefixes [from, to) via the given links (1: 10.0.1.2, 3: 10.0.3.2) */
function expected(lab: BgpLab, links: number[], from = 0, to = N): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) for (const n of links) out.push(routeLine(prefixOf(i), lab.plane.proxies[n - 1], hostAddr(n)));
  return out.sort();
}

const reason = frrLabUnavailable();
if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  test(`FRR: ${N} BGP prefixes learnt, withdrawn, moved by route-map, ECMP over two proxies, sessions shut; FIB equals the kernel after each step`, () =>
    withBgpLab({ answer: [...Array.from({ length: 32 }, (_, i) => i), N / 2] }, async (lab) => {
      const { peerFrr, routerFrr, table } = lab;
      let t = Date.now();
      let p: Awaited<ReturnType<BgpLab["ping"]>>;
      const step = (name: string) => { console.log(`  ${name}: ${Date.now() - t} ms`); t = Date.now(); };
      step("lab up, session 1 established");
      await table.add(N);

      // 1. learn
      table.announce();
      let s = await lab.settle(expected(lab, [1]));
      assert.is(routerFrr.peerCounts(hostAddr(1)).received, N, "bgpd received every prefix");
      assert.match(lab.router.ip("route", "show", prefixOf(7)), /nhid \d+ via 10\.0\.1\.2 dev \S+ proto bgp/, "zebra uses nexthop objects");
      assert.ok(s.fib.includes(routeLine("10.0.2.0/24", lab.plane.proxies[1])), "connected routes are in the FIB too");
      // the first packets resolve the neighbours through Linux (punted: no_neigh); then the fast path
      p = await lab.ping("100.0.0.1", 2);
      assert.is(p.replies, 2, `first ping: ${p.report}`);
      const linux = linuxForwarded(lab.router.name).v4;
      p = await lab.ping("100.0.0.1", 20);
      assert.is(p.replies, 20, `ping to an address behind the peer: ${p.report}`);
      assert.ok(p.fastPath[0] >= 20 && p.fastPath[1] >= 20, `requests out of link 1, replies out of link 2 by the fast path: ${p.report}`);
      assert.ok(linuxForwarded(lab.router.name).v4 - linux < 5, "Linux forwarded (almost) none of them");

      step("learnt");
      // 2. the peer withdraws half of them: forwarding to those stops
      await table.del(N / 2);
      await lab.settle(expected(lab, [1], N / 2));
      p = await lab.ping("100.0.0.1", 2);
      assert.is(p.replies, 0, `withdrawn prefix: no reply: ${p.report}`);
      p = await lab.ping(addressIn(N / 2), 2);
      assert.is(p.replies, 2, `a prefix still announced: ${p.report}`);
      await table.add(N / 2);
      await lab.settle(expected(lab, [1]));

      step("withdrawn and announced again");
      // 3. next-hop change: the peer sets its second link's address as next hop
      peerFrr.configure("route-map NH permit 10", "set ip next-hop 10.0.3.2", "exit",
        `router bgp ${PEER_AS}`, "address-family ipv4 unicast", `neighbor ${routerAddr(1)} route-map NH out`);
      peerFrr.vtysh(`clear bgp ipv4 unicast ${routerAddr(1)} soft out`);
      await lab.settle(expected(lab, [3]));
      p = await lab.ping("100.0.0.1", 1);  // 10.0.3.2 resolved, if the router's bgpd did not already
      assert.is(p.replies, 1, `first ping via the new next hop: ${p.report}`);
      p = await lab.ping("100.0.0.1", 5);
      assert.is(p.replies, 5, `ping follows the new next hop: ${p.report}`);
      assert.ok(p.fastPath[2] >= 5 && p.fastPath[0] === 0, `fast path now out of link 3, not link 1: ${p.report}`);
      peerFrr.configure(`router bgp ${PEER_AS}`, "address-family ipv4 unicast", `no neighbor ${routerAddr(1)} route-map NH out`);
      peerFrr.vtysh(`clear bgp ipv4 unicast ${routerAddr(1)} soft out`);
      await lab.settle(expected(lab, [1]));

      step("next hop moved and back");
      // 4. ECMP: a second session over the second link, maximum-paths 2 on the router
      peerFrr.configure(`router bgp ${PEER_AS}`, `no neighbor ${routerAddr(3)} shutdown`);
      await routerFrr.waitSession(hostAddr(3));
      s = await lab.settle(expected(lab, [1, 3]));
      assert.match(lab.router.ip("route", "show", prefixOf(7)), /nexthop via 10\.0\.1\.2[\s\S]*nexthop via 10\.0\.3\.2/, "multipath route");
      // one flow per destination: the data plane hashes addresses, protocol and ports (examples/l3fwd/forward.c)
      const spread = [0, 0, 0];
      for (let i = 0; i < 32; i++) {
        p = await lab.ping(addressIn(i), 1);
        assert.is(p.replies, 1, `flow ${i}: ${p.report}`);
        p.fastPath.forEach((v, k) => { spread[k] += v; });
      }
      console.log(`  ECMP: 32 flows (one echo each): fast path out of link 1 ${spread[0]}, out of link 3 ${spread[2]}`);
      assert.ok(spread[0] > 0 && spread[2] > 0 && spread[0] + spread[2] >= 32, `flows spread over both links: ${spread}`);

      step("ECMP");
      // 5. sessions shut down, one after the other
      routerFrr.configure(`router bgp ${ROUTER_AS}`, `neighbor ${hostAddr(1)} shutdown`);
      await lab.settle(expected(lab, [3]));
      p = await lab.ping("100.0.0.1", 2);
      assert.is(p.replies, 2, `still reachable over the second session's path: ${p.report}`);
      routerFrr.configure(`router bgp ${ROUTER_AS}`, `neighbor ${hostAddr(3)} shutdown`);
      s = await lab.settle([]);
      assert.is(s.fib.filter((l) => l.startsWith("100.")).length, 0, "no BGP route left in the FIB");
      p = await lab.ping("100.0.0.1", 2);
      assert.is(p.replies, 0, `no route: no reply: ${p.report}`);
      assert.is(routerFrr.bgpState(hostAddr(1)), "Idle", "session 1 down");
      step("sessions shut down");
    }));
}

test.run();
