// RTM_NEWROUTE / RTM_DELROUTE. Mirror entry = one next hop through a proxy of a
// route whose identity is the kernel's (family, table, dst, dst_len, tos,
// priority). Routes without an oif (blackhole, unreachable, prohibit) and next
// hops through other interfaces match no proxy and are not mirrored; nh_count
// still counts every next hop of the route.
//
// A message is handled in steps: route_decode (attributes, the identity and
// its hash: the message's bytes only, so process() runs it ahead for its
// look-ahead), collect_next_hops (which next hops go through proxies), then
// route_del / route_new (the mirror and the records).
import { align4, AF_INET, AF_INET6, RTM_DELROUTE, NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND, NLM_F_MULTI,
  RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_MULTIPATH, RTA_TABLE, RTA_VIA, RTA_NH_ID, RTM_F_CLONED } from "./nl";
import { bswap32, cpy16, zero8 } from "./mem";
import { RTM_ATTRS, RTNH_HDRLEN, rtm_family, rtm_dst_len, rtm_tos, rtm_table, rtm_protocol, rtm_scope, rtm_type, rtm_flags,
  rtnh_len, rtnh_hops, rtnh_ifindex } from "./headers";
import { attr_parse, pol, tb_attr, attr_data, attr_len, attr_u32, POL_ADDR, POL_U32, TB_BYTES } from "./attrs";
import { scratch, nested_tb, NH_OFF, NH_SIZE, NH_MAX } from "./scratch";
import { nhset_add } from "./nexthops";
import { gw6_intern } from "./gw6";
import { S, O_R4LAST, stat_inc, status_or, STF_ROUTES, SS_FILTERED, SS_OTHER, SS_VIA_IGNORED, SS_CLONED, SS_NEXTHOPS_OVER_CAP, SS_NEXTHOP_ROUTES_UNMIRRORED, SS_IPV4_UNSETTLED } from "./state";
import { slot_of_ifindex } from "./proxies";
import { K_R4, K_R6, t_find_h, t_slot, t_at } from "./table";
import { E_SLOT, RT_DSTLEN, RT_TOS, RT_TABLE, RT_PRIO, RT_DST, R4_GW, R6_GW, R4_SIZE, R6_SIZE, R4_EFLAGS, EF_GW6, EF_ALIASES,
  RA_TYPE, RA_PROTO, RA_SCOPE, RA_WEIGHT, RA_NHCOUNT, r_attr, gen_off, e_hash } from "./entries";
import { stage_entry, m_insert_h, m_delete, ident_first, ident_next, RUN_END } from "./mirror";
import { live_flags, note_added, note_changed, cur_gen, sync_deleted, sync_live, sync_dump_stale, KB_ROUTE } from "./sync";
import { tomb_none } from "./tombstones";
import { F_REPLACE } from "./record";

// A decoded route message (route_decode), at most LA_SLOT bytes (scratch.ts):
const RD_TB: usize = 0;                  // its attribute table
const RD_STATUS: usize = TB_BYTES;       // u32 RD_OK / RD_MALFORMED / RD_OTHER (family)
const RD_HASH: usize = TB_BYTES + 4;     // u32 e_hash of the identity
const RD_KIND: usize = TB_BYTES + 8;     // u32 K_R4 / K_R6
const RD_CAND: usize = TB_BYTES + 16;    // candidate entry holding the identity (R4_SIZE / R6_SIZE)
export const RD_SIZE: usize = RD_CAND + 64;
const RD_OK: u32 = 0;
const RD_MALFORMED: u32 = 1;
const RD_OTHER: u32 = 2;

const ROUTE_POLICY: u64 = pol(RTA_DST, POL_ADDR) | pol(RTA_OIF, POL_U32) | pol(RTA_GATEWAY, POL_ADDR)
  | pol(RTA_PRIORITY, POL_U32) | pol(RTA_TABLE, POL_U32) | pol(RTA_NH_ID, POL_U32);
// the attributes of one RTA_MULTIPATH entry
const NEXTHOP_POLICY: u64 = pol(RTA_GATEWAY, POL_ADDR);

@inline function rd_status(d: usize, st: u32): u32 { store<u32>(d + RD_STATUS, st); return st; }

/**
 * Decode a route message into d: its attributes (length-checked), and the
 * candidate entry of its identity with the identity's hash. Reads the message
 * only (no state), so it can run ahead of handle_route. Returns the status.
 */
export function route_decode(m: usize, mlen: u32, d: usize): u32 {
  if (mlen < RTM_ATTRS) return rd_status(d, RD_MALFORMED);
  const family = rtm_family(m);
  if (family != AF_INET && family != AF_INET6) return rd_status(d, RD_OTHER);
  const v4 = family == AF_INET;
  const alen: u32 = v4 ? 4 : 16;
  const k = v4 ? K_R4 : K_R6;
  const dst_len = rtm_dst_len(m);
  if (<u32>dst_len > alen * 8) return rd_status(d, RD_MALFORMED);
  const tb = d + RD_TB;
  if (!attr_parse(m + RTM_ATTRS, m + mlen, tb, ROUTE_POLICY, alen)) return rd_status(d, RD_MALFORMED);
  const c = d + RD_CAND;
  zero8(c, v4 ? R4_SIZE : R6_SIZE);
  store<u8>(c + RT_DSTLEN, dst_len);
  store<u8>(c + RT_TOS, rtm_tos(m));
  const ta = tb_attr(tb, RTA_TABLE), pa = tb_attr(tb, RTA_PRIORITY), da = tb_attr(tb, RTA_DST);
  store<u32>(c + RT_TABLE, ta ? attr_u32(ta) : <u32>rtm_table(m));
  store<u32>(c + RT_PRIO, pa ? attr_u32(pa) : 0);
  if (da) {
    if (v4) store<u32>(c + RT_DST, bswap32(load<u32>(attr_data(da))));
    else cpy16(c + RT_DST, attr_data(da));
  }
  // route entries hash on the identity only: one hash serves every next hop
  store<u32>(d + RD_HASH, e_hash(k, c));
  store<u32>(d + RD_KIND, k);
  return rd_status(d, RD_OK);
}

/** mark look-ahead slot d as holding no route message */
export function route_undecoded(d: usize): void { rd_status(d, RD_OTHER); }

/**
 * Look-ahead for process(): the address of the home slot of a decoded route
 * message (0 when it is not a well-formed IPv4/IPv6 route). process() decodes
 * a batch of upcoming messages and then loads their home slots back to back,
 * so their cache misses overlap instead of each stalling handle_route in turn
 * (wasm has no prefetch instruction).
 */
export function route_home(d: usize): usize {
  if (load<u32>(d + RD_STATUS) != RD_OK) return 0;
  const k = load<u32>(d + RD_KIND);
  return t_at(k, t_slot(k, load<u32>(d + RD_HASH)));
}

// next hops through proxies of one message (scratch.ts NH_OFF): {u8 slot, u8 weight,
// u8 EF_GW6 when gw is a gw6.ts id, u8 stale (route_new), gw[16] at +4 (IPv4 host order), pad}
const NH_SLOT: usize = 0;
const NH_WEIGHT: usize = 1;
const NH_EFLAGS: usize = 2;
const NH_STALE: usize = 3;
const NH_GW: usize = 4;
@inline function nh_at(i: u32): usize { return scratch() + NH_OFF + <usize>i * NH_SIZE; }

// IPv4 gateways are kept host-order (as reported), IPv6 as received
@inline function copy_gw(v4: bool, to: usize, gw: usize): void {
  if (v4) store<u32>(to, bswap32(load<u32>(gw)));
  else cpy16(to, gw);
}

/**
 * RTA_VIA (struct rtvia: u16 family, address): an IPv4 route's IPv6 gateway
 * (RFC 5549) as a gw6.ts id. Anything else (another family, a full gateway
 * table) is counted and reported as gateway 0.
 */
function via_gw6(p: usize, pl: u32, v4: bool): u32 {
  const id = v4 && pl == 18 && load<u16>(p) == <u16>AF_INET6 ? gw6_intern(p + 2) : 0;
  if (!id) stat_inc(SS_VIA_IGNORED);
  return id;
}

/** next hop x's gateway: an address (gw), a gw6.ts id (via), or none */
function set_gw(v4: bool, x: usize, gw: usize, via: u32): void {
  if (gw) copy_gw(v4, x + NH_GW, gw);
  else if (via) { store<u32>(x + NH_GW, via); store<u8>(x + NH_EFLAGS, EF_GW6); }
}

/** list next hop nnh, through proxy slot s */
@inline function put_nh(v4: bool, nnh: u32, s: i32, weight: u32, gw: usize, via: u32): void {
  const x = nh_at(nnh);
  zero8(x, NH_SIZE);
  store<u8>(x + NH_SLOT, <u8>s);
  store<u8>(x + NH_WEIGHT, <u8>weight);
  set_gw(v4, x, gw, via);
}

/** RTA_VIA of table tb as a gw6.ts id (0: none) */
@inline function tb_via(tb: usize, v4: bool): u32 {
  const a = tb_attr(tb, RTA_VIA);
  return a ? via_gw6(attr_data(a), attr_len(a), v4) : 0;
}
/** RTA_GATEWAY's address in table tb, or 0 */
@inline function tb_gw(tb: usize): usize {
  const a = tb_attr(tb, RTA_GATEWAY);
  return a ? attr_data(a) : 0;
}

const NH_MALFORMED: u64 = <u64>-1;
/**
 * The route's next hops (RTA_MULTIPATH entries, or RTA_OIF) through proxies,
 * into the next hop list: returns nh_count (every next hop) << 32 | the number
 * listed, or NH_MALFORMED. via: the route's own RTA_VIA (single next hop).
 */
function collect_next_hops(tb: usize, v4: bool, via: u32): u64 {
  let nh_count: u32 = 0, nnh: u32 = 0;
  const mp = tb_attr(tb, RTA_MULTIPATH);
  if (mp) {
    const ntb = nested_tb();
    const alen: u32 = v4 ? 4 : 16;
    let h = attr_data(mp);
    const mend = h + attr_len(mp);
    while (h < mend) {
      if (h + RTNH_HDRLEN > mend) return NH_MALFORMED;
      const hl = rtnh_len(h);
      if (hl < RTNH_HDRLEN || <usize>hl > mend - h) return NH_MALFORMED;
      if (!attr_parse(h + RTNH_HDRLEN, h + hl, ntb, NEXTHOP_POLICY, alen)) return NH_MALFORMED;
      const nvia = tb_via(ntb, v4);
      nh_count++;
      const s = slot_of_ifindex(rtnh_ifindex(h));
      if (s >= 0) {
        if (nnh < NH_MAX) put_nh(v4, nnh++, s, <u32>rtnh_hops(h) + 1, tb_gw(ntb), nvia);
        else stat_inc(SS_NEXTHOPS_OVER_CAP);
      }
      h += <usize>align4(hl);
    }
  } else {
    const oa = tb_attr(tb, RTA_OIF);
    if (oa) {
      nh_count = 1;
      const s = slot_of_ifindex(<i32>attr_u32(oa));
      if (s >= 0) put_nh(v4, nnh++, s, 1, tb_gw(tb), via);
    }
  }
  return (<u64>nh_count << 32) | <u64>nnh;
}

/** the candidate entry c takes next hop x (slot, gateway; IPv4: whether it is a gw6.ts id) */
@inline function cand_nh(v4: bool, c: usize, x: usize): void {
  store<u8>(c + E_SLOT, load<u8>(x + NH_SLOT));
  if (v4) { store<u32>(c + R4_GW, load<u32>(x + NH_GW)); store<u8>(c + R4_EFLAGS, load<u8>(x + NH_EFLAGS)); }
  else cpy16(c + R6_GW, x + NH_GW);
}

/** is entry e's next hop (slot, gw) among the message's next hops? */
function in_msg(k: u32, e: usize, nnh: u32): bool {
  for (let j: u32 = 0; j < nnh; j++) {
    const x = nh_at(j);
    if (load<u8>(x + NH_SLOT) != load<u8>(e + E_SLOT)) continue;
    if (k == K_R4) { if (load<u32>(x + NH_GW) == load<u32>(e + R4_GW) && ((load<u8>(x + NH_EFLAGS) ^ load<u8>(e + R4_EFLAGS)) & EF_GW6) == 0) return true; }
    else if (load<u64>(x + NH_GW) == load<u64>(e + R6_GW) && load<u64>(x + NH_GW + 8) == load<u64>(e + R6_GW + 8)) return true;
  }
  return false;
}

/** remove entries of c's identity: all (keep=false) or those not in the message (a live one) */
function remove_ident(k: u32, c: usize, h: u32, nnh: u32, keep: bool, flags: u8): void {
  for (;;) {
    let victim: usize = 0;
    for (let i = ident_first(k, c, h); i != RUN_END; i = ident_next(k, c, i)) {
      const e = t_at(k, i);
      if (!(keep && in_msg(k, e, nnh))) { victim = e; break; }
    }
    if (!victim) return;
    stage_entry(k, victim, false, flags, -1);
    sync_deleted(k, victim);
    m_delete(k, victim); // entries move: the walk starts again
  }
}

/**
 * IPv6 keeps each next hop of a multipath route as a sibling route and
 * deletes them one at a time: RTM_DELROUTE carries only the deleted
 * next hop(s), and the kernel sends nothing for the siblings that remain,
 * which now have `gone` next hops fewer (a dump would show it). Update their
 * nh_count and report each as changed (REPLACE), as a resync would. (IPv4
 * deletes whole routes: no entry of the identity remains.) A count saturated
 * at 255 is left alone: the true count is unknown.
 */
function siblings_lost(k: u32, c: usize, h: u32, gone: u32, flags: u8): void {
  const nc = r_attr(k) + RA_NHCOUNT;
  for (let i = ident_first(k, c, h); i != RUN_END; i = ident_next(k, c, i)) {
    const e = t_at(k, i);
    const old = <u32>load<u8>(e + nc);
    if (old < 255 && old > 1) {
      const left: u32 = old > gone ? old - gone : 1;
      store<u8>(e + nc, <u8>left);
      note_changed(KB_ROUTE);
      stage_entry(k, e, true, flags | F_REPLACE, -1);
    }
  }
}

/*
 * IPv4 keeps routes that share an identity (`ip route append` / `prepend`, or
 * the prefix routes of two addresses of one subnet on two links) as separate
 * routes, the kernel's fib aliases, in an order: a REPLACE replaces the FIRST
 * of them only, a DELROUTE deletes one, and neither message says which one
 * (nor what the replaced route was). Entries of such an identity carry
 * EF_ALIASES; a replace or delete among them is applied as far as the message
 * shows (its next hops added / removed) and the routes are dumped again
 * (STF_ROUTES), which settles what the message leaves open. IPv6 has no such
 * aliases: its append adds a next hop to the route.
 *
 * How a message shows that an identity has several routes:
 *  - live: RTM_NEWROUTE with NLM_F_CREATE but neither NLM_F_EXCL nor
 *    NLM_F_REPLACE (fib_table_insert sends EXCL|CREATE for a new identity, and
 *    clears EXCL when it joins others: append CREATE|APPEND, prepend CREATE);
 *  - dump: the dump walks a prefix's routes in order, so routes of one
 *    identity come one after the other: a route with the identity of the
 *    previous one is a further alias (O_R4LAST: the previous one's identity,
 *    byte 0 = 1 when set; sync_begin clears it). The first route of an
 *    identity in a dump clears the mark, which the next one sets again if the
 *    identity still has several routes.
 */
function r4_dump_alias(c: usize): bool {
  const m = S + O_R4LAST;
  const same = load<u8>(m) == 1 && load<u64>(m) == (load<u64>(c) | 1) && load<u64>(m, 8) == load<u64>(c, 8);
  store<u64>(m, load<u64>(c) | 1);
  store<u64>(m, load<u64>(c, 8), 8);
  return same;
}

/** EF_ALIASES on every entry of c's identity: set (mark) or cleared (!mark) */
function r4_mark_aliases(c: usize, h: u32, mark: bool): void {
  for (let i = ident_first(K_R4, c, h); i != RUN_END; i = ident_next(K_R4, c, i)) {
    const e = t_at(K_R4, i);
    const f = load<u8>(e + R4_EFLAGS);
    store<u8>(e + R4_EFLAGS, mark ? f | EF_ALIASES : f & ~EF_ALIASES);
  }
}

/** is some entry of c's identity marked EF_ALIASES? */
function r4_has_aliases(c: usize, h: u32): bool {
  for (let i = ident_first(K_R4, c, h); i != RUN_END; i = ident_next(K_R4, c, i)) {
    if ((load<u8>(t_at(K_R4, i) + R4_EFLAGS) & EF_ALIASES) != 0) return true;
  }
  return false;
}

/** RTM_NEWROUTE / RTM_DELROUTE m, decoded into d by route_decode. false: malformed. */
export function handle_route(m: usize, type: u16, nlflags: u16, d: usize): bool {
  const st = load<u32>(d + RD_STATUS);
  if (st == RD_MALFORMED) return false;
  if (st == RD_OTHER) { stat_inc(SS_OTHER); return true; }
  const k = load<u32>(d + RD_KIND);
  const v4 = k == K_R4;
  const tb = d + RD_TB;
  const via = tb_via(tb, v4);
  // RTM_F_CLONED: route cache / exceptions (PMTU, redirects), not the FIB
  if (rtm_flags(m) & RTM_F_CLONED) { stat_inc(SS_CLONED); return true; }
  const nha = tb_attr(tb, RTA_NH_ID);
  const nhid: u32 = nha ? attr_u32(nha) : 0;
  // a nexthop object without its next hops spelled out: nexthop_compat_mode=0 (nexthops.ts)
  if (nhid && !tb_attr(tb, RTA_OIF) && !tb_attr(tb, RTA_MULTIPATH) && type != RTM_DELROUTE) stat_inc(SS_NEXTHOP_ROUTES_UNMIRRORED);
  const nhs = collect_next_hops(tb, v4, via);
  if (nhs == NH_MALFORMED) return false;
  const nh_count = <u32>(nhs >> 32), nnh = <u32>nhs;

  const c = d + RD_CAND;
  const h = load<u32>(d + RD_HASH);
  const known = ident_first(k, c, h) != RUN_END;
  // IPv4 routes sharing the identity (see r4_dump_alias): `joined` = this
  // message shows several; `aliased` = the mirror knows of several
  const dumped = (nlflags & NLM_F_MULTI) != 0;
  let joined = false, aliased = false;
  if (v4 && type != RTM_DELROUTE) joined = dumped ? r4_dump_alias(c) : (nlflags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE)) == NLM_F_CREATE;
  if (nnh == 0 && !known) { stat_inc(SS_FILTERED); return true; }
  if (v4 && known) {
    if (dumped && !joined) r4_mark_aliases(c, h, false); // first of its identity in this dump
    else aliased = r4_has_aliases(c, h);
  }
  const flags = live_flags(KB_ROUTE);
  if (aliased && !dumped && (type == RTM_DELROUTE || (nlflags & NLM_F_REPLACE) != 0)) {
    stat_inc(SS_IPV4_UNSETTLED);
    status_or(STF_ROUTES);
  }
  if (type == RTM_DELROUTE) route_del(k, c, h, nh_count, nnh, aliased, flags);
  else route_new(m, k, c, h, nh_count, nnh, nhid, known, joined, aliased, dumped, nlflags, flags);
  return true;
}

/** RTM_DELROUTE: the mirror and the DEL records */
@inline function route_del(k: u32, c: usize, h: u32, nh_count: u32, nnh: u32, aliased: bool, flags: u8): void {
  // no next hop info at all: the whole identity; else only the named next hops.
  // (An IPv4 route without next hops, say a blackhole, among aliases: the
  // others stay, and it had no entries.)
  if (nh_count == 0) { if (!aliased) remove_ident(k, c, h, 0, false, flags); return; }
  const v4 = k == K_R4;
  for (let j: u32 = 0; j < nnh; j++) {
    cand_nh(v4, c, nh_at(j));
    sync_deleted(k, c); // (absent too: the first dump may not have brought it yet)
    const e = t_find_h(k, c, true, h);
    if (e) { stage_entry(k, e, false, flags, -1); m_delete(k, e); }
  }
  siblings_lost(k, c, h, nh_count, flags);
}

/** RTM_NEWROUTE: the mirror and the ADD records */
@inline function route_new(m: usize, k: u32, c: usize, h: u32, nh_count: u32, nnh: u32, nhid: u32, known: bool,
  joined: bool, aliased: bool, dumped: bool, nlflags: u16, flags: u8): void {
  const v4 = k == K_R4;
  // Without NLM_F_REPLACE the entries are a union (IPv4 `append` adds a
  // second route with the same identity; IPv6 append adds a next hop).
  const replace = (nlflags & NLM_F_REPLACE) != 0;
  // (among IPv4 aliases the replaced route is unknown: the resync removes it)
  if (replace && known && !aliased) remove_ident(k, c, h, nnh, true, flags);
  const ra = r_attr(k);
  const go = gen_off(k);
  const gen = cur_gen();
  const addflags: u8 = flags | ((replace && known) ? F_REPLACE : 0);
  if (nhid && nnh > 0) nhset_add(nhid);
  // A dump datagram filled before a live deletion of some of its next hops
  // (tombstones.ts): those are skipped, and so are its attributes for the
  // next hops the mirror has (the live messages since are newer; an IPv6
  // sibling's nh_count, say, was lowered by siblings_lost).
  let stale = false;
  if (dumped && !tomb_none()) {
    for (let j: u32 = 0; j < nnh; j++) {
      const x = nh_at(j);
      cand_nh(v4, c, x);
      const gone = sync_dump_stale(k, c);
      store<u8>(x + NH_STALE, gone ? 1 : 0);
      if (gone) stale = true;
    }
  }
  const rtype = rtm_type(m), proto = rtm_protocol(m), scope = rtm_scope(m);
  for (let j: u32 = 0; j < nnh; j++) {
    const x = nh_at(j);
    if (stale && load<u8>(x + NH_STALE)) continue;
    cand_nh(v4, c, x);
    if (!dumped) sync_live(k, c);
    store<u8>(c + ra + RA_TYPE, rtype);
    store<u8>(c + ra + RA_PROTO, proto);
    store<u8>(c + ra + RA_SCOPE, scope);
    store<u8>(c + ra + RA_WEIGHT, load<u8>(x + NH_WEIGHT));
    store<u8>(c + ra + RA_NHCOUNT, <u8>(nh_count > 255 ? 255 : nh_count));
    store<u32>(c + go, gen);
    // an unknown identity has no next hop yet (the first one needs no lookup)
    const e = (known || j > 0) ? t_find_h(k, c, true, h) : 0;
    if (!e) {
      const n = m_insert_h(k, c, h);
      note_added(KB_ROUTE);
      stage_entry(k, n, true, addflags, -1);
      continue;
    }
    // A next hop that a route earlier in the identity's order has too (IPv4
    // aliases): the mirror holds it once, as the first route has it, which is
    // the one the kernel forwards with. A dump's later alias finds it touched
    // by this dump already; a live append comes after every other route.
    if (joined && (dumped ? load<u32>(e + go) == gen : (nlflags & NLM_F_APPEND) != 0)) continue;
    store<u32>(e + go, gen);
    if (stale) continue;
    // type..nh_count (5 bytes); eflags (dead mark) is ours and stays
    if (load<u32>(e + ra) != load<u32>(c + ra) || load<u8>(e + ra + 4) != load<u8>(c + ra + 4)) {
      store<u32>(e + ra, load<u32>(c + ra));
      store<u8>(e + ra + 4, load<u8>(c + ra + 4));
      note_changed(KB_ROUTE);
      stage_entry(k, e, true, flags | F_REPLACE, -1);
    }
  }
  if (joined || aliased) r4_mark_aliases(c, h, true);
}
