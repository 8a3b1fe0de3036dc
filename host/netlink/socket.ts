// A NETLINK_ROUTE socket: transport only. Parsing lives in the WASM core; this
// file opens, subscribes, sends dump requests and receives datagrams straight
// into WASM linear memory.
import * as libc from "../libc.js";
import { IfpxError } from "../errors.js";
import { inNetns } from "../netns.js";
import type { RecvResult } from "./transport.js";

export type { RecvResult } from "./transport.js";

export const RTMGRP_LINK = 0x1;
export const RTMGRP_NEIGH = 0x4;
export const RTMGRP_IPV4_IFADDR = 0x10;
export const RTMGRP_IPV4_ROUTE = 0x40;
export const RTMGRP_IPV6_IFADDR = 0x100;
export const RTMGRP_IPV6_ROUTE = 0x400;
// RTNLGRP_NEXTHOP (32): bit 31 of the bind mask (kernels without it mask it off)
export const RTMGRP_NEXTHOP = 0x80000000;
export const ALL_GROUPS = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE;

export const RTM_GETLINK = 18;
export const RTM_GETADDR = 22;
export const RTM_GETROUTE = 26;
export const RTM_GETNEIGH = 30;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;

// Size of the family header that follows nlmsghdr in each dump request
// (ifinfomsg 16, ifaddrmsg 8, rtmsg 12, ndmsg 12). Sending the real struct
// keeps the request valid for kernels with strict checking enabled.
/** bytes of the family header that follows nlmsghdr in a dump request of each type */
export const REQ_BODY: Record<number, number> = { [RTM_GETLINK]: 16, [RTM_GETADDR]: 8, [RTM_GETROUTE]: 12, [RTM_GETNEIGH]: 12 };

export interface NetlinkSocketOptions {
  groups?: number;
  /** receive buffer bytes; SO_RCVBUFFORCE is tried first (root), then SO_RCVBUF (capped by rmem_max) */
  rcvbuf?: number;
  netns?: string;
}

const NETLINK_ADD_MEMBERSHIP = 1;
const NETLINK_DROP_MEMBERSHIP = 2;

export class NetlinkSocket {
  readonly fd: number;
  /** groups (bind-mask bits) the kernel refused to subscribe this socket to */
  readonly refusedGroups: { bit: number; errno: number }[] = [];
  /** the receive buffer the kernel granted (getsockopt reports twice the request) */
  readonly rcvbuf: number;
  private readonly addr = new Uint8Array(12);
  private readonly addrlen = new Uint32Array(1);
  private readonly req = new Uint8Array(32);
  private readonly kernel = new Uint8Array(12); // sockaddr_nl of the kernel: pid 0, groups 0

  constructor(opts: NetlinkSocketOptions = {}) {
    const fd = inNetns(opts.netns, () =>
      libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC | libc.SOCK_NONBLOCK, libc.NETLINK_ROUTE));
    if (fd < 0) throw new IfpxError("EIO", "cannot open a NETLINK_ROUTE socket", libc.errno());
    this.fd = fd;
    new DataView(this.kernel.buffer).setUint16(0, libc.AF_NETLINK, true);
    try {
      this.rcvbuf = opts.rcvbuf ? this.setRcvbuf(opts.rcvbuf) : this.getRcvbuf();
      const sa = new DataView(new ArrayBuffer(12));
      sa.setUint16(0, libc.AF_NETLINK, true);
      sa.setUint32(8, opts.groups ?? 0, true);
      if (libc.bind(fd, new Uint8Array(sa.buffer), 12) !== 0) {
        // A sandbox or emulator may refuse a group: bind with none, then
        // subscribe one group at a time and keep what it refused.
        sa.setUint32(8, 0, true);
        if (!opts.groups || libc.bind(fd, new Uint8Array(sa.buffer), 12) !== 0) {
          throw new IfpxError("EIO", "cannot bind the netlink socket", libc.errno());
        }
        for (let bit = 1; bit; bit = (bit << 1) >>> 0) {
          if (!(opts.groups & bit)) continue;
          const errno = this.membership(NETLINK_ADD_MEMBERSHIP, bit);
          if (errno) this.refusedGroups.push({ bit, errno });
        }
      }
    } catch (e) {
      libc.close(fd);
      throw e;
    }
  }

  private getRcvbuf(): number {
    const v = new Int32Array(1), l = new Uint32Array([4]);
    libc.getsockopt(this.fd, libc.SOL_SOCKET, libc.SO_RCVBUF, v, l);
    return v[0];
  }

  private setRcvbuf(bytes: number): number {
    const v = new Int32Array([bytes]);
    if (libc.setsockopt(this.fd, libc.SOL_SOCKET, libc.SO_RCVBUFFORCE, v, 4) !== 0) {
      // Not root: the kernel caps SO_RCVBUF at net.core.rmem_max.
      libc.setsockopt(this.fd, libc.SOL_SOCKET, libc.SO_RCVBUF, v, 4);
    }
    return this.getRcvbuf();
  }

  /** Leave the groups of a bind mask (a kind no longer followed): 0, or the errno of the first failure. */
  dropGroups(groups: number): number {
    let first = 0;
    for (let bit = 1; bit; bit = (bit << 1) >>> 0) {
      if (groups & bit) first ||= this.membership(NETLINK_DROP_MEMBERSHIP, bit);
    }
    return first;
  }

  // group number g is bind-mask bit g-1
  private membership(op: number, bit: number): number {
    const group = new Int32Array([32 - Math.clz32(bit)]);
    return libc.setsockopt(this.fd, libc.SOL_NETLINK, op, group, 4) === 0 ? 0 : libc.errno();
  }

  /** Ask for a dump of all objects of one kind, of one address family (0: every family). */
  sendDump(type: number, seq: number, family = 0): void {
    const body = REQ_BODY[type];
    if (body === undefined) throw new IfpxError("EINVAL", `not a dump request type: ${type}`);
    const len = 16 + body;
    this.req.fill(0);
    const dv = new DataView(this.req.buffer);
    dv.setUint32(0, len, true);
    dv.setUint16(4, type, true);
    dv.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true);
    dv.setUint32(8, seq, true);
    this.req[16] = family; // ifi_family / ifa_family / rtm_family / ndm_family: the first byte of each
    const r = Number(libc.sendto(this.fd, this.req, len, 0, this.kernel, 12));
    if (r !== len) throw new IfpxError("EIO", `netlink dump request failed`, libc.errno());
  }

  /** The port id the kernel gave this socket (nl_pid of its address). */
  get portId(): number {
    const sa = new Uint8Array(12), len = new Uint32Array([12]);
    if (libc.getsockname(this.fd, sa, len) !== 0) return 0;
    return new DataView(sa.buffer).getUint32(4, true);
  }

  /** Send a request (already encoded) to the kernel. */
  send(msg: Uint8Array): void {
    const r = Number(libc.sendto(this.fd, msg, msg.length, 0, this.kernel, 12));
    if (r !== msg.length) throw new IfpxError("EIO", "netlink send failed", libc.errno());
  }

  /**
   * Receive one datagram into buf[off..off+max) without blocking. Datagrams
   * whose sender is not the kernel (nl_pid != 0) are discarded: any local
   * process can send to our port id.
   */
  recv(buf: Uint8Array, off: number, max: number): RecvResult {
    this.addrlen[0] = 12;
    const view = buf.subarray(off, off + max);
    const n = Number(libc.recvfrom(this.fd, view, max, libc.MSG_DONTWAIT | libc.MSG_TRUNC, this.addr, this.addrlen));
    if (n < 0) {
      const e = libc.errno();
      return { bytes: 0, errno: e === libc.EAGAIN ? 0 : e, spoofed: false, truncated: false };
    }
    const pid = this.addr[4] | (this.addr[5] << 8) | (this.addr[6] << 16) | (this.addr[7] << 24);
    if (pid !== 0) return { bytes: 0, errno: 0, spoofed: true, truncated: false };
    if (n > max) return { bytes: max, errno: 0, spoofed: false, truncated: true };
    return { bytes: n, errno: 0, spoofed: false, truncated: false };
  }

  close(): void {
    libc.close(this.fd);
  }
}
