// Open-addressing hash tables (linear probing, backward-shift deletion, no
// tombstones) holding fixed-size mirror entries inline. Four tables, one per
// kind: addresses, IPv4 route next hops, IPv6 route next hops, neighbours.
// Byte 0 of every entry is `used`; the entry sizes, layouts and keys (e_hash,
// e_same_ident, e_same_nh) are the mirror's (entries.ts): the route tables'
// key is the route identity, so all next hops of one route sit in one probe
// run, which a REPLACE or DELROUTE walks (mirror.ts ident_first). Load is kept <= 0.7 (growing beyond),
// so runs stay short. The capacity is any number of slots (a home slot is
// (hash * cap) >> 32, probing wraps at cap), so mirror_reserve() sizes a table
// to exactly what it needs: 1M IPv4 route next hops take 1.43M x 32 B = 44 MiB
// (growing from the initial 2^16, by doubling, then by half beyond 1M slots,
// ends at 1.57M x 32 B = 50 MiB).
//
// Growth doubles the block IN PLACE when it can (grow_in_place): a full table
// then touches its final block only, instead of every block of the doubling
// series (2x the memory; the first touch of fresh memory is the largest single
// cost of a big dump on VMs that hand freed memory back: README, Performance).
//
// Descriptor (32 B at S + O_TABLES + kind*32):
//   +0 usize slots, +8 u32 cap (slots), +12 u32 count, +16 u32 esize,
//   +20 u32 mutations (bumped by deletes and growth: moves entries, so
//   iterating sweeps restart), +24 u32 an upper bound of the probe
//   distance of every entry (set by inserts and growth; deletes only shorten)
import { cpy8, zero8 } from "./mem";
import { e_hash, e_same_ident, e_same_nh } from "./entries";
import { S, O_TABLES, O_GROWTMP, zalloc, grow_memory_for, stat_inc, SS_MIRROR_GROWS } from "./state";

export const K_ADDR: u32 = 0;
export const K_R4: u32 = 1;
export const K_R6: u32 = 2;
export const K_NEIGH: u32 = 3;
export const KINDS: u32 = 4;

// byte 0 of every entry; the rest of the layout and the key are entries.ts's
export const E_USED: usize = 0;

@inline export function tdesc(k: u32): usize { return S + O_TABLES + (<usize>k << 5); }
@inline export function t_base(k: u32): usize { return load<usize>(tdesc(k)); }
@inline export function t_cap(k: u32): u32 { return load<u32>(tdesc(k) + 8); }
@inline export function t_count(k: u32): u32 { return load<u32>(tdesc(k) + 12); }
@inline export function t_esize(k: u32): u32 { return load<u32>(tdesc(k) + 16); }
@inline export function t_mut(k: u32): u32 { return load<u32>(tdesc(k) + 20); }
@inline function t_maxd(k: u32): u32 { return load<u32>(tdesc(k) + 24); }
@inline export function t_at(k: u32, i: u32): usize { return t_base(k) + <usize>i * <usize>t_esize(k); }

export function t_init(k: u32, cap: u32, esize: u32): void {
  const d = tdesc(k);
  store<usize>(d, zalloc(<usize>cap * esize));
  store<u32>(d + 8, cap);
  store<u32>(d + 12, 0);
  store<u32>(d + 16, esize);
  store<u32>(d + 20, 0);
  store<u32>(d + 24, 0);
}

/** slot of hash h in a table of cap slots (fastrange: monotone in h) */
@inline export function h_slot(h: u32, cap: u32): u32 { return <u32>((<u64>h * <u64>cap) >> 32); }
@inline export function t_slot(k: u32, h: u32): u32 { return h_slot(h, t_cap(k)); }
@inline export function t_home(k: u32, e: usize): u32 { return h_slot(e_hash(k, e), t_cap(k)); }
/** the probe sequence: next and previous slot, wrapping at cap */
@inline export function t_next(k: u32, i: u32): u32 { const n = i + 1; return n == t_cap(k) ? 0 : n; }
@inline export function t_prev(k: u32, i: u32): u32 { return i == 0 ? t_cap(k) - 1 : i - 1; }
/** probe distance from slot a forward to slot b */
@inline function cdist(a: u32, b: u32, cap: u32): u32 { return b >= a ? b - a : b + cap - a; }

/** find an entry equal to cand (full key: nh=true uses the route next-hop key) */
export function t_find(k: u32, cand: usize, nh: bool): usize { return t_find_h(k, cand, nh, e_hash(k, cand)); }

/** t_find with cand's hash already computed (h = e_hash(k, cand); it does not depend on the capacity) */
export function t_find_h(k: u32, cand: usize, nh: bool, h: u32): usize {
  let i = t_slot(k, h);
  for (;;) {
    const e = t_at(k, i);
    if (!load<u8>(e)) return 0;
    if (nh ? e_same_nh(k, e, cand) : e_same_ident(k, e, cand)) return e;
    i = t_next(k, i);
  }
  return 0; // not reached: load <= 0.7 guarantees an empty slot
}

// Beyond 1M slots a table grows by half, not double: a full table's final
// block is then at most 1.5x what it needs instead of 2x (1M IPv4 routes:
// 50 MiB instead of 64 MiB of fresh memory, whose first touch dominates).
const HALF_STEPS_FROM: u32 = 1 << 20;
function grow(k: u32): void {
  const c = t_cap(k);
  grow_to(k, c >= HALF_STEPS_FROM ? <u32>min<u64>((<u64>c + (c >> 1) + 63) & ~<u64>63, 0x80000000) : c << 1);
  stat_inc(SS_MIRROR_GROWS);
}

/** capacity that holds n entries at load <= 0.7 (a multiple of 64 slots), 0 if above 2^31 */
export function cap_for(n: u32): u32 {
  let c: u64 = (<u64>n * 10 + 6) / 7;
  c = (c + 63) & ~<u64>63;
  return c > 0x80000000 ? 0 : <u32>c;
}

/** rehash into ncap slots (more than the current capacity) */
export function grow_to(k: u32, ncap: u32): void {
  if (<u64>ncap * 2 >= <u64>t_cap(k) * 3 && grow_in_place(k, ncap)) return;
  const d = tdesc(k);
  const ocap = t_cap(k), es = <usize>t_esize(k), ob = t_base(k);
  const nb = zalloc(<usize>ncap * es);
  store<usize>(d, nb);
  store<u32>(d + 8, ncap);
  let maxd: u32 = 0;
  for (let i: u32 = 0; i < ocap; i++) {
    const e = ob + <usize>i * es;
    // homes are monotone in the hash: the new block fills front to back
    if (load<u8>(e)) maxd = max(maxd, place(k, nb, ncap, es, e));
  }
  store<u32>(d + 20, t_mut(k) + 1);
  store<u32>(d + 24, maxd);
}

/** copy entry e into the block nb of ncap slots at its first free slot; returns its probe distance */
@inline function place(k: u32, nb: usize, ncap: u32, es: usize, e: usize): u32 {
  const home = h_slot(e_hash(k, e), ncap);
  let j = home;
  while (load<u8>(nb + <usize>j * es)) { j++; if (j == ncap) j = 0; }
  cpy8(nb + <usize>j * es, e, es);
  return cdist(home, j, ncap);
}

// Entries set aside during an in-place growth: a 64 KiB area made by
// core_init (it must exist before the table block, which has to stay the
// heap's last block), replaced by a bigger heap block if it overflows.
const GROWTMP_BYTES: usize = 64 * 1024;

/**
 * Grow a table by at least half (ncap >= 1.5 x cap) inside its own block, extended by
 * heap.realloc (in place when the table is the heap's last block; otherwise
 * the runtime copies it to a new block first). Returns false, having changed
 * nothing, when the entries to set aside do not fit the temporary area.
 *
 * Why it works. A home is fastrange(hash, cap), monotone in the hash, so with
 * ncap >= 2 cap an entry's new home is >= 2 x its old home. Let D bound every
 * probe distance and K = max(2D + 1, first empty slot). Every entry at an
 * old index i >= K did not wrap (an empty slot precedes it) and has home
 * >= i - D >= D + 1, so its new home is >= 2 home >= i. (With ncap >= 1.5 cap
 * the new home is >= 1.5 home - 1, which is >= i once home >= 2D + 2, i.e.
 * for K = max(3D + 3, first empty).) So moving the entries of
 * old slots c-1 down to K, each lands at or above the slot it leaves, never on
 * one not yet moved, and everything between its new home and the slot it
 * takes was placed before it and stays (no hole can open in a probe run).
 * The entries of slots [0, K), and those whose probe would wrap past the new
 * end (into slots not yet moved), are set aside and inserted last, when every
 * slot is final.
 */
function grow_in_place(k: u32, ncap: u32): bool {
  const d = tdesc(k);
  const cap = t_cap(k), es = <usize>t_esize(k), base = t_base(k);
  let K: u32 = 0;
  while (K < cap && load<u8>(base + <usize>K * es)) K++;      // first empty slot
  const k2 = <u64>ncap >= (<u64>cap << 1) ? <u64>t_maxd(k) * 2 + 1 : <u64>t_maxd(k) * 3 + 3;
  if (k2 > <u64>K) K = k2 >= <u64>cap ? cap : <u32>k2;
  let tmp = load<usize>(S + O_GROWTMP);
  let tmpCap = GROWTMP_BYTES / es;
  if (<usize>K > tmpCap) return false;
  // 1. set aside the entries of [0, K)
  let nt: usize = 0;
  for (let i: u32 = 0; i < K; i++) {
    const e = base + <usize>i * es;
    if (!load<u8>(e)) continue;
    cpy8(tmp + nt * es, e, es);
    nt++;
    zero8(e, es);
  }
  // 2. extend the block (memory for a whole new block, in case the runtime
  // has to copy); the new part may hold stale allocator headers: zero it
  const obytes = <usize>cap * es, nbytes = <usize>ncap * es;
  grow_memory_for(nbytes);
  const nb = heap.realloc(base, nbytes);
  zero8(nb + obytes, nbytes - obytes);
  store<usize>(d, nb);
  store<u32>(d + 8, ncap);
  // 3. move every other entry up, from the top down
  let maxd: u32 = 0;
  for (let i = <i64>cap - 1; i >= <i64>K; i--) {
    const e = nb + <usize>i * es;
    if (!load<u8>(e)) continue;
    const home = h_slot(e_hash(k, e), ncap);
    let j = home;
    while (j < ncap && load<u8>(nb + <usize>j * es) && j != <u32>i) j++;
    if (j == <u32>i) { const dist = j - home; if (dist > maxd) maxd = dist; continue; }
    if (j == ncap) {
      // would wrap into slots not moved yet: set aside
      if (nt == tmpCap) {
        // the area is full: a bigger block (the table no longer has to be the last one)
        const bigger = heap.alloc((tmpCap << 1) * es);
        cpy8(bigger, tmp, nt * es);
        tmp = bigger;
        tmpCap <<= 1;
      }
      cpy8(tmp + nt * es, e, es);
      nt++;
      zero8(e, es);
      continue;
    }
    cpy8(nb + <usize>j * es, e, es); // j > i: another slot
    zero8(e, es);
    const dist = j - home;
    if (dist > maxd) maxd = dist;
  }
  // 4. the set-aside entries, by plain probing (every slot is final now)
  for (let t: usize = 0; t < nt; t++) maxd = max(maxd, place(k, nb, ncap, es, tmp + t * es));
  store<u32>(d + 20, t_mut(k) + 1);
  store<u32>(d + 24, maxd);
  return true;
}

/** insert a copy of cand (caller checked it is absent); returns the stored entry */
export function t_insert(k: u32, cand: usize): usize { return t_insert_h(k, cand, e_hash(k, cand)); }

export function t_insert_h(k: u32, cand: usize, h: u32): usize {
  const d = tdesc(k);
  // keep load <= 0.7
  if ((<u64>t_count(k) + 1) * 10 > <u64>t_cap(k) * 7) grow(k);
  const home = t_slot(k, h);
  let i = home;
  let e = t_at(k, i);
  while (load<u8>(e)) { i = t_next(k, i); e = t_at(k, i); }
  const dist = cdist(home, i, t_cap(k));
  if (dist > t_maxd(k)) store<u32>(d + 24, dist);
  cpy8(e, cand, <usize>t_esize(k));
  store<u8>(e, 1);
  store<u32>(d + 12, t_count(k) + 1);
  return e;
}

/** delete the entry at e (backward shift). Entries after it may move into it. */
export function t_delete(k: u32, e: usize): void {
  const d = tdesc(k);
  const es = <usize>t_esize(k);
  const base = t_base(k);
  const cap = t_cap(k);
  let hole = <u32>((e - base) / es);
  let j = t_next(k, hole);
  for (;;) {
    const ej = base + <usize>j * es;
    if (!load<u8>(ej)) break;
    const home = h_slot(e_hash(k, ej), cap);
    // move ej into the hole unless its home lies cyclically in (hole, j]
    if (cdist(home, j, cap) >= cdist(hole, j, cap)) {
      cpy8(base + <usize>hole * es, ej, es);
      hole = j;
    }
    j = t_next(k, j);
  }
  zero8(base + <usize>hole * es, es);
  store<u32>(d + 12, t_count(k) - 1);
  store<u32>(d + 20, t_mut(k) + 1);
}
