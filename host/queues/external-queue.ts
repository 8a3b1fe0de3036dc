// The contract between ifpx's delivery and a queue that lives outside WASM
// memory (a DPDK rte_ring, host/dpdk/ring.ts): records are handed over by value.
export interface ExternalQueue {
  /** enqueue n consecutive 64-byte records; what does not fit is counted lost and reported by an OVERFLOW record */
  publish(records: Uint8Array, n: number): number;
  /** records not enqueued because the queue was full (cumulative) */
  readonly lost: number;
  close(): void;
  /** emit a pending OVERFLOW record if there is room now; true when none is pending */
  flushOverflow?(): boolean;
  /** for replayInto: the lost count not yet reported (cleared), and an enqueue that counts nothing */
  takeOverflow?(): number;
  tryPublish?(records: Uint8Array, n: number): number;
}
