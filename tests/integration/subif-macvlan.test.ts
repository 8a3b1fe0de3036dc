// Option subinterfaces on a kernel without 802.1Q (this machine, CI): a
// macvlan created on a proxy is NOT made a proxy (only VLANs are), and what
// Linux does to it stays filtered. (VLAN and QinQ on a real kernel:
// tests/vm/subif.test.ts; on kernel-encoded messages: tests/unit/subif.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/index.js";
import { withNetns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";

test("macvlan on a proxy with subinterfaces on: no SUBIF_ADD, its address, route and neighbour filtered", () => withNetns(async (ns) => {
  const errors: unknown[] = [];
  const offered: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e), subinterfaces: { port: (s) => { offered.push(s); return 50; } } });
  try {
    ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
    ns.ip("link", "set", "va", "up");
    ns.ip("link", "set", "vb", "up");
    const p = ifpx.adoptProxy("va");
    ifpx.bind(1, p);
    const c = new Collector();
    c.attach(ifpx);
    await ifpx.listen();
    const filtered0 = ifpx.stats().core.filtered;
    ns.ip("link", "add", "link", "va", "name", "mv0", "type", "macvlan", "mode", "bridge");
    ns.ip("link", "set", "mv0", "up");
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "mv0");
    ns.ip("route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "mv0");
    ns.ip("neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:22", "dev", "mv0");
    const mvIndex = Number(JSON.parse(ns.ip("-j", "link", "show", "mv0"))[0].ifindex);
    // a change on the proxy itself afterwards: once it arrived, every message before it was handled
    ns.ip("addr", "add", "203.0.113.1/24", "dev", "va");
    await c.waitFor([{ type: "ADDR_ADD", portId: 1, ip: "203.0.113.1" }], 3000);
    await sleep(100);
    assert.equal(c.events.filter((e) => e.ifindex === mvIndex), [], "nothing about the macvlan");
    assert.equal(c.events.filter((e) => e.type === "SUBIF_ADD"), []);
    assert.equal(offered, []);
    assert.is(ifpx.proxyOf(50), undefined);
    assert.equal(ifpx.addresses().map((a) => (a as { ip: string }).ip).filter((ip) => ip === "192.0.2.1"), [], "not mirrored");
    assert.ok(ifpx.stats().core.filtered >= filtered0 + 4, "its link, address, route and neighbour messages were filtered");
    assert.equal(errors, []);
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
