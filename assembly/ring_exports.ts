// Ring and queue exports. Ring functions take raw pointers and run in any
// thread/instance; ring_alloc, ring_buf_alloc and queues_* allocate or use the
// registry and are for the main instance only. See ring.ts for the header
// layout and the memory ordering, queues.ts for the registry and overflow.
import {
  ring_bytes, ring_setup, is_ring, ring_enqueue_impl, ring_dequeue_impl, ring_count_impl,
  ring_free_impl, ring_wait_impl, RING_HDR, RING_SPSC, RING_MPMC, RING_MAX_SLOTS, valid_slots, memory_bytes,
  H_BLOCK, H_GEN, H_CLAIMS, H_SCRATCH, H_BURST, H_READERS, H_SLOTS, H_CLOSED, H_OVF_FLAG, H_OVF_LOST, H_OVF_TOTAL, H_OVF_COUNT, H_PUBLISHED,
  H_PROD_TAIL, H_CONS_TAIL,
} from "./ring";
import {
  queues_add_impl, queues_remove_impl, queues_publish_impl, queues_count_impl,
  queues_get_impl, queues_clear_impl, queue_finish, queues_detach_impl, queue_take_overflow_impl, queues_flush_impl,
} from "./queues";
import { HEAP_MAX_BLOCK } from "./state";
import { QUEUE_MAX_BURST, QUEUE_MAX_READERS } from "./layout";

export function ring_version(): u32 { return 2; }
export function ring_hdr_size(): u32 { return <u32>RING_HDR; }
export function ring_flag_spsc(): u32 { return RING_SPSC; }
export function ring_flag_mpmc(): u32 { return RING_MPMC; }
export function ring_max_slots(): u32 { return RING_MAX_SLOTS; }

/** Bytes a ring of `slots` records needs (0 if slots is not a power of two in 2..ring_max_slots()). */
export function ring_size(slots: u32): usize {
  if (!valid_slots(slots)) return 0;
  return <usize>ring_bytes(slots);
}

// The runtime's bump allocator computes end addresses in 32 bits: a block that
// would end past 4 GiB wraps instead of failing. Keep every allocation made
// through these exports well below that (a memory.grow the system refuses
// still traps inside the runtime; the host turns that into ENOSPC).
const ADDRESS_LIMIT: u64 = (<u64>1 << 32) - (<u64>1 << 20);
@inline function room_for(bytes: u64): bool {
  return bytes <= HEAP_MAX_BLOCK && memory_bytes() + bytes + 256 <= ADDRESS_LIMIT;
}

// generation of the last ring made here (a wasm global of the main instance)
let ring_gen: u32 = 0;

/** Initialise a ring at ptr (64-byte aligned, ring_size(slots) bytes). 0 or -EINVAL. */
export function ring_init(ptr: usize, slots: u32, flags: u32): i32 {
  return ring_setup(ptr, slots, flags);
}

/** Main instance only: allocate (64-byte aligned) and initialise a ring. 0 on bad arguments. */
export function ring_alloc(slots: u32, flags: u32): usize {
  let size = ring_size(slots);
  if (size == 0 || (flags & ~3) != 0 || !room_for(<u64>size + 64)) return 0;
  let block = heap.alloc(size + 64);
  let r = (block + 63) & ~(<usize>63);
  if (ring_setup(r, slots, flags) != 0) { heap.free(block); return 0; }
  store<u32>(r + H_BLOCK, <u32>block);
  ring_gen = ring_gen == 0xffffffff ? 1 : ring_gen + 1;
  store<u32>(r + H_GEN, ring_gen);
  return r;
}

/**
 * Main instance only: a ring and the areas of its readers (claim words,
 * producer staging of `burst` records, `readers` x `burst` records of reader
 * scratch), recorded in the ring header so that a handle can be checked
 * against them. 0: bad arguments or not enough address space.
 */
export function queue_alloc(slots: u32, flags: u32, burst: u32, readers: u32): usize {
  if (!valid_slots(slots) || burst < 1 || burst > QUEUE_MAX_BURST || readers < 1 || readers > QUEUE_MAX_READERS) return 0;
  const rec = <u64>burst << 6;
  const aux = 64 + rec + <u64>readers * rec;
  if (!room_for(ring_bytes(slots) + 64 + aux + 64)) return 0;
  const r = ring_alloc(slots, flags);
  if (r == 0) return 0;
  const claims = ring_buf_alloc(<usize>aux);
  store<u32>(r + H_CLAIMS, <u32>claims);
  store<u32>(r + H_SCRATCH, <u32>(claims + 64 + <usize>rec));
  store<u32>(r + H_BURST, burst);
  store<u32>(r + H_READERS, readers);
  return r;
}

/** Main instance only: a 64-byte aligned, zeroed buffer (reader/writer scratch). 0: no room. */
export function ring_buf_alloc(bytes: usize): usize {
  if (!room_for(<u64>bytes + 64)) return 0;
  let block = heap.alloc(bytes + 64);
  let p = (block + 63) & ~(<usize>63);
  memory.fill(p, 0, bytes);
  return p;
}

export function ring_is(ring: usize): bool { return is_ring(ring); }
export function ring_enqueue(ring: usize, src: usize, n: u32): u32 { return ring_enqueue_impl(ring, src, n, false); }
export function ring_enqueue_bulk(ring: usize, src: usize, n: u32): u32 { return ring_enqueue_impl(ring, src, n, true); }
export function ring_dequeue(ring: usize, dst: usize, n: u32): u32 { return ring_dequeue_impl(ring, dst, n, false); }
export function ring_dequeue_bulk(ring: usize, dst: usize, n: u32): u32 { return ring_dequeue_impl(ring, dst, n, true); }
export function ring_count(ring: usize): u32 { return ring_count_impl(ring); }
export function ring_free(ring: usize): u32 { return ring_free_impl(ring); }
export function ring_capacity(ring: usize): u32 { return load<u32>(ring + H_SLOTS); }
/** Block until records are available or the ring is closed (1) or timeout (0).
 *  timeout_us < 0 waits forever. Worker threads only (it blocks). */
export function ring_wait(ring: usize, timeout_us: i32): i32 {
  return ring_wait_impl(ring, timeout_us < 0 ? -1 : <i64>timeout_us * 1000);
}
/** Producer side: END record (if room), closed flag, wake all waiters. */
export function ring_close(ring: usize): void { queue_finish(ring); }
export function ring_closed(ring: usize): bool { return atomic.load<u32>(ring + H_CLOSED) != 0; }
export function ring_overflowed(ring: usize): bool { return atomic.load<u32>(ring + H_OVF_FLAG) != 0; }
export function ring_lost(ring: usize): u32 { return atomic.load<u32>(ring + H_OVF_LOST); }
export function ring_total_lost(ring: usize): f64 { return <f64>atomic.load<u64>(ring + H_OVF_TOTAL); }
export function ring_overflows(ring: usize): u32 { return atomic.load<u32>(ring + H_OVF_COUNT); }
export function ring_published(ring: usize): f64 { return <f64>atomic.load<u64>(ring + H_PUBLISHED); }
/** Records ever enqueued / dequeued (prod.tail / cons.tail, modulo 2^32). */
export function ring_enqueued(ring: usize): u32 { return atomic.load<u32>(ring + H_PROD_TAIL); }
export function ring_dequeued(ring: usize): u32 { return atomic.load<u32>(ring + H_CONS_TAIL); }

/** Register a ring: 0, -EINVAL (0, not a ring, closed), -EEXIST, -ENOSPC (64 queues). */
export function queues_add(ring: usize): i32 { return queues_add_impl(ring); }
/** Unregister a ring; it gets END and is closed. 0 or -ENOENT (-EINVAL for 0). */
export function queues_remove(ring: usize): i32 { return queues_remove_impl(ring); }
/** Copy n 64-byte records at src to every queue; returns the largest count some queue lost. */
export function queues_publish(src: usize, n: u32): u32 { return queues_publish_impl(src, n); }
export function queues_count(): i32 { return queues_count_impl(); }
export function queues_get(i: i32): usize { return queues_get_impl(i); }
/** Remove (and close) every queue: listener close. Returns how many. */
export function queues_clear(): i32 { return queues_clear_impl(); }
/** Out of the registry without END (the host replays into it, then re-adds it). */
export function queues_detach(ring: usize): i32 { return queues_detach_impl(ring); }
/** Lost records not yet reported by an OVERFLOW record; clears the mark. */
export function queue_take_overflow(ring: usize): u32 { return queue_take_overflow_impl(ring); }
/** Emit pending OVERFLOW records where rings have room again; returns rings still pending. */
export function queues_flush(seq: u32): i32 { return queues_flush_impl(seq); }
