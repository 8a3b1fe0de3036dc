// Tombstones: the mirror entries that live messages removed while a sync of
// their kind runs, so that the sync's dump cannot bring them back.
//
// Why: the kernel fills a dump datagram, drops its locks, then queues it. A
// deletion on another CPU in that window queues its notification FIRST, and
// nothing flags the dump (no NLM_F_DUMP_INTR). ifpx then reads the DEL, and
// after it the dump's older copy of the entry, which mark and sweep would
// take as present (it carries the sync's generation) and keep for good. So a
// dump entry (NLM_F_MULTI) that matches a tombstone is older than the
// deletion and is ignored, unless a live add of the same key came in between
// (it clears the tombstone: the entry exists again). Dump and live are told
// apart by NLM_F_MULTI: dump messages carry it, notifications do not
// (every notification recorded in tests/fixtures on 6.18, multipath routes
// and IPv6 sibling deletions included, has no NLM_F_MULTI; every dump
// message has it).
//
// What a tombstone costs: an entry the kernel re-creates WITHOUT a
// notification after a notified deletion stays out of the mirror until its
// next notification (a neighbour re-created INCOMPLETE, say), as it would
// without a sync.
//
// The set: TOMB_SLOTS slots of TOMB_SLOT bytes, linear probing, emptied when a
// sync begins and when it ends (sync.ts). Slot: +0 u8 state (0 empty, 1
// tombstone, 2 cleared by a live add: the slot stays taken so probe runs stay
// intact; adding the key again reuses it), +1 u8 kind, +4 u32 key hash,
// +8 the key as a mirror entry of that kind (entries.ts: a route's key is
// its next hop, as the mirror stores it). Full at load 0.7: tomb_add says so
// and the caller asks for a resync after the sync (sync.ts, Status SYNC_AGAIN).
//
// State (16 B at S + O_TOMB): +0 usize slots, +8 u32 slots taken,
// +12 u32 tombstones (state 1; 0: every look-up is skipped).
import { S, O_TOMB, zalloc } from "./state";
import { K_R4, K_R6, t_esize } from "./table";
import { e_hash, e_same_ident, e_same_nh } from "./entries";
import { cpy8 } from "./mem";

export const TOMB_SLOTS: u32 = 8192;
const TOMB_BITS: u32 = 13; // log2(TOMB_SLOTS)
const TOMB_SLOT: usize = 72; // 8 + the largest entry (64 B)
const TOMB_MAX: u32 = TOMB_SLOTS * 7 / 10;

const T_STATE: usize = 0;
const T_KIND: usize = 1;
const T_HASH: usize = 4;
const T_KEY: usize = 8;
const DEAD: u8 = 1;
const CLEARED: u8 = 2;

@inline function base(): usize { return load<usize>(S + O_TOMB); }
@inline function taken(): u32 { return load<u32>(S + O_TOMB + 8); }
@inline function live(): u32 { return load<u32>(S + O_TOMB + 12); }
@inline function at(i: u32): usize { return base() + <usize>i * TOMB_SLOT; }

export function tomb_init(): void { store<usize>(S + O_TOMB, zalloc(<usize>TOMB_SLOTS * TOMB_SLOT)); }

/** no tombstone: dump entries need no look-up */
@inline export function tomb_none(): bool { return live() == 0; }

export function tomb_reset(): void {
  if (taken() == 0) return;
  memory.fill(base(), 0, <usize>TOMB_SLOTS * TOMB_SLOT);
  store<u32>(S + O_TOMB + 8, 0);
  store<u32>(S + O_TOMB + 12, 0);
}

/** the slot holding c's key (kind k), else the empty slot ending its probe run */
function probe(k: u32, c: usize, h: u32): usize {
  const route = k == K_R4 || k == K_R6;
  let i = (h * 0x9e3779b1) >> (32 - TOMB_BITS);
  for (;;) {
    const t = at(i);
    if (!load<u8>(t + T_STATE)) return t;
    if (<u32>load<u8>(t + T_KIND) == k && load<u32>(t + T_HASH) == h
      && (route ? e_same_nh(k, t + T_KEY, c) : e_same_ident(k, t + T_KEY, c))) return t;
    i = (i + 1) & (TOMB_SLOTS - 1);
  }
  return 0;
}

/** remember that c's key (a kind k entry) was removed; false: the set is full */
export function tomb_add(k: u32, c: usize): bool {
  const h = e_hash(k, c);
  const t = probe(k, c, h);
  const st = load<u8>(t + T_STATE);
  if (st == DEAD) return true;
  if (st == 0) {
    if (taken() >= TOMB_MAX) return false;
    store<u8>(t + T_KIND, <u8>k);
    store<u32>(t + T_HASH, h);
    cpy8(t + T_KEY, c, <usize>t_esize(k));
    store<u32>(S + O_TOMB + 8, taken() + 1);
  }
  store<u8>(t + T_STATE, DEAD);
  store<u32>(S + O_TOMB + 12, live() + 1);
  return true;
}

/** a live add of c's key: its tombstone (if any) no longer holds */
export function tomb_clear(k: u32, c: usize): void {
  if (live() == 0) return;
  const t = probe(k, c, e_hash(k, c));
  if (load<u8>(t + T_STATE) != DEAD) return;
  store<u8>(t + T_STATE, CLEARED);
  store<u32>(S + O_TOMB + 12, live() - 1);
}

/** is c's key (kind k) a tombstone? */
export function tomb_has(k: u32, c: usize): bool {
  if (live() == 0) return false;
  return load<u8>(probe(k, c, e_hash(k, c)) + T_STATE) == DEAD;
}
