// The mirror answers "what does this proxy have now" from WASM memory: the
// same answer as the kernel, for addresses, routes (all tables) and neighbours.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventFlag } from "../../host/index.js";
import { withNetns } from "./helpers/netns.js";
import { sleep } from "./helpers/collector.js";

test("addresses, routes and neighbours of a proxy, queried from the mirror", () => withNetns(async (ns) => {
  const ifpx = new Ifpx({ netns: ns.name, reserve: { routes4: 10000, addresses: 100 } });
  try {
    const a = ifpx.createProxy({ name: "prxa" });
    const b = ifpx.createProxy({ name: "prxb" });
    await ifpx.listen();
    ns.ip("link", "set", "prxa", "up");
    ns.ip("link", "set", "prxb", "up");
    ns.ip("addr", "add", "198.51.100.14/24", "dev", "prxa");
    ns.ip("addr", "add", "198.51.101.14/24", "dev", "prxb");
    ns.ip("route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "prxa", "table", "100");
    ns.ip("neigh", "add", "198.51.100.1", "dev", "prxa", "lladdr", "02:00:00:00:00:01", "nud", "permanent");
    await sleep(300);
    const addrs = ifpx.addresses(a).filter((e) => e.family === 2).map((e: any) => `${e.ip}/${e.prefixLen}`);
    assert.equal(addrs, ["198.51.100.14/24"]);
    const v4 = ifpx.routes(a).filter((e) => e.type === "ROUTE_ADD") as any[];
    const kernel = ns.ip("-4", "route", "show", "table", "all", "dev", "prxa").trim().split("\n");
    assert.is(v4.length, kernel.length, `as many IPv4 routes as the kernel lists:\n${kernel.join("\n")}`);
    const t100 = v4.find((e) => e.table === 100)!;
    assert.is(t100.ip, "203.0.113.0");
    assert.is(t100.gateway, "198.51.100.1");
    assert.ok(v4.some((e) => e.flags & EventFlag.LOCAL && e.ip === "198.51.100.14"));
    const n = ifpx.neighbours(a) as any[];
    assert.equal(n.map((e) => [e.ip, e.mac]), [["198.51.100.1", "02:00:00:00:00:01"]]);
    assert.is(ifpx.addresses(b).filter((e) => e.family === 2).length, 1);
    assert.is(ifpx.addresses().filter((e) => e.family === 2).length, 2, "all proxies");
    let count = 0;
    assert.is(ifpx.forEachEntry("route", a, (dv, off) => { if (dv.getUint16(off, true) === 7) count++; }), ifpx.routes(a).length);
    assert.is(count, v4.length);
    try { ifpx.routes(1234); assert.unreachable(); } catch (e: any) { assert.is(e.code, "EINVAL"); }
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
