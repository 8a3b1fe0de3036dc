// The core's state block. Everything the core keeps lives in linear memory
// allocated by the main instance in core_init(); the only AS global is the
// pointer to this block (per instance, which is fine: only the main instance
// calls core functions). Nothing mutable lives in AS statics, so a worker's
// instantiation (which re-applies data segments) cannot reset it.

export let S: usize = 0;
export function set_state(p: usize): void { S = p; }

// ---- status block (status_ptr()) and stats block (stats_ptr()) ----
// Both are shared with the host: their offsets, flags (STF_*) and counters
// (SS_*) are defined in layout/shared-memory.json (generated into layout.ts).
import { ST_FLAGS, SS_SEQ } from "./layout";
export * from "./layout";

// ---- state block layout ----
export const O_STATUS: usize = 0;        // 32 B status
export const O_STATS: usize = 32;        // 128 B stats
export const O_RX: usize = 160;          // usize rx buffer
export const O_RX_CAP: usize = 168;      // u32
export const O_STAGE: usize = 176;       // usize staging area
export const O_STAGE_CAP: usize = 184;   // u32 records
export const O_NSTAGED: usize = 188;     // u32 records staged by the current call
export const O_PROXIES: usize = 192;     // usize proxy table (PROXY_MAX x PROXY_SIZE)
export const O_ID2SLOT: usize = 200;     // usize u16[65536] id -> proxy slot (0xFFFF none)
export const O_PORT2SLOT: usize = 208;   // usize u16[65536] port -> proxy slot of its binding
export const O_PORTNEXT: usize = 216;    // usize u16[65536] next port bound to the same proxy
export const O_IFHASH: usize = 224;      // usize ifindex hash (IFH_SLOTS x 8)
export const O_MAXPORTS: usize = 232;    // u32 most ports bound to one proxy
export const O_SCRATCH: usize = 240;     // usize parse scratch (route next hops)
export const O_TABLES: usize = 256;      // 4 table descriptors x 32 B (mirror.ts)
export const O_SYNC: usize = 384;        // sync state, 32 B (sync.ts)
export const O_REPLAY: usize = 416;      // replay state, 32 B (replay.ts)
export const O_JOB: usize = 448;         // implied-deletion job, 32 B (implied_deletions.ts)
export const O_TMPL: usize = 512;      // 64 B record template (staging.ts)
export const O_QUERY: usize = 576;       // query state, 32 B (query.ts)
export const O_QOUT: usize = 608;        // usize query output area (QUERY_CAP records)
export const O_SINK: usize = 616;        // u32 sink of process()'s look-ahead loads
export const O_GROWTMP: usize = 624;     // usize 64 KiB area for in-place table growth (table.ts)
export const O_WANTED: usize = 632;      // u32 bit per event type someone consumes (staging.ts); core_init: all
export const O_NHSET: usize = 640;       // nexthop ids used by mirrored routes, 16 B (nexthops.ts)
export const O_GW6: usize = 656;         // IPv6 gateways of IPv4 routes, 16 B (gw6.ts)
export const O_R4LAST: usize = 672;     // identity of the last IPv4 route of the dump, 16 B (parse_route.ts)
export const O_R4RISK: usize = 688;     // u32 1: an IPv4 multipath route may hang on other interfaces (implied_deletions.ts)
export const O_TOMB: usize = 696;       // tombstones of the running sync, 16 B (tombstones.ts)
export const O_SUBIF: usize = 712;      // sub-interfaces, 80 B (subif.ts)
export const O_MASTERS: usize = 792;    // usize master devices and proxies waiting for theirs (masters.ts)
export const STATE_SIZE: usize = 800;

@inline export function stat_inc(off: usize): void { store<u32>(S + O_STATS + off, load<u32>(S + O_STATS + off) + 1); }
@inline export function stat_add(off: usize, n: u32): void { store<u32>(S + O_STATS + off, load<u32>(S + O_STATS + off) + n); }
@inline export function stat_set(off: usize, v: u32): void { store<u32>(S + O_STATS + off, v); }
@inline export function stat_get(off: usize): u32 { return load<u32>(S + O_STATS + off); }
@inline export function status_or(bit: u32): void { store<u32>(S + O_STATUS + ST_FLAGS, load<u32>(S + O_STATUS + ST_FLAGS) | bit); }

// Zeroed allocation. The stub runtime never frees: blocks replaced by a
// doubling are simply lost (bounded by the size of the final block).
/** The largest block the runtime's allocator hands out (its BLOCK_MAXSIZE, 1 GiB less its header):
 *  a bigger request aborts inside the runtime, so callers check against this first. */
export const HEAP_MAX_BLOCK: u64 = (<u64>1 << 30) - 64;

export function zalloc(size: usize): usize {
  size = (size + 7) & ~7;
  if (size >= (1 << 20)) grow_memory_for(size);
  const p = heap.alloc(size);
  // 8-byte stores: memory.fill on shared memory was measured several times slower
  for (let i: usize = 0; i < size; i += 8) store<u64>(p + i, 0);
  return p;
}

// Before a big allocation (a mirror table): grow the memory by what `bytes`
// above the heap's top need plus 1/8, instead of letting the stub allocator
// double the whole memory.
export function grow_memory_for(bytes: usize): void {
  const top = heap.alloc(8);
  heap.free(top); // the last block: the stub runtime takes it back
  const end = <u64>top + <u64>bytes + 64;
  const have = <u64>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    memory.grow(pages + (pages >> 3) + 16); // may fail: heap.alloc then grows by what fits
  }
}

// Observation sequence number: one per observation, shared by its per-port copies.
@inline export function next_seq(): u32 {
  const s = stat_get(SS_SEQ) + 1;
  stat_set(SS_SEQ, s);
  return s;
}
