// DPDK mode of ifpx: EAL, net_tap proxy ports and rte_ring queues through the
// native shim (native/ifpx_dpdk.c, built by `npm run build:native`).
export { dpdkAvailable, DpdkUnavailableError, DpdkError, INSTALL_HINT, shimPath } from "./lib.js";
export { Eal, ealArgs, affinityCpus } from "./eal.js";
export type { EalOptions, EalMode } from "./eal.js";
export { DpdkPorts } from "./ports.js";
export type { PortInfo, TapProxy } from "./ports.js";
export { RteRingQueue, EVENT_SIZE, EV_OVERFLOW, PORT_NONE, RING_F_SP_ENQ, RING_F_SC_DEQ, SOCKET_ID_ANY } from "./ring.js";
export type { ExternalQueue, RingCreateOptions } from "./ring.js";
export { createDpdkPortBackend } from "./backend.js";
export type { DpdkPortBackend } from "./backend.js";
