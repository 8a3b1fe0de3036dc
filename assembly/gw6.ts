// IPv6 gateways of IPv4 routes (RTA_VIA, RFC 5549: `ip route add P via inet6
// fe80::1 dev X`, as FRR installs routes learnt over BGP unnumbered). An IPv4
// mirror entry has 4 bytes for its gateway, so such a gateway is interned
// here and the entry keeps its id (1..GW6_SLOTS) with EF_GW6 set; records
// carry the 16 bytes again (F_GW6).
//
// Open addressing on the 16 address bytes; slot i holds id i + 1; an all-zero
// slot is empty (:: is never a gateway). Ids are never freed: the set is the
// distinct IPv6 next hops ever used by IPv4 routes (one per BGP unnumbered
// peer, typically). Full (0.7 load): gw6_intern returns 0 and the caller
// reports gateway 0, as before RTA_VIA was read (counted in SS_VIA_IGNORED).
import { S, O_GW6 } from "./state";

export const GW6_SLOTS: u32 = 1024; // 16 KiB
// +0 usize slots (16 B each), +8 u32 count
@inline function base(): usize { return load<usize>(S + O_GW6); }
@inline function count(): u32 { return load<u32>(S + O_GW6 + 8); }

@inline function home(a: usize): u32 {
  let x = load<u64>(a) ^ (load<u64>(a, 8) * 0x9e3779b97f4a7c15);
  x ^= x >> 29;
  return <u32>((x * 0xbf58476d1ce4e5b9) >> 54); // top 10 bits: 1024 slots
}

/** the id of the 16-byte address at a (interned if new); 0 if the table is full or a is :: */
export function gw6_intern(a: usize): u32 {
  if ((load<u64>(a) | load<u64>(a, 8)) == 0) return 0;
  const b = base();
  let i = home(a);
  for (;;) {
    const s = b + (<usize>i << 4);
    const lo = load<u64>(s), hi = load<u64>(s, 8);
    if (lo == load<u64>(a) && hi == load<u64>(a, 8)) return i + 1;
    if ((lo | hi) == 0) break;
    i = (i + 1) & (GW6_SLOTS - 1);
  }
  if ((count() + 1) * 10 > GW6_SLOTS * 7) return 0;
  const s = b + (<usize>i << 4);
  store<u64>(s, load<u64>(a));
  store<u64>(s, load<u64>(a, 8), 8);
  store<u32>(S + O_GW6 + 8, count() + 1);
  return i + 1;
}

/** the address of gateway id (1..GW6_SLOTS) */
@inline export function gw6_addr(id: u32): usize {
  return base() + (<usize>(id - 1) << 4);
}
