// Fixed netlink headers, read by field name (linux/netlink.h, linux/rtnetlink.h,
// linux/if_addr.h, linux/neighbour.h, linux/nexthop.h). `m` is the message
// (its nlmsghdr); each family header follows the nlmsghdr at NLMSG_HDRLEN and
// its attributes start at the *_ATTRS offset. Callers check the message is at
// least *_ATTRS long before reading a field.
import { NLMSG_HDRLEN } from "./nl";

// struct nlmsghdr
@inline export function nlh_len(m: usize): u32 { return load<u32>(m); }
@inline export function nlh_type(m: usize): u16 { return load<u16>(m, 4); }
@inline export function nlh_flags(m: usize): u16 { return load<u16>(m, 6); }
@inline export function nlh_seq(m: usize): u32 { return load<u32>(m, 8); }
// struct nlmsgerr (NLMSG_ERROR): the errno, then the request's header
export const NLMSGERR_MIN: u32 = NLMSG_HDRLEN + 4;
@inline export function nlerr_error(m: usize): i32 { return load<i32>(m, 16); }

// struct ifinfomsg (16 B)
export const IFI_ATTRS: u32 = NLMSG_HDRLEN + 16;
@inline export function ifi_family(m: usize): u8 { return load<u8>(m, 16); }
@inline export function ifi_index(m: usize): i32 { return load<i32>(m, 20); }
@inline export function ifi_flags(m: usize): u32 { return load<u32>(m, 24); }

// struct ifaddrmsg (8 B)
export const IFA_ATTRS: u32 = NLMSG_HDRLEN + 8;
@inline export function ifa_family(m: usize): u8 { return load<u8>(m, 16); }
@inline export function ifa_prefixlen(m: usize): u8 { return load<u8>(m, 17); }
@inline export function ifa_flags(m: usize): u8 { return load<u8>(m, 18); }
@inline export function ifa_scope(m: usize): u8 { return load<u8>(m, 19); }
@inline export function ifa_index(m: usize): i32 { return load<i32>(m, 20); }

// struct rtmsg (12 B)
export const RTM_ATTRS: u32 = NLMSG_HDRLEN + 12;
@inline export function rtm_family(m: usize): u8 { return load<u8>(m, 16); }
@inline export function rtm_dst_len(m: usize): u8 { return load<u8>(m, 17); }
@inline export function rtm_tos(m: usize): u8 { return load<u8>(m, 19); }
@inline export function rtm_table(m: usize): u8 { return load<u8>(m, 20); }
@inline export function rtm_protocol(m: usize): u8 { return load<u8>(m, 21); }
@inline export function rtm_scope(m: usize): u8 { return load<u8>(m, 22); }
@inline export function rtm_type(m: usize): u8 { return load<u8>(m, 23); }
@inline export function rtm_flags(m: usize): u32 { return load<u32>(m, 24); }

// struct rtnexthop (8 B, RTA_MULTIPATH entries): its attributes follow
export const RTNH_HDRLEN: u32 = 8;
@inline export function rtnh_len(h: usize): u32 { return <u32>load<u16>(h); }
@inline export function rtnh_hops(h: usize): u8 { return load<u8>(h, 3); }
@inline export function rtnh_ifindex(h: usize): i32 { return load<i32>(h, 4); }

// struct ndmsg (12 B)
export const NDM_ATTRS: u32 = NLMSG_HDRLEN + 12;
@inline export function ndm_family(m: usize): u8 { return load<u8>(m, 16); }
@inline export function ndm_index(m: usize): i32 { return load<i32>(m, 20); }
@inline export function ndm_state(m: usize): u16 { return load<u16>(m, 24); }
@inline export function ndm_flags(m: usize): u8 { return load<u8>(m, 26); }
@inline export function ndm_type(m: usize): u8 { return load<u8>(m, 27); }

// struct nhmsg (8 B)
export const NHM_ATTRS: u32 = NLMSG_HDRLEN + 8;
