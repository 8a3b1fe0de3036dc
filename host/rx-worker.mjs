// The receive thread (plain JS: it is a worker entry, run as is from sources
// and from dist/). It recv()s netlink datagrams into the core's receive
// buffer while the main thread parses the previous batch, so the kernel's
// work (a dump is generated inside recvmsg) overlaps with ifpx's own.
//
// Shared control block (Int32Array over the core memory, see host/rx-thread.ts):
//   SLOTS x u32 length of each filled slot (0 = free); the main thread
//   zeroes a slot when it has parsed it. Slots are filled and parsed in
//   order 0, 1, ..., so a slot's datagrams stay in kernel order.
//   SEQ      bumped after each published slot; main waits on it (waitAsync)
//   WAITING  1 while the main thread waits on SEQ (notify only then)
//   FREED    bumped by main after freeing a slot; this thread waits on it
//   STOP, PAUSE, counters (datagrams, spoofed, overruns, truncated), ERRNO
// Every store that publishes data is an Atomics store after the plain
// writes recv() made (koffi returns after the syscall: ordered before).
import { workerData, parentPort } from "node:worker_threads";
import koffi from "koffi";

const C = { SLOT0: 0, SEQ: 16, WAITING: 17, FREED: 18, STOP: 19, PAUSE: 20, DGRAMS: 21, SPOOFED: 22, OVERRUNS: 23, TRUNC: 24, ERRNO: 25, ALIVE: 26 };

if (parentPort && workerData?.ifpxRx) {
  const { memory, fd, ctl, rx, slotSize, slots } = workerData;
  const libc = koffi.load("libc.so.6");
  const recvfrom = libc.func("long recvfrom(int fd, void *buf, unsigned long len, int flags, void *addr, _Inout_ void *addrlen)");
  const poll = libc.func("int poll(_Inout_ void *fds, unsigned long nfds, int timeout)");
  const i32 = new Int32Array(memory.buffer);
  const c = ctl >> 2;
  const MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20, EAGAIN = 11, EINTR = 4, EINVAL = 22, ENOBUFS = 105;
  // room for the largest datagram: dump skbs are 32 KiB at most here
  const MIN_ROOM = 33 * 1024;
  const addr = new Uint8Array(12), addrlen = new Uint32Array(1);
  const pfd = new Uint8Array(8);
  new DataView(pfd.buffer).setInt32(0, fd, true);
  new DataView(pfd.buffer).setInt16(4, 1 /* POLLIN */, true);
  let u8 = new Uint8Array(memory.buffer);
  let slot = 0;
  Atomics.store(i32, c + C.ALIVE, 1);

  const publish = (len) => {
    Atomics.store(i32, c + C.SLOT0 + slot, len);
    Atomics.add(i32, c + C.SEQ, 1);
    if (Atomics.load(i32, c + C.WAITING)) Atomics.notify(i32, c + C.SEQ);
    slot = (slot + 1) % slots;
  };

  outer: while (!Atomics.load(i32, c + C.STOP)) {
    if (Atomics.load(i32, c + C.PAUSE)) { Atomics.wait(i32, c + C.PAUSE, 1, 50); continue; }
    // wait for our next slot to be free (the main thread parses in order)
    const freed = Atomics.load(i32, c + C.FREED);
    if (Atomics.load(i32, c + C.SLOT0 + slot) !== 0) { Atomics.wait(i32, c + C.FREED, freed, 50); continue; }
    // a bounded poll: a worker blocked in recv could never be stopped
    pfd[6] = 0; pfd[7] = 0;
    const pr = poll(pfd, 1, 50);
    if (pr <= 0) continue;
    if (u8.buffer !== memory.buffer) u8 = new Uint8Array(memory.buffer);
    const base = rx + slot * slotSize;
    let off = 0, noted = false;
    while (slotSize - off >= MIN_ROOM) {
      if (Atomics.load(i32, c + C.STOP)) break outer;
      addrlen[0] = 12;
      const n = Number(recvfrom(fd, u8.subarray(base + off, base + slotSize), slotSize - off, MSG_DONTWAIT | MSG_TRUNC, addr, addrlen));
      if (n < 0) {
        const e = koffi.errno();
        if (e === EAGAIN) break;
        if (e === EINTR) continue;
        if (e === ENOBUFS) { Atomics.add(i32, c + C.OVERRUNS, 1); noted = true; continue; }
        // Kernel race: recvmsg() continues a dump it saw running without the
        // dump mutex; if the main thread's send started/ended a dump in
        // between, netlink_dump() finds none and leaves EINVAL in sk_err for
        // the next recv. The dump may have lost its continuation: have the
        // main thread treat it as an overrun (dump again) rather than fail.
        if (e === EINVAL) { Atomics.add(i32, c + C.OVERRUNS, 1); noted = true; continue; }
        Atomics.store(i32, c + C.ERRNO, e);
        break outer;
      }
      // only the kernel (nl_pid 0) may speak: anyone can send to our port id
      if (addr[4] | addr[5] | addr[6] | addr[7]) { Atomics.add(i32, c + C.SPOOFED, 1); noted = true; continue; }
      if (n > slotSize - off) { Atomics.add(i32, c + C.TRUNC, 1); noted = true; continue; }
      Atomics.add(i32, c + C.DGRAMS, 1);
      off += (n + 3) & ~3;
    }
    if (off) publish(off);
    else if (noted) {
      // nothing to parse, but the main thread must learn about an overrun
      Atomics.add(i32, c + C.SEQ, 1);
      if (Atomics.load(i32, c + C.WAITING)) Atomics.notify(i32, c + C.SEQ);
    }
  }
  Atomics.store(i32, c + C.ALIVE, 0);
  Atomics.add(i32, c + C.SEQ, 1);
  Atomics.notify(i32, c + C.SEQ);
}
