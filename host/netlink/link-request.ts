// One RTM_NEWLINK request that changes one attribute of an interface (its
// carrier, MAC or MTU), sent on a NETLINK_ROUTE socket of the interface's
// namespace and acknowledged (NLM_F_ACK): the kernel's answer is the errno.
// One attribute per request, so a refusal names the attribute it is about
// (do_setlink applies attributes in order and stops at the first error,
// leaving the earlier ones applied).
// By ifindex, not by name: the name of a proxy can change under us.
import * as libc from "../libc.js";
import { IfpxError } from "../errors.js";
import { inNetns } from "../netns.js";

const RTM_NEWLINK = 16;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const IFLA_ADDRESS = 1;
const IFLA_MTU = 4;
const IFLA_CARRIER = 33;
const SO_RCVTIMEO = 20;
const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;

export type LinkChange =
  | { carrier: boolean }
  | { mac: Uint8Array }
  | { mtu: number };

let seq = 0;

function encode(ifindex: number, change: LinkChange, s: number): Uint8Array {
  let type: number, payload: Uint8Array;
  if ("carrier" in change) { type = IFLA_CARRIER; payload = Uint8Array.of(change.carrier ? 1 : 0); }
  else if ("mac" in change) { type = IFLA_ADDRESS; payload = change.mac; }
  else { type = IFLA_MTU; payload = new Uint8Array(new Uint32Array([change.mtu]).buffer); }
  const rtaLen = 4 + payload.length;
  const len = NLMSG_HDRLEN + IFINFOMSG_LEN + ((rtaLen + 3) & ~3);
  const msg = new Uint8Array(len);
  const dv = new DataView(msg.buffer);
  dv.setUint32(0, len, true);
  dv.setUint16(4, RTM_NEWLINK, true);
  dv.setUint16(6, NLM_F_REQUEST | NLM_F_ACK, true);
  dv.setUint32(8, s, true);
  // ifinfomsg: family AF_UNSPEC, index; ifi_flags/ifi_change 0, so the
  // request never touches IFF_UP (the operator's admin state)
  dv.setInt32(NLMSG_HDRLEN + 4, ifindex, true);
  const a = NLMSG_HDRLEN + IFINFOMSG_LEN;
  dv.setUint16(a, rtaLen, true);
  dv.setUint16(a + 2, type, true);
  msg.set(payload, a + 4);
  return msg;
}

/** Send the change and wait for the kernel's ACK: 0, or the positive errno it answered. */
export function requestLinkChange(netns: string | undefined, ifindex: number, change: LinkChange): number {
  const fd = inNetns(netns, () => libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC, libc.NETLINK_ROUTE));
  if (fd < 0) throw new IfpxError("EIO", "cannot open a NETLINK_ROUTE socket", libc.errno());
  try {
    // rtnetlink handles a request inside sendto, so the ACK is queued before
    // it returns; the timeout only guards against a kernel that never answers
    const tv = new BigInt64Array([1n, 0n]);
    libc.setsockopt(fd, libc.SOL_SOCKET, SO_RCVTIMEO, tv, 16);
    const s = seq = (seq + 1) >>> 0;
    const msg = encode(ifindex, change, s);
    const kernel = new Uint8Array(12);
    new DataView(kernel.buffer).setUint16(0, libc.AF_NETLINK, true);
    if (Number(libc.sendto(fd, msg, msg.length, 0, kernel, 12)) !== msg.length) {
      throw new IfpxError("EIO", "netlink RTM_NEWLINK request failed", libc.errno());
    }
    const buf = new Uint8Array(1024), from = new Uint8Array(12), fromlen = new Uint32Array(1);
    for (;;) {
      fromlen[0] = 12;
      const n = Number(libc.recvfrom(fd, buf, buf.length, 0, from, fromlen));
      if (n < 0) {
        const e = libc.errno();
        if (e === libc.EINTR) continue;
        throw new IfpxError("EIO", "no answer from the kernel to RTM_NEWLINK", e);
      }
      // only the kernel's answer counts (nl_pid 0): any local process can send to this port id
      if (from[4] | from[5] | from[6] | from[7]) continue;
      const dv = new DataView(buf.buffer, 0, n);
      for (let off = 0; off + NLMSG_HDRLEN <= n;) {
        const len = dv.getUint32(off, true);
        if (len < NLMSG_HDRLEN) break;
        if (dv.getUint16(off + 4, true) === NLMSG_ERROR && dv.getUint32(off + 8, true) === s && off + 20 <= n) {
          return -dv.getInt32(off + 16, true);
        }
        off += (len + 3) & ~3;
      }
    }
  } finally {
    libc.close(fd);
  }
}
