// Dumps received off the main thread, on libuv's threadpool. The kernel builds
// a netlink dump inside recvmsg(): each call that takes a dump datagram makes
// it build the next one. Received on the main thread, that work and ifpx's
// parsing alternate. Here recvmmsg() runs through koffi's .async (a pool
// thread) into one of two banks of the core's receive buffer while the main
// thread parses the other: the kernel's work overlaps with parsing, and no
// thread has to be started (booting a worker costs more than a mid-sized
// dump takes).
//
// Each bank is 16 slots of 64 KiB (a dump datagram is at most 32 KiB; a
// notification read meanwhile may be bigger); one call takes up to 16
// datagrams (some thousands of IPv4 routes), so the round trip through the
// pool is paid rarely (bench/README.md has the measurements behind 16). Only one call is ever in flight: datagrams stay in order, and the caller sends nothing on the socket while a
// call runs (recvmsg() continues a dump without holding the dump mutex; a dump
// started meanwhile from another thread can leave a spurious EINVAL in the
// socket error). koffi restores the call's errno around the callback.
import * as libc from "../libc.js";
import type { Core } from "../core/core.js";
import type { DumpBatch, DumpDatagram } from "./transport.js";

const SLOTS = 16;
const SLOT_SIZE = 64 << 10;
const BANKS = 2;
const MMSG = 64; // struct mmsghdr on x86_64/aarch64: msghdr (56) + msg_len (4) + pad
const IOV = 16;
const NAME = 16; // sockaddr_nl (12), padded
const MSG_TRUNC = 0x20;

interface Bank { vec: bigint; vecOff: number; nameOff: number; rxOff: number }

const recvmmsgAsync = (libc.recvmmsg as unknown as { async: (...a: unknown[]) => void }).async;

export class DumpReceiver {
  private readonly banks: Bank[] = [];
  private next = 0;
  private inFlightDone: Promise<void> | undefined;
  /** a call is running on the pool */
  inFlight = false;

  /** undefined when the core's receive buffer cannot hold two banks */
  static create(core: Core): DumpReceiver | undefined {
    return core.rxCap >= BANKS * SLOTS * SLOT_SIZE ? new DumpReceiver(core) : undefined;
  }

  private constructor(private readonly core: Core) {
    const x = core.x, dv = core.view;
    // the address of WASM memory: a shared memory never moves when it grows
    const base = BigInt(libc.memmove(core.bytes, core.bytes, 0));
    for (let b = 0; b < BANKS; b++) {
      const vecOff = x.ring_buf_alloc(SLOTS * (MMSG + IOV + NAME)) >>> 0;
      const iovOff = vecOff + SLOTS * MMSG, nameOff = iovOff + SLOTS * IOV, rxOff = b * SLOTS * SLOT_SIZE;
      for (let i = 0; i < SLOTS; i++) {
        const m = vecOff + i * MMSG, iov = iovOff + i * IOV;
        dv.setBigUint64(m, base + BigInt(nameOff + i * NAME), true); // msg_name
        dv.setUint32(m + 8, 12, true);                                // msg_namelen
        dv.setBigUint64(m + 16, base + BigInt(iov), true);            // msg_iov
        dv.setBigUint64(m + 24, 1n, true);                            // msg_iovlen
        dv.setBigUint64(iov, base + BigInt(core.rxPtr + rxOff + i * SLOT_SIZE), true);
        dv.setBigUint64(iov + 8, BigInt(SLOT_SIZE), true);
      }
      this.banks.push({ vec: base + BigInt(vecOff), vecOff, nameOff, rxOff });
    }
  }

  /**
   * Receive up to 16 datagrams (without blocking) on a pool thread into the next
   * bank; `done` runs on the main thread. The bank must not be parsed any more:
   * banks alternate, so the previous batch stays intact until the call after.
   */
  receive(fd: number, done: (batch: DumpBatch) => void): void {
    if (this.inFlight) throw new Error("ifpx: a dump receive is already in flight");
    const bank = this.next;
    this.next ^= 1;
    this.inFlight = true;
    let settle!: () => void;
    this.inFlightDone = new Promise<void>((r) => { settle = r; });
    const b = this.banks[bank];
    // re-arm msg_namelen: the kernel writes back the length it used
    for (let i = 0; i < SLOTS; i++) this.core.view.setUint32(b.vecOff + i * MMSG + 8, 12, true);
    recvmmsgAsync(fd, b.vec, SLOTS, libc.MSG_DONTWAIT, null, (err: unknown, n: number) => {
      this.inFlight = false;
      settle();
      const e = err ? libc.EIO : n < 0 ? libc.errno() : 0;
      done({ bank, n: err ? -1 : n, errno: e === libc.EAGAIN ? 0 : e });
    });
  }

  /** Resolves once no call is in flight (then the socket may be closed). */
  idle(): Promise<void> {
    return this.inFlight && this.inFlightDone ? this.inFlightDone : Promise.resolve();
  }

  /** Datagram i of a batch's bank. */
  datagram(bank: number, i: number): DumpDatagram {
    const b = this.banks[bank], dv = this.core.view, m = b.vecOff + i * MMSG;
    const off = b.rxOff + i * SLOT_SIZE;
    return {
      off,
      end: off + dv.getUint32(m + 56, true),
      // only the kernel (nl_pid 0) may speak: anyone can send to our port id
      spoofed: dv.getUint32(b.nameOff + i * NAME + 4, true) !== 0,
      truncated: (dv.getInt32(m + 48, true) & MSG_TRUNC) !== 0,
    };
  }
}
