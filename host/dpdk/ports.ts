// DPDK ethdev ports: net_tap proxies (the kernel sees them: if_index != 0) and
// other vdevs (net_null) that play data-plane ports in tests.
import { dpdk, DpdkError } from "./lib.js";
import { requireEal } from "./eal.js";

export interface PortInfo {
  /** kernel interface index; 0 when the kernel does not see the port */
  ifindex: number;
  /** kernel interface name ("" when ifindex is 0) */
  name: string;
  /** DPDK device name, e.g. "net_tap0" */
  devName: string;
  /** DPDK's view (set at probe): `ip link set mtu/address` on the kernel side does
   *  not update it; ifpx.info() reports the kernel's current values */
  mtu: number;
  /** "aa:bb:cc:dd:ee:ff" (DPDK's view, as mtu) */
  mac: string;
}

export interface TapProxy { portId: number; ifindex: number; name: string }

const cstr = (b: Uint8Array) => { const z = b.indexOf(0); return Buffer.from(b.subarray(0, z < 0 ? b.length : z)).toString("utf8"); };
const macStr = (m: Uint8Array) => Array.from(m, (x) => x.toString(16).padStart(2, "0")).join(":");

// Kernel names of the taps made by createTapProxy: the shim's if_indextoname()
// runs in the caller's network namespace, so for a tap created inside another
// namespace (ifpx DPDK mode with netns) it would name whatever interface has
// that index here (e.g. "ifb0"), or nothing.
const tapNames = new Map<number, string>();

// net_tap<N> / net_null<N> device names must be unique in the process.
const nextIndex: Record<string, number> = { net_tap: 0, net_null: 0 };

function probeNext(driver: string, args: (n: number) => string): number {
  const lib = dpdk();
  for (let tries = 0; tries < 64; tries++) {
    const n = nextIndex[driver]++;
    const devargs = `${driver}${n}${args(n)}`;
    const ret = lib.vdev_create(devargs);
    if (ret >= 0) return ret;
    if (-ret !== 17) throw new DpdkError(`rte_dev_probe(${devargs})`, ret);
  }
  throw new DpdkError(`no free ${driver}<N> device name`, 17);
}

export const DpdkPorts = {
  /** A net_tap port whose kernel interface is `name` (default dtap<N>). */
  createTapProxy(opts: { name?: string } = {}): TapProxy {
    requireEal("createTapProxy");
    const lib = dpdk();
    // net_tap would silently attach to an existing tap of that name (one more
    // queue of a multi-queue tap): a proxy must own a new interface.
    if (opts.name !== undefined && lib.if_nametoindex(opts.name) !== 0)
      throw new DpdkError(`interface ${opts.name} already exists`, 17);
    let iface = opts.name;
    if (iface === undefined) {
      let n = nextIndex.net_tap;
      while (lib.if_nametoindex(`dtap${n}`) !== 0) n++;
      iface = `dtap${n}`;
    }
    const port = probeNext("net_tap", () => `,iface=${iface}`);
    const i = DpdkPorts.info(port);
    if (i.ifindex === 0) throw new DpdkError(`net_tap port ${port} has no kernel interface`, 19);
    tapNames.set(port, iface);
    return { portId: port, ifindex: i.ifindex, name: iface };
  },
  /** rte_dev_probe(devarg) then its port (by device name = devarg up to ','). */
  createByDevarg(devarg: string): number {
    requireEal("createByDevarg");
    const ret = dpdk().vdev_create(devarg);
    if (ret < 0) throw new DpdkError(`rte_dev_probe(${devarg})`, ret);
    return ret;
  },
  /** A net_null port: a data-plane port with no kernel interface (tests). */
  createNullPort(): number {
    requireEal("createNullPort");
    return probeNext("net_null", () => "");
  },
  /** rte_eth_dev_close + rte_dev_remove (a tap interface disappears). */
  destroy(portId: number): void {
    requireEal("destroy");
    const ret = dpdk().port_remove(portId);
    if (ret < 0) throw new DpdkError(`remove port ${portId}`, ret);
    tapNames.delete(portId);
  },
  info(portId: number): PortInfo {
    requireEal("info");
    const lib = dpdk();
    const ifindex = new Uint32Array(1), mtu = new Uint16Array(1), mac = new Uint8Array(6);
    const ifname = new Uint8Array(lib.abi(2) + 1), devname = new Uint8Array(lib.abi(1) + 1);
    const ret = lib.port_info(portId, ifindex, mtu, mac, ifname, devname);
    if (ret < 0) throw new DpdkError(`info of port ${portId}`, ret);
    return { ifindex: ifindex[0], name: tapNames.get(portId) ?? cstr(ifname), devName: cstr(devname), mtu: mtu[0], mac: macStr(mac) };
  },
  isValid(portId: number): boolean {
    if (!Number.isInteger(portId) || portId < 0 || portId > 0xffff) return false;
    requireEal("isValid");
    return dpdk().port_is_valid(portId) === 1;
  },
  /** The port's link (rte_eth_link_get_nowait): true when up. A PMD reports
   *  its link only once the port is started or set up (net_null, net_af_packet). */
  linkUp(portId: number): boolean {
    requireEal("linkUp");
    const ret = dpdk().link_status(portId);
    if (ret < 0) throw new DpdkError(`link status of port ${portId}`, ret);
    return ret === 1;
  },
  /** rte_eth_dev_set_link_up / _down (ENOTSUP when the PMD cannot). */
  setLink(portId: number, up: boolean): void {
    requireEal("setLink");
    const ret = dpdk().set_link(portId, up ? 1 : 0);
    if (ret < 0) throw new DpdkError(`rte_eth_dev_set_link_${up ? "up" : "down"}(${portId})`, ret);
  },
  /** rte_eth_dev_default_mac_addr_set ("aa:bb:cc:dd:ee:ff"); a net_tap port sets its kernel tap's MAC too. */
  setMac(portId: number, mac: string): void {
    requireEal("setMac");
    const bytes = Uint8Array.from(mac.split(":"), (h) => parseInt(h, 16));
    if (bytes.length !== 6 || bytes.some((b) => Number.isNaN(b))) throw new DpdkError(`setMac(${portId}): not a MAC: ${mac}`, 22);
    const ret = dpdk().set_mac(portId, bytes);
    if (ret < 0) throw new DpdkError(`rte_eth_dev_default_mac_addr_set(${portId}, ${mac})`, ret);
  },
  /** rte_eth_dev_count_avail() */
  count(): number {
    requireEal("count");
    return dpdk().port_count_avail();
  },
  /** RTE_MAX_ETHPORTS of this DPDK build */
  maxPorts(): number { return dpdk().abi(3); },
};
