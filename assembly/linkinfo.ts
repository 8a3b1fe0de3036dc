// IFLA_LINKINFO of an RTM_NEWLINK: the device kind and the kind's data that
// ifpx reports (a VLAN's id and TPID, a VRF's table). Two nested levels, read
// with the same length checks as attrs.ts but without attribute tables: the
// walk needs three attributes out of a handful, and a table per level would
// need scratch space per nesting depth.
import { IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_VLAN_ID, IFLA_VLAN_PROTOCOL, IFLA_VRF_TABLE } from "./nl";
import { attr_ok, attr_type, attr_next, attr_data, attr_len } from "./attrs";

export const KIND_NONE: u32 = 0;   // no IFLA_LINKINFO (or no kind): a plain device as far as ifpx cares
export const KIND_VLAN: u32 = 1;
export const KIND_VRF: u32 = 2;
export const KIND_BRIDGE: u32 = 3;
export const KIND_BOND: u32 = 4;
export const KIND_OTHER: u32 = 5;

export const ETH_P_8021Q: u16 = 0x8100;
export const ETH_P_8021AD: u16 = 0x88a8;

// the result of the last linkinfo_parse (per message; never kept across messages)
let li_kind: u32 = KIND_NONE;
let li_vlan_id: u16 = 0;
let li_vlan_proto: u16 = 0;
let li_vrf_table: u32 = 0;

@inline export function linkinfo_kind(): u32 { return li_kind; }
/** VLAN: its id (0..4095) */
@inline export function linkinfo_vlan_id(): u16 { return li_vlan_id; }
/** VLAN: its TPID in host order; the kernel omits IFLA_VLAN_PROTOCOL only on kernels older than 3.10, which meant 802.1Q */
@inline export function linkinfo_vlan_proto(): u16 { return li_vlan_proto; }
/** VRF: its FIB table */
@inline export function linkinfo_vrf_table(): u32 { return li_vrf_table; }

// does the NUL-terminated (or exact-length) string payload of `a` equal `s`?
function kind_is(a: usize, s: string): bool {
  const n = <u32>s.length;
  let len = attr_len(a);
  // the kernel sends the kind with its NUL (nla_put_string)
  if (len > 0 && load<u8>(attr_data(a) + len - 1) == 0) len--;
  if (len != n) return false;
  for (let i: u32 = 0; i < n; i++) if (load<u8>(attr_data(a) + i) != <u8>s.charCodeAt(i)) return false;
  return true;
}

function kind_code(a: usize): u32 {
  if (kind_is(a, "vlan")) return KIND_VLAN;
  if (kind_is(a, "vrf")) return KIND_VRF;
  if (kind_is(a, "bridge")) return KIND_BRIDGE;
  if (kind_is(a, "bond")) return KIND_BOND;
  return KIND_OTHER;
}

/**
 * Parse IFLA_LINKINFO attribute `li` (0: absent). false: malformed (an
 * attribute that does not fit, a kind data attribute shorter than its type).
 */
export function linkinfo_parse(li: usize): bool {
  li_kind = KIND_NONE; li_vlan_id = 0; li_vlan_proto = 0; li_vrf_table = 0;
  if (!li) return true;
  let a = attr_data(li);
  const end = a + attr_len(li);
  let kind: usize = 0, data: usize = 0;
  while (a < end) {
    const l = attr_ok(a, end);
    if (!l) return false;
    const t = attr_type(a);
    if (t == IFLA_INFO_KIND) kind = a;
    else if (t == IFLA_INFO_DATA) data = a;
    a = attr_next(a, l);
  }
  if (!kind) return true;
  li_kind = kind_code(kind);
  if (!data || (li_kind != KIND_VLAN && li_kind != KIND_VRF)) return true;
  a = attr_data(data);
  const dend = a + attr_len(data);
  if (li_kind == KIND_VLAN) li_vlan_proto = ETH_P_8021Q;
  while (a < dend) {
    const l = attr_ok(a, dend);
    if (!l) return false;
    const t = attr_type(a);
    const pl = l - 4;
    if (li_kind == KIND_VLAN) {
      if (t == IFLA_VLAN_ID) { if (pl < 2) return false; li_vlan_id = load<u16>(attr_data(a)); }
      else if (t == IFLA_VLAN_PROTOCOL) { if (pl < 2) return false; li_vlan_proto = bswap<u16>(load<u16>(attr_data(a))); }
    } else if (t == IFLA_VRF_TABLE) { if (pl < 4) return false; li_vrf_table = load<u32>(attr_data(a)); }
    a = attr_next(a, l);
  }
  return true;
}
