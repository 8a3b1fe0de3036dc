// Plain (non-DPDK) proxies: a tap made through /dev/net/tun, or an existing
// interface adopted by name or index. The library keeps the tap's fd open:
// a tap nobody holds has no carrier and its routes are flagged linkdown.
import * as libc from "./libc.js";
import { IfpxError } from "./errors.js";
import { inNetns } from "./netns.js";

const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const SIOCGIFNAME = 0x8910;
const SIOCGIFFLAGS = 0x8913;
const SIOCGIFMTU = 0x8921;
const SIOCGIFHWADDR = 0x8927;
const AF_INET = 2;
const SOCK_DGRAM = 2;
export const IFNAMSIZ = 16;

export interface TapHandle {
  fd: number;
  name: string;
  ifindex: number;
}

export interface LinkInfo {
  ifindex: number;
  name: string;
  mtu: number;
  mac: string;
  up: boolean;
}

function readName(ifr: Uint8Array): string {
  const end = ifr.indexOf(0);
  return Buffer.from(ifr.subarray(0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end)).toString("latin1");
}

export function checkIfName(name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length >= IFNAMSIZ || /[\s/:]/.test(name) || name === "." || name === "..") {
    throw new IfpxError("EINVAL", `invalid interface name ${JSON.stringify(name)}: 1-15 characters, no spaces, '/' or ':'`);
  }
}

export function createTap(name: string | undefined, netns: string | undefined): TapHandle {
  if (name !== undefined) checkIfName(name);
  return inNetns(netns, () => {
    const fd = libc.open("/dev/net/tun", libc.O_RDWR | libc.O_CLOEXEC);
    if (fd < 0) {
      const e = libc.errno();
      if (e === libc.ENOENT) throw new IfpxError("ENODEV", "/dev/net/tun is missing: load the tun module (`modprobe tun`) or create the node (`mknod /dev/net/tun c 10 200`)", e);
      throw new IfpxError("EPERM", "cannot open /dev/net/tun: creating a tap needs root or CAP_NET_ADMIN", e);
    }
    const ifr = new Uint8Array(40);
    if (name) ifr.set(Buffer.from(name, "latin1"));
    new DataView(ifr.buffer).setUint16(16, IFF_TAP | IFF_NO_PI, true);
    if (libc.ioctl(fd, TUNSETIFF, ifr) !== 0) {
      const e = libc.errno();
      libc.close(fd);
      if (e === libc.EPERM || e === libc.EACCES) throw new IfpxError("EPERM", "creating a tap needs root or CAP_NET_ADMIN", e);
      if (e === 16 || e === 22) throw new IfpxError("EEXIST", `cannot create tap ${JSON.stringify(name)}: an interface of that name exists and is not a free tap`, e);
      throw new IfpxError("EIO", `TUNSETIFF failed for ${JSON.stringify(name ?? "tap%d")}`, e);
    }
    const got = readName(ifr);
    const ifindex = libc.if_nametoindex(got);
    if (!ifindex) {
      libc.close(fd);
      throw new IfpxError("EIO", `tap ${got} was created but has no index`, libc.errno());
    }
    return { fd, name: got, ifindex };
  });
}

/** Resolve an existing interface (name or index) in the namespace. */
export function resolveInterface(nameOrIndex: string | number, netns: string | undefined): { ifindex: number; name: string } {
  return inNetns(netns, () => {
    if (typeof nameOrIndex === "number") {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex <= 0) throw new IfpxError("EINVAL", `invalid interface index ${nameOrIndex}`);
      const name = ioctlName(nameOrIndex);
      if (name === undefined) throw new IfpxError("ENOENT", `no interface with index ${nameOrIndex}${netns ? ` in namespace ${netns}` : ""}`);
      return { ifindex: nameOrIndex, name };
    }
    checkIfName(nameOrIndex);
    const ifindex = libc.if_nametoindex(nameOrIndex);
    if (!ifindex) throw new IfpxError("ENOENT", `no interface named ${nameOrIndex}${netns ? ` in namespace ${netns}` : ""}`);
    return { ifindex, name: nameOrIndex };
  });
}

function withCtlSocket<T>(fn: (fd: number) => T): T {
  const fd = libc.socket(AF_INET, SOCK_DGRAM | libc.SOCK_CLOEXEC, 0);
  if (fd < 0) throw new IfpxError("EIO", "cannot open a control socket", libc.errno());
  try { return fn(fd); } finally { libc.close(fd); }
}

function ioctlName(ifindex: number): string | undefined {
  return withCtlSocket((fd) => {
    const ifr = new Uint8Array(40);
    new DataView(ifr.buffer).setInt32(16, ifindex, true);
    return libc.ioctl(fd, SIOCGIFNAME, ifr) === 0 ? readName(ifr) : undefined;
  });
}

/** Current link facts through ioctl: what upstream takes from rte_eth_dev_info before listening. */
export function queryLink(ifindex: number, netns: string | undefined): LinkInfo | undefined {
  return inNetns(netns, () => withCtlSocket((fd) => {
    const ifr = new Uint8Array(40);
    const dv = new DataView(ifr.buffer);
    dv.setInt32(16, ifindex, true);
    if (libc.ioctl(fd, SIOCGIFNAME, ifr) !== 0) return undefined;
    const name = readName(ifr);
    dv.setInt32(16, 0, true);
    if (libc.ioctl(fd, SIOCGIFMTU, ifr) !== 0) return undefined;
    const mtu = dv.getInt32(16, true);
    if (libc.ioctl(fd, SIOCGIFHWADDR, ifr) !== 0) return undefined;
    const mac = Array.from(ifr.subarray(18, 24), (b) => b.toString(16).padStart(2, "0")).join(":");
    if (libc.ioctl(fd, SIOCGIFFLAGS, ifr) !== 0) return undefined;
    const up = (dv.getUint16(16, true) & 1) !== 0;
    return { ifindex, name, mtu, mac, up };
  }));
}
