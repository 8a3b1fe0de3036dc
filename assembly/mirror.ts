// The mirror: entries in their tables (entries.ts layouts, table.ts storage),
// per-proxy accounting, the walk over one route identity's entries, and the
// one function that turns an entry into a record (used by live changes,
// implied deletions, the resync sweep and replay, so every path reports an
// entry the same way).
import { K_ADDR, K_R4, K_R6, K_NEIGH, t_slot, t_at, t_next } from "./table";
import { A_FAMILY, A_PREFIX, A_ADDR, A_FLAGS, A_SCOPE, RT_DSTLEN, RT_TOS, RT_TABLE, RT_PRIO, RT_DST, R4_GW, R6_GW,
  RA_TYPE, RA_PROTO, RA_SCOPE, RA_WEIGHT, RA_NHCOUNT, RA_EFLAGS, EF_GW6, N_FAMILY, N_TYPE, N_DST, N_MAC, N_STATE, N_FLAGS, N_LASTMAC,
  e_slot, r_attr, e_same_ident } from "./entries";
import { gw6_addr } from "./gw6";
import { tmpl_begin, emit, wanted } from "./staging";
import * as R from "./record";
import { AF_INET, AF_INET6, RT_TABLE_LOCAL } from "./nl";
import { cpy16 } from "./mem";

/** the event type of an entry's ADD (add=true) or DEL record */
export function entry_type(k: u32, e: usize, add: bool): u16 {
  if (k == K_R4) return add ? R.EV_ROUTE_ADD : R.EV_ROUTE_DEL;
  if (k == K_R6) return add ? R.EV_ROUTE6_ADD : R.EV_ROUTE6_DEL;
  const v4 = load<u8>(e + (k == K_ADDR ? A_FAMILY : N_FAMILY)) == AF_INET;
  if (k == K_ADDR) return v4 ? (add ? R.EV_ADDR_ADD : R.EV_ADDR_DEL) : (add ? R.EV_ADDR6_ADD : R.EV_ADDR6_DEL);
  return v4 ? (add ? R.EV_NEIGH_ADD : R.EV_NEIGH_DEL) : (add ? R.EV_NEIGH6_ADD : R.EV_NEIGH6_DEL);
}

/** stage an entry as an ADD (add=true) or DEL record; port < 0: every bound port */
export function stage_entry(k: u32, e: usize, add: bool, flags: u8, port: i32): u32 {
  if (port < 0 && !wanted(entry_type(k, e, add))) return 0;
  fill_entry(k, e, add, flags);
  return emit(e_slot(e), port);
}

/** build an entry's record in the staging template (header and payload; seq and port not set) */
export function fill_entry(k: u32, e: usize, add: bool, flags: u8): void {
  const slot = <i32>e_slot(e);
  if (k == K_ADDR) {
    const v4 = load<u8>(e + A_FAMILY) == AF_INET;
    const ty: u16 = v4 ? (add ? R.EV_ADDR_ADD : R.EV_ADDR_DEL) : (add ? R.EV_ADDR6_ADD : R.EV_ADDR6_DEL);
    const t = tmpl_begin(ty, slot, v4 ? AF_INET : AF_INET6, flags);
    if (v4) store<u32>(t + R.R_ADDR_IP, load<u32>(e + A_ADDR));
    else cpy16(t + R.R_ADDR_IP, e + A_ADDR);
    store<u8>(t + R.R_ADDR_PREFIX, load<u8>(e + A_PREFIX));
    store<u8>(t + R.R_ADDR_SCOPE, load<u8>(e + A_SCOPE));
    store<u32>(t + R.R_ADDR_FLAGS, load<u32>(e + A_FLAGS));
  } else if (k == K_R4 || k == K_R6) {
    const v4 = k == K_R4;
    const a = e + r_attr(k);
    let f = flags;
    const table = load<u32>(e + RT_TABLE);
    if (table == RT_TABLE_LOCAL) f |= R.F_LOCAL;
    if (load<u8>(a + RA_NHCOUNT) > 1) f |= R.F_MULTIPATH;
    const gw6 = v4 && (load<u8>(a + RA_EFLAGS) & EF_GW6) != 0;
    if (gw6) f |= R.F_GW6;
    const ty: u16 = v4 ? (add ? R.EV_ROUTE_ADD : R.EV_ROUTE_DEL) : (add ? R.EV_ROUTE6_ADD : R.EV_ROUTE6_DEL);
    const t = tmpl_begin(ty, slot, v4 ? AF_INET : AF_INET6, f);
    if (v4) {
      store<u32>(t + R.R_ROUTE_DST, load<u32>(e + RT_DST));
      if (gw6) cpy16(t + R.R_ROUTE_GW, gw6_addr(load<u32>(e + R4_GW)));
      else store<u32>(t + R.R_ROUTE_GW, load<u32>(e + R4_GW));
    } else {
      cpy16(t + R.R_ROUTE_DST, e + RT_DST);
      cpy16(t + R.R_ROUTE_GW, e + R6_GW);
    }
    store<u8>(t + R.R_ROUTE_DEPTH, load<u8>(e + RT_DSTLEN));
    store<u8>(t + R.R_ROUTE_TYPE, load<u8>(a + RA_TYPE));
    store<u8>(t + R.R_ROUTE_PROTO, load<u8>(a + RA_PROTO));
    store<u8>(t + R.R_ROUTE_SCOPE, load<u8>(a + RA_SCOPE));
    store<u32>(t + R.R_ROUTE_TABLE, table);
    store<u32>(t + R.R_ROUTE_PRIO, load<u32>(e + RT_PRIO));
    store<u8>(t + R.R_ROUTE_WEIGHT, load<u8>(a + RA_WEIGHT));
    store<u8>(t + R.R_ROUTE_NHCOUNT, load<u8>(a + RA_NHCOUNT));
    store<u8>(t + R.R_ROUTE_TOS, load<u8>(e + RT_TOS));
  } else {
    const v4 = load<u8>(e + N_FAMILY) == AF_INET;
    const ty: u16 = v4 ? (add ? R.EV_NEIGH_ADD : R.EV_NEIGH_DEL) : (add ? R.EV_NEIGH6_ADD : R.EV_NEIGH6_DEL);
    const t = tmpl_begin(ty, slot, v4 ? AF_INET : AF_INET6, flags);
    if (v4) store<u32>(t + R.R_NEIGH_IP, load<u32>(e + N_DST));
    else cpy16(t + R.R_NEIGH_IP, e + N_DST);
    // A DEL reports the last MAC the entry had: `ip neigh del` is preceded by a
    // FAILED NEWNEIGH without lladdr (reported as such, MAC zero), and the
    // DELNEIGH carries none either.
    const mac = e + (add ? N_MAC : N_LASTMAC);
    store<u32>(t + R.R_NEIGH_MAC, load<u32>(mac)); store<u16>(t + R.R_NEIGH_MAC + 4, load<u16>(mac + 4));
    store<u16>(t + R.R_NEIGH_STATE, load<u16>(e + N_STATE));
    store<u8>(t + R.R_NEIGH_FLAGS, load<u8>(e + N_FLAGS));
    store<u8>(t + R.R_NEIGH_TYPE, load<u8>(e + N_TYPE));
  }
}

import { t_insert_h, t_delete } from "./table";
import { e_hash } from "./entries";
import { pslot, P_NADDR, P_NROUTE, P_NNEIGH, P_NADDR4 } from "./proxies";

@inline function pcount_off(k: u32): usize { return k == K_ADDR ? P_NADDR : k == K_NEIGH ? P_NNEIGH : P_NROUTE; }

/** insert with per-proxy accounting */
export function m_insert(k: u32, cand: usize): usize { return m_insert_h(k, cand, e_hash(k, cand)); }

/** m_insert with cand's hash already computed */
export function m_insert_h(k: u32, cand: usize, h: u32): usize {
  const e = t_insert_h(k, cand, h);
  const p = pslot(e_slot(e));
  const o = pcount_off(k);
  store<u32>(p + o, load<u32>(p + o) + 1);
  if (k == K_ADDR && load<u8>(e + A_FAMILY) == AF_INET) store<u32>(p + P_NADDR4, load<u32>(p + P_NADDR4) + 1);
  return e;
}

/** delete with per-proxy accounting; returns the proxy's IPv4 address count left (addr) or 1 */
export function m_delete(k: u32, e: usize): u32 {
  const p = pslot(e_slot(e));
  const o = pcount_off(k);
  store<u32>(p + o, load<u32>(p + o) - 1);
  let left: u32 = 1;
  if (k == K_ADDR && load<u8>(e + A_FAMILY) == AF_INET) {
    left = load<u32>(p + P_NADDR4) - 1;
    store<u32>(p + P_NADDR4, left);
  }
  t_delete(k, e);
  return left;
}

// The walk over the entries of one route identity (all next hops of a route
// sit in the probe run of the identity's home slot):
//   for (let i = ident_first(k, c, h); i != RUN_END; i = ident_next(k, c, i)) { const e = t_at(k, i); ... }
// c: a candidate entry holding the identity, h: its e_hash. The walk must start
// again from ident_first after a delete (entries move back into the hole).
export const RUN_END: u32 = 0xffffffff;

/** from probe slot i on: the slot of the first entry with c's identity, or RUN_END */
@inline function ident_scan(k: u32, c: usize, i: u32): u32 {
  for (;;) {
    const e = t_at(k, i);
    if (!load<u8>(e)) return RUN_END;
    if (e_same_ident(k, e, c)) return i;
    i = t_next(k, i);
  }
  return RUN_END;
}
@inline export function ident_first(k: u32, c: usize, h: u32): u32 { return ident_scan(k, c, t_slot(k, h)); }
@inline export function ident_next(k: u32, c: usize, i: u32): u32 { return ident_scan(k, c, t_next(k, i)); }
