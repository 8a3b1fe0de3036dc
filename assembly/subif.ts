// Sub-interfaces (option subinterfaces; VPP linux-cp's lcp-auto-subint): a
// VLAN created on a proxy becomes a proxy itself, made here, inside process(),
// on its first RTM_NEWLINK, so the addresses, routes and neighbours that
// follow in the same batch are mirrored like any proxy's. A VLAN on such a
// sub-interface (QinQ: outer tag = the parent's) too; deeper nesting, VLANs
// whose lower device is in another namespace (IFLA_LINK_NETNSID) and other
// kinds (macvlan...) are not made proxies: their messages stay filtered.
//
// SUBIF_ADD / SUBIF_DEL go to the ports bound to the ROOT proxy (the untagged
// one): that is where the data plane learns that VLAN n of port p exists. The
// sub-interface's own state goes to its own ports, which the host binds
// (host/proxies/subinterfaces.ts); the host learns of the slots made and freed
// here through subif_changes() / subif_next(), not through records (those are
// staged only for bound ports and wanted types).
//
// State (80 B at S + O_SUBIF): +0 u32 enabled, +4 u32 changes (slots made or
// freed so far), +8 u32 id cursor, +16 a 64-byte SUBIF_ADD record for the host
// (subif_info).
import { S, O_SUBIF } from "./state";
import { IFLA_LINK, IFLA_LINKINFO, IFLA_LINK_NETNSID } from "./nl";
import { IFI_ATTRS } from "./headers";
import { attr_ok, attr_type, attr_next, tb_attr, attr_len, attr_u32 } from "./attrs";
import { linkinfo_parse, linkinfo_kind, linkinfo_vlan_id, linkinfo_vlan_proto, KIND_VLAN } from "./linkinfo";
import { pslot, slot_of_id, slot_of_ifindex, port_slot, proxy_add_impl, proxy_free, PROXY_MAX, P_USED, P_ID, P_NAME, P_IFINDEX } from "./proxies";
import {
  P_SUBIF, P_SUBIF_PARENT, P_SUBIF_ROOT, P_SUBIF_VLAN, P_SUBIF_PROTO, P_SUBIF_OUTER_VLAN, P_SUBIF_OUTER_PROTO, P_SUBIF_PARENT_IFINDEX,
} from "./layout";
import { tmpl_begin, emit } from "./staging";
import { cpy8 } from "./mem";
import * as R from "./record";

const SB_ON: usize = 0;
const SB_CHANGES: usize = 4;
const SB_NEXT: usize = 8;
const SB_REC: usize = 16;

// Proxy ids of sub-interfaces: their own range, above the host's plain
// proxies (0x8000 upward, host/proxies/registry.ts) and DPDK port ids.
export const SUBIF_ID_BASE: u32 = 0xf000;
export const SUBIF_ID_COUNT: u32 = 0xffff - SUBIF_ID_BASE; // up to 0xfffe

export function subif_set_enabled(on: bool): void { store<u32>(S + O_SUBIF + SB_ON, on ? 1 : 0); }
@inline function enabled(): bool { return load<u32>(S + O_SUBIF + SB_ON) != 0; }
export function subif_changes(): u32 { return load<u32>(S + O_SUBIF + SB_CHANGES); }
@inline function changed(): void { store<u32>(S + O_SUBIF + SB_CHANGES, load<u32>(S + O_SUBIF + SB_CHANGES) + 1); }

// Round robin over the range: an id freed is not handed out again at once, so
// the host, which compares lists after each call, never mistakes a new
// sub-interface for one it knew.
function alloc_id(): i32 {
  for (let n: u32 = 0; n < SUBIF_ID_COUNT; n++) {
    const c = load<u32>(S + O_SUBIF + SB_NEXT);
    store<u32>(S + O_SUBIF + SB_NEXT, c + 1 >= SUBIF_ID_COUNT ? 0 : c + 1);
    const id = SUBIF_ID_BASE + c;
    if (slot_of_id(<i32>id) < 0 && port_slot(id) < 0) return <i32>id;
  }
  return -1;
}

// IFLA_LINK_NETNSID is above the attribute table's types (attrs.ts): walk for it
// (the message was length-checked by attr_parse already)
function has_link_netnsid(m: usize, mlen: u32): bool {
  let a = m + IFI_ATTRS;
  const end = m + mlen;
  while (a < end) {
    const l = attr_ok(a, end);
    if (!l) return false;
    if (attr_type(a) == IFLA_LINK_NETNSID) return true;
    a = attr_next(a, l);
  }
  return false;
}

/**
 * RTM_NEWLINK of an interface that is no proxy (tb: its attribute table): when
 * the option is on and it is a VLAN whose lower device is a live proxy of this
 * namespace, make it a proxy and return its slot; else -1 (filtered as before).
 */
export function subif_adopt(m: usize, mlen: u32, ifindex: i32, tb: usize): i32 {
  if (!enabled()) return -1;
  const li = tb_attr(tb, IFLA_LINKINFO), link = tb_attr(tb, IFLA_LINK);
  if (!li || !link || attr_len(link) < 4) return -1;
  // a malformed IFLA_LINKINFO is not a VLAN as far as this goes
  if (!linkinfo_parse(li) || linkinfo_kind() != KIND_VLAN) return -1;
  if (has_link_netnsid(m, mlen)) return -1;
  const ps = slot_of_ifindex(<i32>attr_u32(link));
  if (ps < 0) return -1;
  const pp = pslot(<u32>ps);
  let root = load<u16>(pp + P_ID), outer_vlan: u16 = 0, outer_proto: u16 = 0;
  if (load<u8>(pp + P_SUBIF)) {
    if (load<u16>(pp + P_SUBIF_OUTER_PROTO) != 0) return -1; // a third tag: not followed
    root = load<u16>(pp + P_SUBIF_ROOT);
    outer_vlan = load<u16>(pp + P_SUBIF_VLAN);
    outer_proto = load<u16>(pp + P_SUBIF_PROTO);
  }
  const id = alloc_id();
  if (id < 0 || proxy_add_impl(<u32>id, ifindex) != 0) return -1;
  const s = slot_of_id(id);
  const p = pslot(<u32>s);
  store<u8>(p + P_SUBIF, 1);
  store<u16>(p + P_SUBIF_PARENT, load<u16>(pp + P_ID));
  store<u16>(p + P_SUBIF_ROOT, root);
  store<u16>(p + P_SUBIF_VLAN, linkinfo_vlan_id());
  store<u16>(p + P_SUBIF_PROTO, linkinfo_vlan_proto());
  store<u16>(p + P_SUBIF_OUTER_VLAN, outer_vlan);
  store<u16>(p + P_SUBIF_OUTER_PROTO, outer_proto);
  store<i32>(p + P_SUBIF_PARENT_IFINDEX, load<i32>(pp + P_IFINDEX));
  changed();
  return s;
}

@inline export function is_subif(slot: u32): bool { return load<u8>(pslot(slot) + P_SUBIF) != 0; }

// the SUBIF_ADD/DEL payload of a sub-interface's slot into record t
function fill(t: usize, p: usize): void {
  store<u16>(t + R.R_SUBIF_PARENT, load<u16>(p + P_SUBIF_PARENT));
  store<u16>(t + R.R_SUBIF_ROOT, load<u16>(p + P_SUBIF_ROOT));
  store<u32>(t + R.R_SUBIF_PARENT_IFINDEX, <u32>load<i32>(p + P_SUBIF_PARENT_IFINDEX));
  store<u16>(t + R.R_SUBIF_VLAN, load<u16>(p + P_SUBIF_VLAN));
  store<u16>(t + R.R_SUBIF_PROTO, load<u16>(p + P_SUBIF_PROTO));
  store<u16>(t + R.R_SUBIF_OUTER_VLAN, load<u16>(p + P_SUBIF_OUTER_VLAN));
  store<u16>(t + R.R_SUBIF_OUTER_PROTO, load<u16>(p + P_SUBIF_OUTER_PROTO));
  cpy8(t + R.R_SUBIF_NAME, p + P_NAME, 16);
}

/**
 * Stage SUBIF_ADD/DEL of sub-interface `slot` (template from its slot: header
 * proxy/ifindex its own) to the root proxy's ports (port < 0) or to `port`.
 * Returns records staged; 0 when the root is no longer a proxy.
 */
export function subif_stage(type: u16, slot: u32, flags: u8, port: i32): u32 {
  const p = pslot(slot);
  const rs = slot_of_id(<i32>load<u16>(p + P_SUBIF_ROOT));
  if (rs < 0) return 0;
  fill(tmpl_begin(type, <i32>slot, 0, flags), p);
  return emit(<u32>rs, port);
}

/** The root proxy's slot of a sub-interface, or -1 (it was removed). */
export function subif_root_slot(slot: u32): i32 { return slot_of_id(<i32>load<u16>(pslot(slot) + P_SUBIF_ROOT)); }

/** First link message of a proxy (its name is stored): announce it if it is a sub-interface. */
export function subif_announce(slot: u32, flags: u8): void {
  if (is_subif(slot)) subif_stage(R.EV_SUBIF_ADD, slot, flags, -1);
}

/** A purge (RTM_DELLINK, or gone from a link dump) finished: SUBIF_DEL, then the slot is freed. */
export function subif_gone(slot: u32, flags: u8): void {
  if (!is_subif(slot)) return;
  subif_stage(R.EV_SUBIF_DEL, slot, flags, -1);
  proxy_free(slot);
  changed();
}

/** The sub-interface with the smallest id above `after` (-1: from the start), or -1. */
export function subif_next(after: i32): i32 {
  let best: i32 = -1;
  for (let s: u32 = 0; s < PROXY_MAX; s++) {
    const p = pslot(s);
    if (!load<u8>(p + P_USED) || !load<u8>(p + P_SUBIF)) continue;
    const id = <i32>load<u16>(p + P_ID);
    if (id > after && (best < 0 || id < best)) best = id;
  }
  return best;
}

/** A SUBIF_ADD record (port 0xFFFF, seq 0) describing sub-interface `id`, or 0. */
export function subif_info(id: i32): usize {
  const s = slot_of_id(id);
  if (s < 0 || !is_subif(<u32>s)) return 0;
  const t = S + O_SUBIF + SB_REC;
  const p = pslot(<u32>s);
  memory.fill(t, 0, R.EVENT_SIZE);
  store<u16>(t + R.R_TYPE, R.EV_SUBIF_ADD);
  store<u16>(t + R.R_PORT, R.PORT_NONE);
  store<u16>(t + R.R_PROXY, <u16>id);
  store<u32>(t + R.R_IFINDEX, <u32>load<i32>(p + P_IFINDEX));
  fill(t, p);
  return t;
}
