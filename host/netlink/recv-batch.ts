// Many netlink datagrams per system call (recvmmsg), straight into the core's
// receive buffer. Live notifications arrive one per datagram; one recv() per
// datagram through the FFI costs more than the kernel's own work, so a burst
// is read 32 datagrams at a time. Each datagram gets an 8 KiB slot (a
// notification is far smaller; a larger one is reported truncated and the
// listener resynchronises); the slots are then packed end to end so the core
// parses one contiguous range. Dumps (datagrams up to 32 KiB) are read by
// dump-receiver.ts on libuv's pool, or one recv() at a time into 64 KiB of
// room when the pool is not used (host/netlink/receiver.ts).
import * as libc from "../libc.js";
import type { Core } from "../core/core.js";
import type { BatchResult } from "./transport.js";

const SLOTS = 32;
const SLOT_SIZE = 8192;
const MMSG = 64; // struct mmsghdr on x86_64/aarch64: msghdr (56) + msg_len (4) + pad
const IOV = 16;
const NAME = 16; // sockaddr_nl (12), padded
const MSG_TRUNC = 0x20;

export class BatchReceiver {
  private readonly vec: bigint;
  private readonly vecOff: number;
  private readonly nameOff: number;
  private readonly out: BatchResult = { bytes: 0, datagrams: 0, spoofed: 0, truncated: 0, errno: 0 };

  constructor(private readonly core: Core) {
    const x = core.x;
    this.vecOff = x.ring_buf_alloc(SLOTS * (MMSG + IOV + NAME)) >>> 0;
    const iovOff = this.vecOff + SLOTS * MMSG;
    this.nameOff = iovOff + SLOTS * IOV;
    // the address of WASM memory: a shared memory never moves when it grows
    const u8 = core.bytes;
    const base = BigInt(libc.memmove(u8, u8, 0));
    this.vec = base + BigInt(this.vecOff);
    const dv = core.view;
    for (let i = 0; i < SLOTS; i++) {
      const m = this.vecOff + i * MMSG, iov = iovOff + i * IOV;
      dv.setBigUint64(m, base + BigInt(this.nameOff + i * NAME), true); // msg_name
      dv.setUint32(m + 8, 12, true);                                    // msg_namelen
      dv.setBigUint64(m + 16, base + BigInt(iov), true);                // msg_iov
      dv.setBigUint64(m + 24, 1n, true);                                // msg_iovlen
      dv.setBigUint64(iov, base + BigInt(core.rxPtr + i * SLOT_SIZE), true);
      dv.setBigUint64(iov + 8, BigInt(SLOT_SIZE), true);
    }
  }

  /** Receive up to 32 pending datagrams without blocking; packed at the start of rx. */
  receive(fd: number): BatchResult {
    const o = this.out;
    o.bytes = o.datagrams = o.spoofed = o.truncated = o.errno = 0;
    const n = libc.recvmmsg(fd, this.vec, SLOTS, libc.MSG_DONTWAIT, null);
    if (n < 0) {
      const e = libc.errno();
      o.errno = e === libc.EAGAIN ? 0 : e;
      return o;
    }
    const dv = this.core.view, u8 = this.core.bytes, rx = this.core.rxPtr;
    for (let i = 0; i < n; i++) {
      const m = this.vecOff + i * MMSG;
      const len = dv.getUint32(m + 56, true);
      // only the kernel (nl_pid 0) may speak: anyone can send to our port id
      if (dv.getUint32(this.nameOff + i * NAME + 4, true) !== 0) { o.spoofed++; continue; }
      if (dv.getInt32(m + 48, true) & MSG_TRUNC) { o.truncated++; continue; }
      const src = rx + i * SLOT_SIZE, dst = rx + o.bytes;
      if (src !== dst) u8.copyWithin(dst, src, src + len);
      o.bytes += (len + 3) & ~3;
      o.datagrams++;
    }
    return o;
  }
}
