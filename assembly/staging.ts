// Staging: the records produced by one process()/sync_end_step()/replay_step()
// call, 64 B each, read by the host from staged_ptr(). A record is built once
// in a template and copied once per bound port (port_id filled in), all copies
// sharing one observation seq.
//
// The area starts at STAGE_CAP records. Callers stop at message boundaries when
// less than a reserve is free, so it normally never fills; if one message alone
// needs more (a proxy with thousands of bound ports) the area doubles instead of
// dropping records (the old block is lost: no free in the stub runtime; the
// host must re-read staged_ptr() after each call).
import { cpy8, zero8 } from "./mem";
import { S, O_STAGE, O_STAGE_CAP, O_NSTAGED, O_TMPL, O_WANTED, SS_STAGED, SS_STAGING_GROWS, stat_add, stat_inc, next_seq } from "./state";
import { EVENT_SIZE, R_TYPE, R_PORT, R_PROXY, R_FLAGS, R_FAMILY, R_IFINDEX, R_SEQ, PORT_NONE } from "./record";
import { pslot, P_ID, P_IFINDEX, first_port, next_port } from "./proxies";

export const STAGE_CAP: u32 = 8192;

@inline export function nstaged(): u32 { return load<u32>(S + O_NSTAGED); }
@inline export function stage_reset(): void { store<u32>(S + O_NSTAGED, 0); }
@inline export function stage_free(): u32 { return load<u32>(S + O_STAGE_CAP) - load<u32>(S + O_NSTAGED); }
@inline export function tmpl(): usize { return S + O_TMPL; }

function ensure(n: u32): void {
  const cap = load<u32>(S + O_STAGE_CAP);
  const used = load<u32>(S + O_NSTAGED);
  if (used + n <= cap) return;
  let ncap = cap << 1;
  while (ncap < used + n) ncap <<= 1;
  const np = heap.alloc(<usize>ncap * EVENT_SIZE);
  memory.copy(np, load<usize>(S + O_STAGE), <usize>used * EVENT_SIZE);
  store<usize>(S + O_STAGE, np);
  store<u32>(S + O_STAGE_CAP, ncap);
  stat_inc(SS_STAGING_GROWS);
}

/** clear the template and fill its header for a proxy slot (slot < 0: no proxy) */
export function tmpl_begin(type: u16, slot: i32, family: u8, flags: u8): usize {
  const t = S + O_TMPL;
  zero8(t, EVENT_SIZE);
  store<u16>(t + R_TYPE, type);
  store<u16>(t + R_PORT, PORT_NONE);
  store<u8>(t + R_FLAGS, flags);
  store<u8>(t + R_FAMILY, family);
  if (slot >= 0) {
    const p = pslot(<u32>slot);
    store<u16>(t + R_PROXY, load<u16>(p + P_ID));
    store<u32>(t + R_IFINDEX, <u32>load<i32>(p + P_IFINDEX));
  } else {
    store<u16>(t + R_PROXY, PORT_NONE);
  }
  return t;
}

function put(port: u32): void {
  ensure(1);
  const n = load<u32>(S + O_NSTAGED);
  const dst = load<usize>(S + O_STAGE) + <usize>n * EVENT_SIZE;
  cpy8(dst, S + O_TMPL, EVENT_SIZE);
  store<u16>(dst + R_PORT, <u16>port);
  store<u32>(S + O_NSTAGED, n + 1);
  stat_inc(SS_STAGED);
}

/**
 * Does anyone consume events of this type? The host clears the bits of types
 * with no callback while no queue is added: the mirror is still kept, but no
 * record is built or staged for nobody (a full-table dump into the mirror
 * alone then skips 1M records). Replays to one port are never filtered.
 */
@inline export function wanted(type: u16): bool { return (load<u32>(S + O_WANTED) & (1 << <u32>type)) != 0; }

/**
 * Stage the template: one copy per port bound to `slot` (port < 0), or one
 * copy for `port`. Takes a new observation seq. Returns copies staged.
 */
export function emit(slot: u32, port: i32): u32 {
  if (port < 0 && !wanted(load<u16>(S + O_TMPL + R_TYPE))) return 0;
  store<u32>(S + O_TMPL + R_SEQ, next_seq());
  if (port >= 0) { put(<u32>port); return 1; }
  let n: u32 = 0;
  let p = first_port(slot);
  while (p != 0xffff) { put(p); n++; p = next_port(p); }
  return n;
}

/** stage the template once with the given port (markers: CFG_DONE, RESYNC_DONE, ...) */
export function emit_one(port: u32): u32 {
  store<u32>(S + O_TMPL + R_SEQ, next_seq());
  put(port);
  return 1;
}

export function staged_base(): usize { return load<usize>(S + O_STAGE); }
