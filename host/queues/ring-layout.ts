// The ring header and the queue bounds as the host reads them: generated from
// layout/shared-memory.json, like the core's (assembly/layout.ts).
export { RingHdr, RING_MAGIC, RING_SPSC, RING_MPMC, QUEUE_MAX_BURST as MAX_BURST, QUEUE_MAX_READERS as MAX_READERS } from "../core/layout.js";
export type QueueMode = "spsc" | "mpmc";
