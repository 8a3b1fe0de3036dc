// The upstream if_proxy_autotest in DPDK mode: EAL single-process (defaults,
// no hugepages), a net_null data-plane port and a net_tap proxy, both real
// DPDK port ids; the proxy is made by ifpx.createProxy() inside a test
// namespace (host/ifpx.ts enters the namespace around the net_tap probe).
// Phase 2 (queue) delivers through an rte_ring and no callbacks: CFG_DONE and
// every step's events are dequeued from the ring. Phase 1 (callbacks) then
// runs the same 16 steps with the same proxy and the ring still added: the
// callbacks consume everything until the link-down callback unregisters all.
// Root only. Not run (and says why) without DPDK or root.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { Ifpx, EventType, decodeEvent, type IfpxEvent } from "../../host/index.js";
import { dpdkAvailable, Eal, DpdkPorts, RteRingQueue, createDpdkPortBackend, EVENT_SIZE } from "../../host/dpdk/index.js";
import { createNetns, type Netns } from "./helpers/netns.js";
import { Collector, ALL_TYPES, type Match } from "./helpers/collector.js";

const avail = dpdkAvailable();
const reason = !avail.ok ? avail.reason : process.getuid?.() !== 0 ? "needs root (namespaces, net_tap)" : undefined;

const M1 = "02:11:22:33:44:55";
const M2 = "02:66:77:88:99:aa";
const PORT_NONE = 0xffff;

/** The 16 upstream steps on interface `dev`: ip arguments and the events each must produce. */
function upstreamSteps(dev: string, mtu: number): [string[], Match[]][] {
  return [
    [["link", "set", "dev", dev, "up"], [{ type: "LINK_CHANGE", isUp: true }]],
    [["link", "set", "dev", dev, "address", M1], [{ type: "MAC_CHANGE", mac: M1 }]],
    [["link", "set", "dev", dev, "mtu", String(mtu + 100)], [{ type: "MTU_CHANGE", mtu: mtu + 100 }]],
    [["addr", "add", "198.51.100.14", "dev", dev],
      [{ type: "ADDR_ADD", ip: "198.51.100.14", prefixLen: 32 }, { type: "ROUTE_ADD", ip: "198.51.100.14", depth: 32 }]],
    [["addr", "del", "198.51.100.14/32", "dev", dev],
      [{ type: "ADDR_DEL", ip: "198.51.100.14" }, { type: "ROUTE_DEL", ip: "198.51.100.14", depth: 32 }]],
    [["route", "add", "198.51.100.0/24", "dev", dev], [{ type: "ROUTE_ADD", ip: "198.51.100.0", depth: 24, gatewayNum: 0 }]],
    [["route", "del", "198.51.100.0/24", "dev", dev], [{ type: "ROUTE_DEL", ip: "198.51.100.0", depth: 24 }]],
    [["neigh", "add", "198.51.100.14", "dev", dev, "lladdr", M2, "nud", "noarp"], [{ type: "NEIGH_ADD", ip: "198.51.100.14", mac: M2 }]],
    [["neigh", "del", "198.51.100.14", "dev", dev], [{ type: "NEIGH_DEL", ip: "198.51.100.14" }]],
    [["addr", "add", "2001:db8::dead:beef", "dev", dev],
      [{ type: "ADDR6_ADD", ip: "2001:db8::dead:beef", prefixLen: 128 }, { type: "ROUTE6_ADD", ip: "2001:db8::dead:beef", depth: 128 }]],
    [["addr", "del", "2001:db8::dead:beef/128", "dev", dev],
      [{ type: "ADDR6_DEL", ip: "2001:db8::dead:beef" }, { type: "ROUTE6_DEL", ip: "2001:db8::dead:beef", depth: 128 }]],
    // the kernel masks the destination to its prefix: 2001:db8::dead:0/96 is 2001:db8::/96
    [["route", "add", "2001:db8::dead:0/96", "dev", dev], [{ type: "ROUTE6_ADD", ip: "2001:db8::", depth: 96 }]],
    [["route", "del", "2001:db8::dead:0/96", "dev", dev], [{ type: "ROUTE6_DEL", ip: "2001:db8::", depth: 96 }]],
    [["neigh", "add", "2001:db8::dead:beef", "dev", dev, "lladdr", M2, "nud", "noarp"], [{ type: "NEIGH6_ADD", ip: "2001:db8::dead:beef", mac: M2 }]],
    [["neigh", "del", "2001:db8::dead:beef", "dev", dev], [{ type: "NEIGH6_DEL", ip: "2001:db8::dead:beef" }]],
    [["link", "set", "dev", dev, "down"], [{ type: "LINK_CHANGE", isUp: false }]],
  ];
}

/** Events dequeued from an rte_ring (as a C data plane would), decoded for matching. */
class RingCollector extends Collector {
  private readonly buf = new Uint8Array(64 * EVENT_SIZE);
  private readonly dv = new DataView(this.buf.buffer);
  private timer: ReturnType<typeof setInterval> | undefined;
  constructor(readonly ring: RteRingQueue) { super(); }
  /** dequeue what is there now */
  drain(): number {
    let total = 0;
    for (let k; (k = this.ring.dequeueInto(this.buf, 64)) > 0; total += k) {
      for (let i = 0; i < k; i++) this.push(decodeEvent(this.dv, i * EVENT_SIZE));
    }
    return total;
  }
  /** poll the ring every ms while waiting (the consumer side of a data plane) */
  start(): void { this.timer ??= setInterval(() => this.drain(), 1); }
  stop(): void { if (this.timer) clearInterval(this.timer); this.timer = undefined; this.drain(); }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const show = (e: IfpxEvent) => JSON.stringify(e, (_k, v) => (v instanceof Uint8Array ? undefined : v));

if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  // children spawned after EAL init inherit its fds (a net_tap fd keeps the
  // tap alive in the child): only short-lived `ip` commands run below.
  const hostIp = (...a: string[]) => execFileSync("ip", a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const NAME = `dpu${process.pid % 100000}`; // unique also in the host namespace
  let ns: Netns;
  let ifpx: Ifpx;
  let nullPort: number;
  let proxy: number;
  let ring: RteRingQueue;
  let rc: RingCollector;
  let origMac = "";
  let origMtu = 0;
  const errors: unknown[] = [];

  test.before(() => {
    Eal.init({ logLevel: ["lib.eal:warning", "pmd.net.tap:error"] }); // single mode, the defaults (idempotent)
    ns = createNetns();
    nullPort = DpdkPorts.createNullPort();
    // upstream had no port -> proxy sync: the autotest expects the tap's own MAC and carrier
    // (port-sync-dpdk.test.ts covers the sync)
    ifpx = new Ifpx({ netns: ns.name, ports: createDpdkPortBackend(), portSync: false, onError: (e) => errors.push(e) });
    ring = RteRingQueue.create(`ifpxup${process.pid}`, 64);
    rc = new RingCollector(ring);
  });

  test.after(async () => {
    rc?.stop();
    try { await ifpx?.dispose(); } catch (e) { console.error(e); }
    ring?.close();
    if (nullPort !== undefined && DpdkPorts.isValid(nullPort)) DpdkPorts.destroy(nullPort);
    ns?.remove();
  });

  test("createProxy in DPDK mode: a net_tap port (real DPDK id) whose interface is inside the namespace", () => {
    assert.ok(DpdkPorts.isValid(nullPort));
    assert.is(DpdkPorts.info(nullPort).ifindex, 0, "net_null: no kernel interface");
    proxy = ifpx.createProxy({ name: NAME });
    assert.ok(DpdkPorts.isValid(proxy), "the proxy id is a DPDK port id");
    assert.is.not(proxy, nullPort);
    assert.ok(proxy < 0x8000, "DPDK ids, not plain-mode proxy ids");
    assert.ok(ifpx.isProxy(proxy));
    assert.not.ok(ifpx.isProxy(nullPort));
    const di = DpdkPorts.info(proxy);
    assert.match(di.devName, /^net_tap\d+$/);
    assert.is(di.name, NAME, "the tap's name, although this thread is not in the namespace");
    const line = ns.ip("-o", "link", "show", "dev", NAME);
    assert.is(Number(/^(\d+):/.exec(line)![1]), di.ifindex, "ip -n NS link shows the net_tap interface with the port's if_index");
    assert.match(line, new RegExp(`link/ether ${di.mac}`));
    assert.throws(() => hostIp("link", "show", "dev", NAME), "not in the host namespace");
    origMac = di.mac;
    origMtu = di.mtu;
    assert.throws(() => ifpx.bind(4000, proxy), (e: any) => e.code === "EINVAL", "not a DPDK port");
    assert.throws(() => ifpx.bind(nullPort, nullPort), (e: any) => e.code === "EINVAL", "not a proxy");
    ifpx.bind(nullPort, proxy);
    assert.is(ifpx.proxyOf(nullPort), proxy);
    assert.equal(ifpx.ports(proxy), [nullPort]);
  });

  test("phase 2 (queue): rte_ring, no callbacks: CFG_DONE within 2 s, info, 16 steps within 2 s each, for the null port", async () => {
    ifpx.queueAdd(ring);
    assert.throws(() => ifpx.queueAdd(ring), (e: any) => e.code === "EEXIST");
    rc.start();
    const t0 = Date.now();
    await ifpx.listen();
    await rc.waitFor([{ type: "CFG_DONE", portId: PORT_NONE }], 2000 - (Date.now() - t0));
    assert.ok(Date.now() - t0 < 2000, "CFG_DONE within 2 s");
    const initial = rc.events.slice();
    assert.ok(initial.some((e) => e.type === "LINK_CHANGE" && e.portId === nullPort && (e.flags & 1)), "initial link state, flagged INITIAL");
    const info = ifpx.info(nullPort);
    assert.is(info.name, NAME);
    assert.is(info.mtu, origMtu);
    assert.is(info.mac, origMac);
    assert.equal(ifpx.info(proxy), info);
    ns.ip("link", "set", "dev", NAME, "down");

    let n = 0;
    for (const [args, expect] of upstreamSteps(NAME, info.mtu)) {
      n++;
      const from = rc.events.length;
      ns.ip(...args);
      try {
        const got = await rc.waitFor(expect.map((m) => ({ portId: nullPort, proxyId: proxy, ...m })), 2000, from);
        for (const e of got) assert.is(e.portId, nullPort);
      } catch (e) {
        assert.unreachable(`step ${n} (ip ${args.join(" ")}): ${(e as Error).message}`);
      }
    }
    rc.stop();
    assert.is(ifpx.info(nullPort).mtu, origMtu + 100, "info follows the observed MTU");
    assert.is(ifpx.info(nullPort).mac, M1);
    // everything in the ring concerns this proxy's one port, or no port (markers)
    const strays = rc.events.filter((e) => e.portId !== nullPort && e.portId !== PORT_NONE);
    assert.is(strays.length, 0, strays.map(show).join("\n"));
    assert.ok(rc.events.every((e) => e.portId === PORT_NONE || (e.proxyId === proxy && e.ifindex === info.ifindex)));
    assert.is(rc.events.filter((e) => e.type === "OVERFLOW").length, 0);
    assert.is(ring.lost, 0);
    assert.equal(errors, []);
  });

  test("phase 1 (callbacks) on the same proxy: callbacks consume (the ring stays empty) until link-down unregisters all", async () => {
    await ifpx.close(); // removes the ring and the binding; the proxy stays
    assert.ok(DpdkPorts.isValid(proxy));
    assert.is(ifpx.proxyOf(nullPort), undefined);
    // back to the starting point (not listening: nothing is reported)
    ns.ip("link", "set", "dev", NAME, "address", origMac, "mtu", String(origMtu));
    rc.clear();
    rc.drain();
    assert.is(rc.events.length, 0, "close() stopped publishing");

    ifpx.bind(nullPort, proxy);
    ifpx.queueAdd(ring);
    const c = new Collector();
    c.attach(ifpx, ALL_TYPES, true);
    const t0 = Date.now();
    await ifpx.listen();
    assert.ok(Date.now() - t0 < 2000, "CFG_DONE within 2 s");
    await c.waitFor([{ type: "CFG_DONE" }], 10);
    assert.is(ifpx.info(nullPort).name, NAME);
    assert.is(ifpx.info(nullPort).mtu, origMtu);
    ns.ip("link", "set", "dev", NAME, "down");

    const steps = upstreamSteps(NAME, origMtu);
    let n = 0;
    for (const [args, expect] of steps.slice(0, -1)) {
      n++;
      const from = c.events.length;
      ns.ip(...args);
      try {
        await c.waitFor(expect.map((m) => ({ portId: nullPort, ...m })), 2000, from);
      } catch (e) {
        assert.unreachable(`step ${n} (ip ${args.join(" ")}): ${(e as Error).message}`);
      }
    }
    rc.drain();
    assert.is(rc.events.length, 0, `consumed events must not reach the ring:\n${rc.events.map(show).join("\n")}`);

    // step 16: the LINK_CHANGE(down) callback unregisters every callback from inside itself
    let unregistered = false;
    ifpx.registerCallbacks([{ type: EventType.LINK_CHANGE, callback: (e: IfpxEvent) => {
      c.push(e);
      if (e.type === "LINK_CHANGE" && !e.isUp) { ifpx.unregisterAllCallbacks(); unregistered = true; }
      return true;
    } }]);
    const [args16, expect16] = steps[steps.length - 1];
    const from = c.events.length;
    ns.ip(...args16);
    await c.waitFor(expect16.map((m) => ({ portId: nullPort, ...m })), 2000, from);
    assert.ok(unregistered);
    const before = c.events.length;
    // with no callbacks left, the next events go to the ring
    ns.ip("link", "set", "dev", NAME, "up");
    rc.start();
    await rc.waitFor([{ type: "LINK_CHANGE", isUp: true, portId: nullPort }], 2000);
    rc.stop();
    assert.is(c.events.length, before, "no callback runs after unregister-all");
    assert.is(ring.lost, 0);
    assert.equal(errors, []);
  });

  test("destroyProxy removes the net_tap port and its interface from the namespace", async () => {
    await ifpx.close();
    ifpx.destroyProxy(proxy);
    assert.not.ok(ifpx.isProxy(proxy));
    assert.not.ok(DpdkPorts.isValid(proxy), "the DPDK port is gone");
    assert.throws(() => ns.ip("link", "show", "dev", NAME), "the interface is gone");
    assert.not.match(ns.ip("-o", "link"), NAME);
    assert.ok(DpdkPorts.isValid(nullPort), "the data-plane port stays");
    assert.throws(() => ifpx.destroyProxy(proxy), (e: any) => e.code === "EINVAL");
  });

  test.run();
}
