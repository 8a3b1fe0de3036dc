// Proxies, port bindings and the ifindex -> proxy map.
//
// Proxy table: PROXY_MAX slots of PROXY_SIZE bytes. The first 40 bytes are
// the block proxy_info_ptr() hands out:
//   +0  i32 ifindex      +4 u32 mtu        +8 u8 mac[6]   (+14 pad)
//   +16 u32 ifi_flags    +20 u8 operstate  +21 u8 known (a link message was seen)
//   +22 u8 gone (RTM_DELLINK seen)         +23 u8 used (internal)
//   +24 char name[16] (IFLA_IFNAME, NUL-terminated)
// internal: +40 u16 id, +42 u16 first bound port (0xFFFF none), +44 u32 nports,
//   +48 u32 IPv4 addresses, +52 u32 link_gen (generation of the last link message),
//   +56 u32 mirror addresses, +60 u32 mirror route next hops, +64 u32 mirror neighbours
import { S, O_PROXIES, O_ID2SLOT, O_PORT2SLOT, O_PORTNEXT, O_IFHASH, O_MAXPORTS } from "./state";
// The slot's offsets (P_*) and PROXY_SIZE: layout/shared-memory.json (generated into layout.ts).
import {
  PROXY_SIZE, P_IFINDEX, P_MTU, P_MAC, P_FLAGS, P_OPER, P_KNOWN, P_GONE, P_USED, P_NAME, P_ID, P_PORTS, P_NPORTS,
  P_NADDR4, P_LINKGEN, P_NADDR, P_NROUTE, P_NNEIGH,
} from "./layout";
export {
  PROXY_SIZE, P_IFINDEX, P_MTU, P_MAC, P_FLAGS, P_OPER, P_KNOWN, P_GONE, P_USED, P_NAME, P_ID, P_PORTS, P_NPORTS,
  P_NADDR4, P_LINKGEN, P_NADDR, P_NROUTE, P_NNEIGH,
};

export const PROXY_MAX: u32 = 256;
export const NONE16: u16 = 0xffff;

// ifindex hash: linear probing, 1024 slots of {i32 ifindex (0 empty), u32 slot}
// for at most 256 live proxies (load <= 1/4), so a lookup is ~1 probe.
export const IFH_SLOTS: u32 = 1024;

export const EINVAL: i32 = -22;
export const EEXIST: i32 = -17;
export const ENOSPC: i32 = -28;
export const ENOENT: i32 = -2;

@inline export function pslot(slot: u32): usize { return load<usize>(S + O_PROXIES) + <usize>slot * PROXY_SIZE; }
@inline function id2slot_p(id: u32): usize { return load<usize>(S + O_ID2SLOT) + (<usize>id << 1); }
@inline function port2slot_p(id: u32): usize { return load<usize>(S + O_PORT2SLOT) + (<usize>id << 1); }
@inline function portnext_p(id: u32): usize { return load<usize>(S + O_PORTNEXT) + (<usize>id << 1); }

export function proxies_init(): void {
  memory.fill(load<usize>(S + O_ID2SLOT), 0xff, 65536 * 2);
  memory.fill(load<usize>(S + O_PORT2SLOT), 0xff, 65536 * 2);
  memory.fill(load<usize>(S + O_PORTNEXT), 0xff, 65536 * 2);
}

/** proxy slot of an id, or -1 */
export function slot_of_id(id: i32): i32 {
  if (id < 0 || id > 0xffff) return -1;
  const s = load<u16>(id2slot_p(<u32>id));
  return s == NONE16 ? -1 : <i32>s;
}

@inline function ifh(ifindex: i32): u32 { return (<u32>ifindex * 0x9E3779B1) >> 22; }

/** proxy slot for a live (not gone) proxy's ifindex, or -1: the per-message filter */
export function slot_of_ifindex(ifindex: i32): i32 {
  if (ifindex <= 0) return -1;
  const base = load<usize>(S + O_IFHASH);
  let i = ifh(ifindex);
  for (let n: u32 = 0; n < IFH_SLOTS; n++) {
    const e = base + (<usize>i << 3);
    const k = load<i32>(e);
    if (k == 0) return -1;
    if (k == ifindex) return load<i32>(e + 4);
    i = (i + 1) & (IFH_SLOTS - 1);
  }
  return -1;
}

function ifh_insert(ifindex: i32, slot: u32): void {
  const base = load<usize>(S + O_IFHASH);
  let i = ifh(ifindex);
  for (;;) {
    const e = base + (<usize>i << 3);
    if (load<i32>(e) == 0) { store<i32>(e, ifindex); store<u32>(e + 4, slot); return; }
    i = (i + 1) & (IFH_SLOTS - 1);
  }
}

// Backward-shift deletion keeps probe chains intact without tombstones.
export function ifh_remove(ifindex: i32): void {
  if (ifindex <= 0) return;
  const base = load<usize>(S + O_IFHASH);
  let i = ifh(ifindex);
  for (let n: u32 = 0; n < IFH_SLOTS; n++) {
    const k = load<i32>(base + (<usize>i << 3));
    if (k == 0) return;
    if (k == ifindex) break;
    i = (i + 1) & (IFH_SLOTS - 1);
  }
  if (load<i32>(base + (<usize>i << 3)) != ifindex) return;
  let hole = i;
  let j = (i + 1) & (IFH_SLOTS - 1);
  for (;;) {
    const ej = base + (<usize>j << 3);
    const k = load<i32>(ej);
    if (k == 0) break;
    const home = ifh(k);
    // move k into the hole unless its home lies cyclically in (hole, j]
    if (((j - home) & (IFH_SLOTS - 1)) >= ((j - hole) & (IFH_SLOTS - 1))) {
      store<u64>(base + (<usize>hole << 3), load<u64>(ej));
      hole = j;
    }
    j = (j + 1) & (IFH_SLOTS - 1);
  }
  store<u64>(base + (<usize>hole << 3), 0);
}

export function proxy_add_impl(id: u32, ifindex: i32): i32 {
  if (id > 0xfffe || ifindex <= 0) return EINVAL;
  if (slot_of_id(<i32>id) >= 0 || load<u16>(port2slot_p(id)) != NONE16) return EEXIST;
  if (slot_of_ifindex(ifindex) >= 0) return EEXIST;
  for (let s: u32 = 0; s < PROXY_MAX; s++) {
    const p = pslot(s);
    if (load<u8>(p + P_USED)) continue;
    memory.fill(p, 0, PROXY_SIZE);
    store<i32>(p + P_IFINDEX, ifindex);
    store<u8>(p + P_USED, 1);
    store<u16>(p + P_ID, <u16>id);
    store<u16>(p + P_PORTS, NONE16);
    store<u16>(id2slot_p(id), <u16>s);
    ifh_insert(ifindex, s);
    return 0;
  }
  return ENOSPC;
}

/** re-point a proxy at another interface: its link state becomes unknown again */
export function proxy_set_ifindex_impl(slot: u32, ifindex: i32): i32 {
  if (ifindex <= 0) return EINVAL;
  const p = pslot(slot);
  const cur = load<i32>(p + P_IFINDEX);
  const other = slot_of_ifindex(ifindex);
  if (other >= 0 && <u32>other != slot) return EEXIST;
  if (!load<u8>(p + P_GONE)) ifh_remove(cur);
  if (other < 0) ifh_insert(ifindex, slot);
  store<i32>(p + P_IFINDEX, ifindex);
  store<u8>(p + P_GONE, 0);
  store<u8>(p + P_KNOWN, 0);
  return 0;
}

/** free a slot (caller has dropped its mirror entries and bindings) */
export function proxy_free(slot: u32): void {
  const p = pslot(slot);
  if (!load<u8>(p + P_GONE)) ifh_remove(load<i32>(p + P_IFINDEX));
  store<u16>(id2slot_p(<u32>load<u16>(p + P_ID)), NONE16);
  memory.fill(p, 0, PROXY_SIZE);
}

/** mark gone: keep the info block readable, stop matching its ifindex */
export function proxy_mark_gone(slot: u32): void {
  const p = pslot(slot);
  if (!load<u8>(p + P_GONE)) ifh_remove(load<i32>(p + P_IFINDEX));
  store<u8>(p + P_GONE, 1);
}

// ---- bindings: port -> proxy slot, and per proxy a list of ports in ascending order ----

export function port_slot(port: u32): i32 {
  if (port > 0xffff) return -1;
  const s = load<u16>(port2slot_p(port));
  return s == NONE16 ? -1 : <i32>s;
}
@inline export function first_port(slot: u32): u32 { return <u32>load<u16>(pslot(slot) + P_PORTS); }
@inline export function next_port(port: u32): u32 { return <u32>load<u16>(portnext_p(port)); }
@inline export function nports(slot: u32): u32 { return load<u32>(pslot(slot) + P_NPORTS); }

function recompute_maxports(): void {
  let m: u32 = 0;
  for (let s: u32 = 0; s < PROXY_MAX; s++) {
    const n = load<u32>(pslot(s) + P_NPORTS);
    if (n > m) m = n;
  }
  store<u32>(S + O_MAXPORTS, m);
}
export function max_ports(): u32 { return load<u32>(S + O_MAXPORTS); }

function list_remove(slot: u32, port: u32): void {
  const p = pslot(slot);
  let prev: u32 = 0xffff;
  let cur = <u32>load<u16>(p + P_PORTS);
  while (cur != 0xffff) {
    const nx = <u32>load<u16>(portnext_p(cur));
    if (cur == port) {
      if (prev == 0xffff) store<u16>(p + P_PORTS, <u16>nx);
      else store<u16>(portnext_p(prev), <u16>nx);
      store<u16>(portnext_p(port), NONE16);
      store<u32>(p + P_NPORTS, load<u32>(p + P_NPORTS) - 1);
      return;
    }
    prev = cur;
    cur = nx;
  }
}

function list_insert(slot: u32, port: u32): void {
  const p = pslot(slot);
  let prev: u32 = 0xffff;
  let cur = <u32>load<u16>(p + P_PORTS);
  while (cur != 0xffff && cur < port) { prev = cur; cur = <u32>load<u16>(portnext_p(cur)); }
  store<u16>(portnext_p(port), <u16>cur);
  if (prev == 0xffff) store<u16>(p + P_PORTS, <u16>port);
  else store<u16>(portnext_p(prev), <u16>port);
  store<u32>(p + P_NPORTS, load<u32>(p + P_NPORTS) + 1);
}

export function port_bind_impl(port: u32, proxy: u32): i32 {
  if (port > 0xfffe) return EINVAL;
  const s = slot_of_id(<i32>proxy);
  if (s < 0 || slot_of_id(<i32>port) >= 0) return EINVAL;
  if (load<u8>(pslot(<u32>s) + P_GONE)) return EINVAL;
  const old = port_slot(port);
  if (old == s) return 0;
  if (old >= 0) list_remove(<u32>old, port);
  store<u16>(port2slot_p(port), <u16>s);
  list_insert(<u32>s, port);
  recompute_maxports();
  return 0;
}

export function port_unbind_impl(port: u32): i32 {
  if (port > 0xffff) return EINVAL;
  const s = port_slot(port);
  if (s < 0) return ENOENT;
  list_remove(<u32>s, port);
  store<u16>(port2slot_p(port), NONE16);
  recompute_maxports();
  return 0;
}

export function unbind_all(slot: u32): void {
  let cur = first_port(slot);
  while (cur != 0xffff) {
    const nx = next_port(cur);
    store<u16>(port2slot_p(cur), NONE16);
    store<u16>(portnext_p(cur), NONE16);
    cur = nx;
  }
  const p = pslot(slot);
  store<u16>(p + P_PORTS, NONE16);
  store<u32>(p + P_NPORTS, 0);
  recompute_maxports();
}
