// rtnetlink constants (linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h,
// linux/neighbour.h, linux/nexthop.h).

export const NLMSG_HDRLEN: u32 = 16;
export const NLMSG_NOOP: u16 = 1;
export const NLMSG_ERROR: u16 = 2;
export const NLMSG_DONE: u16 = 3;
export const NLMSG_OVERRUN: u16 = 4;

export const NLM_F_MULTI: u16 = 0x2;
export const NLM_F_DUMP_INTR: u16 = 0x10;
export const NLM_F_REPLACE: u16 = 0x100;
// RTM_NEWROUTE notifications of IPv4 (fib_table_insert): EXCL|CREATE for a
// route whose identity was new, CREATE|APPEND or CREATE alone when it joined
// other routes of the same identity (append / prepend), REPLACE for a replace
export const NLM_F_EXCL: u16 = 0x200;
export const NLM_F_CREATE: u16 = 0x400;
export const NLM_F_APPEND: u16 = 0x800;

export const RTM_NEWLINK: u16 = 16;
export const RTM_DELLINK: u16 = 17;
export const RTM_NEWADDR: u16 = 20;
export const RTM_DELADDR: u16 = 21;
export const RTM_NEWROUTE: u16 = 24;
export const RTM_DELROUTE: u16 = 25;
export const RTM_NEWNEIGH: u16 = 28;
export const RTM_DELNEIGH: u16 = 29;
export const RTM_NEWNEXTHOP: u16 = 104;
export const RTM_DELNEXTHOP: u16 = 105;

export const AF_UNSPEC: u8 = 0;
export const AF_INET: u8 = 2;
export const AF_INET6: u8 = 10;

export const IFF_UP: u32 = 0x1;
export const IFF_LOWER_UP: u32 = 0x10000;

export const IFLA_ADDRESS: u16 = 1;
export const IFLA_IFNAME: u16 = 3;
export const IFLA_MTU: u16 = 4;
export const IFLA_OPERSTATE: u16 = 16;
export const IFLA_LINK: u16 = 5;         // u32: the lower device (a VLAN's parent)
export const IFLA_MASTER: u16 = 10;      // u32: the master device (VRF, bridge, bond)
export const IFLA_LINKINFO: u16 = 18;    // nested: IFLA_INFO_*
export const IFLA_LINK_NETNSID: u16 = 37; // s32: IFLA_LINK is an ifindex of another namespace
export const IFLA_INFO_KIND: u16 = 1;    // string, NUL-terminated
export const IFLA_INFO_DATA: u16 = 2;    // nested, per kind
export const IFLA_VLAN_ID: u16 = 1;      // u16
export const IFLA_VLAN_PROTOCOL: u16 = 5; // be16 TPID
export const IFLA_VRF_TABLE: u16 = 1;    // u32

export const IFA_ADDRESS: u16 = 1;
export const IFA_LOCAL: u16 = 2;
export const IFA_FLAGS: u16 = 8;

export const RTA_DST: u16 = 1;
export const RTA_OIF: u16 = 4;
export const RTA_GATEWAY: u16 = 5;
export const RTA_PRIORITY: u16 = 6;
export const RTA_MULTIPATH: u16 = 9;
export const RTA_TABLE: u16 = 15;
export const RTA_VIA: u16 = 18;
export const RTA_NH_ID: u16 = 30;
export const NHA_ID: u16 = 1;
export const RTM_F_CLONED: u32 = 0x200;
export const RT_TABLE_LOCAL: u32 = 255;
export const RT_SCOPE_HOST: u8 = 254;

export const NDA_DST: u16 = 1;
export const NDA_LLADDR: u16 = 2;
export const NUD_NOARP: u16 = 0x40;
export const RTN_BROADCAST: u8 = 3;
export const RTN_MULTICAST: u8 = 5;

@inline export function align4(n: u32): u32 { return (n + 3) & ~3; }
