// SO_RCVBUFFORCE on a netlink socket that a library opened but does not expose:
// find its fd through /proc (netlink port id -> socket inode -> fd) and call
// setsockopt through koffi. Used ONLY to let npm `netlink` hold a full burst in
// the drain bench (its own API sets SO_RCVBUF, capped by net.core.rmem_max).
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import koffi from "koffi";

const libc = koffi.load("libc.so.6");
const setsockopt = libc.func("int setsockopt(int fd, int level, int name, const void *val, uint32_t len)");
const getsockopt = libc.func("int getsockopt(int fd, int level, int name, _Out_ void *val, _Inout_ uint32_t *len)");

export function fdOfNetlinkPort(port) {
  const lines = readFileSync("/proc/self/net/netlink", "utf8").trim().split("\n").slice(1);
  let inode = null;
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    if (Number(f[1]) === 0 && Number(f[2]) === port) inode = f[9];
  }
  if (!inode) throw new Error(`netlink port ${port} not found`);
  for (const fd of readdirSync("/proc/self/fd")) {
    try { if (readlinkSync(`/proc/self/fd/${fd}`) === `socket:[${inode}]`) return Number(fd); } catch {}
  }
  throw new Error(`fd of socket inode ${inode} not found`);
}

/** force the receive buffer; returns the effective SO_RCVBUF */
export function forceRcvbuf(port, bytes) {
  const fd = fdOfNetlinkPort(port);
  const v = new Int32Array([bytes]);
  if (setsockopt(fd, 1 /* SOL_SOCKET */, 33 /* SO_RCVBUFFORCE */, v, 4) !== 0) throw new Error("SO_RCVBUFFORCE failed");
  const out = new Int32Array(1), len = new Uint32Array([4]);
  getsockopt(fd, 1, 8 /* SO_RCVBUF */, out, len);
  return out[0];
}
