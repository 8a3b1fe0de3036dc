// Mirror entry layouts, owned by the mirror: the offsets of every kind's
// entry and its key (hash and equality). table.ts stores entries of any size
// and asks this file about keys; it knows only that byte 0 is `used`.
//
// addr  (32 B): +1 family +2 prefixlen +3 slot +4 addr[16] (IPv4: host-order u32 at +4)
//               +20 u32 gen +24 u32 ifa_flags +28 u8 scope
// route4 (32 B): +1 dst_len +2 tos +3 slot +4 u32 table +8 u32 priority +12 u32 dst
//               (host order) +16 u32 gw (host order) +20 u32 gen +24 type +25 protocol
//               +26 scope +27 nh_weight +28 nh_count +29 eflags (EF_DEAD, EF_GW6, EF_ALIASES)
// route6 (64 B): +1 dst_len +2 tos +3 slot +4 table +8 priority +12 dst[16] +28 gw[16]
//               +44 u32 gen +48 type +49 protocol +50 scope +51 nh_weight +52 nh_count +53 eflags
// neigh (40 B): +1 family +2 ndm_type +3 slot +4 dst[16] +20 u32 gen +24 mac[6]
//               +30 u16 state +32 u8 ntf_flags +34 last known mac[6] (what a DEL reports)
//
// Keys: addr (family, prefixlen, slot, addr); neigh (family, slot, dst; not
// ndm_type); routes hash and compare on the kernel's route identity (table,
// dst, dst_len, tos, priority: bytes 1, 2 and 4..16 (IPv4) / 4..28 (IPv6)), so
// all next hops of one route share a probe run; a next hop adds slot and gateway.
import { K_ADDR, K_R4, K_R6, K_NEIGH } from "./table";

// common entry fields (byte 0 is table.ts's `used`)
export const E_SLOT: usize = 3;   // proxy slot (u8)

export const A_FAMILY: usize = 1;
export const A_PREFIX: usize = 2;
export const A_ADDR: usize = 4;
export const A_GEN: usize = 20;
export const A_FLAGS: usize = 24;
export const A_SCOPE: usize = 28;
export const A_SIZE: u32 = 32;

export const RT_DSTLEN: usize = 1;
export const RT_TOS: usize = 2;
export const RT_TABLE: usize = 4;
export const RT_PRIO: usize = 8;
export const RT_DST: usize = 12;
export const R4_GW: usize = 16;
export const R4_GEN: usize = 20;
export const R4_ATTR: usize = 24; // type, protocol, scope, weight, nh_count, eflags
export const R4_SIZE: u32 = 32;
export const R6_GW: usize = 28;
export const R6_GEN: usize = 44;
export const R6_ATTR: usize = 48;
export const R6_SIZE: u32 = 64;
// offsets inside the 6 attribute bytes
export const RA_TYPE: usize = 0;
export const RA_PROTO: usize = 1;
export const RA_SCOPE: usize = 2;
export const RA_WEIGHT: usize = 3;
export const RA_NHCOUNT: usize = 4;
export const RA_EFLAGS: usize = 5;
export const EF_DEAD: u8 = 1; // next hop's proxy went down (IPv4 multipath: route kept)

export const N_FAMILY: usize = 1;
export const N_TYPE: usize = 2;
export const N_DST: usize = 4;
export const N_GEN: usize = 20;
export const N_MAC: usize = 24;
export const N_STATE: usize = 30;
export const N_FLAGS: usize = 32;
export const N_LASTMAC: usize = 34;
export const N_SIZE: u32 = 40;
// IPv4 route entries: the eflags byte (R4_ATTR + RA_EFLAGS) and its bit telling
// that the gateway field holds a gw6.ts id, not an IPv4 address
export const R4_EFLAGS: usize = R4_ATTR + RA_EFLAGS;
export const EF_GW6: u8 = 2;
// ... and its bit telling that other IPv4 routes share the entry's identity
// (kernel fib aliases: `ip route append/prepend`; parse_route.ts)
export const EF_ALIASES: u8 = 4;

@inline export function e_slot(e: usize): u32 { return <u32>load<u8>(e + E_SLOT); }
@inline export function gen_off(k: u32): usize {
  return k == K_R6 ? R6_GEN : k == K_NEIGH ? N_GEN : A_GEN; // A_GEN == R4_GEN == 20
}
@inline export function r_attr(k: u32): usize { return k == K_R4 ? R4_ATTR : R6_ATTR; }

// Key bytes of an entry's first u32 (little-endian: byte n is bits 8n..8n+7):
// addr family, prefixlen, slot | neigh family, slot (ndm_type is not key) |
// routes dst_len, tos. Then addr / neigh: the 16 address bytes at KEY_ADDR.
const A_KEY_BYTES: u32 = 0xffffff00;
const N_KEY_BYTES: u32 = 0xff00ff00;
const RT_KEY_BYTES: u32 = 0x00ffff00;
const KEY_ADDR: usize = 4; // == A_ADDR == N_DST

@inline function mix(h: u32, v: u32): u32 {
  h ^= v * 0xcc9e2d51;
  h = rotl<u32>(h, 13);
  return h * 5 + 0xe6546b64;
}
@inline function fin(h: u32): u32 {
  h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; return h ^ (h >> 16);
}

/** hash of an entry's key (identity only, for routes) */
export function e_hash(k: u32, e: usize): u32 {
  let h: u32 = k;
  if (k == K_ADDR || k == K_NEIGH) {
    // addr: family, prefixlen, slot | neigh: family, slot (ndm_type is not key)
    h = mix(h, load<u32>(e) & (k == K_ADDR ? A_KEY_BYTES : N_KEY_BYTES));
    h = mix(h, load<u32>(e + KEY_ADDR)); h = mix(h, load<u32>(e + KEY_ADDR + 4));
    h = mix(h, load<u32>(e + KEY_ADDR + 8)); h = mix(h, load<u32>(e + KEY_ADDR + 12));
  } else if (k == K_R4) {
    // Routes are hashed at every insert, look-ahead and growth (3+ times per
    // route of a full-table dump), so they take a shorter chain than murmur's:
    // 64-bit multiply-xorshift-multiply. The top bits, which fastrange uses,
    // depend on every key bit.
    const a = (<u64>load<u32>(e + RT_DST) << 32) | <u64>(load<u32>(e) & RT_KEY_BYTES);  // dst | dst_len, tos
    return r_mix(a, load<u64>(e + RT_TABLE));                                            // table | priority
  } else {
    const a = load<u64>(e + RT_DST) ^ <u64>(load<u32>(e) & RT_KEY_BYTES);                // dst[0..8) ^ dst_len, tos
    return r_mix(r_fold(a, load<u64>(e + RT_TABLE)) ^ load<u64>(e + RT_DST + 8), 0x6a09e667f3bcc909); // table | priority, dst[8..16)
  }
  return fin(h);
}

@inline function r_fold(a: u64, b: u64): u64 {
  let x = a ^ (b * 0x9e3779b97f4a7c15);
  x ^= x >> 29;
  return x * 0xbf58476d1ce4e5b9;
}
@inline function r_mix(a: u64, b: u64): u32 {
  let x = r_fold(a, b);
  x ^= x >> 32;
  return <u32>(x * 0x94d049bb133111eb >> 32);
}

/** same route identity (routes), same key (addr, neigh) */
export function e_same_ident(k: u32, a: usize, b: usize): bool {
  if (k == K_ADDR || k == K_NEIGH) {
    const kb = k == K_ADDR ? A_KEY_BYTES : N_KEY_BYTES;
    return (load<u32>(a) & kb) == (load<u32>(b) & kb)
      && load<u64>(a + KEY_ADDR) == load<u64>(b + KEY_ADDR) && load<u64>(a + KEY_ADDR + 8) == load<u64>(b + KEY_ADDR + 8);
  }
  if ((load<u32>(a) & RT_KEY_BYTES) != (load<u32>(b) & RT_KEY_BYTES)) return false;
  if (load<u64>(a + RT_TABLE) != load<u64>(b + RT_TABLE)) return false;   // table, priority
  if (k == K_R4) return load<u32>(a + RT_DST) == load<u32>(b + RT_DST);
  return load<u64>(a + RT_DST) == load<u64>(b + RT_DST) && load<u64>(a + RT_DST + 8) == load<u64>(b + RT_DST + 8);
}

/** same route next hop: identity plus proxy slot and gateway */
export function e_same_nh(k: u32, a: usize, b: usize): bool {
  if (!e_same_ident(k, a, b)) return false;
  if (load<u8>(a + E_SLOT) != load<u8>(b + E_SLOT)) return false;
  if (k == K_R4) return load<u32>(a + R4_GW) == load<u32>(b + R4_GW) && ((load<u8>(a + R4_EFLAGS) ^ load<u8>(b + R4_EFLAGS)) & EF_GW6) == 0;
  return load<u64>(a + R6_GW) == load<u64>(b + R6_GW) && load<u64>(a + R6_GW + 8) == load<u64>(b + R6_GW + 8);
}

