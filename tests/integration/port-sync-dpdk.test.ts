// Port -> proxy sync in DPDK mode (README "Port -> proxy sync"): a net_tap
// proxy bound to a DPDK port takes the port's MAC and MTU at bind(), and its
// carrier follows the port's link, polled while listening. The port whose link
// is toggled is a net_ring: of the PMDs of DPDK 22.11 that need no hardware,
// it is the one whose rte_eth_dev_set_link_up/down changes link_status
// (net_null, net_af_packet and net_memif answer ENOTSUP).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rmSync } from "node:fs";
import { Ifpx, type IfpxEvent } from "../../host/index.js";
import { dpdkAvailable, Eal, DpdkPorts, createDpdkPortBackend } from "../../host/dpdk/index.js";
import { inNetns } from "../../host/netns.js";
import * as libc from "../../host/libc.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector } from "./helpers/collector.js";

const avail = dpdkAvailable();
const reason = !avail.ok ? avail.reason : process.getuid?.() !== 0 ? "needs root (net_tap creates a kernel interface)" : undefined;
type Link = Extract<IfpxEvent, { type: "LINK_CHANGE" }>;
const POLL_MS = 50;

if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  const prefix = `psync${process.pid}`;
  process.on("exit", () => rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true }));
  let ring = 0;
  const link = (ns: Netns, dev: string): { flags: string[]; address: string; mtu: number } => JSON.parse(ns.ip("-j", "link", "show", "dev", dev))[0];
  const carrierOf = (ns: Netns, dev: string) => link(ns, dev).flags.includes("LOWER_UP");

  // tun refuses carrier on while no queue is attached, and net_tap detaches its
  // keep-alive queue: a data plane sets up the proxy port's queues
  // (rte_eth_rx_queue_setup opens one tap fd per queue) before its link
  // matters. This test has no data plane: it attaches one queue itself.
  function attachQueue(ns: Netns, dev: string): number {
    return inNetns(ns.name, () => {
      const fd = libc.open("/dev/net/tun", libc.O_RDWR | libc.O_CLOEXEC);
      assert.ok(fd >= 0, "open /dev/net/tun");
      const ifr = new Uint8Array(40);
      ifr.set(Buffer.from(dev));
      new DataView(ifr.buffer).setUint16(16, 0x0002 | 0x1000 | 0x0100, true); // IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE
      assert.is(libc.ioctl(fd, 0x400454ca, ifr), 0, "TUNSETIFF: one more queue of net_tap's tap");
      return fd;
    });
  }

  async function until(what: string, ok: () => boolean, ms = 3000): Promise<number> {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return Date.now() - t0;
  }

  async function session(opts: { portSync?: boolean }, fn: (ns: Netns, ifpx: Ifpx, c: Collector, errors: unknown[]) => Promise<void>) {
    await withNetns(async (ns) => {
      const errors: unknown[] = [];
      const ifpx = new Ifpx({ ports: createDpdkPortBackend(), netns: ns.name, linkPollMs: POLL_MS, onError: (e) => errors.push(e), ...opts });
      const c = new Collector();
      try { await fn(ns, ifpx, c, errors); } finally { await ifpx.dispose(); }
    });
  }

  test.before(() => { Eal.init({ logLevel: ["lib.eal:warning", "pmd.net.tap:error"], extraArgs: ["--file-prefix", prefix] }); });

  test("a net_tap proxy's carrier follows its port's link (rte_eth_dev_set_link_up/down), admin state untouched", () => session({}, async (ns, ifpx, c, errors) => {
    const port = DpdkPorts.createByDevarg(`net_ring${ring++}`);
    let queue = -1;
    try {
      assert.not.ok(DpdkPorts.linkUp(port), "a port not started has no link");
      const proxy = ifpx.createProxy({ name: "pst0" });
      queue = attachQueue(ns, "pst0");
      ns.ip("link", "set", "pst0", "up");
      assert.ok(carrierOf(ns, "pst0"), "a tap with a queue has carrier before bind");
      ifpx.bind(port, proxy);
      assert.not.ok(carrierOf(ns, "pst0"), "bind: the carrier is the port's link (down)");
      c.attach(ifpx);
      await ifpx.listen();
      const initial = c.find({ type: "LINK_CHANGE", portId: port }) as Link;
      assert.is(initial.carrier, false);
      assert.is(initial.isUp, true);

      // timed by the event (no `ip` meanwhile: execFileSync would hold the event loop and the poll)
      const t0 = Date.now();
      DpdkPorts.setLink(port, true);
      await c.waitFor([{ type: "LINK_CHANGE", portId: port, carrier: true, isUp: true }], 3000);
      console.log(`  LINK_CHANGE carrier on ${Date.now() - t0} ms after rte_eth_dev_set_link_up (poll period ${POLL_MS} ms)`);
      assert.ok(carrierOf(ns, "pst0"));

      DpdkPorts.setLink(port, false);
      await until("carrier off", () => !carrierOf(ns, "pst0"));
      await c.waitFor([{ type: "LINK_CHANGE", portId: port, carrier: false, isUp: true }], 3000, c.events.findIndex((e) => e.type === "LINK_CHANGE" && (e as Link).carrier));

      // an operator's link down survives a port link-up
      ns.ip("link", "set", "dev", "pst0", "down");
      DpdkPorts.setLink(port, true);
      await new Promise((r) => setTimeout(r, POLL_MS * 6));
      assert.not.ok(link(ns, "pst0").flags.includes("UP"), "still administratively down");
      ns.ip("link", "set", "dev", "pst0", "up");
      assert.ok(carrierOf(ns, "pst0"), "up, with the carrier the port's link gave it");
      assert.equal(errors, []);
    } finally {
      if (queue >= 0) libc.close(queue);
      DpdkPorts.destroy(port);
    }
  }));

  test("bind copies the port's MAC and MTU onto the proxy; portSync: false leaves the proxy alone", async () => {
    for (const portSync of [true, false]) {
      await session({ portSync }, async (ns, ifpx, c, errors) => {
        // an af_packet port on a veth whose MAC is known; its MTU (DPDK's view) is 1500
        ns.ip("link", "add", "psv0", "address", "02:5e:00:00:22:01", "type", "veth", "peer", "name", "psv1");
        ns.ip("link", "set", "psv0", "up");
        const port = inNetns(ns.name, () => DpdkPorts.createByDevarg(`net_af_packet${900 + ring++},iface=psv0`));
        try {
          const i = DpdkPorts.info(port);
          assert.is(i.mac, "02:5e:00:00:22:01");
          const proxy = ifpx.createProxy({ name: "pst1" });
          ns.ip("link", "set", "pst1", "mtu", "1300", "up");
          const before = link(ns, "pst1");
          ifpx.bind(port, proxy);
          const after = link(ns, "pst1");
          if (portSync) {
            assert.is(after.address, i.mac);
            assert.is(after.mtu, i.mtu);
            assert.not.ok(after.flags.includes("LOWER_UP"), "an af_packet port not started has no link");
            c.attach(ifpx);
            await ifpx.listen();
            assert.ok(c.find({ type: "MAC_CHANGE", portId: port, mac: i.mac }));
            assert.ok(c.find({ type: "MTU_CHANGE", portId: port, mtu: i.mtu }));
          } else {
            assert.equal(after, before);
            await ifpx.listen();
            await new Promise((r) => setTimeout(r, POLL_MS * 3));
            assert.equal(link(ns, "pst1"), before, "no polling either");
          }
          assert.equal(errors, []);
        } finally {
          await ifpx.close();
          DpdkPorts.destroy(port);
        }
      });
    }
  });

  test.run();
}
