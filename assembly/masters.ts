// Master devices of proxies (IFLA_MASTER): a VRF, a bridge, a bond. A
// proxy's RTM_NEWLINK carries only the master's ifindex; its kind, its VRF
// table and its name are in the master's own RTM_NEWLINK, which may come
// before or after the proxy's. So the core keeps a bounded table of the
// master-capable devices it saw in link messages of any ifindex, and reports
// MASTER_CHANGE { master, kind, vrf table, name } per proxy.
//
// Ordering: a link dump goes in ifindex order, so a VRF created after the
// proxy is dumped after it. A proxy whose master is not in the table yet
// while a dump runs is held (pending) and reported once, complete, when the
// master's message arrives (it is in the same dump: a master can only be
// deleted after the kernel has released its slaves, which sends the proxy's
// NEWLINK with master 0 and drops the pending report). Live, the master
// exists before anything is enslaved to it, so it is already in the table;
// if it is not (the table full), the change is reported at once with kind
// OTHER and no name rather than held.
//
// A master renamed (`ip link set vrf-blue name vrf-red`): its proxies get
// MASTER_CHANGE again, same ifindex, new name. A VRF's table never changes
// (the kernel refuses), a bridge's or bond's kind neither.
//
// Block (zalloc'd by core_init, pointer at S + O_MASTERS):
//   +0 u32 masters in the table   +4 u32 proxies pending
//   +64  64 B: proxy_master_ptr()'s record
//   +128 per proxy slot, 8 B: u32 master ifindex held, u8 pending, u8 flags
//   then MASTERS_MAX entries of 32 B: i32 ifindex, u32 VRF table, u8 kind (MASTER_*), name[16] at +16.
// The proxy slot's P_MASTER is the master last reported for the proxy (what
// its events said), 0 none.
import { S, O_MASTERS } from "./state";
import { RTM_DELLINK, NLM_F_MULTI, IFLA_IFNAME, IFLA_MASTER, IFLA_LINKINFO } from "./nl";
import { tb_attr, attr_data, attr_len, attr_u32 } from "./attrs";
import { linkinfo_parse, linkinfo_kind, linkinfo_vrf_table, KIND_VRF, KIND_BRIDGE, KIND_BOND } from "./linkinfo";
import { pslot, PROXY_MAX, P_USED, P_GONE } from "./proxies";
import { P_MASTER } from "./layout";
import { tmpl_begin, emit } from "./staging";
import { live_flags, note_changed, sync_active, KB_LINK, KB_ROUTE } from "./sync";
import { job_start, JOB_LASTADDR } from "./implied_deletions";
import { SS_IPV4_UNSETTLED, STF_ROUTES, stat_inc, status_or } from "./state";
import { EVENT_SIZE, EV_MASTER_CHANGE, R_TYPE, R_MASTER_IFINDEX, R_MASTER_VRF_TABLE, R_MASTER_KIND, R_MASTER_NAME,
  MASTER_NONE, MASTER_VRF, MASTER_BRIDGE, MASTER_BOND, MASTER_OTHER } from "./record";

export const MASTERS_MAX: u32 = 1024;
const M_COUNT: usize = 0;
const M_PENDING: usize = 4;
const M_INFO: usize = 64;
const M_PEND: usize = 128;
const PEND_SIZE: usize = 8;
const M_TABLE: usize = M_PEND + <usize>PROXY_MAX * PEND_SIZE;
const ENTRY_SIZE: usize = 32;
const E_IFINDEX: usize = 0;
const E_TABLE: usize = 4;
const E_KIND: usize = 8;
const E_NAME: usize = 16;
export const MASTERS_BLOCK_SIZE: usize = M_TABLE + <usize>MASTERS_MAX * ENTRY_SIZE;

@inline function blk(): usize { return load<usize>(S + O_MASTERS); }
@inline function pend(slot: u32): usize { return blk() + M_PEND + <usize>slot * PEND_SIZE; }
@inline function entry(i: u32): usize { return blk() + M_TABLE + <usize>i * ENTRY_SIZE; }

function master_kind(kind: u32): u8 {
  if (kind == KIND_VRF) return MASTER_VRF;
  if (kind == KIND_BRIDGE) return MASTER_BRIDGE;
  if (kind == KIND_BOND) return MASTER_BOND;
  return MASTER_NONE;
}

/** the table entry of a master ifindex, or 0 */
function find(ifindex: i32): usize {
  const n = load<u32>(blk() + M_COUNT);
  for (let i: u32 = 0; i < n; i++) {
    const e = entry(i);
    if (load<i32>(e + E_IFINDEX) == ifindex) return e;
  }
  return 0;
}

function remove(e: usize): void {
  const b = blk();
  const n = load<u32>(b + M_COUNT) - 1;
  const last = entry(n);
  if (e != last) memory.copy(e, last, ENTRY_SIZE);
  memory.fill(last, 0, ENTRY_SIZE);
  store<u32>(b + M_COUNT, n);
}

/** IFLA_IFNAME into a 16-byte field (NUL-terminated); true when it changed */
function put_name(dst: usize, name: usize): bool {
  let changed = false;
  const len = name ? attr_len(name) : 0;
  for (let i: u32 = 0; i < 16; i++) {
    let c: u8 = 0;
    if (i < 15 && i < len) c = load<u8>(attr_data(name) + i);
    if (c == 0) { for (let j = i; j < 16; j++) { if (load<u8>(dst + j) != 0) changed = true; store<u8>(dst + j, 0); } break; }
    if (load<u8>(dst + i) != c) changed = true;
    store<u8>(dst + i, c);
  }
  return changed;
}

/** the MASTER_CHANGE payload for `master` (0: none) at record `r` */
function fill_master(r: usize, master: u32): void {
  store<u32>(r + R_MASTER_IFINDEX, master);
  if (!master) { store<u8>(r + R_MASTER_KIND, MASTER_NONE); return; }
  const e = find(<i32>master);
  if (!e) { store<u8>(r + R_MASTER_KIND, MASTER_OTHER); return; }
  store<u32>(r + R_MASTER_VRF_TABLE, load<u32>(e + E_TABLE));
  store<u8>(r + R_MASTER_KIND, load<u8>(e + E_KIND));
  memory.copy(r + R_MASTER_NAME, e + E_NAME, 16);
}

/** stage MASTER_CHANGE with the proxy's reported master (P_MASTER); port < 0: every bound port */
export function stage_master(slot: u32, flags: u8, port: i32): u32 {
  const t = tmpl_begin(EV_MASTER_CHANGE, <i32>slot, 0, flags);
  fill_master(t, load<u32>(pslot(slot) + P_MASTER));
  return emit(slot, port);
}

function report(slot: u32, master: u32, flags: u8): void {
  store<u32>(pslot(slot) + P_MASTER, master);
  stage_master(slot, flags, -1);
}

function unpend(slot: u32): void {
  const q = pend(slot);
  if (!load<u8>(q + 4)) return;
  store<u64>(q, 0);
  store<u32>(blk() + M_PENDING, load<u32>(blk() + M_PENDING) - 1);
}

/**
 * Every RTM_NEWLINK/DELLINK (AF_UNSPEC, attributes in `tb`), proxy or not:
 * keep the table of masters, report the proxies held for this master, and
 * report a rename to the proxies enslaved to it.
 */
export function masters_link(ifindex: i32, type: u16, tb: usize): void {
  const b = blk();
  let e = find(ifindex);
  if (type == RTM_DELLINK) { if (e) remove(e); return; }
  // a malformed IFLA_LINKINFO: not a master as far as this table goes
  const kind = linkinfo_parse(tb_attr(tb, IFLA_LINKINFO)) ? master_kind(linkinfo_kind()) : MASTER_NONE;
  let renamed = false;
  if (kind == MASTER_NONE) {
    // not kept, but a proxy may be held for it (a team, an openvswitch bridge): reported as other
    if (e) { remove(e); e = 0; }
  } else if (!e) {
    const n = load<u32>(b + M_COUNT);
    if (n < MASTERS_MAX) {
      e = entry(n);
      store<u32>(b + M_COUNT, n + 1);
      store<i32>(e + E_IFINDEX, ifindex);
      put_name(e + E_NAME, tb_attr(tb, IFLA_IFNAME));
    }
  } else {
    renamed = put_name(e + E_NAME, tb_attr(tb, IFLA_IFNAME));
  }
  if (e) {
    store<u32>(e + E_TABLE, kind == MASTER_VRF ? linkinfo_vrf_table() : 0);
    store<u8>(e + E_KIND, kind);
  }
  if (load<u32>(b + M_PENDING) == 0 && !renamed) return;
  const live = live_flags(KB_LINK);
  for (let s: u32 = 0; s < PROXY_MAX; s++) {
    const p = pslot(s);
    const q = pend(s);
    if (!load<u8>(p + P_USED) || load<u8>(p + P_GONE)) { unpend(s); continue; } // held for a proxy since gone
    if (load<u8>(q + 4) && load<u32>(q) == <u32>ifindex) {
      const f = load<u8>(q + 5);
      unpend(s);
      report(s, <u32>ifindex, f);
    } else if (renamed && load<u32>(p + P_MASTER) == <u32>ifindex) {
      report(s, <u32>ifindex, live);
    }
  }
}

/**
 * Joining or leaving an L3 master (a VRF) flushes the port's IPv4 routes
 * without a message, as removing its last IPv4 address does (fib_frontend.c,
 * NETDEV_CHANGEUPPER: fib_disable_ip with force; local routes too), before the
 * VRF driver cycles it down and up, which re-adds the connected and local
 * routes in the table of its new master (drivers/net/vrf.c cycle_netdev).
 * IPv6 routes and addresses go with messages (addrconf_ifdown). A live master
 * change only: a dump carries the routes as they are. A master of unknown kind
 * (the table was full): the routes are dumped again instead.
 */
function vrf_flush(old: u32, master: u32, slot: u32): void {
  let vrf = false, unknown = false;
  for (let i = 0; i < 2; i++) {
    const m = i == 0 ? old : master;
    if (!m) continue;
    const e = find(<i32>m);
    if (!e) unknown = true;
    else if (load<u8>(e + E_KIND) == MASTER_VRF) vrf = true;
  }
  if (vrf) job_start(JOB_LASTADDR, slot, live_flags(KB_ROUTE));
  else if (unknown) { stat_inc(SS_IPV4_UNSETTLED); status_or(STF_ROUTES); }
}

/**
 * A proxy's RTM_NEWLINK (after its link fields): report a change of its
 * master. `first`: the first message of this interface (initial state, or the
 * proxy re-pointed); `msgflags`: the netlink header's (NLM_F_MULTI: a dump).
 */
export function master_proxy(slot: u32, tb: usize, first: bool, msgflags: u16, flags: u8): void {
  const a = tb_attr(tb, IFLA_MASTER);
  const master: u32 = a ? attr_u32(a) : 0;
  const p = pslot(slot);
  // P_MASTER stays: a re-pointed proxy's events said the old interface's master
  if (first) unpend(slot);
  const q = pend(slot);
  if (load<u8>(q + 4)) {
    if (load<u32>(q) == master) return; // still waiting for the master's message
    unpend(slot);
  }
  if (master == load<u32>(p + P_MASTER)) return;
  // a resync's "changed" counter (a link message changing MTU and master counts twice)
  if (!first) note_changed(KB_LINK);
  if (!first && (msgflags & NLM_F_MULTI) == 0) vrf_flush(load<u32>(p + P_MASTER), master, slot);
  // hold while a dump runs: a live enslave may also overtake the master's dump message
  if (master != 0 && !find(<i32>master) && ((msgflags & NLM_F_MULTI) != 0 || sync_active())) {
    store<u32>(q, master); store<u8>(q + 4, 1); store<u8>(q + 5, flags);
    store<u32>(blk() + M_PENDING, load<u32>(blk() + M_PENDING) + 1);
    return;
  }
  report(slot, master, flags);
}

/** proxy_master_ptr(): a MASTER_CHANGE record (header type only) of the slot's reported master */
export function master_info(slot: u32): usize {
  const r = blk() + M_INFO;
  memory.fill(r, 0, EVENT_SIZE);
  store<u16>(r + R_TYPE, EV_MASTER_CHANGE);
  fill_master(r, load<u32>(pslot(slot) + P_MASTER));
  return r;
}
