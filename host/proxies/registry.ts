// The proxies of one instance (taps it made or interfaces it adopted, or DPDK
// ports) and their info block in the core (assembly/proxies.ts).
import { CoreErrno, type Core } from "../core/core.js";
import { ProxyInfoOff, PROXY_NAME_LEN } from "../core/layout.js";
import { IfpxError, shown } from "../errors.js";
import * as libc from "../libc.js";
import type { TapHandle } from "../tap.js";

/** Upstream RTE_MAX_ETHPORTS-style answer for "none" is `undefined` here. */
export const MAX_PORT_ID = 0xfffe;
const PLAIN_PROXY_BASE = 0x8000;

export interface ProxyEntry {
  id: number;
  ifindex: number;
  name: string;
  tap?: TapHandle;
  owned: boolean;
}

export class ProxyRegistry {
  readonly entries = new Map<number, ProxyEntry>();

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

  /** Remove from the core and the registry; the caller deletes what backs it. */
  remove(id: number): ProxyEntry {
    const p = this.entries.get(id);
    if (!p) throw new IfpxError("EINVAL", `${shown(id)} is not a proxy`);
    this.core.check(this.core.x.proxy_remove(id), `cannot remove proxy ${id}`);
    this.entries.delete(id);
    if (p.tap) libc.close(p.tap.fd); // the kernel deletes a non-persistent tap with its last fd
    return p;
  }

  freeId(): number {
    for (let id = PLAIN_PROXY_BASE; id <= MAX_PORT_ID; id++) {
      if (!this.entries.has(id) && this.core.x.proxy_of_port(id) < 0) return id;
    }
    throw new IfpxError("ENOSPC", "no free proxy id");
  }

  /** What the core's mirror knows of a proxy's link, or undefined (not seen yet, or gone). */
  info(proxy: number): { ifindex: number; name: string; mtu: number; mac: string; up: boolean } | undefined {
    const ptr = this.core.x.proxy_info_ptr(proxy) >>> 0;
    if (!ptr) return undefined;
    const i = readProxyInfo(this.core.view, ptr);
    if (!i.known || i.gone) return undefined;
    return { ifindex: i.ifindex, name: i.name, mtu: i.mtu, mac: i.mac, up: (i.flags & 1) !== 0 };
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
