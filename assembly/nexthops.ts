// Nexthop objects (`ip nexthop`, FRR's nexthop groups): which ones mirrored
// routes use, and the nexthop notifications that change those routes without
// a route notification.
//
// With net.ipv4.nexthop_compat_mode=1 (the default) a route using a nexthop
// object carries RTA_NH_ID and also its next hops spelled out (RTA_OIF /
// RTA_GATEWAY or RTA_MULTIPATH), and replacing a nexthop (or a group, or a
// member of one) re-announces the routes. Two changes are NOT announced
// (verified on 6.18): deleting a nexthop deletes the routes that use it
// directly, and deleting a member of a group shrinks the group and with it
// every route using the group. What the kernel does announce is on
// RTNLGRP_NEXTHOP: RTM_DELNEXTHOP for the deleted id, and RTM_NEWNEXTHOP for
// a group it shrank. Notifications carry the flags of the request that caused
// them: a user's replace has NLM_F_REPLACE (its routes are re-announced),
// the group shrunk by a deletion has not. So RTM_DELNEXTHOP, or
// RTM_NEWNEXTHOP without NLM_F_REPLACE, about an id that a mirrored route
// uses sets STF_NEXTHOP: the host resynchronises.
//
// The set of used ids is a u32 open-addressing set (0 = empty: nexthop ids
// start at 1), filled by route messages and emptied when a route sync begins
// (the dump fills it again). It only grows in between: an id no route uses
// any more costs at most one needless resync. Full (0.7 load): every nexthop
// message counts as used.
import { S, O_NHSET, stat_inc, status_or, SS_NEXTHOP_MESSAGES, SS_NEXTHOP_CHANGES, STF_NEXTHOP } from "./state";
import { NHA_ID, RTM_NEWNEXTHOP, NLM_F_REPLACE } from "./nl";
import { NHM_ATTRS } from "./headers";
import { attr_parse, pol, tb_attr, attr_u32, POL_U32 } from "./attrs";
import { msg_tb } from "./scratch";

export const NHSET_SLOTS: u32 = 4096;   // 16 KiB
// +0 usize slots (u32 x NHSET_SLOTS), +8 u32 count, +12 u32 full
@inline function set_base(): usize { return load<usize>(S + O_NHSET); }
@inline function set_count(): u32 { return load<u32>(S + O_NHSET + 8); }
@inline function set_full(): bool { return load<u32>(S + O_NHSET + 12) != 0; }
@inline function home(id: u32): u32 { return (id * 0x9e3779b1) >> 20; } // top 12 bits: 4096 slots

export function nhset_clear(): void {
  memory.fill(set_base(), 0, <usize>NHSET_SLOTS << 2);
  store<u32>(S + O_NHSET + 8, 0);
  store<u32>(S + O_NHSET + 12, 0);
}

export function nhset_add(id: u32): void {
  if (id == 0 || set_full()) return;
  const b = set_base();
  let i = home(id);
  for (;;) {
    const v = load<u32>(b + (<usize>i << 2));
    if (v == id) return;
    if (v == 0) break;
    i = (i + 1) & (NHSET_SLOTS - 1);
  }
  if ((set_count() + 1) * 10 > NHSET_SLOTS * 7) { store<u32>(S + O_NHSET + 12, 1); return; }
  store<u32>(b + (<usize>i << 2), id);
  store<u32>(S + O_NHSET + 8, set_count() + 1);
}

export function nhset_has(id: u32): bool {
  if (set_full()) return true;
  if (id == 0 || set_count() == 0) return false;
  const b = set_base();
  let i = home(id);
  for (;;) {
    const v = load<u32>(b + (<usize>i << 2));
    if (v == id) return true;
    if (v == 0) return false;
    i = (i + 1) & (NHSET_SLOTS - 1);
  }
  return false;
}

const NEXTHOP_POLICY: u64 = pol(NHA_ID, POL_U32);

/** RTM_NEWNEXTHOP / RTM_DELNEXTHOP: struct nhmsg (8 bytes), then NHA_* attributes. */
export function handle_nexthop(m: usize, mlen: u32, type: u16, nlflags: u16): bool {
  stat_inc(SS_NEXTHOP_MESSAGES);
  if (mlen < NHM_ATTRS) return false;
  if (type == RTM_NEWNEXTHOP && (nlflags & NLM_F_REPLACE) != 0) return true; // routes re-announced
  const tb = msg_tb();
  if (!attr_parse(m + NHM_ATTRS, m + mlen, tb, NEXTHOP_POLICY, 0)) return false;
  const ia = tb_attr(tb, NHA_ID);
  const id: u32 = ia ? attr_u32(ia) : 0;
  if (nhset_has(id)) { stat_inc(SS_NEXTHOP_CHANGES); status_or(STF_NEXTHOP); }
  return true;
}
