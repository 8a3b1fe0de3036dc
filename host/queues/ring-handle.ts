// Checks of what crosses into the core from user code: a ring pointer or a
// queue handle (which may have travelled through postMessage, or been forged)
// must describe a ring of that very memory, lying entirely inside it, before
// any core function touches it. A bad pointer would otherwise trap inside
// WASM, or silently overwrite a neighbouring ring. These run once per
// queueAdd / attach, never per record.
import { IfpxError } from "../errors.js";
import { RingHdr, RING_MAGIC, RING_SPSC, RING_MPMC, MAX_BURST, MAX_READERS, type QueueMode } from "./ring-layout.js";
import { EVENT_SIZE } from "../record.js";
import type { CoreShare } from "../core/wasm.js";

/** Structured-clonable description of a queue (postMessage / workerData). */
export interface QueueHandle extends CoreShare {
  ptr: number;         // the ring
  slots: number;
  mode: QueueMode;
  burst: number;       // records per dequeue at most (scratch size)
  claims: number;      // maxReaders u32 claim words
  scratch: number;     // maxReaders x burst x 64 bytes
  maxReaders: number;
  gen: number;         // the ring's generation word: a handle of another ring or memory does not match
}

// the largest slot count any ring may have (assembly/ring.ts RING_MAX_SLOTS)
const MAX_SLOTS = 1 << 23;

const bad = (what: string) => new IfpxError("EINVAL", `not a valid queue: ${what}`);

function isCount(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * `ptr` is the header of a ring inside `memory` (aligned, magic, a slot count
 * the header agrees with itself about, slots inside the memory). Returns the
 * ring's slot count; EINVAL otherwise.
 */
export function checkRing(memory: WebAssembly.Memory, ptr: unknown): number {
  const size = memory.buffer.byteLength;
  if (!isCount(ptr, 64, size - RingHdr.SIZE) || ptr % 64 !== 0) throw bad(`pointer ${String(ptr)} is not a 64-byte aligned offset inside the core's memory`);
  const dv = new DataView(memory.buffer);
  if (dv.getUint32(ptr + RingHdr.MAGIC, true) !== RING_MAGIC) throw bad(`no ring at ${ptr}`);
  const slots = dv.getUint32(ptr + RingHdr.SLOTS, true);
  if (!isCount(slots, 2, MAX_SLOTS) || (slots & (slots - 1)) !== 0 || dv.getUint32(ptr + RingHdr.MASK, true) !== slots - 1 ||
    dv.getUint32(ptr + RingHdr.HDR, true) !== RingHdr.SIZE || ptr + RingHdr.SIZE + slots * EVENT_SIZE > size) {
    throw bad(`the ring header at ${ptr} is inconsistent`);
  }
  return slots;
}

/**
 * A checked, frozen copy of a queue handle: every field read once (a getter
 * cannot change its answer between the check and the use), the memory and
 * module real, the ring valid, and its generation and reader areas exactly
 * those the ring header recorded when the queue was made.
 */
export function checkQueueHandle(h: unknown): Readonly<QueueHandle> {
  if (!h || typeof h !== "object") throw bad("a handle must be the object `queue.handle`");
  let c: QueueHandle;
  try {
    const o = h as Record<string, unknown>;
    c = {
      module: o.module as WebAssembly.Module, memory: o.memory as WebAssembly.Memory, ptr: o.ptr as number,
      slots: o.slots as number, mode: o.mode as QueueMode, burst: o.burst as number, claims: o.claims as number,
      scratch: o.scratch as number, maxReaders: o.maxReaders as number, gen: o.gen as number,
    };
  } catch (e) {
    throw Object.assign(bad("reading the handle threw"), { cause: e });
  }
  if (!(c.memory instanceof WebAssembly.Memory) || !(c.memory.buffer instanceof SharedArrayBuffer)) throw bad("handle.memory is not the core's shared WebAssembly.Memory");
  if (!(c.module instanceof WebAssembly.Module)) throw bad("handle.module is not a WebAssembly.Module");
  if (c.mode !== "spsc" && c.mode !== "mpmc") throw bad(`mode ${String(c.mode)}`);
  const slots = checkRing(c.memory, c.ptr);
  const dv = new DataView(c.memory.buffer);
  const hdr = (off: number) => dv.getUint32(c.ptr + off, true);
  if (!isCount(c.gen, 1, 0xffffffff) || hdr(RingHdr.GEN) !== c.gen) throw bad("stale or forged handle (generation does not match the ring)");
  if (c.slots !== slots) throw bad(`handle.slots ${String(c.slots)} does not match the ring (${slots})`);
  if (hdr(RingHdr.FLAGS) !== (c.mode === "spsc" ? RING_SPSC : RING_MPMC)) throw bad("handle.mode does not match the ring");
  if (!isCount(c.burst, 1, MAX_BURST) || !isCount(c.maxReaders, 1, MAX_READERS) ||
    hdr(RingHdr.BURST) !== c.burst || hdr(RingHdr.READERS) !== c.maxReaders ||
    hdr(RingHdr.CLAIMS) !== c.claims || hdr(RingHdr.SCRATCH) !== c.scratch) {
    throw bad("handle's reader areas (burst, maxReaders, claims, scratch) do not match the ring");
  }
  // recorded by the core, but the memory could have been written by anyone: bound them too
  const size = dv.byteLength;
  if (c.scratch + c.maxReaders * c.burst * EVENT_SIZE > size || c.claims + 4 * c.maxReaders > size) {
    throw bad("handle's reader areas lie outside the memory");
  }
  return Object.freeze(c);
}
