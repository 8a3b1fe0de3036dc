// The upstream if_proxy_autotest, phase 1 (callbacks), against the real
// kernel: a tap proxy made by the library, one bound port, 16 ip steps, each
// must produce its events within 2 s, carrying the bound port's id. The
// link-down callback unregisters all callbacks from inside itself.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventType, type IfpxEvent } from "../../host/index.js";
import { withNetns } from "./helpers/netns.js";
import { Collector, ALL_TYPES } from "./helpers/collector.js";

const PORT = 7;
const M1 = "02:11:22:33:44:55";
const M2 = "02:66:77:88:99:aa";

test("upstream 16 steps with callbacks; link-down callback unregisters all", () => withNetns(async (ns) => {
  const ifpx = new Ifpx({ netns: ns.name });
  try {
    const proxy = ifpx.createProxy({ name: "prx0" });
    ifpx.bind(PORT, proxy);
    const c = new Collector();
    c.attach(ifpx);
    const t0 = Date.now();
    await ifpx.listen();
    assert.ok(Date.now() - t0 < 2000, "CFG_DONE within 2 s");
    await c.waitFor([{ type: "CFG_DONE" }], 10);
    const info = ifpx.info(PORT);
    assert.is(info.name, "prx0");
    const mtu = info.mtu;
    assert.is(mtu, 1500);
    ns.ip("link", "set", "dev", "prx0", "down");

    const step = async (args: string[], expect: Record<string, unknown>[]) => {
      const from = c.events.length;
      ns.ip(...args);
      const got = await c.waitFor(expect.map((e) => ({ portId: PORT, ...e }) as any), 2000, from);
      for (const e of got) assert.is(e.portId, PORT);
    };
    await step(["link", "set", "dev", "prx0", "up"], [{ type: "LINK_CHANGE", isUp: true }]);
    await step(["link", "set", "dev", "prx0", "address", M1], [{ type: "MAC_CHANGE", mac: M1 }]);
    await step(["link", "set", "dev", "prx0", "mtu", String(mtu + 100)], [{ type: "MTU_CHANGE", mtu: mtu + 100 }]);
    assert.is(ifpx.info(PORT).mtu, mtu + 100, "info follows the observed MTU");
    await step(["addr", "add", "198.51.100.14", "dev", "prx0"],
      [{ type: "ADDR_ADD", ip: "198.51.100.14", prefixLen: 32 }, { type: "ROUTE_ADD", ip: "198.51.100.14", depth: 32 }]);
    await step(["addr", "del", "198.51.100.14/32", "dev", "prx0"],
      [{ type: "ADDR_DEL", ip: "198.51.100.14" }, { type: "ROUTE_DEL", ip: "198.51.100.14", depth: 32 }]);
    await step(["route", "add", "198.51.100.0/24", "dev", "prx0"], [{ type: "ROUTE_ADD", ip: "198.51.100.0", depth: 24, gatewayNum: 0 }]);
    await step(["route", "del", "198.51.100.0/24", "dev", "prx0"], [{ type: "ROUTE_DEL", ip: "198.51.100.0", depth: 24 }]);
    await step(["neigh", "add", "198.51.100.14", "dev", "prx0", "lladdr", M2, "nud", "noarp"], [{ type: "NEIGH_ADD", ip: "198.51.100.14", mac: M2 }]);
    await step(["neigh", "del", "198.51.100.14", "dev", "prx0"], [{ type: "NEIGH_DEL", ip: "198.51.100.14" }]);
    await step(["addr", "add", "2001:db8::dead:beef", "dev", "prx0"],
      [{ type: "ADDR6_ADD", ip: "2001:db8::dead:beef", prefixLen: 128 }, { type: "ROUTE6_ADD", ip: "2001:db8::dead:beef", depth: 128 }]);
    await step(["addr", "del", "2001:db8::dead:beef/128", "dev", "prx0"],
      [{ type: "ADDR6_DEL", ip: "2001:db8::dead:beef" }, { type: "ROUTE6_DEL", ip: "2001:db8::dead:beef", depth: 128 }]);
    // the kernel masks the destination to its prefix: 2001:db8::dead:0/96 is 2001:db8::/96
    await step(["route", "add", "2001:db8::dead:0/96", "dev", "prx0"], [{ type: "ROUTE6_ADD", ip: "2001:db8::", depth: 96 }]);
    await step(["route", "del", "2001:db8::dead:0/96", "dev", "prx0"], [{ type: "ROUTE6_DEL", ip: "2001:db8::", depth: 96 }]);
    await step(["neigh", "add", "2001:db8::dead:beef", "dev", "prx0", "lladdr", M2, "nud", "noarp"], [{ type: "NEIGH6_ADD", ip: "2001:db8::dead:beef", mac: M2 }]);
    await step(["neigh", "del", "2001:db8::dead:beef", "dev", "prx0"], [{ type: "NEIGH6_DEL", ip: "2001:db8::dead:beef" }]);

    // step 16: the LINK_CHANGE(down) callback unregisters every callback from inside itself
    let unregistered = false;
    ifpx.registerCallbacks([{ type: EventType.LINK_CHANGE, callback: (e: IfpxEvent) => {
      c.push(e);
      if (e.type === "LINK_CHANGE" && !e.isUp) { ifpx.unregisterAllCallbacks(); unregistered = true; }
      return true;
    } }]);
    await step(["link", "set", "dev", "prx0", "down"], [{ type: "LINK_CHANGE", isUp: false }]);
    assert.ok(unregistered);
    const before = c.events.length;
    ns.ip("link", "set", "dev", "prx0", "up");
    await new Promise((r) => setTimeout(r, 200));
    assert.is(c.events.length, before, "no callback runs after unregister-all");
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
