// Ring throughput/correctness worker (plain JS: worker entries cannot be TS
// under tsx on Node 20). One thread of a producer/consumer run over either
//  - impl "as": the AssemblyScript ring (ring_enqueue/ring_dequeue/ring_wait
//    of a fresh instance over the shared WebAssembly.Memory), or
//  - impl "js": the same rte_ring algorithm written in JS over a
//    SharedArrayBuffer (Int32Array header with the same offsets, 64-byte slots,
//    the same cached-tail refills, slot copies with TypedArray.set).
// Records carry (producer id << 16) in the port word and a sequence number at
// offset 12. Producers write `total` records each; consumers verify per
// producer FIFO order (exact for one consumer, increasing for several) and, for
// several consumers, mark a bitmap the main thread merges (no loss, no dup).
// With one producer and one consumer (the benchmark's rows) the check is the C
// baseline's: one compare of the first word and one of the sequence per record,
// the expected sequence in a register. The per-producer arrays of the general
// check (a store-to-load chain through memory) cost as much as the AS ring
// itself: they hid the difference between the rings being measured.
import { workerData, parentPort, isMainThread } from "node:worker_threads";

// (a test runner may import this file in the main thread: do nothing there)
if (!isMainThread && workerData?.role) main(workerData);

function main(d) {
const REC = 64, W = 16; // bytes, i32 words per record
// header word indexes: the core's ring header (d.hdr, layout/shared-memory.json) / 4
const H = d.hdr;
const SLOTS = H.SLOTS / 4, PROD_HEAD = H.PROD_HEAD / 4, PROD_TAIL = H.PROD_TAIL / 4, PROD_CACHE = H.PROD_CACHE / 4,
  CONS_HEAD = H.CONS_HEAD / 4, CONS_TAIL = H.CONS_TAIL / 4, CONS_CACHE = H.CONS_CACHE / 4, WAITERS = H.WAITERS / 4, CLOSED = H.CLOSED / 4;
const HDR_WORDS = H.SIZE / 4;
const F_SP = 1, F_SC = 2;
// control words (d.ctl, Int32Array over a SharedArrayBuffer)
const C_READY = 0, C_GO = 1, C_CONSUMED = 2;

const ctl = new Int32Array(d.ctl);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// ---------------------------------------------------------------- JS ring
function jsRing(sab, flags) {
  const h = new Int32Array(sab, 0, HDR_WORDS);
  const slots = h[SLOTS], mask = slots - 1;
  const data = new Int32Array(sab, HDR_WORDS * 4);
  const sp = (flags & F_SP) !== 0, sc = (flags & F_SC) !== 0;
  function enqueue(src, srcOff, n) { // src Int32Array, srcOff in records
    let head, m;
    if (sp) {
      head = h[PROD_HEAD];
      let free = (slots + h[PROD_CACHE] - head) | 0;
      if (free < n) { const ct = Atomics.load(h, CONS_TAIL); h[PROD_CACHE] = ct; free = (slots + ct - head) | 0; }
      m = n <= free ? n : free;
      if (m === 0) return 0;
      h[PROD_HEAD] = (head + m) | 0;
    } else {
      for (;;) {
        head = Atomics.load(h, PROD_HEAD);
        let free = (slots + Atomics.load(h, PROD_CACHE) - head) | 0;
        if (free < n) { const ct = Atomics.load(h, CONS_TAIL); Atomics.store(h, PROD_CACHE, ct); free = (slots + ct - head) | 0; }
        m = n <= free ? n : free;
        if (m <= 0) { if (head === Atomics.load(h, PROD_HEAD)) return 0; continue; }
        if (Atomics.compareExchange(h, PROD_HEAD, head, (head + m) | 0) === head) break;
      }
    }
    const idx = head & mask, first = slots - idx;
    if (m === 1) {
      const s = srcOff * W, t = idx * W;
      for (let k = 0; k < W; k++) data[t + k] = src[s + k];
    } else if (m <= first) {
      data.set(src.subarray(srcOff * W, (srcOff + m) * W), idx * W);
    } else {
      data.set(src.subarray(srcOff * W, (srcOff + first) * W), idx * W);
      data.set(src.subarray((srcOff + first) * W, (srcOff + m) * W), 0);
    }
    if (!sp) { let s = 0; while (Atomics.load(h, PROD_TAIL) !== head) if (++s > 256) { Atomics.wait(sleeper, 0, 0, 0.001); s = 0; } }
    Atomics.store(h, PROD_TAIL, (head + m) | 0);
    if (Atomics.load(h, WAITERS) !== 0 && (!sc || Atomics.load(h, CONS_HEAD) === head)) Atomics.notify(h, PROD_TAIL);
    return m;
  }
  function dequeue(dst, n) {
    let head, m;
    if (sc) {
      head = h[CONS_HEAD];
      let avail = (h[CONS_CACHE] - head) | 0;
      if (avail < n) { const pt = Atomics.load(h, PROD_TAIL); h[CONS_CACHE] = pt; avail = (pt - head) | 0; }
      m = n <= avail ? n : avail;
      if (m === 0) return 0;
      h[CONS_HEAD] = (head + m) | 0;
    } else {
      for (;;) {
        head = Atomics.load(h, CONS_HEAD);
        let avail = (Atomics.load(h, CONS_CACHE) - head) | 0;
        if (avail < n || avail > slots) { const pt = Atomics.load(h, PROD_TAIL); Atomics.store(h, CONS_CACHE, pt); avail = (pt - head) | 0; }
        if (avail < 0 || avail > slots) continue;
        m = n <= avail ? n : avail;
        if (m === 0) { if (head === Atomics.load(h, CONS_HEAD)) return 0; continue; }
        if (Atomics.compareExchange(h, CONS_HEAD, head, (head + m) | 0) === head) break;
      }
    }
    const idx = head & mask, first = slots - idx;
    if (m === 1) {
      const s = idx * W;
      for (let k = 0; k < W; k++) dst[k] = data[s + k];
    } else if (m <= first) {
      dst.set(data.subarray(idx * W, (idx + m) * W), 0);
    } else {
      dst.set(data.subarray(idx * W, slots * W), 0);
      dst.set(data.subarray(0, (m - first) * W), first * W);
    }
    if (!sc) { let s = 0; while (Atomics.load(h, CONS_TAIL) !== head) if (++s > 256) { Atomics.wait(sleeper, 0, 0, 0.001); s = 0; } }
    Atomics.store(h, CONS_TAIL, (head + m) | 0);
    return m;
  }
  function wait(ms) {
    const ready = () => Atomics.load(h, PROD_TAIL) !== Atomics.load(h, CONS_HEAD) || Atomics.load(h, CLOSED) !== 0;
    if (ready()) return;
    Atomics.add(h, WAITERS, 1);
    const t = Atomics.load(h, PROD_TAIL);
    if (!ready()) Atomics.wait(h, PROD_TAIL, t, ms);
    Atomics.sub(h, WAITERS, 1);
  }
  return { enqueue, dequeue, wait };
}

// ---------------------------------------------------------------- run
let enqueue, dequeue, wait, src32, dst32, srcBase, dstBase;
if (d.impl === "as") {
  const inst = new WebAssembly.Instance(d.module, {
    env: { memory: d.memory, abort() { throw new Error("abort"); } },
  });
  const x = inst.exports;
  const mem32 = new Int32Array(d.memory.buffer);
  const ring = d.ring;
  if (d.role === "producer") {
    src32 = mem32; srcBase = d.buf >> 2;
    const buf = d.buf;
    enqueue = (_s, off, n) => x.ring_enqueue(ring, buf + off * REC, n);
  } else {
    dst32 = mem32; dstBase = d.buf >> 2;
    const buf = d.buf;
    dequeue = (_d, n) => x.ring_dequeue(ring, buf, n);
  }
  wait = (ms) => x.ring_wait(ring, ms * 1000);
} else {
  const r = jsRing(d.sab, d.flags);
  enqueue = r.enqueue; dequeue = r.dequeue; wait = r.wait;
  src32 = new Int32Array(d.burst * W); srcBase = 0;
  dst32 = new Int32Array(d.burst * W); dstBase = 0;
}

Atomics.add(ctl, C_READY, 1);
Atomics.notify(ctl, C_READY);
while (Atomics.load(ctl, C_GO) === 0) Atomics.wait(ctl, C_GO, 0, 50);

const burst = d.burst, total = d.total;
if (d.role === "producer") {
  const pid = d.pid;
  for (let i = 0; i < burst; i++) src32[srcBase + i * W] = pid << 16; // type 0, port pid
  let seq = 0, fullSpins = 0, fullTries = 0, sleeps = 0;
  while (seq < total) {
    const k = Math.min(burst, total - seq);
    for (let i = 0; i < k; i++) src32[srcBase + i * W + 3] = seq + i;
    let off = 0;
    while (off < k) {
      const got = enqueue(src32, off, k - off);
      if (got === 0) { fullTries++; if (++fullSpins > d.spinFull) { sleeps++; Atomics.wait(sleeper, 0, 0, 0.02); fullSpins = 0; } continue; }
      off += got;
    }
    seq += k;
  }
  parentPort.postMessage({ role: "producer", pid, fullTries, sleeps, end: performance.timeOrigin + performance.now() });
} else {
  const P = d.producers, grand = P * total, multi = d.consumers > 1;
  const last = new Int32Array(P).fill(-1);
  const counts = new Float64Array(P);
  const maps = multi ? Array.from({ length: P }, () => new Uint8Array(total)) : null;
  let emptyTries = 0, waits = 0, calls = 0, got = 0, orderErrors = 0, dups = 0, bad = 0, ends = 0, emptySpins = 0;
  const lean = P === 1 && !multi;
  let expect = 0;
  outer: for (;;) {
    const n = dequeue(dst32, burst);
    if (n === 0) {
      if (multi && Atomics.load(ctl, C_CONSUMED) >= grand) break;
      emptyTries++; if (++emptySpins > d.spinEmpty) { waits++; wait(1); emptySpins = 0; }
      continue;
    }
    emptySpins = 0; calls++;
    if (lean) {
      // first word exactly (type 0, port 0), sequence exactly the next (see the header)
      for (let i = 0; i < n; i++) {
        const b = dstBase + i * W, w0 = dst32[b];
        if (w0 !== 0) {
          if ((w0 & 0xffff) === 21) { ends++; got += i; break outer; }
          bad++; continue;
        }
        if (dst32[b + 3] !== expect) { orderErrors++; expect = dst32[b + 3]; }
        expect++;
      }
      if ((got += n) >= grand) break;
      continue;
    }
    for (let i = 0; i < n; i++) {
      const w0 = dst32[dstBase + i * W];
      const type = w0 & 0xffff;
      if (type === 21) { ends++; break outer; }
      const pid = w0 >>> 16, seq = dst32[dstBase + i * W + 3];
      if (type !== 0 || pid >= P || seq < 0 || seq >= total) { bad++; continue; }
      counts[pid]++;
      if (multi) {
        if (seq <= last[pid]) orderErrors++;
        if (maps[pid][seq]++) dups++;
      } else if (seq !== last[pid] + 1) orderErrors++;
      last[pid] = seq;
    }
    if (multi) {
      if (Atomics.add(ctl, C_CONSUMED, n) + n >= grand) break;
    } else if ((got += n) >= grand) break;
  }
  const end = performance.timeOrigin + performance.now();
  if (lean) counts[0] = got - bad;
  parentPort.postMessage(
    { role: "consumer", emptyTries, waits, calls, counts: Array.from(counts), orderErrors, dups, bad, ends, end, maps },
    maps ? maps.map((m) => m.buffer) : [],
  );
}
}
