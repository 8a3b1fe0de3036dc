// The parse scratch block (at load<usize>(S + O_SCRATCH), made by core_init):
// what handling one message needs besides the message itself, reused by every
// message (never kept across messages).
import { TB_BYTES } from "./attrs";
import { S, O_SCRATCH } from "./state";

@inline export function scratch(): usize { return load<usize>(S + O_SCRATCH); }

// a candidate mirror entry (the largest entry is 64 B)
export const CAND_OFF: usize = 0;
// the message's attribute table (attrs.ts)
export const TB_OFF: usize = 64;
// the attribute table of one nested set (an RTA_MULTIPATH entry's attributes)
export const NTB_OFF: usize = TB_OFF + TB_BYTES;
// next hops through proxies of one route message (parse_route.ts)
export const NH_OFF: usize = NTB_OFF + TB_BYTES;
export const NH_SIZE: usize = 24;
export const NH_MAX: u32 = 1024;
// process()'s look-ahead: LA_MAX route messages decoded ahead (parse_route.ts RD_*)
export const LA_OFF: usize = NH_OFF + NH_SIZE * NH_MAX;
export const LA_MAX: u32 = 16;
export const LA_SLOT: usize = 256;
export const SCRATCH_SIZE: usize = LA_OFF + LA_SLOT * LA_MAX;

@inline export function cand(): usize { return scratch() + CAND_OFF; }
@inline export function msg_tb(): usize { return scratch() + TB_OFF; }
@inline export function nested_tb(): usize { return scratch() + NTB_OFF; }
@inline export function la_slot(i: u32): usize { return scratch() + LA_OFF + <usize>i * LA_SLOT; }
