// core_init(): allocation of everything, and the mirror counters in stats.
import { S, set_state, zalloc, STATE_SIZE, O_RX, O_RX_CAP, O_STAGE, O_STAGE_CAP, O_PROXIES, O_ID2SLOT, O_GROWTMP, O_WANTED, O_NHSET, O_GW6, O_MASTERS,
  O_PORT2SLOT, O_PORTNEXT, O_IFHASH, O_SCRATCH, O_QOUT, SS_MIRROR_ADDR, SS_MIRROR_ROUTE4, SS_MIRROR_ROUTE6, SS_MIRROR_NEIGH, SS_GENERATION, stat_set } from "./state";
import { PROXY_MAX, PROXY_SIZE, IFH_SLOTS, proxies_init } from "./proxies";
import { STAGE_CAP } from "./staging";
import { EVENT_SIZE } from "./record";
import { t_init, t_count, K_ADDR, K_R4, K_R6, K_NEIGH } from "./table";
import { A_SIZE, R4_SIZE, R6_SIZE, N_SIZE } from "./entries";
import { SCRATCH_SIZE } from "./scratch";
import { QUERY_CAP } from "./query";
import { NHSET_SLOTS } from "./nexthops";
import { GW6_SLOTS } from "./gw6";
import { tomb_init } from "./tombstones";
import { MASTERS_BLOCK_SIZE } from "./masters";

// 2 MiB: dumps received on the pool fill it as two banks of 16 x 64 KiB (host/netlink/dump-receiver.ts)
export const RX_CAP: u32 = 2048 * 1024;

export function core_init_impl(): void {
  if (S != 0) return; // once per main instance
  set_state(zalloc(STATE_SIZE));
  store<usize>(S + O_RX, zalloc(RX_CAP));
  store<u32>(S + O_RX_CAP, RX_CAP);
  store<usize>(S + O_STAGE, zalloc(<usize>STAGE_CAP * EVENT_SIZE));
  store<u32>(S + O_STAGE_CAP, STAGE_CAP);
  store<usize>(S + O_PROXIES, zalloc(<usize>PROXY_MAX * PROXY_SIZE));
  store<usize>(S + O_ID2SLOT, zalloc(65536 * 2));
  store<usize>(S + O_PORT2SLOT, zalloc(65536 * 2));
  store<usize>(S + O_PORTNEXT, zalloc(65536 * 2));
  store<usize>(S + O_IFHASH, zalloc(<usize>IFH_SLOTS * 8));
  store<usize>(S + O_SCRATCH, zalloc(SCRATCH_SIZE));
  store<usize>(S + O_QOUT, zalloc(<usize>QUERY_CAP * EVENT_SIZE));
  store<usize>(S + O_GROWTMP, zalloc(64 * 1024)); // before the tables: see grow_in_place
  store<u32>(S + O_WANTED, 0xffffffff);
  store<usize>(S + O_NHSET, zalloc(<usize>NHSET_SLOTS << 2));
  store<usize>(S + O_GW6, zalloc(<usize>GW6_SLOTS << 4));
  tomb_init();
  store<usize>(S + O_MASTERS, zalloc(MASTERS_BLOCK_SIZE));
  proxies_init();
  t_init(K_ADDR, 1024, A_SIZE);
  t_init(K_R4, 1 << 16, R4_SIZE);
  t_init(K_R6, 1 << 12, R6_SIZE);
  t_init(K_NEIGH, 1024, N_SIZE);
  stat_set(SS_GENERATION, 1);
}

export function refresh_counts(): void {
  stat_set(SS_MIRROR_ADDR, t_count(K_ADDR));
  stat_set(SS_MIRROR_ROUTE4, t_count(K_R4));
  stat_set(SS_MIRROR_ROUTE6, t_count(K_R6));
  stat_set(SS_MIRROR_NEIGH, t_count(K_NEIGH));
}
