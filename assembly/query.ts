// Queries: "the addresses / routes / neighbours of proxy P" answered from the
// mirror, with no port bound and no effect on anything else.
//
// query_begin(proxy, kinds) selects a proxy (-1: all) and kinds (bitmask 2
// addresses, 4 routes, 8 neighbours; bit 1 (link) is accepted and ignored: link
// info is in proxy_info_ptr()). Each query_step() then writes up to QUERY_CAP
// records into the query area (query_ptr(), NOT the staging area, so a query
// may run from inside a callback while staged records are being delivered),
// in table order: addresses, IPv4 routes, IPv6 routes, neighbours. Records are
// ADD records exactly as a replay would make them (ADDR_ADD/ADDR6_ADD,
// ROUTE_ADD/ROUTE6_ADD one per next hop, NEIGH_ADD/NEIGH6_ADD), except:
// port_id 0xFFFF, flags only what the entry itself says (LOCAL, MULTIPATH; no
// INITIAL), and seq = the last observation seq (seq_last()) instead of a new
// one: a query observes nothing, takes no seq and stages nothing.
//
// Independence: the query has its own state (S + O_QUERY) and output area; it
// reads the mirror only. It does not touch generations (an in-progress sync is
// undisturbed), the staging area, a replay in progress, or a pending
// implied-deletion job (while one is pending, entries it has not yet removed
// are still listed: the answer is the mirror after the records staged so far).
//
// Consistency: call query_step() until 0 before the mirror changes again
// (process, sync_end_step, replay_step with a pending job, proxy_remove,
// proxy_set_ifindex). Deletions and growth move entries inside a table; if the
// table being walked changed between two steps, the query ends at once with
// query_status() == -ESTALE (no duplicates or silent gaps are handed out).
//
// State (32 B at S + O_QUERY): +0 i32 status (0 idle/finished, 1 active,
// -ESTALE), +4 i32 proxy slot (-1 all), +8 kinds, +12 phase (table kind, 4
// done), +16 cursor, +20 mutation snapshot of the table being walked,
// +24 entries listed so far of the current group (per-proxy early stop),
// +28 entries the proxy has in the current group.
import { S, O_QUERY, O_QOUT, O_TMPL, SS_SEQ, stat_get } from "./state";
import { K_ADDR, K_R4, K_R6, K_NEIGH, KINDS, t_cap, t_at, t_mut, t_count } from "./table";
import { e_slot } from "./entries";
import { fill_entry } from "./mirror";
import { slot_of_id, pslot, P_NADDR, P_NROUTE, P_NNEIGH, EINVAL } from "./proxies";
import { cpy8 } from "./mem";
import { EVENT_SIZE, R_SEQ, R_PORT, PORT_NONE } from "./record";
import { KB_ADDR, KB_ROUTE, KB_NEIGH, kind_bit } from "./sync";

// fields of the query state (the layout above)
const Q_STATUS: usize = 0;
const Q_SLOT: usize = 4;
const Q_KINDS: usize = 8;
const Q_PHASE: usize = 12;
const Q_CURSOR: usize = 16;
const Q_MUT: usize = 20;
const Q_LISTED: usize = 24;
const Q_TOTAL: usize = 28;

export const QUERY_CAP: u32 = 4096;
export const ESTALE: i32 = -116;

@inline export function query_out(): usize { return load<usize>(S + O_QOUT); }

// entries of the selected proxy in the group of kind k (routes: v4 + v6)
function group_total(slot: i32, k: u32): u32 {
  if (slot < 0) return k == K_R4 ? t_count(K_R4) + t_count(K_R6) : t_count(k);
  const p = pslot(<u32>slot);
  return load<u32>(p + (k == K_ADDR ? P_NADDR : k == K_NEIGH ? P_NNEIGH : P_NROUTE));
}

export function query_begin_impl(proxy: i32, kinds: u32): i32 {
  if (kinds & ~<u32>15) return EINVAL;
  let slot: i32 = -1;
  if (proxy != -1) {
    slot = slot_of_id(proxy);
    if (slot < 0) return EINVAL;
  }
  const o = S + O_QUERY;
  store<i32>(o + Q_STATUS, 1);
  store<i32>(o + Q_SLOT, slot);
  store<u32>(o + Q_KINDS, kinds & (KB_ADDR | KB_ROUTE | KB_NEIGH));
  store<u32>(o + Q_PHASE, 0);
  store<u32>(o + Q_CURSOR, 0);
  store<u32>(o + Q_MUT, t_mut(0));
  store<u32>(o + Q_LISTED, 0);
  store<u32>(o + Q_TOTAL, group_total(slot, 0));
  return 0;
}

@inline function next_phase(o: usize, k: u32, slot: i32): void {
  const nk = k + 1;
  store<u32>(o + Q_PHASE, nk);
  store<u32>(o + Q_CURSOR, 0);
  if (nk < KINDS) {
    store<u32>(o + Q_MUT, t_mut(nk));
    if (nk != K_R6) { // IPv6 routes continue the IPv4 routes' group
      store<u32>(o + Q_LISTED, 0);
      store<u32>(o + Q_TOTAL, group_total(slot, nk));
    }
  }
}

export function query_step_impl(): u32 {
  const o = S + O_QUERY;
  if (load<i32>(o + Q_STATUS) != 1) return 0;
  const slot = load<i32>(o + Q_SLOT);
  const kinds = load<u32>(o + Q_KINDS);
  const out = query_out();
  const seq = stat_get(SS_SEQ);
  const t = S + O_TMPL;
  let n: u32 = 0;
  for (;;) {
    const k = load<u32>(o + Q_PHASE);
    if (k >= KINDS) break;
    let i = load<u32>(o + Q_CURSOR);
    if (i > 0 && load<u32>(o + Q_MUT) != t_mut(k)) { store<i32>(o + Q_STATUS, ESTALE); return 0; }
    let listed = load<u32>(o + Q_LISTED);
    const total = load<u32>(o + Q_TOTAL);
    if ((kinds & kind_bit(k)) == 0 || listed >= total) { next_phase(o + Q_STATUS, k, slot); continue; }
    const cap = t_cap(k);
    while (i < cap && listed < total) {
      const e = t_at(k, i);
      if (load<u8>(e) && (slot < 0 || e_slot(e) == <u32>slot)) {
        if (n == QUERY_CAP) {
          store<u32>(o + Q_CURSOR, i);
          store<u32>(o + Q_MUT, t_mut(k));
          store<u32>(o + Q_LISTED, listed);
          return n;
        }
        fill_entry(k, e, true, 0);
        store<u32>(t + R_SEQ, seq);
        const d = out + <usize>n * EVENT_SIZE;
        cpy8(d, t, EVENT_SIZE);
        store<u16>(d + R_PORT, PORT_NONE);
        n++;
        listed++;
      }
      i++;
    }
    store<u32>(o + Q_LISTED, listed);
    next_phase(o + Q_STATUS, k, slot);
  }
  if (n == 0) store<i32>(o + Q_STATUS, 0);
  return n;
}

export function query_status_impl(): i32 { return load<i32>(S + O_QUERY + Q_STATUS); }
