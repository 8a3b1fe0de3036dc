// Attribute tables, libmnl's mnl_attr_parse shape: one length-checked walk over
// a message's (or a nested attribute's) attributes fills a table indexed by
// type with each attribute's address (0: absent); parsers then read what they
// need by name, with nothing left to check. The walk stops at the first
// attribute that does not fit (attr_ok: zero or short rta_len, or one past the
// end) and the caller counts the message as malformed.
//
// A policy checks each attribute's payload length on the way, as the kernel's
// nla_policy does: 2 bits per type (types 0..31), POL_ANY, POL_U8 (at least
// 1 byte), POL_U32 (at least 4), POL_ADDR (exactly the family's address
// length). Every occurrence of a type is checked; the last one is kept. Types
// above TB_MAXTYPE are skipped unchecked: no parser reads one.
import { align4 } from "./nl";
import { zero8 } from "./mem";

// Attribute type without NLA_F_NESTED / NLA_F_NET_BYTEORDER.
const NLA_TYPE_MASK: u16 = 0x3fff;

// One attribute walk step (mnl_attr_ok): returns the attribute length when an
// attribute of at least 4 bytes fits entirely in [a, end), else 0 (the caller
// then counts the message as malformed). A zero or short rta_len would loop
// forever or read past the message, so it is rejected here, once.
@inline export function attr_ok(a: usize, end: usize): u32 {
  if (a + 4 > end) return 0;
  const len = <u32>load<u16>(a);
  if (len < 4 || <usize>len > end - a) return 0;
  return len;
}
@inline export function attr_type(a: usize): u16 { return load<u16>(a + 2) & NLA_TYPE_MASK; }
@inline export function attr_next(a: usize, len: u32): usize { return a + <usize>align4(len); }

export const TB_MAXTYPE: u32 = 31;
export const TB_BYTES: usize = (<usize>TB_MAXTYPE + 1) * sizeof<usize>();

export const POL_ANY: u64 = 0;
export const POL_U8: u64 = 1;
export const POL_U32: u64 = 2;
export const POL_ADDR: u64 = 3;
/** a policy's entry for one attribute type: policy = pol(A, POL_x) | pol(B, POL_y) ... */
@inline export function pol(type: u16, check: u64): u64 { return check << (<u64>type << 1); }

/**
 * Walk the attributes in [a, end) into table tb (TB_BYTES), checking each one
 * against policy (alen: the address length POL_ADDR asks for). false: malformed.
 */
export function attr_parse(a: usize, end: usize, tb: usize, policy: u64, alen: u32): bool {
  zero8(tb, TB_BYTES);
  while (a < end) {
    const l = attr_ok(a, end);
    if (!l) return false;
    const ty = <u32>attr_type(a);
    if (ty <= TB_MAXTYPE) {
      const check = <u32>(policy >> (<u64>ty << 1)) & 3;
      if (check != 0) {
        const pl = l - 4;
        if (check == <u32>POL_ADDR ? pl != alen : pl < (check == <u32>POL_U8 ? 1 : 4)) return false;
      }
      store<usize>(tb + (<usize>ty * sizeof<usize>()), a);
    }
    a = attr_next(a, l);
  }
  return true;
}

/** the attribute of that type in table tb, or 0 */
@inline export function tb_attr(tb: usize, type: u16): usize { return load<usize>(tb + <usize>type * sizeof<usize>()); }
/** an attribute's payload and its length */
@inline export function attr_data(a: usize): usize { return a + 4; }
@inline export function attr_len(a: usize): u32 { return <u32>load<u16>(a) - 4; }
@inline export function attr_u32(a: usize): u32 { return load<u32>(a, 4); }
@inline export function attr_u8(a: usize): u8 { return load<u8>(a, 4); }
