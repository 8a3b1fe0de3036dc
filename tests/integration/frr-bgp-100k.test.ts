// FRR at scale: a BGP peer announces 100,000 prefixes; the l3fwd data
// plane's FIB, fed by ifpx's events, equals the kernel's routes after learning them and
// after the peer withdraws them all. Prints the time from the peer's first
// UPDATE on the wire (tcpdump in the peer's namespace) to the last prefix in
// the FIB, for both (the figures are reported, not asserted: bench/frr-bgp.ts
// measures them against the kernel).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { frrLabUnavailable, withBgpLab, hostAddr } from "./helpers/bgp-lab.js";
import { prefixOf, UpdateCapture } from "./helpers/bgp-peer.js";
import { routeLine } from "./helpers/route-views.js";

const N = 100_000;

const reason = frrLabUnavailable();
if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  test(`FRR: ${N} BGP prefixes learnt and withdrawn; FIB equals the kernel after each`, () =>
    withBgpLab({ prefixes: N }, async (lab) => {
      const base = await lab.plane.count();
      const want = Array.from({ length: N }, (_, i) => routeLine(prefixOf(i), lab.plane.proxies[0], hostAddr(1))).sort();

      let cap = await UpdateCapture.start(lab.peer, "eth0", hostAddr(1));
      try {
        lab.table.announce();
        const last = await lab.fibReaches(base + N, 120_000);
        const first = await cap.at;
        console.log(`  learn ${N}: peer's first UPDATE -> last prefix in the FIB ${(last - first).toFixed(0)} ms`);
        assert.ok(last > first, "the FIB changed after the first UPDATE");
      } finally { cap.stop(); }
      const learnt = await lab.settle(want, 60_000);
      assert.is(learnt.fib.length, learnt.kernel.length);

      cap = await UpdateCapture.start(lab.peer, "eth0", hostAddr(1));
      try {
        lab.table.withdrawAll();
        const last = await lab.fibReaches(base, 120_000);
        const first = await cap.at;
        console.log(`  withdraw ${N}: peer's first UPDATE -> last prefix gone from the FIB ${(last - first).toFixed(0)} ms`);
      } finally { cap.stop(); }
      const gone = await lab.settle([], 60_000);
      assert.is(gone.fib.filter((l) => l.startsWith("100.") || l.startsWith("101.")).length, 0, "no BGP route left");
    }));
}

test.run();
