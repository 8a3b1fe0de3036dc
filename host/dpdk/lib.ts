// Loads native/build/libifpx_dpdk.so (the DPDK shim, see native/ifpx_dpdk.c)
// with koffi. DPDK is optional: when the shim or libdpdk is missing every entry
// point throws DpdkUnavailableError (code ENODPDK) and dpdkAvailable() says why.
// koffi 3: pointers (struct rte_ring *) are BigInt; `unsigned` is written
// `unsigned int`; Uint8Array arguments (also views of a SharedArrayBuffer,
// byteOffset honoured) are passed by address with no copy.
import koffi from "koffi";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const INSTALL_HINT = "apt-get install libdpdk-dev pkg-config && npm run build:native";

/** DPDK (libdpdk or the ifpx shim) is not available on this machine. */
export class DpdkUnavailableError extends Error {
  readonly code = "ENODPDK" as const;
  constructor(reason: string) {
    super(`DPDK is not available: ${reason}. To enable DPDK mode: ${INSTALL_HINT}`);
    this.name = "DpdkUnavailableError";
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 5: "EIO", 12: "ENOMEM", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV",
  22: "EINVAL", 28: "ENOSPC", 95: "ENOTSUP", 114: "EALREADY",
};

/** A DPDK call failed; `errno` is the (positive) rte_errno / -return value. */
export class DpdkError extends Error {
  readonly code: string;
  readonly errno: number;
  constructor(what: string, errno: number) {
    const e = Math.abs(errno);
    super(`${what}: ${strerror(e)} (errno ${e})`);
    this.name = "DpdkError";
    this.errno = e;
    this.code = ERRNO_NAMES[e] ?? "EIO";
  }
}

export const SHIM_NAME = "libifpx_dpdk.so";

/** native/build/libifpx_dpdk.so of the package: IFPX_DPDK_LIB overrides; otherwise
 *  walk up from this file (host/dpdk/ in sources, dist/ in the bundle). */
export function shimPath(): string | undefined {
  const env = process.env.IFPX_DPDK_LIB;
  if (env) return existsSync(env) ? env : undefined;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "native", "build", SHIM_NAME);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

export interface Shim {
  eal_init(argc: number, argv: string[]): number;
  eal_cleanup(): number;
  errno(): number;
  strerror(e: number): string;
  proc_type(): number;
  ring_create(name: string, events: number, socket: number, flags: number): bigint | null;
  ring_lookup(name: string): bigint | null;
  ring_free(r: bigint): void;
  ring_capacity(r: bigint): number;
  ring_flags(r: bigint): number;
  ring_count(r: bigint): number;
  ring_free_count(r: bigint): number;
  enqueue_bulk(r: bigint, ev: Uint8Array, n: number): number;
  enqueue_burst(r: bigint, ev: Uint8Array, n: number): number;
  dequeue_burst(r: bigint, out: Uint8Array, n: number): number;
  ring_drain(r: bigint, n: number): number;
  bench_native(r: bigint, burst: number, perRound: number, rounds: number, out: Float64Array): number;
  vdev_create(devargs: string): number;
  port_info(port: number, ifindex: Uint32Array, mtu: Uint16Array, mac: Uint8Array, ifname: Uint8Array, devname: Uint8Array): number;
  port_remove(port: number): number;
  port_count_avail(): number;
  if_nametoindex(name: string): number;
  port_is_valid(port: number): number;
  link_status(port: number): number;
  set_link(port: number, up: number): number;
  set_mac(port: number, mac: Uint8Array): number;
  abi(what: number): number;
}

let shim: Shim | undefined;
let failure: string | undefined;

function load(): Shim {
  const path = shimPath();
  if (!path) throw new Error(`${SHIM_NAME} not found (native/build/ was not built)`);
  const lib = koffi.load(path); // throws when libdpdk's .so files are missing
  const f = (decl: string) => lib.func(decl) as any;
  return {
    eal_init: f("int ifpx_dpdk_eal_init(int argc, const char **argv)"),
    eal_cleanup: f("int ifpx_dpdk_eal_cleanup(void)"),
    errno: f("int ifpx_dpdk_errno(void)"),
    strerror: f("const char *ifpx_dpdk_strerror(int err)"),
    proc_type: f("int ifpx_dpdk_proc_type(void)"),
    ring_create: f("void *ifpx_dpdk_ring_create(const char *name, unsigned int events, int socket_id, unsigned int flags)"),
    ring_lookup: f("void *ifpx_dpdk_ring_lookup(const char *name)"),
    ring_free: f("void ifpx_dpdk_ring_free(void *r)"),
    ring_capacity: f("unsigned int ifpx_dpdk_ring_capacity(void *r)"),
    ring_flags: f("unsigned int ifpx_dpdk_ring_flags(void *r)"),
    ring_count: f("unsigned int ifpx_dpdk_ring_count(void *r)"),
    ring_free_count: f("unsigned int ifpx_dpdk_ring_free_count(void *r)"),
    enqueue_bulk: f("unsigned int ifpx_dpdk_enqueue_bulk(void *r, const void *events, unsigned int n)"),
    enqueue_burst: f("unsigned int ifpx_dpdk_enqueue_burst(void *r, const void *events, unsigned int n)"),
    dequeue_burst: f("unsigned int ifpx_dpdk_dequeue_burst(void *r, void *out, unsigned int n)"),
    ring_drain: f("unsigned int ifpx_dpdk_ring_drain(void *r, unsigned int n)"),
    bench_native: f("int ifpx_dpdk_bench_native(void *r, unsigned int burst, unsigned int per_round, unsigned int rounds, void *out_ns)"),
    vdev_create: f("int ifpx_dpdk_vdev_create(const char *devargs)"),
    port_info: f("int ifpx_dpdk_port_info(uint16_t port, void *if_index, void *mtu, void *mac, void *ifname, void *devname)"),
    port_remove: f("int ifpx_dpdk_port_remove(uint16_t port)"),
    if_nametoindex: f("unsigned int ifpx_dpdk_if_nametoindex(const char *name)"),
    port_count_avail: f("unsigned int ifpx_dpdk_port_count_avail(void)"),
    port_is_valid: f("int ifpx_dpdk_port_is_valid(uint16_t port)"),
    link_status: f("int ifpx_dpdk_link_status(uint16_t port)"),
    set_link: f("int ifpx_dpdk_set_link(uint16_t port, int up)"),
    set_mac: f("int ifpx_dpdk_set_mac(uint16_t port, const uint8_t *mac)"),
    abi: f("int ifpx_dpdk_abi(int what)"),
  };
}

/** Whether DPDK mode can work here (the shim loads); `reason` when it cannot. */
export function dpdkAvailable(): { ok: boolean; reason?: string } {
  if (shim) return { ok: true };
  if (failure === undefined) {
    try {
      shim = load();
      if (shim.abi(0) !== 64) throw new Error(`shim record size ${shim.abi(0)} != 64`);
      return { ok: true };
    } catch (e) {
      failure = (e as Error).message;
    }
  }
  return { ok: false, reason: failure };
}

/** The loaded shim, or DpdkUnavailableError. */
export function dpdk(): Shim {
  if (shim) return shim;
  const a = dpdkAvailable();
  if (!a.ok) throw new DpdkUnavailableError(a.reason ?? "unknown reason");
  return shim!;
}

/** The C library's text for errno e, else its name; "(errno e)" is added by DpdkError. */
export function strerror(e: number): string {
  try { if (shim) return shim.strerror(e); } catch { /* below */ }
  return ERRNO_NAMES[e] ?? "unknown error";
}
