// Mirror entry layouts and the one function that turns an entry into a record
// (used by live changes, implied deletions, the resync sweep and replay, so
// every path reports an entry the same way).
//
// addr  (32 B): +1 family +2 prefixlen +3 slot +4 addr[16] (IPv4: host-order u32 at +4)
//               +20 u32 gen +24 u32 ifa_flags +28 u8 scope
// route4 (32 B): +1 dst_len +2 tos +3 slot +4 u32 table +8 u32 priority +12 u32 dst
//               (host order) +16 u32 gw (host order) +20 u32 gen +24 type +25 protocol
//               +26 scope +27 nh_weight +28 nh_count +29 eflags (EF_DEAD, EF_GW6: gw is a gw6.ts id)
// route6 (64 B): +1 dst_len +2 tos +3 slot +4 table +8 priority +12 dst[16] +28 gw[16]
//               +44 u32 gen +48 type +49 protocol +50 scope +51 nh_weight +52 nh_count +53 eflags
// neigh (40 B): +1 family +2 ndm_type +3 slot +4 dst[16] +20 u32 gen +24 mac[6]
//               +30 u16 state +32 u8 ntf_flags +34 last known mac[6] (what a DEL reports)
import { K_ADDR, K_R4, K_R6, K_NEIGH, E_SLOT, EF_GW6 } from "./table";
import { gw6_addr } from "./gw6";
import { tmpl_begin, emit, wanted } from "./staging";
import * as R from "./record";
import { AF_INET, AF_INET6, RT_TABLE_LOCAL, cpy16 } from "./nl";

export const A_FAMILY: usize = 1;
export const A_PREFIX: usize = 2;
export const A_ADDR: usize = 4;
export const A_GEN: usize = 20;
export const A_FLAGS: usize = 24;
export const A_SCOPE: usize = 28;
export const A_SIZE: u32 = 32;

export const RT_DSTLEN: usize = 1;
export const RT_TOS: usize = 2;
export const RT_TABLE: usize = 4;
export const RT_PRIO: usize = 8;
export const RT_DST: usize = 12;
export const R4_GW: usize = 16;
export const R4_GEN: usize = 20;
export const R4_ATTR: usize = 24; // type, protocol, scope, weight, nh_count, eflags
export const R4_SIZE: u32 = 32;
export const R6_GW: usize = 28;
export const R6_GEN: usize = 44;
export const R6_ATTR: usize = 48;
export const R6_SIZE: u32 = 64;
// offsets inside the 6 attribute bytes
export const RA_TYPE: usize = 0;
export const RA_PROTO: usize = 1;
export const RA_SCOPE: usize = 2;
export const RA_WEIGHT: usize = 3;
export const RA_NHCOUNT: usize = 4;
export const RA_EFLAGS: usize = 5;
export const EF_DEAD: u8 = 1; // next hop's proxy went down (IPv4 multipath: route kept)
// EF_GW6 (2, table.ts): IPv4 route whose gateway is an IPv6 address; the gateway field holds its gw6.ts id

export const N_FAMILY: usize = 1;
export const N_TYPE: usize = 2;
export const N_DST: usize = 4;
export const N_GEN: usize = 20;
export const N_MAC: usize = 24;
export const N_STATE: usize = 30;
export const N_FLAGS: usize = 32;
export const N_LASTMAC: usize = 34;
export const N_SIZE: u32 = 40;

@inline export function e_slot(e: usize): u32 { return <u32>load<u8>(e + E_SLOT); }
@inline export function gen_off(k: u32): usize {
  return k == K_R6 ? R6_GEN : k == K_NEIGH ? N_GEN : A_GEN; // A_GEN == R4_GEN == 20
}
@inline export function r_attr(k: u32): usize { return k == K_R4 ? R4_ATTR : R6_ATTR; }

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

import { t_insert_h, t_delete, e_hash } from "./table";
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
