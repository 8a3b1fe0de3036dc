// examples/l3fwd with port -> proxy sync (ifpx's default in DPDK mode): each
// proxy has its data port's MAC, and a data port's link going down takes the
// carrier off its proxy: Linux flags the routes through it linkdown, ifpx
// reports LINK_CHANGE carrier off (the data plane stops forwarding to that
// port); link up again, traffic flows. The link is toggled with l3fwd's
// `link PORT down|up` (af_packet in DPDK 22.11 cannot set its link: the
// example takes the interface down, see examples/l3fwd/l3fwd.ts).
// Not run (and says why) without root, DPDK, ping or ethtool.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { prepareL3fwd, linuxForwarded } from "../../examples/l3fwd/driver.js";
import { l3fwdBed, ping, pingUntil, waitStats, type L3fwdBed } from "./helpers/l3fwd.js";
import type { Netns } from "./helpers/netns.js";

const reason = prepareL3fwd();
if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  let bed: L3fwdBed;
  const link = (ns: Netns, dev: string): { flags: string[]; address: string } => JSON.parse(ns.ip("-j", "link", "show", "dev", dev))[0];

  async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test.before(async () => { bed = await l3fwdBed(2); });
  test.after(async () => { await bed?.remove(); });

  test("each proxy has its data port's MAC; the data plane forwards with it, Linux routes nothing twice", async () => {
    for (const i of [0, 1]) assert.is(link(bed.router, `dp${i}`).address, link(bed.router, `v${i}`).address, `dp${i} has v${i}'s MAC`);
    const s = await bed.dp.stats();
    for (const i of [0, 1]) assert.is(s.ports[i].mac, link(bed.router, `v${i}`).address);
    const r = await pingUntil(bed.hosts[0], "10.0.2.2");
    assert.ok(r.ok, r.out);
    const linux0 = linuxForwarded(bed.router.name);
    const p = ping(bed.hosts[0], "10.0.2.2", "-c", "20", "-i", "0.01", "-q", "-W", "1");
    assert.ok(p.ok && /20 packets transmitted, 20 received/.test(p.out) && !/duplicates/.test(p.out), p.out);
    assert.ok(linuxForwarded(bed.router.name).v4 - linux0.v4 <= 2, "Linux did not forward the frames the data plane forwarded");
  });

  test("port 1 link down: dp1 loses carrier (admin up), its routes are linkdown, ifpx reports it; link up: traffic flows", async () => {
    const port = bed.ports[1];
    await bed.dp.command(`link ${port} down`, "OK");
    await until("dp1 without carrier", () => !link(bed.router, "dp1").flags.includes("LOWER_UP"));
    assert.ok(link(bed.router, "dp1").flags.includes("UP"), "dp1 stays administratively up");
    assert.match(bed.router.ip("route", "show", "dev", "dp1"), /10\.0\.2\.0\/24 .*linkdown/);
    await waitStats(bed.dp, "LINK_CHANGE carrier off reached the data plane", (s) => s.ports[1].carrier === false && s.ports[1].up);
    assert.not.ok(ping(bed.hosts[0], "10.0.2.2", "-c", "1", "-W", "1").ok, "no way to h2 while its link is down");

    await bed.dp.command(`link ${port} up`, "OK");
    await until("dp1 with carrier", () => link(bed.router, "dp1").flags.includes("LOWER_UP"));
    assert.not.match(bed.router.ip("route", "show", "dev", "dp1"), /linkdown/);
    await waitStats(bed.dp, "LINK_CHANGE carrier on reached the data plane", (s) => s.ports[1].carrier === true);
    const r = await pingUntil(bed.hosts[0], "10.0.2.2");
    assert.ok(r.ok, r.out);
    const bad = await bed.dp.command("link 9999 down", "OK").then(() => "", (e) => String(e));
    assert.match(bad, /ERROR link/);
  });

  test.run();
}
