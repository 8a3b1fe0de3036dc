// Port -> proxy (what VPP linux-cp calls lcp-sync): the data port's link state
// becomes the proxy's carrier (IFF_LOWER_UP), its MAC and MTU the proxy's, so
// Linux answers ARP with the MAC the wire sees and routing daemons see a
// pulled cable as a link without carrier.
//
// Carrier: TUNSETCARRIER on the fd of a tap ifpx made and holds; otherwise
// RTM_NEWLINK IFLA_CARRIER (host/netlink/link-request.ts), which the kernel
// implements through ndo_change_carrier (tun/tap; veth and most drivers answer
// EOPNOTSUPP). MAC and MTU always go through RTM_NEWLINK: one path for every
// kind of proxy, by ifindex, with the kernel's exact answer.
// The admin state (IFF_UP) is never written: an operator's `ip link set down`
// survives a port link-up.
//
// In DPDK mode (a port backend with linkOf) a bind copies the port's MAC and
// MTU and sets the carrier, and while listening the ports' link status is
// polled (EAL's interrupt thread must not call into JS, so no LSC callback).
import type { Core } from "../core/core.js";
import { IfpxError, shown } from "../errors.js";
import { requestLinkChange, type LinkChange } from "../netlink/link-request.js";
import * as libc from "../libc.js";
import type { PortBackend } from "../options.js";
import { safeInterval, type Reporter } from "../safe-timer.js";
import { readProxyInfo, type ProxyEntry, type ProxyRegistry } from "./registry.js";

/** What setPortLink copies onto a proxy; each field optional. */
export interface PortLink {
  /** "aa:bb:cc:dd:ee:ff", unicast and not all zero */
  mac?: string;
  /** 68..65535 (the device may allow less) */
  mtu?: number;
  carrier?: boolean;
}

const TUNSETCARRIER = 0x400454e2; // _IOW('T', 226, int), Linux >= 5.0
const IFF_UP = 0x1;
const IFF_LOWER_UP = 0x10000;
const MIN_MTU = 68;
const MAX_MTU = 65535;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export const DEFAULT_LINK_POLL_MS = 200;

export interface PortSyncDeps {
  core: Core;
  proxies: ProxyRegistry;
  netns: string | undefined;
  backend: PortBackend | undefined;
  /** copy at bind and poll (option portSync, default true); setCarrier/setLink work either way */
  auto: boolean;
  report: Reporter;
}

/** The 6 bytes of a MAC string, or undefined when it is not a unicast, non-zero MAC. */
export function parseUnicastMac(mac: unknown): Uint8Array | undefined {
  if (typeof mac !== "string" || !MAC_RE.test(mac)) return undefined;
  const b = Uint8Array.from(mac.split(":"), (h) => parseInt(h, 16));
  if (b[0] & 1 || b.every((x) => x === 0)) return undefined;
  return b;
}

export class PortSync {
  /** carrier last written per proxy: the poll writes when the port's link differs from it (or from the mirror) */
  private readonly written = new Map<number, boolean>();
  /** carrier a write failed to set per proxy: not retried (nor reported again) until the port's link changes */
  private readonly refused = new Map<number, boolean>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly d: PortSyncDeps) {}

  /** The proxy of an id: itself if it is a proxy, else the proxy its port is bound to. */
  proxyFor(portOrProxy: number, what: string): ProxyEntry {
    const own = this.d.proxies.get(portOrProxy);
    if (own) return own;
    const r = this.d.core.x.proxy_of_port(portOrProxy);
    const p = r < 0 ? undefined : this.d.proxies.get(r);
    if (!p) throw new IfpxError("ENOENT", `${what}: ${shown(portOrProxy)} is neither a proxy nor a port bound to one`);
    return p;
  }

  /** The proxy's carrier on or off; the admin state is left alone. */
  setCarrier(p: ProxyEntry, on: boolean): void {
    if (typeof on !== "boolean") throw new IfpxError("EINVAL", `setCarrier: on must be a boolean, got ${shown(on)}`);
    let errno: number;
    if (p.tap) {
      errno = libc.ioctl(p.tap.fd, TUNSETCARRIER, new Int32Array([on ? 1 : 0])) === 0 ? 0 : libc.errno();
    } else {
      errno = requestLinkChange(this.d.netns, p.ifindex, { carrier: on });
    }
    if (errno) throw refusal(errno, p, { carrier: on });
    this.written.set(p.id, on);
  }

  /** MAC, MTU and carrier (each if given, in that order) onto the proxy. All arguments are checked first. */
  setLink(p: ProxyEntry, link: PortLink): void {
    if (link === null || typeof link !== "object") throw new IfpxError("EINVAL", "setPortLink takes { mac?, mtu?, carrier? }");
    const { mac, mtu, carrier } = link;
    const bytes = mac === undefined ? undefined : parseUnicastMac(mac);
    if (mac !== undefined && !bytes) throw new IfpxError("EINVAL", `setPortLink: mac must be a unicast, non-zero "aa:bb:cc:dd:ee:ff", got ${shown(mac)}`);
    if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU)) {
      throw new IfpxError("EINVAL", `setPortLink: mtu must be an integer ${MIN_MTU}..${MAX_MTU}, got ${shown(mtu)}`);
    }
    if (carrier !== undefined && typeof carrier !== "boolean") throw new IfpxError("EINVAL", `setPortLink: carrier must be a boolean, got ${shown(carrier)}`);
    if (bytes) this.writeMac(p, mac!, bytes);
    if (mtu !== undefined) this.write(p, { mtu });
    if (carrier !== undefined) this.setCarrier(p, carrier);
  }

  // A proxy the DPDK backend made (net_tap) gets its MAC through DPDK: ethdev
  // restores a port's own MAC whenever it starts, which would undo a MAC set
  // on the tap behind its back. A PMD that cannot set a MAC (ENOTSUP) gets
  // it through netlink like any other interface.
  private writeMac(p: ProxyEntry, mac: string, bytes: Uint8Array): void {
    const backend = this.d.backend;
    if (p.owned && !p.tap && backend?.setProxyMac) {
      try {
        backend.setProxyMac(p.id, mac);
        return;
      } catch (e) {
        const errno = (e as { errno?: number }).errno;
        if (errno !== 95) throw new IfpxError("EIO", `cannot set the MAC of proxy port ${p.id} (${p.name}): ${(e as Error).message}`, errno);
      }
    }
    this.write(p, { mac: bytes });
  }

  private write(p: ProxyEntry, change: LinkChange): void {
    const errno = requestLinkChange(this.d.netns, p.ifindex, change);
    if (errno) throw refusal(errno, p, change);
  }

  /**
   * DPDK mode, at bind: the port's MAC and MTU onto the proxy and the carrier
   * from the bound ports' link. A refusal does not undo the binding: it goes
   * to onError (e.g. an adopted veth cannot take a carrier).
   */
  bound(port: number, proxy: number): void {
    const linkOf = this.d.auto ? this.d.backend?.linkOf : undefined;
    const p = this.d.proxies.get(proxy);
    // a sub-interface's port is a logical id with no link of its own; Linux
    // gives a VLAN device its lower device's carrier
    if (!linkOf || !p || p.subinterface) return;
    let l: { mac: string; mtu: number; up: boolean };
    try { l = linkOf.call(this.d.backend, port); } catch (e) { this.d.report(e); return; }
    // a port may have no MAC (net_ring's is zero) or report no MTU: the proxy keeps its own
    const link: PortLink = {};
    if (parseUnicastMac(l.mac)) link.mac = l.mac;
    if (l.mtu >= MIN_MTU && l.mtu <= MAX_MTU) link.mtu = l.mtu;
    for (const [k, v] of Object.entries(link)) {
      try { this.setLink(p, { [k]: v }); } catch (e) { this.d.report(e); }
    }
    this.refused.delete(proxy);
    try { this.syncCarrier(p); } catch (e) { this.d.report(e); }
  }

  /** Poll the bound ports' link every `ms` (0: never) until stop(); the first poll runs now. */
  start(ms: number): void {
    this.stop();
    if (!this.d.auto || !this.d.backend?.linkOf) return;
    this.poll();
    if (ms > 0) this.timer = safeInterval(() => this.poll(), ms, this.d.report);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over the proxies that have bound ports. */
  poll(): void {
    for (const p of [...this.d.proxies.entries.values()]) {
      if (p.subinterface) continue;
      try { this.syncCarrier(p); } catch (e) { this.d.report(e); }
    }
  }

  forget(proxy: number): void {
    this.written.delete(proxy);
    this.refused.delete(proxy);
  }

  // With several ports bound to a proxy (as upstream allows), the proxy has
  // carrier while any of them has link. The port's link is authoritative: the
  // carrier is written again when the mirror shows another one (a net_tap
  // queue attaching turns the tap's carrier on by itself).
  private syncCarrier(p: ProxyEntry): void {
    const linkOf = this.d.backend?.linkOf;
    if (!linkOf) return;
    const ports = this.boundPorts(p.id);
    if (ports.length === 0) return;
    const want = ports.some((port) => linkOf.call(this.d.backend, port).up);
    if (this.refused.has(p.id)) {
      if (this.refused.get(p.id) === want) return;
      this.refused.delete(p.id);
    }
    if (want === this.written.get(p.id) && want === (this.mirroredCarrier(p.id) ?? want)) return;
    try {
      this.setCarrier(p, want);
    } catch (e) {
      this.refused.set(p.id, want);
      throw e;
    }
  }

  private boundPorts(proxy: number): number[] {
    const out: number[] = new Array(this.d.proxies.portsOf(proxy)).fill(0);
    this.d.proxies.portsOf(proxy, out);
    return out;
  }

  // The kernel reports IFF_LOWER_UP only while the interface is up, so the
  // mirror says nothing about the carrier of a proxy that is down.
  private mirroredCarrier(proxy: number): boolean | undefined {
    const ptr = this.d.core.x.proxy_info_ptr(proxy) >>> 0;
    if (!ptr) return undefined;
    const i = readProxyInfo(this.d.core.view, ptr);
    if (!i.known || i.gone || !(i.flags & IFF_UP)) return undefined;
    return (i.flags & IFF_LOWER_UP) !== 0;
  }
}

/** The kernel's refusal of a link change as a typed error that says why. */
function refusal(errno: number, p: ProxyEntry, change: LinkChange | { carrier: boolean }): IfpxError {
  const what = "carrier" in change ? `carrier ${change.carrier ? "on" : "off"}` : "mac" in change ? "a MAC address" : `MTU ${change.mtu}`;
  const on = `${p.name} (ifindex ${p.ifindex})`;
  switch (errno) {
    case 1: case 13:
      if ("carrier" in change && change.carrier && process.geteuid?.() === 0) {
        return new IfpxError("EPERM", `the kernel refused carrier on for ${on}: a tap that no process holds open has no queue, and tun allows carrier only with one (hold its fd, or let ifpx create the proxy)`, errno);
      }
      return new IfpxError("EPERM", `setting ${what} on ${on} needs CAP_NET_ADMIN`, errno);
    case 95:
      return new IfpxError("EOPNOTSUPP", `${on} cannot change its carrier from user space: the kernel implements it (ndo_change_carrier) for tun/tap, not for this interface's driver`, errno);
    case 2: case 19:
      return new IfpxError("ENOENT", `the interface of proxy ${p.id}, ${on}, no longer exists`, errno);
    case 22: case 34: case 99:
      return new IfpxError("EINVAL", `the kernel refused ${what} for ${on} (errno ${errno}: outside what the device accepts)`, errno);
    case 16:
      return new IfpxError("EBUSY", `${on} is busy: the kernel refused ${what}`, errno);
    default:
      return new IfpxError("EIO", `the kernel refused ${what} for ${on} (errno ${errno})`, errno);
  }
}
