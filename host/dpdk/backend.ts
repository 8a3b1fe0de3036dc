// The port backend of ifpx's DPDK mode (structurally host/ifpx.ts PortBackend):
// proxies are net_tap ports with real DPDK port ids. EAL is initialised on
// first use (Eal.init is idempotent) with the given options.
import { Eal, type EalOptions } from "./eal.js";
import { DpdkPorts } from "./ports.js";

export interface DpdkPortBackend {
  readonly kind: "dpdk";
  createProxy(opts: { name?: string }): { id: number; ifindex: number; name: string };
  /** rte_dev_probe(devarg) then its port; ifindex is 0 when the kernel does not see it
   *  (such a port cannot act as a proxy: the caller refuses it, as upstream does at bind) */
  createProxyByDevarg(devarg: string): { id: number; ifindex: number; name: string };
  destroyProxy(id: number): void;
  isValidPort(id: number): boolean;
  /** MAC, MTU (rte_eth_macaddr_get, rte_eth_dev_get_mtu) and link (rte_eth_link_get_nowait);
   *  a port that no longer exists is down */
  linkOf(port: number): { mac: string; mtu: number; up: boolean };
  /** A proxy's MAC through DPDK (net_tap sets its tap's): ethdev restores the
   *  port's own MAC at every rte_eth_dev_start, so one set on the tap alone would not last */
  setProxyMac(proxy: number, mac: string): void;
}

export function createDpdkPortBackend(eal: EalOptions = {}): DpdkPortBackend {
  // DpdkPorts / RteRingQueue used before this backend start EAL with these options too
  Eal.startOnFirstUseWith(eal);
  const up = () => { if (!Eal.initialized) Eal.init(eal); };
  return {
    kind: "dpdk",
    createProxy(opts) {
      up();
      const p = DpdkPorts.createTapProxy(opts);
      return { id: p.portId, ifindex: p.ifindex, name: p.name };
    },
    createProxyByDevarg(devarg) {
      up();
      const id = DpdkPorts.createByDevarg(devarg);
      const i = DpdkPorts.info(id);
      return { id, ifindex: i.ifindex, name: i.name };
    },
    destroyProxy(id) { up(); DpdkPorts.destroy(id); },
    isValidPort(id) { up(); return DpdkPorts.isValid(id); },
    setProxyMac(proxy, mac) { up(); DpdkPorts.setMac(proxy, mac); },
    linkOf(port) {
      up();
      if (!DpdkPorts.isValid(port)) return { mac: "", mtu: 0, up: false };
      const i = DpdkPorts.info(port);
      return { mac: i.mac, mtu: i.mtu, up: DpdkPorts.linkUp(port) };
    },
  };
}
