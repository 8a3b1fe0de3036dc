// The proxies of one instance (taps it made or interfaces it adopted, or DPDK
// ports) and their info block in the core (assembly/proxies.ts).
import { CoreErrno, type Core } from "../core/core.js";
import { ProxyInfoOff, PROXY_NAME_LEN } from "../core/layout.js";
import { IfpxError, shown } from "../errors.js";
import * as libc from "../libc.js";
import { queryLink, type TapHandle } from "../tap.js";
import type { ProxyInfo, ProxyMaster } from "../options.js";
import { decodeEvent, type MasterChangeEvent } from "../record.js";

/** Upstream RTE_MAX_ETHPORTS-style answer for "none" is `undefined` here. */
export const MAX_PORT_ID = 0xfffe;
const PLAIN_PROXY_BASE = 0x8000;

export interface ProxyEntry {
  id: number;
  ifindex: number;
  name: string;
  tap?: TapHandle;
  owned: boolean;
  /** made by the core (option subinterfaces, host/proxies/subinterfaces.ts) */
  subinterface?: boolean;
}

export class ProxyRegistry {
  readonly entries = new Map<number, ProxyEntry>();
  private portsBuf = 0;

  constructor(private readonly core: Core) {}

  has(id: number): boolean { return this.entries.has(id); }
  get(id: number): ProxyEntry | undefined { return this.entries.get(id); }
  ids(): number[] { return [...this.entries.keys()]; }

  add(p: ProxyEntry): number {
    const r = this.core.x.proxy_add(p.id, p.ifindex);
    if (r < 0) {
      if (r === CoreErrno.EEXIST) throw new IfpxError("EEXIST", `interface ${p.name} (ifindex ${p.ifindex}) is already a proxy, or id ${p.id} is in use`);
      if (r === CoreErrno.ENOSPC) throw new IfpxError("ENOSPC", "the proxy table is full");
      this.core.check(r, `cannot add proxy ${p.name}`);
    }
    this.entries.set(p.id, p);
    return p.id;
  }

  /** A proxy the core made itself (a sub-interface): known here, already in the core. */
  track(p: ProxyEntry): void { this.entries.set(p.id, p); }

  /** A proxy the core freed itself (a sub-interface deleted). */
  forget(id: number): void { this.entries.delete(id); }

  /** Remove from the core and the registry; the caller deletes what backs it. */
  remove(id: number): ProxyEntry {
    const p = this.entries.get(id);
    if (!p) throw new IfpxError("EINVAL", `${shown(id)} is not a proxy`);
    this.core.check(this.core.x.proxy_remove(id), `cannot remove proxy ${id}`);
    this.entries.delete(id);
    if (p.tap) libc.close(p.tap.fd); // the kernel deletes a non-persistent tap with its last fd
    return p;
  }

  /** rte_ifpx_port_get's answer: up to out.length ports of a proxy into `out`, the TOTAL count returned. */
  portsOf(proxy: number, out?: Uint16Array | number[]): number {
    const x = this.core.x;
    const total = this.core.check(x.ports_of_proxy(proxy, 0, 0), `ports of ${proxy}`);
    if (out && out.length && total) {
      // its own area: the staging area may hold records being delivered (a callback may ask)
      const scratch = (this.portsBuf ||= x.ring_buf_alloc(2 * (MAX_PORT_ID + 1)) >>> 0);
      const n = Math.min(total, out.length, MAX_PORT_ID + 1);
      x.ports_of_proxy(proxy, scratch, n);
      const dv = this.core.view;
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(scratch + 2 * i, true);
    }
    return total;
  }

  freeId(): number {
    for (let id = PLAIN_PROXY_BASE; id <= MAX_PORT_ID; id++) {
      // is_proxy: the core's own sub-interface ids (assembly/subif.ts) may not be tracked here yet
      if (!this.entries.has(id) && this.core.x.proxy_of_port(id) < 0 && !this.core.x.is_proxy(id)) return id;
    }
    throw new IfpxError("ENOSPC", "no free proxy id");
  }

  /** The proxy's master as the core last reported it (its MASTER_CHANGE record), undefined: none. */
  master(proxy: number): ProxyMaster | undefined {
    const ptr = this.core.x.proxy_master_ptr(proxy) >>> 0;
    if (!ptr) return undefined;
    const e = decodeEvent(this.core.view, ptr) as MasterChangeEvent;
    return e.master ? { ifindex: e.master, name: e.masterName, kind: e.masterKind, vrfTable: e.vrfTable } : undefined;
  }

  /** A proxy's link: what the mirror knows, else (not seen yet, or gone) asked of the kernel. */
  info(proxy: number, netns: string | undefined): ProxyInfo {
    const ptr = this.core.x.proxy_info_ptr(proxy) >>> 0;
    const i = ptr ? readProxyInfo(this.core.view, ptr) : undefined;
    if (i && i.known && !i.gone) {
      const info: ProxyInfo = { ifindex: i.ifindex, name: i.name, mtu: i.mtu, mac: i.mac, up: (i.flags & 1) !== 0 };
      const master = this.master(proxy);
      if (master) info.master = master;
      return info;
    }
    const p = this.entries.get(proxy)!;
    const q = queryLink(p.ifindex, netns);
    if (!q) throw new IfpxError("ENOENT", `the interface of proxy ${proxy} (ifindex ${p.ifindex}) no longer exists`);
    return { ifindex: q.ifindex, name: q.name, mtu: q.mtu, mac: q.mac, up: q.up };
  }
}

/** Proxy info block of the core (assembly/proxies.ts). */
export function readProxyInfo(dv: DataView, p: number) {
  const mac: string[] = [];
  for (let i = 0; i < 6; i++) mac.push(dv.getUint8(p + ProxyInfoOff.MAC + i).toString(16).padStart(2, "0"));
  let name = "";
  for (let i = 0; i < PROXY_NAME_LEN; i++) { const c = dv.getUint8(p + ProxyInfoOff.NAME + i); if (!c) break; name += String.fromCharCode(c); }
  return {
    ifindex: dv.getInt32(p + ProxyInfoOff.IFINDEX, true),
    mtu: dv.getUint32(p + ProxyInfoOff.MTU, true),
    mac: mac.join(":"),
    flags: dv.getUint32(p + ProxyInfoOff.FLAGS, true),
    operstate: dv.getUint8(p + ProxyInfoOff.OPER),
    known: dv.getUint8(p + ProxyInfoOff.KNOWN) !== 0,
    gone: dv.getUint8(p + ProxyInfoOff.GONE) !== 0,
    name,
  };
}
