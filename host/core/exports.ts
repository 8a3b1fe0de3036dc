// The WASM core's exports as the host calls them (assembly/core_exports.ts and
// assembly/ring_exports.ts). WebAssembly hands every u32 back as a signed i32:
// callers read counts and pointers with `>>> 0`. tests/unit/core-exports.test.ts
// checks every name and parameter count against the compiled module.

export interface CoreExports {
  core_version(): number;
  core_init(): void;
  rx_ptr(): number;
  rx_cap(): number;
  status_ptr(): number;
  stats_ptr(): number;
  staged_ptr(): number;
  seq_last(): number;
  process(off: number, len: number): number;
  proxy_add(id: number, ifindex: number): number;
  proxy_remove(id: number): number;
  proxy_set_ifindex(id: number, ifindex: number): number;
  proxy_info_ptr(id: number): number;
  proxy_master_ptr(id: number): number;
  is_proxy(id: number): number;
  port_bind(port: number, proxy: number): number;
  port_unbind(port: number): number;
  proxy_of_port(port: number): number;
  ports_of_proxy(proxy: number, out: number, max: number): number;
  sync_begin(kinds: number, flags: number): void;
  sync_end_step(): number;
  job_step(): number;
  replay_begin(proxy: number, port: number): void;
  replay_step(): number;
  stage_marker(type: number, port: number, a: number, b: number, c: number, d: number): number;
  set_wanted(mask: number): void;
  mirror_count(kind: number, proxy: number): number;
  query_begin(proxy: number, kinds: number): number;
  query_step(): number;
  query_status(): number;
  query_ptr(): number;
  mirror_reserve(kind: number, entries: number): number;
  set_subinterfaces(on: number): void;
  subif_changes(): number;
  subif_next(after: number): number;
  subif_info(id: number): number;

  ring_version(): number;
  ring_hdr_size(): number;
  ring_flag_spsc(): number;
  ring_flag_mpmc(): number;
  ring_max_slots(): number;
  ring_size(slots: number): number;
  ring_init(ptr: number, slots: number, flags: number): number;
  ring_alloc(slots: number, flags: number): number;
  queue_alloc(slots: number, flags: number, burst: number, readers: number): number;
  ring_buf_alloc(bytes: number): number;
  ring_is(ring: number): number;
  ring_enqueue(ring: number, src: number, n: number): number;
  ring_enqueue_bulk(ring: number, src: number, n: number): number;
  ring_dequeue(ring: number, dst: number, n: number): number;
  ring_dequeue_bulk(ring: number, dst: number, n: number): number;
  ring_count(ring: number): number;
  ring_free(ring: number): number;
  ring_capacity(ring: number): number;
  ring_wait(ring: number, timeoutUs: number): number;
  ring_close(ring: number): void;
  ring_closed(ring: number): number;
  ring_overflowed(ring: number): number;
  ring_lost(ring: number): number;
  ring_total_lost(ring: number): number;
  ring_overflows(ring: number): number;
  ring_published(ring: number): number;
  ring_enqueued(ring: number): number;
  ring_dequeued(ring: number): number;
  queues_add(ring: number): number;
  queues_remove(ring: number): number;
  queues_publish(src: number, n: number): number;
  queues_count(): number;
  queues_get(i: number): number;
  queues_clear(): number;
  queues_detach(ring: number): number;
  queue_take_overflow(ring: number): number;
  queues_flush(seq: number): number;
}

/** Parameter count of every export: what the compiled module must offer (checked by a unit test). */
export const CORE_EXPORT_ARITY: Readonly<Record<keyof CoreExports, number>> = {
  core_version: 0, core_init: 0, rx_ptr: 0, rx_cap: 0, status_ptr: 0, stats_ptr: 0, staged_ptr: 0, seq_last: 0,
  process: 2, proxy_add: 2, proxy_remove: 1, proxy_set_ifindex: 2, proxy_info_ptr: 1, proxy_master_ptr: 1, is_proxy: 1, port_bind: 2,
  port_unbind: 1, proxy_of_port: 1, ports_of_proxy: 3, sync_begin: 2, sync_end_step: 0, job_step: 0, replay_begin: 2,
  replay_step: 0, stage_marker: 6, set_wanted: 1, mirror_count: 2, query_begin: 2, query_step: 0, query_status: 0,
  query_ptr: 0, mirror_reserve: 2, set_subinterfaces: 1, subif_changes: 0, subif_next: 1, subif_info: 1,
  ring_version: 0, ring_hdr_size: 0, ring_flag_spsc: 0, ring_flag_mpmc: 0, ring_max_slots: 0, ring_size: 1,
  ring_init: 3, ring_alloc: 2, queue_alloc: 4, ring_buf_alloc: 1, ring_is: 1, ring_enqueue: 3, ring_enqueue_bulk: 3,
  ring_dequeue: 3, ring_dequeue_bulk: 3, ring_count: 1, ring_free: 1, ring_capacity: 1, ring_wait: 2, ring_close: 1,
  ring_closed: 1, ring_overflowed: 1, ring_lost: 1, ring_total_lost: 1, ring_overflows: 1, ring_published: 1,
  ring_enqueued: 1, ring_dequeued: 1, queues_add: 1, queues_remove: 1, queues_publish: 2, queues_count: 0,
  queues_get: 1, queues_clear: 0, queues_detach: 1, queue_take_overflow: 1, queues_flush: 1,
};

/** The negative errnos the core returns (assembly/proxies.ts, core_exports.ts). */
export const CoreErrno = { ENOENT: -2, ENOMEM: -12, EEXIST: -17, EINVAL: -22, ENOSPC: -28 } as const;
