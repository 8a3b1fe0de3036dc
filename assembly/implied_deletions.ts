// Deletions the kernel performs without telling (verified on 6.18 with
// `ip monitor` against `ip route show table all`, see tests/fixtures x-t0-down,
// x-t1-lastaddr, x-t1-del):
//
// * IFF_UP cleared (`ip link set X down`): IPv4 routes whose next hop is X are
//   removed with NO RTM_DELROUTE, in every table (main, local broadcast routes,
//   table 100, gateway routes, the default route), except routes of scope host
//   (the `local <addr>` route of each address stays: fib_sync_down_dev spares
//   next hops of scope RT_SCOPE_NOWHERE). A multipath route loses the route only
//   when ALL its next hops are dead; otherwise the next hop is marked dead and
//   the route stays (shown `dead`). Bringing X up again revives such next hops
//   silently and re-announces (RTM_NEWROUTE) only the address prefix/broadcast
//   routes; the other removed routes stay gone. IPv6 routes, IPv6 addresses
//   (keep_addr_on_down=0) and neighbours (IPv4 and IPv6, even PERMANENT/NOARP)
//   ARE notified (RTM_DELROUTE/DELADDR/DELNEIGH). IPv6 multipath routes keep a
//   dead next hop without any message. IPv4 addresses stay, silently.
// * The last IPv4 address of X deleted: all IPv4 routes through X go silently
//   (table 100 and gateway routes included; fib_disable_ip with force), again
//   sparing multipath routes that keep a live next hop. The address's own
//   prefix, broadcast and local routes, and routes whose prefsrc was that
//   address, are notified.
// * X deleted (RTM_DELLINK, `ip link del`): IPv4 routes through X go silently,
//   and an IPv4 multipath route with ONE next hop through X goes entirely (its
//   next hops through other, live interfaces too: fib_sync_down_dev force > 1).
//   IPv6 only drops X's next hop of a multipath route, notified. Handled as a
//   full purge of the proxy (DELs for all it had, IPv4 multipath routes through
//   it entirely, then PROXY_GONE per bound port).
//
// A dump datagram filled before such a deletion may still list the entries:
// they are tombstones of the running sync too (sync_deleted, tombstones.ts).
//
// Such a job can touch many entries, so it runs in chunks that fit staging:
// process() stops BEFORE the triggering message's successor and leaves next_off
// on the triggering message with a skip mark; the next process() (or
// sync_end_step/replay_step) finishes the job first and then skips that message.
//
// State (32 B at S + O_JOB): +0 type, +4 slot, +8 phase (table kind), +12 cursor,
// +16 mutation snapshot, +20 record flags, +24 skip_pending.
import { S, O_JOB, O_R4RISK, SS_IMPLIED_DELETIONS, SS_IPV4_UNSETTLED, STF_ROUTES, stat_inc, status_or } from "./state";
import { K_ADDR, K_R4, KINDS, t_cap, t_at, t_mut, t_home, t_prev } from "./table";
import { e_slot, e_hash, r_attr, RA_SCOPE, RA_NHCOUNT, RA_EFLAGS, EF_DEAD } from "./entries";
import { stage_entry, m_delete, ident_first, ident_next, RUN_END } from "./mirror";
import { nstaged, stage_free, tmpl_begin, emit } from "./staging";
import { max_ports, unbind_all, proxy_mark_gone } from "./proxies";
import { EV_PROXY_GONE } from "./record";
import { RT_SCOPE_HOST } from "./nl";
import { sync_deleted } from "./sync";
import { subif_gone } from "./subif";

// fields of the job state (the layout above)
const J_TYPE: usize = 0;
const J_SLOT: usize = 4;
const J_KIND: usize = 8;
const J_CURSOR: usize = 12;
const J_MUT: usize = 16;
const J_FLAGS: usize = 20;
const J_SKIP: usize = 24;
const J_IDENT: usize = 32; // 32 B: an identity kept while its entries are deleted (within STATE_SIZE)

export const JOB_NONE: u32 = 0;
export const JOB_PURGE: u32 = 1;    // RTM_DELLINK: everything, then PROXY_GONE
export const JOB_DOWN: u32 = 2;     // IFF_UP cleared: IPv4 routes except scope host
export const JOB_LASTADDR: u32 = 3; // last IPv4 address removed: all IPv4 routes

@inline export function job_active(): bool { return load<u32>(S + O_JOB + J_TYPE) != JOB_NONE; }
@inline export function job_skip_pending(): bool { return load<u32>(S + O_JOB + J_SKIP) != 0; }
@inline export function job_set_skip(v: u32): void { store<u32>(S + O_JOB + J_SKIP, v); }

export function job_start(type: u32, slot: u32, flags: u8): void {
  const o = S + O_JOB;
  store<u32>(o + J_TYPE, type);
  store<u32>(o + J_SLOT, slot);
  const k = type == JOB_PURGE ? K_ADDR : K_R4;
  store<u32>(o + J_KIND, k);
  store<u32>(o + J_CURSOR, 0);
  store<u32>(o + J_MUT, t_mut(k));
  store<u32>(o + J_FLAGS, flags);
}

@inline function room(n: u32): bool {
  const mp = max_ports();
  return nstaged() == 0 || stage_free() >= n * (mp > 0 ? mp : 1) + 8;
}

// IPv4 multipath next hop (entry e) went dead: the route goes only if every one
// of its next hops is dead. Next hops through non-proxy interfaces are not in
// the mirror, so the route is removed only when all nh_count of them are known
// (and dead). When every known one is dead but some are not known, their state
// decides (one may have died silently before: a link down, its last address
// gone): the route is kept for now and the routes are dumped again (STF_ROUTES).
// Such a route also goes, silently, when its last live next hop elsewhere dies
// later: O_R4RISK makes a non-proxy interface going down, being deleted or
// losing an IPv4 address ask for a dump of the routes too (unsettled_elsewhere),
// until a proxy coming up finds no dead multipath next hop left (revive_dead).
// Returns the number of entries removed.
function kill_multipath(e: usize, flags: u8, force: bool): u32 {
  const k = K_R4;
  const a = r_attr(k);
  const want = <u32>load<u8>(e + a + RA_NHCOUNT);
  const h = e_hash(k, e);
  let n: u32 = 0, dead: u32 = 0;
  for (let i = ident_first(k, e, h); i != RUN_END; i = ident_next(k, e, i)) {
    const x = t_at(k, i);
    if (<u32>load<u8>(x + a + RA_NHCOUNT) == want) {
      n++;
      if (load<u8>(x + a + RA_EFLAGS) & EF_DEAD) dead++;
    }
  }
  if (!force && (n < want || dead < n)) {
    if (dead == n) { stat_inc(SS_IPV4_UNSETTLED); status_or(STF_ROUTES); store<u32>(S + O_R4RISK, 1); }
    return 0;
  }
  // copy the identity: e itself moves while we delete
  const id = S + O_JOB + J_IDENT; // 32 B scratch after the job state (within STATE_SIZE)
  memory.copy(id, e, 32);
  let removed: u32 = 0;
  for (;;) {
    const i = ident_first(k, id, h);
    if (i == RUN_END) break;
    const found = t_at(k, i);
    stage_entry(k, found, false, flags, -1);
    sync_deleted(k, found);
    m_delete(k, found);
    stat_inc(SS_IMPLIED_DELETIONS);
    removed++;
  }
  return removed;
}

// After deletions around home slot h, entries can only have moved backwards
// within h's cluster: resume the scan at the cluster's first slot (or at 0 when
// the cluster wraps), not at 0, so a purge stays linear.
function rewind(k: u32, h: u32, i: u32): u32 {
  const cap = t_cap(k);
  let c = h;
  for (let n: u32 = 0; n < cap; n++) {
    const p = t_prev(k, c);
    if (!load<u8>(t_at(k, p))) break;
    c = p;
  }
  return c <= i ? c : 0;
}

/** run the job until done (true) or staging is short (false) */
export function job_run(): bool {
  const o = S + O_JOB;
  const type = load<u32>(o + J_TYPE);
  if (type == JOB_NONE) return true;
  const slot = load<u32>(o + J_SLOT);
  const flags = <u8>load<u32>(o + J_FLAGS);
  for (;;) {
    const k = load<u32>(o + J_KIND);
    if (k >= KINDS || (type != JOB_PURGE && k != K_R4)) break;
    let i = load<u32>(o + J_CURSOR);
    if (load<u32>(o + J_MUT) != t_mut(k)) i = 0; // entries moved: rescan (idempotent)
    const cap = t_cap(k);
    while (i < cap) {
      const e = t_at(k, i);
      if (!load<u8>(e) || e_slot(e) != slot) { i++; continue; }
      if (type == JOB_PURGE) {
        if (k == K_R4 && load<u8>(e + r_attr(k) + RA_NHCOUNT) > 1) {
          if (!room(64)) { store<u32>(o + J_CURSOR, i); store<u32>(o + J_MUT, t_mut(k)); return false; }
          const h = t_home(k, e);
          kill_multipath(e, flags, true);
          i = rewind(k, h, i);
          continue;
        }
        if (!room(1)) { store<u32>(o + J_CURSOR, i); store<u32>(o + J_MUT, t_mut(k)); return false; }
        stage_entry(k, e, false, flags, -1);
        sync_deleted(k, e);
        m_delete(k, e);
        continue;
      }
      // IPv4 routes: DOWN spares scope host, LASTADDR does not
      const a = e + r_attr(k);
      if (type == JOB_DOWN && load<u8>(a + RA_SCOPE) == RT_SCOPE_HOST) { i++; continue; }
      if (load<u8>(a + RA_NHCOUNT) > 1) {
        if (load<u8>(a + RA_EFLAGS) & EF_DEAD) { i++; continue; }
        if (!room(64)) { store<u32>(o + J_CURSOR, i); store<u32>(o + J_MUT, t_mut(k)); return false; }
        store<u8>(a + RA_EFLAGS, load<u8>(a + RA_EFLAGS) | EF_DEAD);
        const h = t_home(k, e);
        if (kill_multipath(e, flags, false) > 0) i = rewind(k, h, i);
        else i++;
        continue;
      }
      if (!room(1)) { store<u32>(o + J_CURSOR, i); store<u32>(o + J_MUT, t_mut(k)); return false; }
      stage_entry(k, e, false, flags, -1);
      sync_deleted(k, e);
      m_delete(k, e);
      stat_inc(SS_IMPLIED_DELETIONS);
    }
    store<u32>(o + J_KIND, k + 1);
    store<u32>(o + J_CURSOR, 0);
    if (k + 1 < KINDS) store<u32>(o + J_MUT, t_mut(k + 1));
  }
  if (type == JOB_PURGE) {
    if (!room(1)) return false;
    tmpl_begin(EV_PROXY_GONE, <i32>slot, 0, flags);
    emit(slot, -1);
    unbind_all(slot);
    proxy_mark_gone(slot);
    subif_gone(slot, flags); // a sub-interface: SUBIF_DEL to its root's ports, its slot freed
  }
  store<u32>(o + J_TYPE, JOB_NONE);
  return true;
}

/** IFF_UP set again: the kernel revives dead next hops silently */
export function revive_dead(slot: u32): void {
  const k = K_R4;
  const cap = t_cap(k);
  const a = r_attr(k);
  let dead_left = false;
  for (let i: u32 = 0; i < cap; i++) {
    const e = t_at(k, i);
    if (!load<u8>(e)) continue;
    const f = load<u8>(e + a + RA_EFLAGS);
    if (e_slot(e) == slot) store<u8>(e + a + RA_EFLAGS, f & ~EF_DEAD);
    else if (f & EF_DEAD) dead_left = true;
  }
  if (!dead_left) store<u32>(S + O_R4RISK, 0);
}

/** A non-proxy interface went down, was deleted or lost an IPv4 address:
 *  while an IPv4 multipath route may hang on it (see kill_multipath), dump the routes. */
export function unsettled_elsewhere(): void {
  if (load<u32>(S + O_R4RISK) == 0) return;
  stat_inc(SS_IPV4_UNSETTLED);
  status_or(STF_ROUTES);
}
