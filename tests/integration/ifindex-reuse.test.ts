// A proxy whose interface is deleted is gone for good: when the kernel later
// gives the same ifindex to another interface, nothing about that interface
// reaches the ports that were bound to the deleted proxy.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/index.js";
import { withNetns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";

test("proxy deleted, ifindex reused by a new interface: no event leaks to the old port", () => withNetns(async (ns) => {
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
  try {
    ns.ip("link", "add", "va", "index", "50", "type", "veth", "peer", "name", "vb");
    const p = ifpx.adoptProxy("va");
    assert.is(ifpx.info(p).ifindex, 50);
    ifpx.bind(1, p);
    const c = new Collector();
    c.attach(ifpx);
    await ifpx.listen();
    ns.ip("link", "del", "va");
    await c.waitFor([{ type: "PROXY_GONE", portId: 1 }]);
    ns.ip("link", "add", "vc", "index", "50", "type", "veth", "peer", "name", "vd");
    ns.ip("link", "set", "vc", "up");
    ns.ip("addr", "add", "198.51.100.14/24", "dev", "vc");
    const from = c.events.length;
    await sleep(300);
    assert.equal(c.events.slice(from).map((e) => e.type), [], "nothing for the reused ifindex");
    assert.is(ifpx.proxyOf(1), undefined);
    // the stale proxy id can be destroyed, and the new interface adopted as a new proxy
    ifpx.destroyProxy(p);
    const q = ifpx.adoptProxy("vc");
    ifpx.bind(1, q);
    const [add, done] = await c.waitFor([{ type: "ADDR_ADD", portId: 1, ip: "198.51.100.14" }, { type: "PORT_DONE", portId: 1 }], 3000, from);
    assert.ok(c.events.indexOf(add) < c.events.indexOf(done), "PORT_DONE after the adopted interface's state");
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
