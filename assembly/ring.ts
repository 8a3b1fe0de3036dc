// Lock-free rings of 64-byte event records in shared linear memory, rte_ring
// style: free-running u32 head/tail counters for the producer side and the
// consumer side, N slots (N a power of two, index = counter & mask), all N
// slots usable (full when prod.head - cons.tail == N).
//
// Modes (flags, as rte_ring): RING_F_SP (single producer) and RING_F_SC
// (single consumer). SPSC = SP|SC; MPMC = 0; SP/MC and MP/SC also work.
//
// Header layout (RING_HDR = 384 bytes, the ring itself 64-byte aligned; the
// offsets are defined in layout/shared-memory.json, this is the picture):
//   line 0   0 magic u32 ("IFPR")   4 flags u32   8 slots u32   12 mask u32
//           16 hdr size u32 (384)   20 block u32 (heap block of ring_alloc, 0 if none)
//           24 zero u32 (never written: spinning threads yield with a timed wait on it)
//           28 generation u32 (nonzero, unique per ring of this memory: a handle carries it)
//           32 claims u32   36 scratch u32   40 burst u32   44 readers u32
//              (the reader areas of a queue made by queue_alloc, 0 for a bare ring:
//               a handle's copies must match them, see host/queues/ring-handle.ts)
//   line 1  64 prod.head u32        68 prod.tail u32   (the word consumers wait on)
//           72 prod.cache u32: the producers' last seen cons.tail
//   line 2 128 cons.head u32       132 cons.tail u32
//          136 cons.cache u32: the consumers' last seen prod.tail
//   line 3 192 waiters u32 (consumers currently blocked / about to block)
//          196 closed u32 (1 after ring_close)
//   line 4 (written only by the queue publisher, queues.ts)
//          256 overflowed u32      260 lost u32 (not enqueued since the last OVERFLOW record)
//          264 total lost u64      272 overflow records emitted u32
//          280 records published u64
//   line 5 320 marker record: where the producer side builds OVERFLOW/END records
//   384.. slots, 64 bytes each
//
// Memory ordering. WebAssembly atomics are sequentially consistent (there is no
// weaker order, and `atomic.fence()` does not validate in asc 0.28.20), so every
// atomic.load is at least an acquire and every atomic.store/cmpxchg/add at least
// a release. Slot data is copied with plain loads/stores (memory.copy); it is
// ordered by the atomic operations around it:
//   Each side keeps the other side's tail it last saw in its own cache line
//   (prod.cache, cons.cache) and re-reads the real tail only when that cached
//   value does not show room for / records for the whole request, so the other
//   side's line is touched once per refill, not once per call. A cached tail is
//   never ahead of the real one (tails only grow), so it can only under-estimate.
//   enqueue  1. atomic.load cons.tail       acquire: consumers finished reading those slots
//               (only when prod.cache shows too little room; SP: plain store of the cache)
//            2. prod.head: SP plain store (only this thread reads it) /
//               MP atomic.cmpxchg (claims [head, head+n) among producers)
//            3. plain stores of slot data into the claimed slots
//            4. MP only: atomic.load prod.tail until == head (earlier producers published)
//            5. atomic.store prod.tail = head+n   release: publishes the slot data of 3
//            6. atomic.load waiters; atomic.notify(prod.tail) only if != 0 (and, with a
//               single consumer, only if atomic.load cons.head == head: the ring was
//               empty, the only state a consumer sleeps in; the consumer's cons.head
//               store precedes its seq-cst waiters increment, so it is visible here)
//   dequeue  1. atomic.load prod.tail       acquire: pairs with enqueue 5, data of 3 visible
//               (only when cons.cache shows too few records)
//            2. cons.head: SC plain store / MC atomic.cmpxchg
//            3. plain loads of slot data
//            4. MC only: atomic.load cons.tail until == head
//            5. atomic.store cons.tail = head+n   release: the slots may be overwritten
//   wait     atomic.add waiters +1, atomic.load prod.tail (re-check),
//            memory.atomic.wait32(prod.tail, seen, timeout), atomic.sub waiters -1.
//            Enqueue 5 (store tail) then 6 (load waiters) against wait (store waiters,
//            load tail) is a Dekker pair under seq-cst: either the consumer sees the new
//            tail and does not sleep, or the producer sees waiters != 0 and notifies;
//            wait32 itself compares prod.tail to `seen` atomically with the notify.
//   close    enqueue END (if there is room), atomic.store closed = 1, notify all.
//            A consumer that finds the ring empty loads closed; if set it loads
//            prod.tail again (everything enqueued before closed is then visible) and
//            only if still empty reports END (it writes one END record into dst).
//
// No allocation happens here except ring_alloc/ring_buf_alloc (main instance
// only); every other function works on raw pointers and may run in any thread.
// No mutable statics.

import { EVENT_SIZE, EV_END, EV_OVERFLOW, PORT_NONE, R_TYPE, R_PORT, R_PROXY, R_OVERFLOW_LOST } from "./record";
// The header's offsets and the ring constants: layout/shared-memory.json (generated into layout.ts).
import {
  H_BLOCK, H_BURST, H_CLAIMS, H_CLOSED, H_CONS_CACHE, H_CONS_HEAD, H_CONS_TAIL, H_FLAGS, H_GEN, H_HDR, H_MAGIC, H_MARKER,
  H_MASK, H_OVF_COUNT, H_OVF_FLAG, H_OVF_LOST, H_OVF_TOTAL, H_PROD_CACHE, H_PROD_HEAD, H_PROD_TAIL, H_PUBLISHED, H_READERS,
  H_SCRATCH, H_SLOTS, H_WAITERS, H_ZERO, RING_F_SC, RING_F_SP, RING_HDR, RING_MAGIC, RING_MPMC, RING_SPSC,
} from "./layout";
export {
  H_BLOCK, H_BURST, H_CLAIMS, H_CLOSED, H_CONS_CACHE, H_CONS_HEAD, H_CONS_TAIL, H_FLAGS, H_GEN, H_HDR, H_MAGIC, H_MARKER,
  H_MASK, H_OVF_COUNT, H_OVF_FLAG, H_OVF_LOST, H_OVF_TOTAL, H_PROD_CACHE, H_PROD_HEAD, H_PROD_TAIL, H_PUBLISHED, H_READERS,
  H_SCRATCH, H_SLOTS, H_WAITERS, H_ZERO, RING_F_SC, RING_F_SP, RING_HDR, RING_MAGIC, RING_MPMC, RING_SPSC,
};



// The most slots a ring may have: a ring is one heap block, and the runtime's
// largest block is 1 GiB (state.ts HEAP_MAX_BLOCK); 2^23 slots of 64 B plus the
// header and the 64-byte alignment fit, 2^24 do not.
export const RING_MAX_SLOTS: u32 = 1 << 23;

const EINVAL: i32 = 22;
// spins before a waiting thread yields the CPU (2 cores, more threads than cores)
const SPINS: i32 = 256;

/** Bytes of a ring of `slots` records, in 64-bit arithmetic (slots << 6 wraps u32 from 2^26). */
@inline export function ring_bytes(slots: u32): u64 {
  return <u64>RING_HDR + (<u64>slots << 6);
}

@inline export function valid_slots(slots: u32): bool {
  return slots >= 2 && (slots & (slots - 1)) == 0 && slots <= RING_MAX_SLOTS;
}

/** Bytes of linear memory now (the bound for any pointer handed in). */
@inline export function memory_bytes(): u64 {
  return <u64>memory.size() << 16;
}

/** r is a ring header inside memory (checked at API boundaries, not per record). */
export function is_ring(r: usize): bool {
  if (r == 0 || (r & 63) != 0 || <u64>r + <u64>RING_HDR > memory_bytes()) return false;
  if (load<u32>(r + H_MAGIC) != RING_MAGIC) return false;
  const slots = load<u32>(r + H_SLOTS);
  return valid_slots(slots) && load<u32>(r + H_MASK) == slots - 1 && load<u32>(r + H_HDR) == <u32>RING_HDR
    && <u64>r + ring_bytes(slots) <= memory_bytes();
}

export function ring_setup(r: usize, slots: u32, flags: u32): i32 {
  if (!valid_slots(slots)) return -EINVAL;
  if ((flags & ~(RING_F_SP | RING_F_SC)) != 0) return -EINVAL;
  if (r == 0 || (r & 63) != 0 || <u64>r + ring_bytes(slots) > memory_bytes()) return -EINVAL;
  memory.fill(r, 0, RING_HDR);
  store<u32>(r + H_FLAGS, flags);
  store<u32>(r + H_SLOTS, slots);
  store<u32>(r + H_MASK, slots - 1);
  store<u32>(r + H_HDR, <u32>RING_HDR);
  atomic.store<u32>(r + H_MAGIC, RING_MAGIC);
  return 0;
}

// Let the other thread run when spinning lasts (a 1 us timed wait on a word
// nobody notifies: a futex sleep, i.e. a yield).
@inline function backoff(r: usize, spins: i32): i32 {
  if (spins < SPINS) return spins + 1;
  memory.atomic.wait32(r + H_ZERO, 0, 1000);
  return 0;
}

// copy n records between linear memory and the ring slots starting at index idx
@inline function copy_in(r: usize, idx: u32, src: usize, n: u32, slots: u32): void {
  let base = r + RING_HDR;
  let first = slots - idx;
  if (n <= first) {
    copy_recs(base + (<usize>idx << 6), src, n);
  } else {
    copy_recs(base + (<usize>idx << 6), src, first);
    copy_recs(base, src + (<usize>first << 6), n - first);
  }
}

@inline function copy_out(r: usize, idx: u32, dst: usize, n: u32, slots: u32): void {
  let base = r + RING_HDR;
  let first = slots - idx;
  if (n <= first) {
    copy_recs(dst, base + (<usize>idx << 6), n);
  } else {
    copy_recs(dst, base + (<usize>idx << 6), first);
    copy_recs(dst + (<usize>first << 6), base, n - first);
  }
}

@inline function copy_recs(dst: usize, src: usize, n: u32): void {
  if (n == 1) {
    // one record: 8 x i64, cheaper than the memory.copy call
    store<u64>(dst, load<u64>(src));
    store<u64>(dst, load<u64>(src, 8), 8);
    store<u64>(dst, load<u64>(src, 16), 16);
    store<u64>(dst, load<u64>(src, 24), 24);
    store<u64>(dst, load<u64>(src, 32), 32);
    store<u64>(dst, load<u64>(src, 40), 40);
    store<u64>(dst, load<u64>(src, 48), 48);
    store<u64>(dst, load<u64>(src, 56), 56);
  } else {
    memory.copy(dst, src, <usize>n << 6);
  }
}

// A consumer sleeps only on an empty ring, i.e. on prod.tail == cons.head. With a
// single consumer only the enqueue that moves prod.tail away from that value
// (the one whose head == cons.head) must wake it; the later ones would only
// repeat the futex syscall while the consumer is being scheduled. Several
// consumers: notify whenever someone waits.
@inline function notify_waiters(r: usize, head: u32, flags: u32): void {
  if (atomic.load<u32>(r + H_WAITERS) != 0) {
    if ((flags & RING_F_SC) == 0 || atomic.load<u32>(r + H_CONS_HEAD) == head) atomic.notify(r + H_PROD_TAIL, -1);
  }
}

/** Enqueue up to n records (fixed: all n or none). Returns how many. */
export function ring_enqueue_impl(r: usize, src: usize, n: u32, fixed: bool): u32 {
  if (n == 0) return 0;
  let slots = load<u32>(r + H_SLOTS);
  let flags = load<u32>(r + H_FLAGS);
  let head: u32, m: u32;
  if (flags & RING_F_SP) {
    head = load<u32>(r + H_PROD_HEAD);
    let free = <i32>(slots + load<u32>(r + H_PROD_CACHE) - head);
    if (free < <i32>n) {
      let ct = atomic.load<u32>(r + H_CONS_TAIL);
      store<u32>(r + H_PROD_CACHE, ct);
      free = <i32>(slots + ct - head);
    }
    m = n <= <u32>free ? n : (fixed ? 0 : <u32>free);
    if (m == 0) return 0;
    store<u32>(r + H_PROD_HEAD, head + m);
    copy_in(r, head & (slots - 1), src, m, slots);
  } else {
    while (true) {
      head = atomic.load<u32>(r + H_PROD_HEAD);
      let free = <i32>(slots + atomic.load<u32>(r + H_PROD_CACHE) - head);
      if (free < <i32>n) {
        let ct = atomic.load<u32>(r + H_CONS_TAIL);
        atomic.store<u32>(r + H_PROD_CACHE, ct);
        free = <i32>(slots + ct - head);
      }
      // a stale head can make free look > slots: the cmpxchg below then fails
      if (free < 0) free = 0;
      m = n <= <u32>free ? n : (fixed ? 0 : <u32>free);
      if (m == 0) {
        if (head == atomic.load<u32>(r + H_PROD_HEAD)) return 0;
        continue;
      }
      if (atomic.cmpxchg<u32>(r + H_PROD_HEAD, head, head + m) == head) break;
    }
    copy_in(r, head & (slots - 1), src, m, slots);
    let spins = 0;
    while (atomic.load<u32>(r + H_PROD_TAIL) != head) spins = backoff(r, spins);
  }
  atomic.store<u32>(r + H_PROD_TAIL, head + m);
  notify_waiters(r, head, flags);
  return m;
}

/** Dequeue up to n records into dst (fixed: all n or none). Returns how many;
 *  on an empty closed ring writes one END record into dst and returns 1. */
export function ring_dequeue_impl(r: usize, dst: usize, n: u32, fixed: bool): u32 {
  if (n == 0) return 0;
  let slots = load<u32>(r + H_SLOTS);
  let flags = load<u32>(r + H_FLAGS);
  let head: u32, m: u32;
  if (flags & RING_F_SC) {
    head = load<u32>(r + H_CONS_HEAD);
    let avail = load<u32>(r + H_CONS_CACHE) - head;
    if (avail < n) {
      let pt = atomic.load<u32>(r + H_PROD_TAIL);
      store<u32>(r + H_CONS_CACHE, pt);
      avail = pt - head;
    }
    m = n <= avail ? n : (fixed ? 0 : avail);
    if (m == 0) return avail == 0 ? end_if_closed(r, dst, head) : 0;
    store<u32>(r + H_CONS_HEAD, head + m);
    copy_out(r, head & (slots - 1), dst, m, slots);
  } else {
    while (true) {
      head = atomic.load<u32>(r + H_CONS_HEAD);
      let avail = atomic.load<u32>(r + H_CONS_CACHE) - head;
      if (avail < n || avail > slots) {
        let pt = atomic.load<u32>(r + H_PROD_TAIL);
        atomic.store<u32>(r + H_CONS_CACHE, pt);
        avail = pt - head;
      }
      // a stale head can make avail look huge: the cmpxchg below then fails
      if (avail > slots) continue;
      m = n <= avail ? n : (fixed ? 0 : avail);
      if (m == 0) {
        if (head != atomic.load<u32>(r + H_CONS_HEAD)) continue;
        return avail == 0 ? end_if_closed(r, dst, head) : 0;
      }
      if (atomic.cmpxchg<u32>(r + H_CONS_HEAD, head, head + m) == head) break;
    }
    copy_out(r, head & (slots - 1), dst, m, slots);
    let spins = 0;
    while (atomic.load<u32>(r + H_CONS_TAIL) != head) spins = backoff(r, spins);
  }
  atomic.store<u32>(r + H_CONS_TAIL, head + m);
  return m;
}

function end_if_closed(r: usize, dst: usize, head: u32): u32 {
  if (atomic.load<u32>(r + H_CLOSED) == 0) return 0;
  // closed is stored after the last enqueue: re-read the tail
  if (atomic.load<u32>(r + H_PROD_TAIL) != head) return 0;
  // The producer closed a ring that was full: it could not enqueue the
  // OVERFLOW record. Report the loss before END, exactly once (cmpxchg: with
  // several consumers only one wins; the producer no longer touches the ring).
  if (atomic.cmpxchg<u32>(r + H_OVF_FLAG, 1, 0) == 1) {
    write_marker(dst, EV_OVERFLOW);
    store<u32>(dst + R_OVERFLOW_LOST, atomic.load<u32>(r + H_OVF_LOST));
    atomic.store<u32>(r + H_OVF_LOST, 0);
    atomic.add<u32>(r + H_OVF_COUNT, 1);
    return 1;
  }
  write_marker(dst, EV_END);
  return 1;
}

export function write_marker(dst: usize, type: u16): void {
  memory.fill(dst, 0, EVENT_SIZE);
  store<u16>(dst + R_TYPE, type);
  store<u16>(dst + R_PORT, PORT_NONE);
  store<u16>(dst + R_PROXY, PORT_NONE);
}

export function ring_count_impl(r: usize): u32 {
  let c = atomic.load<u32>(r + H_PROD_TAIL) - atomic.load<u32>(r + H_CONS_HEAD);
  let slots = load<u32>(r + H_SLOTS);
  return c > slots ? 0 : c; // a racing consumer: momentarily negative
}

export function ring_free_impl(r: usize): u32 {
  let used = atomic.load<u32>(r + H_PROD_HEAD) - atomic.load<u32>(r + H_CONS_TAIL);
  let slots = load<u32>(r + H_SLOTS);
  return used > slots ? 0 : slots - used;
}

/** Block until records are available, the ring is closed, or timeout.
 *  Returns 1 (records or closed) or 0 (timed out). timeout_ns < 0: forever. */
export function ring_wait_impl(r: usize, timeout_ns: i64): i32 {
  let t = atomic.load<u32>(r + H_PROD_TAIL);
  if (t != atomic.load<u32>(r + H_CONS_HEAD) || atomic.load<u32>(r + H_CLOSED) != 0) return 1;
  atomic.add<u32>(r + H_WAITERS, 1);
  t = atomic.load<u32>(r + H_PROD_TAIL);
  if (t == atomic.load<u32>(r + H_CONS_HEAD) && atomic.load<u32>(r + H_CLOSED) == 0) {
    memory.atomic.wait32(r + H_PROD_TAIL, <i32>t, timeout_ns);
  }
  atomic.sub<u32>(r + H_WAITERS, 1);
  return atomic.load<u32>(r + H_PROD_TAIL) != atomic.load<u32>(r + H_CONS_HEAD) ||
    atomic.load<u32>(r + H_CLOSED) != 0 ? 1 : 0;
}

/** Mark closed (after enqueueing an END record when there is room) and wake everyone.
 *  Producer side: the caller is the ring's (single) producer or the only closer. */
export function ring_close_impl(r: usize): void {
  if (atomic.load<u32>(r + H_CLOSED) != 0) return;
  let end = r + H_MARKER;
  write_marker(end, EV_END);
  ring_enqueue_impl(r, end, 1, true);
  atomic.store<u32>(r + H_CLOSED, 1);
  atomic.notify(r + H_PROD_TAIL, -1);
}
