// Typed access to the WASM core of the main thread: the receive buffer, the
// staging area and the status block, as views over the shared memory.
import { createCore, type CoreShare } from "./wasm.js";
import { fromErrno } from "../errors.js";
import type { CoreExports } from "./exports.js";

import { STATS, StatusOff, type CoreStatName } from "./layout.js";
import { EVENT_SIZE } from "../record.js";

export { Kind, Status } from "./layout.js";
export { CoreErrno } from "./exports.js";
export const RECORD_SIZE = EVENT_SIZE;

export class Core {
  readonly share: CoreShare;
  readonly x: CoreExports;
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
    return { nextOff: v.getUint32(p + StatusOff.NEXT_OFF, true), flags: v.getUint32(p + StatusOff.FLAGS, true), error: v.getInt32(p + StatusOff.ERROR, true), seq: v.getUint32(p + StatusOff.SEQ, true) };
  }

  /** Throw an IfpxError for a negative errno returned by the core. */
  check(r: number, what: string): number {
    if (r < 0) throw fromErrno(r, what);
    return r;
  }
}

export function readCoreStats(core: Core): Record<CoreStatName, number> {
  const out = {} as Record<CoreStatName, number>;
  const dv = core.view;
  STATS.forEach((n, i) => { out[n] = dv.getUint32(core.statsPtr + 4 * i, true); });
  return out;
}
