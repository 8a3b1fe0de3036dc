// RTM_NEWLINK / RTM_DELLINK for proxies.
import { AF_UNSPEC, RTM_DELLINK, IFF_UP, IFF_LOWER_UP, NLM_F_MULTI, IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE } from "./nl";
import { IFI_ATTRS, ifi_family, ifi_index, ifi_flags, nlh_flags } from "./headers";
import { attr_parse, pol, tb_attr, attr_data, attr_len, attr_u32, attr_u8, POL_U8, POL_U32 } from "./attrs";
import { msg_tb } from "./scratch";
import { stat_inc, SS_FILTERED, SS_OTHER } from "./state";
import { slot_of_ifindex, pslot, P_IFINDEX, P_MTU, P_MAC, P_FLAGS, P_OPER, P_KNOWN, P_NAME, P_LINKGEN } from "./proxies";
import { tmpl_begin, emit } from "./staging";
import * as R from "./record";
import { live_flags, note_added, note_changed, cur_gen, KB_LINK } from "./sync";
import { job_start, revive_dead, unsettled_elsewhere, JOB_PURGE, JOB_DOWN } from "./implied_deletions";
import { subif_adopt, subif_announce } from "./subif";
import { masters_link, master_proxy } from "./masters";

export const LK_LINK: u32 = 1;
export const LK_MTU: u32 = 2;
export const LK_MAC: u32 = 4;

/** stage the proxy's current link info: LINK_CHANGE, MTU_CHANGE, MAC_CHANGE (as selected) */
export function stage_link(slot: u32, which: u32, flags: u8, port: i32): u32 {
  const p = pslot(slot);
  let n: u32 = 0;
  if (which & LK_LINK) {
    const t = tmpl_begin(R.EV_LINK_CHANGE, <i32>slot, 0, flags);
    const f = load<u32>(p + P_FLAGS);
    store<u8>(t + R.R_LINK_UP, (f & IFF_UP) ? 1 : 0);
    store<u8>(t + R.R_LINK_CARRIER, (f & IFF_LOWER_UP) ? 1 : 0);
    store<u8>(t + R.R_LINK_OPER, load<u8>(p + P_OPER));
    store<u32>(t + R.R_LINK_FLAGS, f);
    n += emit(slot, port);
  }
  if (which & LK_MTU) {
    const t = tmpl_begin(R.EV_MTU_CHANGE, <i32>slot, 0, flags);
    store<u32>(t + R.R_MTU, load<u32>(p + P_MTU));
    n += emit(slot, port);
  }
  if (which & LK_MAC) {
    const t = tmpl_begin(R.EV_MAC_CHANGE, <i32>slot, 0, flags);
    store<u32>(t + R.R_MAC, load<u32>(p + P_MAC)); store<u16>(t + R.R_MAC + 4, load<u16>(p + P_MAC + 4));
    n += emit(slot, port);
  }
  return n;
}

const LINK_POLICY: u64 = pol(IFLA_MTU, POL_U32) | pol(IFLA_OPERSTATE, POL_U8);

/** returns false when the message is malformed */
export function handle_link(m: usize, mlen: u32, type: u16): bool {
  if (mlen < IFI_ATTRS) return false;
  // AF_BRIDGE (and other families) reuse the ifindex for bridge-port state; an
  // RTM_DELLINK there only means "left the bridge", never "interface deleted".
  if (ifi_family(m) != AF_UNSPEC) { stat_inc(SS_OTHER); return true; }
  const ifindex = ifi_index(m);
  const ifflags = ifi_flags(m);
  // validate every attribute before touching state
  const tb = msg_tb();
  if (!attr_parse(m + IFI_ATTRS, m + mlen, tb, LINK_POLICY, 0)) return false;
  const name = tb_attr(tb, IFLA_IFNAME), mtu = tb_attr(tb, IFLA_MTU), mac = tb_attr(tb, IFLA_ADDRESS), oper = tb_attr(tb, IFLA_OPERSTATE);
  masters_link(ifindex, type, tb);
  let s = slot_of_ifindex(ifindex);
  // option subinterfaces: a VLAN on a proxy becomes one here (subif.ts)
  if (s < 0 && type != RTM_DELLINK) s = subif_adopt(m, mlen, ifindex, tb);
  if (s < 0) {
    // (live messages only: a dump shows every down interface, and asks nothing)
    if ((nlh_flags(m) & NLM_F_MULTI) == 0 && (type == RTM_DELLINK || (ifflags & IFF_UP) == 0)) unsettled_elsewhere();
    stat_inc(SS_FILTERED);
    return true;
  }
  const slot = <u32>s;
  const p = pslot(slot);
  const flags = live_flags(KB_LINK);
  if (type == RTM_DELLINK) {
    job_start(JOB_PURGE, slot, flags);
    return true;
  }
  store<u32>(p + P_LINKGEN, cur_gen());
  if (name) {
    const namelen = attr_len(name);
    const n = namelen < 15 ? namelen : 15;
    memory.fill(p + P_NAME, 0, 16);
    for (let i: u32 = 0; i < n; i++) {
      const c = load<u8>(attr_data(name) + i);
      if (c == 0) break;
      store<u8>(p + P_NAME + i, c);
    }
  }
  const known = load<u8>(p + P_KNOWN) != 0;
  if (!known) subif_announce(slot, flags); // SUBIF_ADD before the sub-interface's own state
  const oflags = load<u32>(p + P_FLAGS);
  let which: u32 = 0;
  if (!known) which = LK_LINK | LK_MTU | LK_MAC;
  else if (((oflags ^ ifflags) & (IFF_UP | IFF_LOWER_UP)) != 0) which |= LK_LINK;
  store<u32>(p + P_FLAGS, ifflags);
  if (oper) store<u8>(p + P_OPER, attr_u8(oper));
  if (mtu) {
    const v = attr_u32(mtu);
    if (known && v != load<u32>(p + P_MTU)) which |= LK_MTU;
    store<u32>(p + P_MTU, v);
  }
  if (mac) {
    // tap/veth/ether: 6 bytes; shorter hardware addresses are zero-padded
    const maclen = attr_len(mac);
    const nm: u32 = maclen < 6 ? maclen : 6;
    let diff = false;
    for (let i: u32 = 0; i < 6; i++) {
      const b: u8 = i < nm ? load<u8>(attr_data(mac) + i) : 0;
      if (b != load<u8>(p + P_MAC + i)) diff = true;
      store<u8>(p + P_MAC + i, b);
    }
    if (known && diff) which |= LK_MAC;
  }
  store<u8>(p + P_KNOWN, 1);
  if (!known) note_added(KB_LINK);
  else if (which) note_changed(KB_LINK);
  if (which) stage_link(slot, which, flags, -1);
  if (known) {
    if ((oflags & IFF_UP) != 0 && (ifflags & IFF_UP) == 0) job_start(JOB_DOWN, slot, flags);
    else if ((oflags & IFF_UP) == 0 && (ifflags & IFF_UP) != 0) revive_dead(slot);
  }
  // after JOB_DOWN: joining or leaving a VRF starts a wider deletion job in its place
  master_proxy(slot, tb, !known, nlh_flags(m), flags);
  return true;
}
