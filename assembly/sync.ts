// Snapshot / resynchronisation by mark and sweep.
//
// sync_begin(kinds, flags) bumps the generation; while the sync is active every
// entry of those kinds that a message touches (new, changed or identical) takes
// the new generation, and records of those kinds carry `flags` (INITIAL for the
// first listen dump, RESYNC after ENOBUFS). sync_end_step() then sweeps, in
// chunks that fit staging, the entries still carrying an older generation:
// they were not in the dump, so the kernel no longer has them (their DELs are
// flagged RESYNC). With kind 1 (link), a known proxy whose interface was not in
// the link dump is treated like RTM_DELLINK (DELs, PROXY_GONE).
//
// State (32 B at S + O_SYNC): +0 active, +4 kinds, +8 flags, +12 phase
// (0..3 tables, 4 links, 5 done), +16 cursor, +20 mutation snapshot, +24 bit k
// set: table k was empty at sync_begin, so every entry in it at the end came
// from this sync and its sweep is skipped (a full table's sweep reads the
// whole table, for nothing after a first dump).
// Counters: stats SS_SYNC_ADDED / REMOVED / CHANGED, SS_GENERATION.
//
// A live deletion can reach us before a dump datagram that still lists the
// entry (tombstones.ts): while the sync covers its kind, what live messages
// delete is remembered (sync_deleted), and dump entries that match are
// ignored (sync_dump_stale) until a live add clears the key (sync_live).
import { S, O_SYNC, O_R4LAST, O_STATUS, ST_SYNC, STF_SYNC_AGAIN, SS_GENERATION, SS_SYNC_ADDED, SS_SYNC_REMOVED, SS_SYNC_CHANGED,
  stat_get, stat_set, stat_inc, status_or } from "./state";
import { K_ADDR, K_R4, K_R6, K_NEIGH, KINDS, t_cap, t_at, t_mut, t_count } from "./table";
import { gen_off } from "./entries";
import { stage_entry, m_delete } from "./mirror";
import { nstaged, stage_free } from "./staging";
import { max_ports, pslot, PROXY_MAX, P_USED, P_GONE, P_KNOWN, P_LINKGEN } from "./proxies";
import { job_active, job_run, job_start, JOB_PURGE } from "./implied_deletions";
import { F_RESYNC } from "./record";
import { nhset_clear } from "./nexthops";
import { tomb_none, tomb_add, tomb_clear, tomb_has, tomb_reset } from "./tombstones";

// fields of the sync state (the layout above)
const SY_ACTIVE: usize = 0;
const SY_KINDS: usize = 4;
const SY_FLAGS: usize = 8;
const SY_PHASE: usize = 12;
const SY_CURSOR: usize = 16;
const SY_MUT: usize = 20;
const SY_EMPTY: usize = 24;

// Kind bits: layout/shared-memory.json (generated into layout.ts).
import { KB_LINK, KB_ADDR, KB_ROUTE, KB_NEIGH } from "./layout";
export { KB_LINK, KB_ADDR, KB_ROUTE, KB_NEIGH };

@inline export function kind_bit(k: u32): u32 { return k == K_ADDR ? KB_ADDR : k == K_NEIGH ? KB_NEIGH : KB_ROUTE; }
@inline export function sync_active(): bool { return load<u32>(S + O_SYNC + SY_ACTIVE) != 0; }
@inline export function cur_gen(): u32 { return stat_get(SS_GENERATION); }

/** flags live records of a kind carry: the sync's flags while it covers the kind */
export function live_flags(kb: u32): u8 {
  if (load<u32>(S + O_SYNC + SY_ACTIVE) != 0 && (load<u32>(S + O_SYNC + SY_KINDS) & kb) != 0) return <u8>load<u32>(S + O_SYNC + SY_FLAGS);
  return 0;
}
/**
 * A live message deleted the kind k entry with key e (or found it absent:
 * during the first dump the mirror may not have it yet).
 */
export function sync_deleted(k: u32, e: usize): void {
  if (load<u32>(S + O_SYNC + SY_ACTIVE) == 0 || (load<u32>(S + O_SYNC + SY_KINDS) & kind_bit(k)) == 0) return;
  // full: what this sync's dump says about later deletions cannot be trusted: the host resyncs after it
  if (!tomb_add(k, e)) status_or(STF_SYNC_AGAIN);
}
/** a live message added or changed the kind k entry with key c */
@inline export function sync_live(k: u32, c: usize): void { if (!tomb_none()) tomb_clear(k, c); }
/** a dump's kind k entry with key c: was it deleted after the dump read it? */
@inline export function sync_dump_stale(k: u32, c: usize): bool { return !tomb_none() && tomb_has(k, c); }

export function note_added(kb: u32): void {
  if (load<u32>(S + O_SYNC + SY_ACTIVE) != 0 && (load<u32>(S + O_SYNC + SY_KINDS) & kb) != 0) stat_inc(SS_SYNC_ADDED);
}
export function note_changed(kb: u32): void {
  if (load<u32>(S + O_SYNC + SY_ACTIVE) != 0 && (load<u32>(S + O_SYNC + SY_KINDS) & kb) != 0) stat_inc(SS_SYNC_CHANGED);
}

export function sync_begin_impl(kinds: u32, flags: u32): void {
  const o = S + O_SYNC;
  store<u8>(S + O_R4LAST, 0); // a new dump: no previous IPv4 route (parse_route.ts)
  store<u32>(o + SY_ACTIVE, 1);
  store<u32>(o + SY_KINDS, kinds & 15);
  store<u32>(o + SY_FLAGS, flags & 0xff);
  store<u32>(o + SY_PHASE, 0);
  store<u32>(o + SY_CURSOR, 0);
  store<u32>(o + SY_MUT, t_mut(0));
  let empty: u32 = 0;
  for (let k: u32 = 0; k < KINDS; k++) if (t_count(k) == 0) empty |= 1 << k;
  store<u32>(o + SY_EMPTY, empty);
  // the route dump refills it with the ids routes use now
  if (kinds & KB_ROUTE) nhset_clear();
  tomb_reset(); // a new dump, requested after every deletion seen so far
  stat_set(SS_GENERATION, stat_get(SS_GENERATION) + 1);
  stat_set(SS_SYNC_ADDED, 0);
  stat_set(SS_SYNC_REMOVED, 0);
  stat_set(SS_SYNC_CHANGED, 0);
  store<u32>(S + O_STATUS + ST_SYNC, 1);
}

@inline function room(n: u32): bool {
  const mp = max_ports();
  return nstaged() == 0 || stage_free() >= n * (mp > 0 ? mp : 1) + 8;
}

/** one chunk of the sweep; returns records staged, 0 once the sync is over */
export function sync_end_step_impl(): u32 {
  const o = S + O_SYNC;
  if (!load<u32>(o + SY_ACTIVE)) return 0;
  const kinds = load<u32>(o + SY_KINDS);
  const gen = cur_gen();
  const start = nstaged();
  for (;;) {
    if (job_active()) {
      if (!job_run()) return nstaged() - start;
    }
    const phase = load<u32>(o + SY_PHASE);
    if (phase < KINDS) {
      const k = phase;
      if ((kinds & kind_bit(k)) == 0 || (load<u32>(o + SY_EMPTY) & (1 << k)) != 0) {
        store<u32>(o + SY_PHASE, phase + 1); store<u32>(o + SY_CURSOR, 0);
        if (phase + 1 < KINDS) store<u32>(o + SY_MUT, t_mut(phase + 1));
        continue;
      }
      let i = load<u32>(o + SY_CURSOR);
      if (load<u32>(o + SY_MUT) != t_mut(k)) i = 0; // entries moved under us (process deleted or grew)
      const go = gen_off(k);
      const cap = t_cap(k);
      let stopped = false;
      while (i < cap) {
        const e = t_at(k, i);
        if (load<u8>(e) && load<u32>(e + go) != gen) {
          if (!room(1)) { stopped = true; break; }
          stage_entry(k, e, false, F_RESYNC, -1);
          m_delete(k, e);
          stat_inc(SS_SYNC_REMOVED);
          continue; // a later entry may have shifted into slot i
        }
        i++;
      }
      store<u32>(o + SY_CURSOR, i);
      store<u32>(o + SY_MUT, t_mut(k));
      if (stopped) return nstaged() - start;
      store<u32>(o + SY_PHASE, phase + 1);
      store<u32>(o + SY_CURSOR, 0);
      if (phase + 1 < KINDS) store<u32>(o + SY_MUT, t_mut(phase + 1));
      continue;
    }
    if (phase == KINDS) {
      if (kinds & KB_LINK) {
        let s = load<u32>(o + SY_CURSOR);
        while (s < PROXY_MAX) {
          const p = pslot(s);
          s++;
          if (load<u8>(p + P_USED) && !load<u8>(p + P_GONE) && load<u8>(p + P_KNOWN) && load<u32>(p + P_LINKGEN) != gen) {
            store<u32>(o + SY_CURSOR, s);
            stat_inc(SS_SYNC_REMOVED);
            job_start(JOB_PURGE, s - 1, F_RESYNC);
            break;
          }
        }
        store<u32>(o + SY_CURSOR, s);
        if (job_active()) continue;
      }
      store<u32>(o + SY_PHASE, KINDS + 1);
      continue;
    }
    // finished
    const n = nstaged() - start;
    if (n > 0) return n; // report the last chunk; the next call ends the sync
    store<u32>(o + SY_ACTIVE, 0);
    store<u32>(S + O_STATUS + ST_SYNC, 0);
    tomb_reset();
    return 0;
  }
}
