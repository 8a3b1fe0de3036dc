// Queue registry (main instance only): the rings that every event is copied
// to, the overflow accounting of each ring, END on removal.
//
// The registry block (count + 64 ring pointers) is allocated on first use by
// the main instance; its address is kept in one wasm global. A wasm global is
// per instance and not in linear memory, so other instances' data segments
// never reset it; workers never call queues_* (they only use ring_*).
// Per-ring counters live in the ring header (line 4), written only here (one
// producer per queue: the host's receive loop) and readable from any thread.

import {
  is_ring, ring_enqueue_impl, ring_free_impl, ring_close_impl, write_marker,
  H_CLOSED, H_OVF_FLAG, H_OVF_LOST, H_OVF_TOTAL, H_OVF_COUNT, H_PUBLISHED, H_MARKER,
} from "./ring";
import { EV_OVERFLOW, R_OVERFLOW_LOST, R_SEQ } from "./record";

const EINVAL: i32 = 22;
const EEXIST: i32 = 17;
const ENOSPC: i32 = 28;
const ENOENT: i32 = 2;

export const MAX_QUEUES: i32 = 64;

let registry: usize = 0; // wasm global (see above), 0 until the first queues_* call

function reg(): usize {
  if (registry == 0) {
    let p = heap.alloc(8 + (<usize>MAX_QUEUES << 2));
    memory.fill(p, 0, 8 + (<usize>MAX_QUEUES << 2));
    registry = p;
  }
  return registry;
}

@inline function qcount(g: usize): i32 { return load<i32>(g); }
@inline function qat(g: usize, i: i32): usize { return load<usize>(g + 8 + (<usize>i << 2)); }

function find(g: usize, ring: usize): i32 {
  let n = qcount(g);
  for (let i = 0; i < n; i++) if (qat(g, i) == ring) return i;
  return -1;
}

export function queues_add_impl(ring: usize): i32 {
  if (!is_ring(ring) || atomic.load<u32>(ring + H_CLOSED) != 0) return -EINVAL;
  let g = reg();
  if (find(g, ring) >= 0) return -EEXIST;
  let n = qcount(g);
  if (n >= MAX_QUEUES) return -ENOSPC;
  store<usize>(g + 8 + (<usize>n << 2), ring);
  store<i32>(g, n + 1);
  return 0;
}

/** Emit the pending OVERFLOW record if the ring has room for it. */
function flush_overflow(r: usize, seq: u32): bool {
  if (load<u32>(r + H_OVF_FLAG) == 0) return true;
  if (ring_free_impl(r) == 0) return false;
  let m = r + H_MARKER;
  write_marker(m, EV_OVERFLOW);
  store<u32>(m + R_SEQ, seq);
  store<u32>(m + R_OVERFLOW_LOST, load<u32>(r + H_OVF_LOST));
  if (ring_enqueue_impl(r, m, 1, true) != 1) return false;
  atomic.store<u32>(r + H_OVF_LOST, 0);
  atomic.store<u32>(r + H_OVF_COUNT, load<u32>(r + H_OVF_COUNT) + 1);
  atomic.store<u32>(r + H_OVF_FLAG, 0);
  return true;
}

function count_lost(r: usize, k: u32): void {
  let lost = load<u32>(r + H_OVF_LOST);
  let sum = lost + k;
  atomic.store<u32>(r + H_OVF_LOST, sum < lost ? 0xffffffff : sum); // saturate
  atomic.store<u64>(r + H_OVF_TOTAL, load<u64>(r + H_OVF_TOTAL) + k);
  atomic.store<u32>(r + H_OVF_FLAG, 1);
}

/** Close a ring from the producer side: pending OVERFLOW, END, closed, wake. */
export function queue_finish(r: usize): void {
  flush_overflow(r, 0);
  ring_close_impl(r);
}

export function queues_remove_impl(ring: usize): i32 {
  let r = queues_detach_impl(ring);
  if (r == 0) queue_finish(ring);
  return r;
}

/** Take a ring out of the registry WITHOUT closing it: the host feeds it
 *  itself for a while (a replay after an overflow), then adds it back. */
export function queues_detach_impl(ring: usize): i32 {
  if (ring == 0) return -EINVAL;
  let g = reg();
  let i = find(g, ring);
  if (i < 0) return -ENOENT;
  let n = qcount(g);
  for (let j = i; j < n - 1; j++) store<usize>(g + 8 + (<usize>j << 2), qat(g, j + 1));
  store<usize>(g + 8 + (<usize>(n - 1) << 2), 0);
  store<i32>(g, n - 1);
  return 0;
}

/** The records lost since the last OVERFLOW record, and clear the overflow
 *  mark: the caller reports them itself (ahead of a replay). */
export function queue_take_overflow_impl(r: usize): u32 {
  if (!is_ring(r) || load<u32>(r + H_OVF_FLAG) == 0) return 0;
  let lost = load<u32>(r + H_OVF_LOST);
  atomic.store<u32>(r + H_OVF_LOST, 0);
  atomic.store<u32>(r + H_OVF_COUNT, load<u32>(r + H_OVF_COUNT) + 1);
  atomic.store<u32>(r + H_OVF_FLAG, 0);
  return lost;
}

/** Enqueue the pending OVERFLOW record of every ring that has room again.
 *  Without it a ring that overflowed on the last burst of a quiet period
 *  would only report the loss with the next event, possibly never. Returns
 *  how many rings still have an OVERFLOW pending (still full). */
export function queues_flush_impl(seq: u32): i32 {
  let g = reg();
  let q = qcount(g);
  let pending = 0;
  for (let i = 0; i < q; i++) if (!flush_overflow(qat(g, i), seq)) pending++;
  return pending;
}

/** Remove every queue (listener close): each gets END. Returns how many. */
export function queues_clear_impl(): i32 {
  let g = reg();
  let n = qcount(g);
  for (let i = 0; i < n; i++) {
    let r = qat(g, i);
    store<usize>(g + 8 + (<usize>i << 2), 0);
    queue_finish(r);
  }
  store<i32>(g, 0);
  return n;
}

export function queues_count_impl(): i32 { return qcount(reg()); }
export function queues_get_impl(i: i32): usize {
  let g = reg();
  return i >= 0 && i < qcount(g) ? qat(g, i) : 0;
}

/** Copy n records at src to every queue. Returns the largest number of those
 *  records that some queue could not take (0: every queue got all of them). */
export function queues_publish_impl(src: usize, n: u32): u32 {
  let g = reg();
  let q = qcount(g);
  let worst: u32 = 0;
  let seq = n > 0 ? load<u32>(src + R_SEQ) : 0;
  for (let i = 0; i < q; i++) {
    let r = qat(g, i);
    let k: u32 = 0;
    if (flush_overflow(r, seq)) k = ring_enqueue_impl(r, src, n, false);
    if (k > 0) atomic.store<u64>(r + H_PUBLISHED, load<u64>(r + H_PUBLISHED) + k);
    if (k < n) {
      count_lost(r, n - k);
      if (n - k > worst) worst = n - k;
    }
  }
  return worst;
}
