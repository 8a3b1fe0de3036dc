// Typed access to the WASM core of the main thread: the receive buffer, the
// staging area and the status block, as views over the shared memory.
import { createCore, type CoreShare } from "./wasm.js";
import { fromErrno } from "../errors.js";

export const RECORD_SIZE = 64;

// status block (assembly/core_exports.ts): next_off, flags, error, seq
export const ST_DONE = 1;
export const ST_ERROR = 2;
export const ST_DUMP_INTR = 4;
export const ST_JOB = 16;
export const ST_NEXTHOP = 32;
export const ST_ROUTES = 64;

export const KIND_LINK = 1;
export const KIND_ADDR = 2;
export const KIND_ROUTE = 4;
export const KIND_NEIGH = 8;
export const KIND_ALL = 15;

export class Core {
  readonly share: CoreShare;
  readonly x: any;
  private u8!: Uint8Array;
  private dv!: DataView;
  private buffer: ArrayBufferLike | undefined;
  readonly rxPtr: number;
  readonly rxCap: number;
  private readonly statusPtr: number;
  readonly statsPtr: number;

  constructor() {
    const { share, exports } = createCore();
    this.share = share;
    this.x = exports;
    this.x.core_init();
    this.rxPtr = this.x.rx_ptr() >>> 0;
    this.rxCap = this.x.rx_cap() >>> 0;
    this.statusPtr = this.x.status_ptr() >>> 0;
    this.statsPtr = this.x.stats_ptr() >>> 0;
  }

  /** Views must be re-made when the memory grows (a grown SharedArrayBuffer is a new object). */
  get bytes(): Uint8Array {
    if (this.buffer !== this.share.memory.buffer) this.refresh();
    return this.u8;
  }
  get view(): DataView {
    if (this.buffer !== this.share.memory.buffer) this.refresh();
    return this.dv;
  }
  private refresh(): void {
    this.buffer = this.share.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.dv = new DataView(this.buffer);
  }

  get stagedPtr(): number { return this.x.staged_ptr() >>> 0; }

  status(): { nextOff: number; flags: number; error: number; seq: number } {
    const v = this.view, p = this.statusPtr;
    return { nextOff: v.getUint32(p, true), flags: v.getUint32(p + 4, true), error: v.getInt32(p + 8, true), seq: v.getUint32(p + 12, true) };
  }

  /** Throw an IfpxError for a negative errno returned by the core. */
  check(r: number, what: string): number {
    if (r < 0) throw fromErrno(r, what);
    return r;
  }
}

// stats block (assembly/state.ts): u32 counters in this order
const STATS = ["messages", "malformed", "filtered", "staged", "link", "addr", "route", "neigh", "other", "done",
  "errors", "dump_intr", "mirror_addr", "mirror_route4", "mirror_route6", "mirror_neigh", "via_ignored", "cloned",
  "nexthops_over_cap", "implied_deletions", "mirror_grows", "sync_added", "sync_removed", "sync_changed", "generation",
  "staging_grows", "seq", "acks", "nexthop_messages", "nexthop_changes", "nexthop_routes_unmirrored", "ipv4_unsettled"] as const;

export function readCoreStats(core: Core): Record<(typeof STATS)[number], number> {
  const out = {} as Record<(typeof STATS)[number], number>;
  const dv = core.view;
  STATS.forEach((n, i) => { out[n] = dv.getUint32(core.statsPtr + 4 * i, true); });
  return out;
}
