// A net_tap proxy created through DPDK (EAL single-process, no hugepages):
// the kernel sees it (ifindex in `ip link`), info() reports it, destroy()
// removes it. Root only. Not run (and says why) without DPDK or root.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { dpdkAvailable, Eal, DpdkPorts, createDpdkPortBackend } from "../../host/dpdk/index.js";

const avail = dpdkAvailable();
const reason = !avail.ok ? avail.reason : process.getuid?.() !== 0 ? "needs root (net_tap creates a kernel interface)" : undefined;
if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  // children spawned after EAL init inherit its fds (a tap's fd keeps the tap
  // alive in the child): only short-lived `ip` commands run below.
  const ip = (...a: string[]) => execFileSync("ip", a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const ifindexOf = (name: string) => Number(/^(\d+):/.exec(ip("-o", "link", "show", "dev", name))![1]);
  const name = `dpx${process.pid % 100000}`;

  test.before(() => { Eal.init({ logLevel: ["lib.eal:warning"] }); });

  test("createTapProxy: a kernel interface with the port's if_index", () => {
    const before = DpdkPorts.count();
    const p = DpdkPorts.createTapProxy({ name });
    assert.is(p.name, name);
    assert.ok(p.ifindex > 0);
    assert.is(ifindexOf(name), p.ifindex);
    assert.ok(DpdkPorts.isValid(p.portId));
    assert.is(DpdkPorts.count(), before + 1);
    const i = DpdkPorts.info(p.portId);
    assert.is(i.ifindex, p.ifindex);
    assert.is(i.name, name);
    assert.match(i.devName, /^net_tap\d+$/);
    assert.is(i.mtu, 1500);
    assert.match(i.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.match(ip("-o", "link", "show", "dev", name), new RegExp(`link/ether ${i.mac}`));
    DpdkPorts.destroy(p.portId);
    assert.not.ok(DpdkPorts.isValid(p.portId));
    assert.is(DpdkPorts.count(), before);
    assert.throws(() => ip("link", "show", "dev", name), "the tap is gone");
  });

  test("default tap names, a null port (no kernel interface), createByDevarg", () => {
    const a = DpdkPorts.createTapProxy();
    const b = DpdkPorts.createTapProxy();
    assert.is.not(a.portId, b.portId);
    assert.match(a.name, /^dtap\d+$/);
    assert.is(ifindexOf(b.name), b.ifindex);
    const n = DpdkPorts.createNullPort();
    assert.is(DpdkPorts.info(n).ifindex, 0, "a data-plane port the kernel does not see cannot be a proxy");
    assert.is(DpdkPorts.info(n).name, "");
    const d = DpdkPorts.createByDevarg(`net_null${900 + (process.pid % 50)},size=64`);
    assert.match(DpdkPorts.info(d).devName, /^net_null9\d\d$/);
    for (const p of [a.portId, b.portId, n, d]) DpdkPorts.destroy(p);
    assert.throws(() => ip("link", "show", "dev", a.name));
  });

  test("port backend (host/ifpx.ts PortBackend shape): proxies are net_tap ports with DPDK ids", () => {
    const be = createDpdkPortBackend();
    assert.is(be.kind, "dpdk");
    const p = be.createProxy({ name });
    assert.is(ifindexOf(name), p.ifindex);
    assert.ok(be.isValidPort(p.id));
    const n = be.createProxyByDevarg(`net_null${950 + (process.pid % 40)}`);
    assert.is(n.ifindex, 0);
    be.destroyProxy(p.id);
    be.destroyProxy(n.id);
    assert.not.ok(be.isValidPort(p.id));
    assert.throws(() => ip("link", "show", "dev", name));
  });

  test("errors: unknown port, bad devarg, duplicate interface name", () => {
    assert.not.ok(DpdkPorts.isValid(4000));
    assert.not.ok(DpdkPorts.isValid(-1));
    assert.throws(() => DpdkPorts.info(4000), (e: any) => e.code === "ENODEV");
    assert.throws(() => DpdkPorts.destroy(4000), (e: any) => e.code === "ENODEV");
    assert.throws(() => DpdkPorts.createByDevarg("net_nosuchdriver0"), (e: any) => typeof e.errno === "number");
    const p = DpdkPorts.createTapProxy({ name });
    try {
      // net_tap itself would attach a second queue to the existing tap
      const count = DpdkPorts.count();
      assert.throws(() => DpdkPorts.createTapProxy({ name }), (e: any) => e.code === "EEXIST");
      assert.is(DpdkPorts.count(), count);
    } finally {
      DpdkPorts.destroy(p.portId);
    }
  });

  // EAL stays up: it initialises once per process, and other test files run by
  // the same uvu process may use it (same mode); it ends with the process.
  test.run();
}
