// Replay of the mirror's current state (late binding, ring replay): link info
// (LINK_CHANGE, MTU_CHANGE, MAC_CHANGE, MASTER_CHANGE if it has a master) of each selected proxy, then its
// addresses, IPv4 routes, IPv6 routes and neighbours, all flagged INITIAL, in
// chunks that fit staging. The host must finish a replay (replay_step() until
// 0) before calling process() again: process() may move entries inside the
// tables (deletions shift them), which would make the cursor skip or repeat.
//
// State (32 B at S + O_REPLAY): +0 active, +4 i32 proxy (-1 all), +8 i32 port
// (-1 every bound port), +12 phase (0 links, 1..4 table kind + 1, 5 done),
// +16 cursor.
import { S, O_REPLAY, O_STATUS, ST_REPLAY } from "./state";
import { KINDS, t_cap, t_at } from "./table";
import { e_slot } from "./entries";
import { stage_entry } from "./mirror";
import { nstaged, stage_free } from "./staging";
import { PROXY_MAX, pslot, P_USED, P_GONE, P_KNOWN, slot_of_id, port_slot, nports } from "./proxies";
import { stage_master } from "./masters";
import { P_MASTER } from "./layout";
import { stage_link, LK_LINK, LK_MTU, LK_MAC } from "./parse_link";
import { job_active, job_run } from "./implied_deletions";
import { F_INITIAL, EV_SUBIF_ADD } from "./record";
import { is_subif, subif_root_slot, subif_stage } from "./subif";

// fields of the replay state (the layout above)
const RP_ACTIVE: usize = 0;
const RP_PROXY: usize = 4;
const RP_PORT: usize = 8;
const RP_PHASE: usize = 12;
const RP_CURSOR: usize = 16;

export function replay_begin_impl(proxy: i32, port: i32): void {
  const o = S + O_REPLAY;
  store<u32>(o + RP_ACTIVE, 1);
  store<i32>(o + RP_PROXY, proxy < 0 ? -1 : proxy);
  store<i32>(o + RP_PORT, port < 0 ? -1 : port);
  store<u32>(o + RP_PHASE, 0);
  store<u32>(o + RP_CURSOR, 0);
  store<u32>(S + O_STATUS + ST_REPLAY, 1);
}

// -2: not selected, -1: every bound port, >= 0: that port only
function target(slot: u32): i32 {
  const o = S + O_REPLAY;
  const proxy = load<i32>(o + RP_PROXY), port = load<i32>(o + RP_PORT);
  if (proxy >= 0 && slot_of_id(proxy) != <i32>slot) return -2;
  if (port < 0) return nports(slot) > 0 ? -1 : -2;
  if (proxy < 0 && port_slot(<u32>port) != <i32>slot) return -2;
  if (port > 0xffff) return -2;
  return port;
}

@inline function room(slot: u32, port: i32, per: u32): bool {
  const copies: u32 = port >= 0 ? 1 : nports(slot);
  return nstaged() == 0 || stage_free() >= copies * per + 8;
}

export function replay_step_impl(): u32 {
  const o = S + O_REPLAY;
  if (!load<u32>(o + RP_ACTIVE)) return 0;
  const start = nstaged();
  if (job_active() && !job_run()) return nstaged() - start;
  for (;;) {
    const phase = load<u32>(o + RP_PHASE);
    let i = load<u32>(o + RP_CURSOR);
    if (phase == 0) {
      while (i < PROXY_MAX) {
        const p = pslot(i);
        if (load<u8>(p + P_USED) && !load<u8>(p + P_GONE) && load<u8>(p + P_KNOWN)) {
          const t = target(i);
          // a sub-interface: its SUBIF_ADD to the root's ports, before its own state
          const rs = is_subif(i) ? subif_root_slot(i) : -1;
          const ts = rs >= 0 ? target(<u32>rs) : -2;
          if (ts != -2) {
            if (!room(<u32>rs, ts, 1) || (t != -2 && !room(i, t, 4))) { store<u32>(o + RP_CURSOR, i); return nstaged() - start; }
            subif_stage(EV_SUBIF_ADD, i, F_INITIAL, ts);
          }
          if (t != -2) {
            if (ts == -2 && !room(i, t, 4)) { store<u32>(o + RP_CURSOR, i); return nstaged() - start; }
            stage_link(i, LK_LINK | LK_MTU | LK_MAC, F_INITIAL, t);
            if (load<u32>(p + P_MASTER)) stage_master(i, F_INITIAL, t);
          }
        }
        i++;
      }
    } else if (phase <= KINDS) {
      const k = phase - 1;
      const cap = t_cap(k);
      while (i < cap) {
        const e = t_at(k, i);
        if (load<u8>(e)) {
          const s = e_slot(e);
          const t = target(s);
          if (t != -2) {
            if (!room(s, t, 1)) { store<u32>(o + RP_CURSOR, i); return nstaged() - start; }
            stage_entry(k, e, true, F_INITIAL, t);
          }
        }
        i++;
      }
    } else {
      const n = nstaged() - start;
      if (n > 0) return n;
      store<u32>(o + RP_ACTIVE, 0);
      store<u32>(S + O_STATUS + ST_REPLAY, 0);
      return 0;
    }
    store<u32>(o + RP_PHASE, phase + 1);
    store<u32>(o + RP_CURSOR, 0);
  }
  return 0;
}
