// The core's state block. Everything the core keeps lives in linear memory
// allocated by the main instance in core_init(); the only AS global is the
// pointer to this block (per instance, which is fine: only the main instance
// calls core functions). Nothing mutable lives in AS statics, so a worker's
// instantiation (which re-applies data segments) cannot reset it.

export let S: usize = 0;
export function set_state(p: usize): void { S = p; }

// ---- status block (status_ptr()), 32 bytes, written by every process() ----
//  +0  u32 next_off   offset of the first message not consumed (== len when all were)
//  +4  u32 flags      bit0 NLMSG_DONE seen, bit1 NLMSG_ERROR with error != 0,
//                     bit2 NLM_F_DUMP_INTR seen, bit3 ACK (NLMSG_ERROR, error 0),
//                     bit4 an implied-deletion job is pending (call process again
//                     from next_off; it finishes the job before parsing further),
//                     bit5 a nexthop object used by a mirrored route changed: resync
//                     bit6 an IPv4 change the messages leave open (a replace or
//                          delete among routes sharing an identity, parse_route.ts;
//                          a link down under a multipath route that also uses
//                          other interfaces, implied_deletions.ts): resync routes
//  +8  i32 error      the (negative) errno of the last NLMSG_ERROR
//  +12 u32 seq        nlmsg_seq of the last DONE/ERROR
//  +16 u32 messages   messages consumed by this call
//  +20 u32 staged     records staged by this call (also the return value)
//  +24 u32 sync_active 1 between sync_begin() and the end of the sweep
//  +28 u32 replay_active
export const ST_NEXT_OFF: usize = 0;
export const ST_FLAGS: usize = 4;
export const ST_ERROR: usize = 8;
export const ST_SEQ: usize = 12;
export const ST_MSGS: usize = 16;
export const ST_STAGED: usize = 20;
export const ST_SYNC: usize = 24;
export const ST_REPLAY: usize = 28;
export const STF_DONE: u32 = 1;
export const STF_ERROR: u32 = 2;
export const STF_DUMP_INTR: u32 = 4;
export const STF_ACK: u32 = 8;
export const STF_JOB: u32 = 16;
export const STF_NEXTHOP: u32 = 32; // a nexthop object some mirrored route uses changed (nexthops.ts)
export const STF_ROUTES: u32 = 64;  // an IPv4 change the messages leave open (parse_route.ts, implied_deletions.ts)

// ---- stats block (stats_ptr()), u32 counters, cumulative since core_init ----
export const SS_MESSAGES: usize = 0;     // netlink messages seen (all types)
export const SS_MALFORMED: usize = 4;    // messages (or buffer tails) rejected by a length check
export const SS_FILTERED: usize = 8;     // messages about no proxy (foreign ifindex / oif)
export const SS_STAGED: usize = 12;      // records staged
export const SS_LINK: usize = 16;        // RTM_NEWLINK/DELLINK messages
export const SS_ADDR: usize = 20;        // RTM_NEWADDR/DELADDR
export const SS_ROUTE: usize = 24;       // RTM_NEWROUTE/DELROUTE
export const SS_NEIGH: usize = 28;       // RTM_NEWNEIGH/DELNEIGH
export const SS_OTHER: usize = 32;       // NOOP, OVERRUN, unknown types, skipped families
export const SS_DONE: usize = 36;        // NLMSG_DONE
export const SS_ERRORS: usize = 40;      // NLMSG_ERROR with error != 0
export const SS_DUMP_INTR: usize = 44;   // messages flagged NLM_F_DUMP_INTR
export const SS_N_ADDR: usize = 48;      // mirror entries: addresses (v4+v6)
export const SS_N_ROUTE4: usize = 52;    // mirror entries: IPv4 route next hops
export const SS_N_ROUTE6: usize = 56;    // mirror entries: IPv6 route next hops
export const SS_N_NEIGH: usize = 60;     // mirror entries: neighbours
export const SS_VIA: usize = 64;         // RTA_VIA next hops not kept (not IPv6 via on IPv4, or the gateway table full: gateway reported as 0)
export const SS_CLONED: usize = 68;      // RTM_F_CLONED cache routes skipped
export const SS_NH_OVER: usize = 72;     // via-proxy next hops beyond the per-message cap (dropped)
export const SS_IMPLIED: usize = 76;     // entries removed for kernel-silent deletions
export const SS_GROWS: usize = 80;       // mirror table doublings
export const SS_SYNC_ADDED: usize = 84;  // current/last sync: entries added
export const SS_SYNC_REMOVED: usize = 88;//   entries removed by the sweep
export const SS_SYNC_CHANGED: usize = 92;//   entries changed
export const SS_GEN: usize = 96;         // current generation
export const SS_STAGE_GROWS: usize = 100;// staging area doublings (one message needed more)
export const SS_SEQ: usize = 104;        // last observation sequence number
export const SS_ACKS: usize = 108;       // NLMSG_ERROR with error 0
export const SS_NH_MSGS: usize = 112;    // RTM_NEWNEXTHOP/DELNEXTHOP messages
export const SS_NH_USED: usize = 116;    //   of them about a nexthop a mirrored route uses (STF_NEXTHOP)
export const SS_NH_NOCOMPAT: usize = 120;// routes with RTA_NH_ID and no next hop spelled out (nexthop_compat_mode=0): not mirrored
export const SS_R4_UNSETTLED: usize = 124; // IPv4 changes the messages leave open: routes dumped again (STF_ROUTES)
export const STATS_SIZE: usize = 128;

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
export const STATE_SIZE: usize = 696;

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
