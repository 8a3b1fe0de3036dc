// FRR as the router's control plane: a BGP peer announces 1,000 prefixes to
// the router's bgpd, zebra installs them on a proxy with nexthop objects, and
// the router's FIB (built from ifpx's events only) follows the kernel through
// a withdrawal, a next-hop change by route-map, ECMP over two proxies and the
// shutdown of both sessions. After each step the FIB equals the kernel's
// routes through the proxies, line for line (helpers/bgp-lab.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { withBgpLab, hostAddr, routerAddr, PEER_AS, ROUTER_AS, type BgpLab } from "./helpers/bgp-lab.js";
import { addressIn, prefixOf } from "./helpers/bgp-peer.js";
import { routeLine } from "./helpers/route-views.js";

const N = 1000;

/** the kernel lines of prefixes [from, to) via the given links (1: 10.0.1.2, 3: 10.0.3.2) */
function expected(lab: BgpLab, links: number[], from = 0, to = N): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) for (const n of links) out.push(routeLine(prefixOf(i), lab.plane.proxies[n - 1], hostAddr(n)));
  return out.sort();
}

/** fast-path packets out of each link since `before` (undefined when the plane has no fast path) */
async function forwardedSince(lab: BgpLab, before: number[] | undefined): Promise<number[] | undefined> {
  const now = await lab.plane.forwardedOut();
  return now && before ? now.map((v, i) => v - before[i]) : undefined;
}

test(`FRR: ${N} BGP prefixes learnt, withdrawn, moved by route-map, ECMP over two proxies, sessions shut; FIB equals the kernel after each step`, () =>
  withBgpLab({ answer: [...Array.from({ length: 32 }, (_, i) => i), N / 2] }, async (lab) => {
    const { peerFrr, routerFrr, table } = lab;
    table.add(N);

    // 1. learn
    table.announce();
    let s = await lab.settle(expected(lab, [1]));
    assert.is(routerFrr.peerCounts(hostAddr(1)).received, N, "bgpd received every prefix");
    assert.match(lab.router.ip("route", "show", prefixOf(7)), /nhid \d+ via 10\.0\.1\.2 dev \S+ proto bgp/, "zebra uses nexthop objects");
    assert.ok(s.fib.includes(routeLine("10.0.2.0/24", lab.plane.proxies[1])), "connected routes are in the FIB too");
    let before = await lab.plane.forwardedOut();
    assert.is(lab.ping("100.0.0.1", 5), 5, "ping to an address behind the peer");
    const fwd = await forwardedSince(lab, before);
    if (fwd) assert.ok(fwd[0] >= 5, `fast path out of link 1: ${fwd}`);

    // 2. the peer withdraws half of them: forwarding to those stops
    table.del(N / 2);
    await lab.settle(expected(lab, [1], N / 2));
    assert.is(lab.ping("100.0.0.1", 2), 0, "withdrawn prefix: no reply");
    assert.is(lab.ping(addressIn(N / 2), 2), 2, "a prefix still announced");
    table.add(N / 2);
    await lab.settle(expected(lab, [1]));

    // 3. next-hop change: the peer sets its second link's address as next hop
    peerFrr.configure("route-map NH permit 10", "set ip next-hop 10.0.3.2", "exit",
      `router bgp ${PEER_AS}`, "address-family ipv4 unicast", `neighbor ${routerAddr(1)} route-map NH out`);
    peerFrr.vtysh(`clear bgp ipv4 unicast ${routerAddr(1)} soft out`);
    await lab.settle(expected(lab, [3]));
    before = await lab.plane.forwardedOut();
    assert.is(lab.ping("100.0.0.1", 5), 5, "ping follows the new next hop");
    const moved = await forwardedSince(lab, before);
    if (moved) assert.ok(moved[2] >= 5 && moved[0] === 0, `fast path now out of link 3 only: ${moved}`);
    peerFrr.configure(`router bgp ${PEER_AS}`, "address-family ipv4 unicast", `no neighbor ${routerAddr(1)} route-map NH out`);
    peerFrr.vtysh(`clear bgp ipv4 unicast ${routerAddr(1)} soft out`);
    await lab.settle(expected(lab, [1]));

    // 4. ECMP: a second session over the second link, maximum-paths 2 on the router
    peerFrr.configure(`router bgp ${PEER_AS}`, `no neighbor ${routerAddr(3)} shutdown`);
    await routerFrr.waitSession(hostAddr(3));
    s = await lab.settle(expected(lab, [1, 3]));
    assert.match(lab.router.ip("route", "show", prefixOf(7)), /nexthop via 10\.0\.1\.2[\s\S]*nexthop via 10\.0\.3\.2/, "multipath route");
    before = await lab.plane.forwardedOut();
    let replies = 0;
    for (let i = 0; i < 32; i++) replies += lab.ping(addressIn(i), 1);
    assert.is(replies, 32, "every flow is answered");
    const spread = await forwardedSince(lab, before);
    if (spread) assert.ok(spread[0] > 0 && spread[2] > 0, `flows spread over both links: ${spread}`);

    // 5. sessions shut down, one after the other
    routerFrr.configure(`router bgp ${ROUTER_AS}`, `neighbor ${hostAddr(1)} shutdown`);
    await lab.settle(expected(lab, [3]));
    assert.is(lab.ping("100.0.0.1", 2), 2, "still reachable over the second session's path");
    routerFrr.configure(`router bgp ${ROUTER_AS}`, `neighbor ${hostAddr(3)} shutdown`);
    s = await lab.settle([]);
    assert.is(s.fib.filter((l) => l.startsWith("100.")).length, 0, "no BGP route left in the FIB");
    assert.is(lab.ping("100.0.0.1", 2), 0, "no route: no reply");
    assert.is(routerFrr.bgpState(hostAddr(1)), "Idle", "session 1 down");
  }));

test.run();
