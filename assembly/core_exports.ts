// The netlink core's exports (main instance only). Ids are u16 values in one
// space (ports and proxies); errors are negative errno values. Every export is
// safe to call with any argument (out-of-range ids give -EINVAL, never a
// trap), and does nothing useful before core_init().
//
// Blocks handed out by pointer (layouts documented where they are defined):
//   status_ptr()        state.ts   "status block"  (32 B)
//   stats_ptr()         state.ts   "stats block"   (u32 counters, 128 B)
//   proxy_info_ptr(id)  proxies.ts "proxy table"   (first 40 B)
//   proxy_master_ptr(id) masters.ts (a 64 B MASTER_CHANGE record)
//   staged_ptr()        staging.ts (64 B records, native/include/ifpx_event.h)
//   query_ptr()         query.ts   (64 B records of the last query_step())
//
// Each call that stages (process, sync_end_step, replay_step, stage_marker)
// first resets the staging area: its return value is the number of records at
// staged_ptr(), which the host must re-read after each call (it may move when
// one message alone needs more room than the area has).
import { S, O_RX, O_RX_CAP, O_STATUS, O_STATS, O_WANTED, SS_SEQ, stat_get } from "./state";
import { core_init_impl, refresh_counts } from "./core_init";
import { process_impl } from "./process";
import { stage_reset, nstaged, staged_base, tmpl_begin, emit_one } from "./staging";
import * as P from "./proxies";
import { K_ADDR, K_R4, K_R6, K_NEIGH, KINDS, t_cap, t_at, t_count, t_esize, cap_for, grow_to } from "./table";
import { query_begin_impl, query_step_impl, query_status_impl, query_out } from "./query";
import { e_slot } from "./entries";
import { m_delete } from "./mirror";
import { sync_begin_impl, sync_end_step_impl } from "./sync";
import { replay_begin_impl, replay_step_impl } from "./replay";
import { master_info } from "./masters";
import { JOB_NONE, job_active, job_run } from "./implied_deletions";
import { O_JOB, HEAP_MAX_BLOCK } from "./state";
import { KB_ADDR, KB_ROUTE, KB_ROUTE6, KB_NEIGH } from "./layout";
import { subif_set_enabled, subif_changes as subif_changes_impl, subif_next as subif_next_impl, subif_info as subif_info_impl } from "./subif";

export function core_version(): u32 { return 1; }

export function core_init(): void { core_init_impl(); }

export function rx_ptr(): usize { return S ? load<usize>(S + O_RX) : 0; }
export function rx_cap(): u32 { return S ? load<u32>(S + O_RX_CAP) : 0; }
export function status_ptr(): usize { return S ? S + O_STATUS : 0; }
export function stats_ptr(): usize { return S ? S + O_STATS : 0; }
export function staged_ptr(): usize { return S ? staged_base() : 0; }
/** the last observation sequence number handed out */
export function seq_last(): u32 { return S ? stat_get(SS_SEQ) : 0; }

/**
 * Parse rx[off..len). Returns records staged. Stops early, at a message
 * boundary, when staging runs short: status.next_off says where to resume
 * (== len when everything was consumed). The host must resume with the
 * unconsumed bytes starting at next_off (in place, or moved to another offset
 * of rx) before appending anything else: when an implied-deletion job is
 * pending (status flag bit4) next_off is left ON the message that started it,
 * and the next call finishes the job and then skips that one message.
 */
export function process(off: u32, len: u32): u32 {
  if (!S) return 0;
  return process_impl(off, len);
}

// ---- proxies and bindings ----

export function proxy_add(id: u32, ifindex: i32): i32 {
  if (!S) return P.EINVAL;
  return P.proxy_add_impl(id, ifindex);
}

// drop a proxy's mirror entries (and a pending job on it) without staging
function forget_entries(slot: u32): void {
  if (load<u32>(S + O_JOB) != JOB_NONE && load<u32>(S + O_JOB + 4) == slot) store<u32>(S + O_JOB, JOB_NONE);
  for (let k: u32 = 0; k < KINDS; k++) {
    let i: u32 = 0;
    while (i < t_cap(k)) {
      const e = t_at(k, i);
      if (load<u8>(e) && e_slot(e) == slot) { m_delete(k, e); continue; } // a later entry may shift into i
      i++;
    }
  }
  const p = P.pslot(slot);
  store<u32>(p + P.P_NADDR4, 0);
}

/** forget a proxy: its bindings and mirror entries go, no records are staged */
export function proxy_remove(id: u32): i32 {
  if (!S) return P.EINVAL;
  const s = P.slot_of_id(<i32>id);
  if (s < 0) return P.EINVAL;
  const slot = <u32>s;
  forget_entries(slot);
  P.unbind_all(slot);
  P.proxy_free(slot);
  refresh_counts();
  return 0;
}

export function proxy_set_ifindex(id: u32, ifindex: i32): i32 {
  if (!S) return P.EINVAL;
  const s = P.slot_of_id(<i32>id);
  if (s < 0) return P.EINVAL;
  const p = P.pslot(<u32>s);
  if (load<i32>(p + P.P_IFINDEX) == ifindex && !load<u8>(p + P.P_GONE)) return 0;
  const r = P.proxy_set_ifindex_impl(<u32>s, ifindex);
  // what was mirrored belonged to the old interface: forget it (no records;
  // the host replays or resyncs the new interface's state)
  if (r == 0) { forget_entries(<u32>s); refresh_counts(); }
  return r;
}

export function proxy_info_ptr(id: u32): usize {
  if (!S) return 0;
  const s = P.slot_of_id(<i32>id);
  return s < 0 ? 0 : P.pslot(<u32>s);
}

/** the proxy's master as a MASTER_CHANGE record (payload only, masters.ts), 0 when no such proxy */
export function proxy_master_ptr(id: u32): usize {
  if (!S) return 0;
  const s = P.slot_of_id(<i32>id);
  return s < 0 ? 0 : master_info(<u32>s);
}

export function is_proxy(id: u32): i32 {
  if (!S) return 0;
  return P.slot_of_id(<i32>id) >= 0 ? 1 : 0;
}

export function port_bind(port: u32, proxy: u32): i32 {
  if (!S) return P.EINVAL;
  return P.port_bind_impl(port, proxy);
}

export function port_unbind(port: u32): i32 {
  if (!S) return P.EINVAL;
  return P.port_unbind_impl(port);
}

export function proxy_of_port(port: u32): i32 {
  if (!S) return -1;
  const s = P.port_slot(port);
  return s < 0 ? -1 : <i32>load<u16>(P.pslot(<u32>s) + P.P_ID);
}

/** fill up to max u16 port ids at out; returns the total count (-EINVAL: not a proxy or bad out) */
export function ports_of_proxy(proxy: u32, out: usize, max: u32): i32 {
  if (!S) return P.EINVAL;
  const s = P.slot_of_id(<i32>proxy);
  if (s < 0) return P.EINVAL;
  // out must lie in the heap (not in static data) and within memory
  if (max > 0 && (out < __heap_base || <u64>out + (<u64>max << 1) > (<u64>memory.size() << 16))) return P.EINVAL;
  let n: u32 = 0;
  let p = P.first_port(<u32>s);
  while (p != 0xffff) {
    if (n < max) store<u16>(out + (<usize>n << 1), <u16>p);
    n++;
    p = P.next_port(p);
  }
  return <i32>n;
}

// ---- snapshot / resync, replay, markers ----

export function sync_begin(kinds: u32, flags: u32): void {
  if (!S) return;
  sync_begin_impl(kinds, flags);
}

export function sync_end_step(): u32 {
  if (!S) return 0;
  stage_reset();
  const n = sync_end_step_impl();
  refresh_counts();
  return n;
}

/**
 * The next chunk of a pending implied-deletion job (assembly/implied_deletions.ts),
 * staged for delivery to everyone; 0 when none is pending. A replay snapshot
 * calls it first: its deletes are live changes, not part of one queue's
 * snapshot. The message that started the job stays marked to be skipped.
 */
export function job_step(): u32 {
  if (!S) return 0;
  stage_reset();
  if (job_active()) job_run();
  const n = nstaged();
  refresh_counts();
  return n;
}

export function replay_begin(proxy: i32, port: i32): void {
  if (!S) return;
  replay_begin_impl(proxy, port);
}

export function replay_step(): u32 {
  if (!S) return 0;
  stage_reset();
  const n = replay_step_impl();
  refresh_counts();
  return n;
}

/**
 * Stage one marker record (CFG_DONE, RESYNC_DONE, PORT_DONE, REPLAY_DONE, END,
 * OVERFLOW...): port_id = port (0xFFFF none), proxy_id/ifindex of the port's
 * proxy when it has one, u32 a..d at offsets 16..28 (RESYNC_DONE: added,
 * removed, changed, reason; OVERFLOW: lost). Returns the staged count (1).
 */
export function stage_marker(type: u32, port: u32, a: u32, b: u32, c: u32, d: u32): u32 {
  if (!S || type > 0xffff) return 0;
  stage_reset();
  const pt = port > 0xffff ? <u32>0xffff : port;
  const t = tmpl_begin(<u16>type, port < 0xffff ? P.port_slot(pt) : -1, 0, 0);
  store<u32>(t + 16, a);
  store<u32>(t + 20, b);
  store<u32>(t + 24, c);
  store<u32>(t + 28, d);
  emit_one(pt);
  return nstaged();
}

/**
 * Bit (1 << type) set: records of that type are staged for the bound ports.
 * The host clears the types nobody consumes (no callback, no queue); the
 * mirror is kept either way. Replays and markers are never filtered.
 */
export function set_wanted(mask: u32): void {
  if (S) store<u32>(S + O_WANTED, mask);
}

/** mirror entries of kind KB_ADDR, KB_ROUTE (route next hops, v4+v6) or KB_NEIGH; proxy -1: all */
export function mirror_count(kind: u32, proxy: i32): u32 {
  if (!S) return 0;
  if (proxy < 0) {
    if (kind == KB_ADDR) return t_count(K_ADDR);
    if (kind == KB_ROUTE) return t_count(K_R4) + t_count(K_R6);
    if (kind == KB_NEIGH) return t_count(K_NEIGH);
    return 0;
  }
  const s = P.slot_of_id(proxy);
  if (s < 0) return 0;
  const p = P.pslot(<u32>s);
  if (kind == KB_ADDR) return load<u32>(p + P.P_NADDR);
  if (kind == KB_ROUTE) return load<u32>(p + P.P_NROUTE);
  if (kind == KB_NEIGH) return load<u32>(p + P.P_NNEIGH);
  return 0;
}

// ---- queries ----

/**
 * Start a query of the mirror: proxy id (-1: every proxy), kinds bitmask
 * 2 addresses, 4 routes (v4 and v6), 8 neighbours (1, link, is ignored).
 * Returns 0, or -EINVAL (not a proxy, unknown kind bits). Replaces a query in
 * progress. Full contract in query.ts.
 */
export function query_begin(proxy: i32, kinds: u32): i32 {
  if (!S) return P.EINVAL;
  return query_begin_impl(proxy, kinds);
}

/**
 * Write the next chunk (at most 4096) of the query's ADD records at
 * query_ptr(); returns their count, 0 when the query is over. Records: port_id
 * 0xFFFF, flags LOCAL / MULTIPATH as mirrored, seq = seq_last(). Nothing is
 * staged; staged_ptr() records stay valid (callable from a callback).
 */
export function query_step(): u32 {
  if (!S) return 0;
  return query_step_impl();
}

/** 1 running, 0 idle or finished, -ESTALE: the mirror changed between two query_step() calls (query ended) */
export function query_status(): i32 {
  if (!S) return 0;
  return query_status_impl();
}

export function query_ptr(): usize { return S ? query_out() : 0; }

// ---- pre-sizing ----

/**
 * Grow one mirror table once so it holds `entries` at its load factor (0.7)
 * and need not grow while filling: kind KB_ADDR addresses, KB_ROUTE IPv4 route
 * next hops, KB_ROUTE6 IPv6 route next hops, KB_NEIGH neighbours (one kind per
 * call). Never shrinks. Returns 0, -EINVAL (kind), or -ENOMEM (the table would
 * not fit the 4 GiB memory; nothing changed). Costs the grown block (capacity
 * x 32/32/64/40 B), grown in place when it can (table.ts grow_to); reserve
 * before filling, when there is nothing to rehash.
 */
export function mirror_reserve(kind: u32, entries: u32): i32 {
  if (!S) return P.EINVAL;
  const k: i32 = kind == KB_ADDR ? <i32>K_ADDR : kind == KB_ROUTE ? <i32>K_R4 : kind == KB_ROUTE6 ? <i32>K_R6 : kind == KB_NEIGH ? <i32>K_NEIGH : -1;
  if (k < 0) return P.EINVAL;
  const ncap = cap_for(entries);
  if (ncap == 0) return -12;
  if (ncap <= t_cap(<u32>k)) return 0;
  // the stub allocator traps when memory cannot grow: check first (pages of 64 KiB, max 65536)
  const bytes = <u64>ncap * <u64>t_esize(<u32>k) + 65536;
  if ((bytes >> 16) + <u64>memory.size() + 1 > 65536) return -12;
  // one block: past the allocator's largest the runtime would abort
  if (<u64>ncap * <u64>t_esize(<u32>k) > HEAP_MAX_BLOCK) return -12;
  grow_to(<u32>k, ncap);
  return 0;
}

// ---- sub-interfaces (option subinterfaces, subif.ts) ----

/** on != 0: a VLAN (QinQ) created on a proxy becomes a proxy itself (ids from 0xF000) */
export function set_subinterfaces(on: u32): void {
  if (S) subif_set_enabled(on != 0);
}

/** bumped each time the core makes or frees a sub-interface proxy: the host compares lists when it moved */
export function subif_changes(): u32 { return S ? subif_changes_impl() : 0; }

/** the sub-interface proxy id after `after` (-1: the first), or -1 */
export function subif_next(after: i32): i32 { return S ? subif_next_impl(after) : -1; }

/** a SUBIF_ADD record (64 B, port 0xFFFF) describing sub-interface `id`, or 0 when it is none */
export function subif_info(id: i32): usize { return S ? subif_info_impl(id) : 0; }
