// RTM_NEWROUTE / RTM_DELROUTE. Mirror entry = one next hop through a proxy of a
// route whose identity is the kernel's (family, table, dst, dst_len, tos,
// priority). Routes without an oif (blackhole, unreachable, prohibit) and next
// hops through other interfaces match no proxy and are not mirrored; nh_count
// still counts every next hop of the route.
import { attr_ok, attr_type, attr_next, align4, bswap32, AF_INET, AF_INET6, RTM_DELROUTE, NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND, NLM_F_MULTI,
  RTA_DST, RTA_OIF, cpy16, zero8, RTA_GATEWAY, RTA_PRIORITY, RTA_MULTIPATH, RTA_TABLE, RTA_VIA, RTA_NH_ID, RTM_F_CLONED } from "./nl";
import { nhset_add } from "./nexthops";
import { gw6_intern } from "./gw6";
import { S, O_SCRATCH, O_R4LAST, stat_inc, status_or, STF_ROUTES, SS_FILTERED, SS_OTHER, SS_VIA_IGNORED, SS_CLONED, SS_NEXTHOPS_OVER_CAP, SS_NEXTHOP_ROUTES_UNMIRRORED, SS_IPV4_UNSETTLED } from "./state";
import { slot_of_ifindex } from "./proxies";
import { K_R4, K_R6, t_find_h, t_slot, t_next, t_at, e_hash, e_same_ident, R4_EFLAGS, EF_GW6, EF_ALIASES } from "./table";
import { RT_DSTLEN, RT_TOS, RT_TABLE, RT_PRIO, RT_DST, R4_GW, R6_GW, R4_SIZE, R6_SIZE, r_attr, gen_off,
  RA_TYPE, RA_PROTO, RA_SCOPE, RA_WEIGHT, RA_NHCOUNT, stage_entry, m_insert_h, m_delete } from "./mirror";
import { live_flags, note_added, note_changed, cur_gen, KB_ROUTE } from "./sync";
import { F_REPLACE } from "./record";

// next hops through proxies of one message: {u8 slot, u8 weight, pad, gw[16] at +4 (IPv4 host order), pad}
export const NH_OFF: usize = 128;
export const NH_SIZE: usize = 24;
export const NH_MAX: u32 = 1024;
export const LA_OFF: usize = 128 + 24 * 1024; // process()'s look-ahead: u32 home slot addresses
export const SCRATCH_SIZE: usize = LA_OFF + 128;

@inline function nh_at(i: u32): usize { return load<usize>(S + O_SCRATCH) + NH_OFF + <usize>i * NH_SIZE; }

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
  if (gw) copy_gw(v4, x + 4, gw);
  else if (via) { store<u32>(x + 4, via); store<u8>(x + 2, EF_GW6); }
}

/** the candidate entry c takes next hop x (slot, gateway; IPv4: whether it is a gw6.ts id) */
@inline function cand_nh(v4: bool, c: usize, x: usize): void {
  store<u8>(c + 3, load<u8>(x));
  if (v4) { store<u32>(c + R4_GW, load<u32>(x + 4)); store<u8>(c + R4_EFLAGS, load<u8>(x + 2)); }
  else cpy16(c + R6_GW, x + 4);
}

/** find the first entry of c's identity (hash h), or 0 */
function first_of_ident(k: u32, c: usize, h: u32): usize {
  let i = t_slot(k, h);
  for (;;) {
    const e = t_at(k, i);
    if (!load<u8>(e)) return 0;
    if (e_same_ident(k, e, c)) return e;
    i = t_next(k, i);
  }
  return 0;
}

/** is entry e's next hop (slot, gw) among the message's next hops? */
function in_msg(k: u32, e: usize, nnh: u32): bool {
  for (let j: u32 = 0; j < nnh; j++) {
    const h = nh_at(j);
    if (load<u8>(h) != load<u8>(e + 3)) continue;
    if (k == K_R4) { if (load<u32>(h + 4) == load<u32>(e + R4_GW) && ((load<u8>(h + 2) ^ load<u8>(e + R4_EFLAGS)) & EF_GW6) == 0) return true; }
    else if (load<u64>(h + 4) == load<u64>(e + R6_GW) && load<u64>(h + 12) == load<u64>(e + R6_GW + 8)) return true;
  }
  return false;
}

/** remove entries of c's identity: all (keep=false) or those not in the message */
function remove_ident(k: u32, c: usize, h: u32, nnh: u32, keep: bool, flags: u8): void {
  for (;;) {
    let i = t_slot(k, h);
    let victim: usize = 0;
    for (;;) {
      const e = t_at(k, i);
      if (!load<u8>(e)) break;
      if (e_same_ident(k, e, c) && !(keep && in_msg(k, e, nnh))) { victim = e; break; }
      i = t_next(k, i);
    }
    if (!victim) return;
    stage_entry(k, victim, false, flags, -1);
    m_delete(k, victim);
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
  let i = t_slot(k, h);
  for (;;) {
    const e = t_at(k, i);
    if (!load<u8>(e)) return;
    if (e_same_ident(k, e, c)) {
      const old = <u32>load<u8>(e + nc);
      if (old < 255 && old > 1) {
        const left: u32 = old > gone ? old - gone : 1;
        store<u8>(e + nc, <u8>left);
        note_changed(KB_ROUTE);
        stage_entry(k, e, true, flags | F_REPLACE, -1);
      }
    }
    i = t_next(k, i);
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
  let i = t_slot(K_R4, h);
  for (;;) {
    const e = t_at(K_R4, i);
    if (!load<u8>(e)) return;
    if (e_same_ident(K_R4, e, c)) {
      const f = load<u8>(e + R4_EFLAGS);
      store<u8>(e + R4_EFLAGS, mark ? f | EF_ALIASES : f & ~EF_ALIASES);
    }
    i = t_next(K_R4, i);
  }
}

/** is some entry of c's identity marked EF_ALIASES? */
function r4_has_aliases(c: usize, h: u32): bool {
  let i = t_slot(K_R4, h);
  for (;;) {
    const e = t_at(K_R4, i);
    if (!load<u8>(e)) return false;
    if (e_same_ident(K_R4, e, c) && (load<u8>(e + R4_EFLAGS) & EF_ALIASES) != 0) return true;
    i = t_next(K_R4, i);
  }
  return false;
}

export function handle_route(m: usize, mlen: u32, type: u16, nlflags: u16): bool {
  if (mlen < 28) return false; // nlmsghdr + rtmsg
  const family = load<u8>(m + 16);
  if (family != AF_INET && family != AF_INET6) { stat_inc(SS_OTHER); return true; }
  const v4 = family == AF_INET;
  const alen: u32 = v4 ? 4 : 16;
  const k = v4 ? K_R4 : K_R6;
  const dst_len = load<u8>(m + 17);
  if (<u32>dst_len > alen * 8) return false;
  const tos = load<u8>(m + 19);
  let table = <u32>load<u8>(m + 20);
  const proto = load<u8>(m + 21);
  const scope = load<u8>(m + 22);
  const rtype = load<u8>(m + 23);
  const rflags = load<u32>(m + 24);
  const end = m + mlen;
  let dst: usize = 0, oif: i32 = 0, has_oif = false, gw: usize = 0, prio: u32 = 0, mp: usize = 0, mplen: u32 = 0, nhid: u32 = 0, via: u32 = 0;
  let a = m + 28;
  while (a < end) {
    const l = attr_ok(a, end);
    if (!l) return false;
    const ty = attr_type(a);
    const pl = l - 4;
    if (ty == RTA_DST) { if (pl != alen) return false; dst = a + 4; }
    else if (ty == RTA_OIF) { if (pl < 4) return false; oif = load<i32>(a + 4); has_oif = true; }
    else if (ty == RTA_GATEWAY) { if (pl != alen) return false; gw = a + 4; }
    else if (ty == RTA_PRIORITY) { if (pl < 4) return false; prio = load<u32>(a + 4); }
    else if (ty == RTA_TABLE) { if (pl < 4) return false; table = load<u32>(a + 4); }
    else if (ty == RTA_MULTIPATH) { mp = a + 4; mplen = pl; }
    else if (ty == RTA_NH_ID) { if (pl < 4) return false; nhid = load<u32>(a + 4); }
    else if (ty == RTA_VIA) via = via_gw6(a + 4, pl, v4);
    a = attr_next(a, l);
  }
  // RTM_F_CLONED: route cache / exceptions (PMTU, redirects), not the FIB
  if (rflags & RTM_F_CLONED) { stat_inc(SS_CLONED); return true; }
  // a nexthop object without its next hops spelled out: nexthop_compat_mode=0 (nexthops.ts)
  if (nhid && !has_oif && !mp && type != RTM_DELROUTE) stat_inc(SS_NEXTHOP_ROUTES_UNMIRRORED);

  // next hops: validate and collect those through proxies
  let nh_count: u32 = 0, nnh: u32 = 0;
  if (mp) {
    let h = mp;
    const mend = mp + mplen;
    while (h < mend) {
      if (h + 8 > mend) return false;
      const hl = <u32>load<u16>(h);
      if (hl < 8 || <usize>hl > mend - h) return false;
      const hend = h + hl;
      let ngw: usize = 0, nvia: u32 = 0;
      let b = h + 8;
      while (b < hend) {
        const l = attr_ok(b, hend);
        if (!l) return false;
        const ty = attr_type(b);
        if (ty == RTA_GATEWAY) { if (l - 4 != alen) return false; ngw = b + 4; }
        else if (ty == RTA_VIA) nvia = via_gw6(b + 4, l - 4, v4);
        b = attr_next(b, l);
      }
      nh_count++;
      const s = slot_of_ifindex(load<i32>(h + 4));
      if (s >= 0) {
        if (nnh < NH_MAX) {
          const x = nh_at(nnh++);
          zero8(x, NH_SIZE);
          store<u8>(x, <u8>s);
          store<u8>(x + 1, <u8>(<u32>load<u8>(h + 3) + 1));
          set_gw(v4, x, ngw, nvia);
        } else stat_inc(SS_NEXTHOPS_OVER_CAP);
      }
      h += <usize>align4(hl);
    }
  } else if (has_oif) {
    nh_count = 1;
    const s = slot_of_ifindex(oif);
    if (s >= 0) {
      const x = nh_at(nnh++);
      zero8(x, NH_SIZE);
      store<u8>(x, <u8>s);
      store<u8>(x + 1, 1);
      set_gw(v4, x, gw, via);
    }
  }

  // candidate entry with the identity
  const c = load<usize>(S + O_SCRATCH);
  zero8(c, v4 ? R4_SIZE : R6_SIZE);
  store<u8>(c + RT_DSTLEN, dst_len);
  store<u8>(c + RT_TOS, tos);
  store<u32>(c + RT_TABLE, table);
  store<u32>(c + RT_PRIO, prio);
  if (dst) {
    if (v4) store<u32>(c + RT_DST, bswap32(load<u32>(dst)));
    else cpy16(c + RT_DST, dst);
  }
  // route entries hash on the identity only: one hash serves every next hop
  const h = e_hash(k, c);
  const known = first_of_ident(k, c, h) != 0;
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

  if (type == RTM_DELROUTE) {
    // no next hop info at all: the whole identity; else only the named next hops.
    // (An IPv4 route without next hops, say a blackhole, among aliases: the
    // others stay, and it had no entries.)
    if (nh_count == 0) { if (!aliased) remove_ident(k, c, h, 0, false, flags); return true; }
    for (let j: u32 = 0; j < nnh; j++) {
      cand_nh(v4, c, nh_at(j));
      const e = t_find_h(k, c, true, h);
      if (e) { stage_entry(k, e, false, flags, -1); m_delete(k, e); }
    }
    siblings_lost(k, c, h, nh_count, flags);
    return true;
  }
  // NEWROUTE. Without NLM_F_REPLACE the entries are a union (IPv4 `append`
  // adds a second route with the same identity; IPv6 append adds a next hop).
  const replace = (nlflags & NLM_F_REPLACE) != 0;
  // (among IPv4 aliases the replaced route is unknown: the resync removes it)
  if (replace && known && !aliased) {
    remove_ident(k, c, h, nnh, true, flags);
  }
  const ra = r_attr(k);
  const go = gen_off(k);
  const gen = cur_gen();
  const addflags: u8 = flags | ((replace && known) ? F_REPLACE : 0);
  if (nhid && nnh > 0) nhset_add(nhid);
  for (let j: u32 = 0; j < nnh; j++) {
    const x = nh_at(j);
    cand_nh(v4, c, x);
    store<u8>(c + ra + RA_TYPE, rtype);
    store<u8>(c + ra + RA_PROTO, proto);
    store<u8>(c + ra + RA_SCOPE, scope);
    store<u8>(c + ra + RA_WEIGHT, load<u8>(x + 1));
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
    // type..nh_count (5 bytes); eflags (dead mark) is ours and stays
    if (load<u32>(e + ra) != load<u32>(c + ra) || load<u8>(e + ra + 4) != load<u8>(c + ra + 4)) {
      store<u32>(e + ra, load<u32>(c + ra));
      store<u8>(e + ra + 4, load<u8>(c + ra + 4));
      note_changed(KB_ROUTE);
      stage_entry(k, e, true, flags | F_REPLACE, -1);
    }
  }
  if (joined || aliased) r4_mark_aliases(c, h, true);
  return true;
}

// Look-ahead for process(): the address of the home slot of a route message
// (0 when it is not a well-formed IPv4/IPv6 route). process() computes it for a
// batch of upcoming messages and then loads all of them back to back, so their
// cache misses overlap instead of each stalling handle_route in turn (wasm has
// no prefetch instruction). Only the identity fields are read, with the same
// length checks as handle_route.
export function route_home(m: usize, mlen: u32): usize {
  if (mlen < 28) return 0;
  const family = load<u8>(m + 16);
  if (family != AF_INET && family != AF_INET6) return 0;
  const v4 = family == AF_INET;
  const alen: u32 = v4 ? 4 : 16;
  const k = v4 ? K_R4 : K_R6;
  let table = <u32>load<u8>(m + 20);
  const end = m + mlen;
  let dst: usize = 0, prio: u32 = 0;
  let a = m + 28;
  while (a < end) {
    const l = attr_ok(a, end);
    if (!l) return 0;
    const ty = attr_type(a);
    const pl = l - 4;
    if (ty == RTA_DST) { if (pl != alen) return 0; dst = a + 4; }
    else if (ty == RTA_PRIORITY) { if (pl < 4) return 0; prio = load<u32>(a + 4); }
    else if (ty == RTA_TABLE) { if (pl < 4) return 0; table = load<u32>(a + 4); }
    a = attr_next(a, l);
  }
  const c = load<usize>(S + O_SCRATCH) + 64; // the candidate of handle_route lives at +0
  zero8(c, v4 ? R4_SIZE : R6_SIZE);
  store<u8>(c + RT_DSTLEN, load<u8>(m + 17));
  store<u8>(c + RT_TOS, load<u8>(m + 19));
  store<u32>(c + RT_TABLE, table);
  store<u32>(c + RT_PRIO, prio);
  if (dst) {
    if (v4) store<u32>(c + RT_DST, bswap32(load<u32>(dst)));
    else cpy16(c + RT_DST, dst);
  }
  return t_at(k, t_slot(k, e_hash(k, c)));
}
