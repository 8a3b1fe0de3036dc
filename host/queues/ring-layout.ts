// The ring header as the host reads it: the same offsets as assembly/ring.ts
// (tests/unit/queue-limits.test.ts checks them against a ring the core made).
export const RingHdr = {
  MAGIC: 0, FLAGS: 4, SLOTS: 8, MASK: 12, HDR: 16, BLOCK: 20,
  GEN: 28, CLAIMS: 32, SCRATCH: 36, BURST: 40, READERS: 44,
  PROD_HEAD: 64, PROD_TAIL: 68, PROD_CACHE: 72, CONS_HEAD: 128, CONS_TAIL: 132, CONS_CACHE: 136,
  WAITERS: 192, CLOSED: 196,
  OVF_FLAG: 256, OVF_LOST: 260, OVF_TOTAL: 264, OVF_COUNT: 272, PUBLISHED: 280,
  MARKER: 320, SIZE: 384,
} as const;

export const RING_MAGIC = 0x52504649; // "IFPR" little-endian
export const RING_SPSC = 3;
export const RING_MPMC = 0;
export type QueueMode = "spsc" | "mpmc";

/** Queue options' bounds (assembly/ring_exports.ts queue_alloc checks the same). */
export const MAX_BURST = 65536;
export const MAX_READERS = 16;
