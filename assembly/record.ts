// Offsets of the 64-byte event record. The layout is defined once, in
// native/include/ifpx_event.h; this file mirrors it for the WASM core and
// tests/unit/record.test.ts checks both agree with host/record.ts.

export const EVENT_SIZE: u32 = 64;
export const PORT_NONE: u16 = 0xffff;

// event types: 0..15 upstream ABI order, 16.. ifpx extensions
export const EV_MAC_CHANGE: u16 = 0;
export const EV_MTU_CHANGE: u16 = 1;
export const EV_LINK_CHANGE: u16 = 2;
export const EV_ADDR_ADD: u16 = 3;
export const EV_ADDR_DEL: u16 = 4;
export const EV_ADDR6_ADD: u16 = 5;
export const EV_ADDR6_DEL: u16 = 6;
export const EV_ROUTE_ADD: u16 = 7;
export const EV_ROUTE_DEL: u16 = 8;
export const EV_ROUTE6_ADD: u16 = 9;
export const EV_ROUTE6_DEL: u16 = 10;
export const EV_NEIGH_ADD: u16 = 11;
export const EV_NEIGH_DEL: u16 = 12;
export const EV_NEIGH6_ADD: u16 = 13;
export const EV_NEIGH6_DEL: u16 = 14;
export const EV_CFG_DONE: u16 = 15;
export const EV_PROXY_GONE: u16 = 16;
export const EV_PORT_DONE: u16 = 17;
export const EV_RESYNC_DONE: u16 = 18;
export const EV_OVERFLOW: u16 = 19;
export const EV_REPLAY_DONE: u16 = 20;
export const EV_END: u16 = 21;
export const EV_SUBIF_ADD: u16 = 22;
export const EV_SUBIF_DEL: u16 = 23;
export const EV_MASTER_CHANGE: u16 = 24;
export const EV_TYPE_COUNT: u16 = 25;

// flags
export const F_INITIAL: u8 = 0x01;
export const F_REPLACE: u8 = 0x02;
export const F_LOCAL: u8 = 0x04;
export const F_RESYNC: u8 = 0x08;
export const F_MULTIPATH: u8 = 0x10;
export const F_GW6: u8 = 0x20; // IPv4 route, IPv6 gateway (RTA_VIA): 16 bytes at R_ROUTE_GW

// header
export const R_TYPE: u32 = 0;      // u16
export const R_PORT: u32 = 2;      // u16
export const R_PROXY: u32 = 4;     // u16
export const R_FLAGS: u32 = 6;     // u8
export const R_FAMILY: u32 = 7;    // u8
export const R_IFINDEX: u32 = 8;   // u32
export const R_SEQ: u32 = 12;      // u32

// payloads (offsets from the start of the record)
export const R_MAC: u32 = 16;           // MAC_CHANGE mac[6]
export const R_MTU: u32 = 16;           // MTU_CHANGE u32
export const R_LINK_UP: u32 = 16;       // u8
export const R_LINK_CARRIER: u32 = 17;  // u8
export const R_LINK_OPER: u32 = 18;     // u8
export const R_LINK_FLAGS: u32 = 20;    // u32
export const R_ADDR_IP: u32 = 16;       // v4: u32 host order; v6: 16 bytes
export const R_ADDR_PREFIX: u32 = 32;   // u8
export const R_ADDR_SCOPE: u32 = 33;    // u8
export const R_ADDR_FLAGS: u32 = 36;    // u32
export const R_ROUTE_DST: u32 = 16;     // v4: u32 host order; v6: 16 bytes
export const R_ROUTE_GW: u32 = 32;      // v4: u32 host order; v6: 16 bytes
export const R_ROUTE_DEPTH: u32 = 48;   // u8
export const R_ROUTE_TYPE: u32 = 49;    // u8
export const R_ROUTE_PROTO: u32 = 50;   // u8
export const R_ROUTE_SCOPE: u32 = 51;   // u8
export const R_ROUTE_TABLE: u32 = 52;   // u32
export const R_ROUTE_PRIO: u32 = 56;    // u32
export const R_ROUTE_WEIGHT: u32 = 60;  // u8
export const R_ROUTE_NHCOUNT: u32 = 61; // u8
export const R_ROUTE_TOS: u32 = 62;     // u8
export const R_NEIGH_IP: u32 = 16;      // v4: u32 host order; v6: 16 bytes
export const R_NEIGH_MAC: u32 = 32;     // mac[6]
export const R_NEIGH_STATE: u32 = 38;   // u16
export const R_NEIGH_FLAGS: u32 = 40;   // u8
export const R_NEIGH_TYPE: u32 = 41;    // u8
export const R_OVERFLOW_LOST: u32 = 16; // u32
export const R_RESYNC_ADDED: u32 = 16;  // u32 x4: added, removed, changed, reason
export const R_SUBIF_PARENT: u32 = 16;       // u16 parent proxy id
export const R_SUBIF_ROOT: u32 = 18;         // u16 root proxy id
export const R_SUBIF_PARENT_IFINDEX: u32 = 20; // u32
export const R_SUBIF_VLAN: u32 = 24;         // u16 innermost VLAN id
export const R_SUBIF_PROTO: u32 = 26;        // u16 its TPID, host order
export const R_SUBIF_OUTER_VLAN: u32 = 28;   // u16 (QinQ) else 0
export const R_SUBIF_OUTER_PROTO: u32 = 30;  // u16 (QinQ) else 0
export const R_SUBIF_NAME: u32 = 32;         // char[16]
export const R_MASTER_IFINDEX: u32 = 16;     // u32, 0: none
export const R_MASTER_VRF_TABLE: u32 = 20;   // u32
export const R_MASTER_KIND: u32 = 24;        // u8 MASTER_*
export const R_MASTER_NAME: u32 = 32;        // char[16]

// MASTER_CHANGE kinds
export const MASTER_NONE: u8 = 0;
export const MASTER_VRF: u8 = 1;
export const MASTER_BRIDGE: u8 = 2;
export const MASTER_BOND: u8 = 3;
export const MASTER_OTHER: u8 = 4;
