// Every shared-memory block is described once (layout/shared-memory.json) and
// generated for both sides; the generated files must be what the description
// says, and both sides must see the same values in the compiled core.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Core } from "../../host/core/core.ts";
import { RingHdr, StatusOff, STATS, Kind } from "../../host/core/layout.ts";
import { CORE_EXPORT_ARITY } from "../../host/core/exports.ts";
import { coreModule } from "../../host/core/wasm.ts";
import { T1, fx } from "./helpers/core.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("assembly/layout.ts and host/core/layout.ts are generated from layout/shared-memory.json", () => {
  execFileSync(process.execPath, [join(root, "scripts", "gen-layout.mjs"), "--check"], { stdio: "pipe" });
});

test("the core's blocks as the host reads them: status after a dump, stats by name, the ring header", () => {
  const c = new Core();
  assert.is(c.x.proxy_add(1, T1), 0);
  const bytes = fx("dump-link");
  c.bytes.set(bytes, c.rxPtr);
  c.x.sync_begin(Kind.LINK, 1);
  c.x.process(0, bytes.length);
  const dv = c.view, st = c.x.status_ptr() >>> 0;
  assert.is(dv.getUint32(st + StatusOff.NEXT_OFF, true), bytes.length);
  assert.is(dv.getUint32(st + StatusOff.SYNC, true), 1, "sync_active");
  const stats = c.x.stats_ptr() >>> 0;
  assert.is(dv.getUint32(stats + 4 * STATS.indexOf("done"), true), 1);
  assert.is(dv.getUint32(stats + 4 * STATS.indexOf("link"), true) > 0, true);
  const ring = c.x.ring_alloc(8, 3) >>> 0;
  assert.is(dv.getUint32(ring + RingHdr.HDR, true), RingHdr.SIZE);
  assert.is(c.x.ring_hdr_size(), RingHdr.SIZE);
  assert.is(dv.getUint32(ring + RingHdr.SLOTS, true), 8);
  assert.is(dv.getUint32(ring + RingHdr.MASK, true), 7);
});

test("CoreExports names every function the core exports, with its parameter count", () => {
  const names = WebAssembly.Module.exports(coreModule()).filter((e) => e.kind === "function").map((e) => e.name).sort();
  assert.equal(Object.keys(CORE_EXPORT_ARITY).sort(), names);
  // the raw instance (the loader's wrappers hide the arity of some)
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
  const raw = new WebAssembly.Instance(coreModule(), { env: { memory, abort() {} } }).exports as Record<string, (...a: unknown[]) => unknown>;
  for (const n of names) assert.is(raw[n].length, CORE_EXPORT_ARITY[n as keyof typeof CORE_EXPORT_ARITY], n);
});

test.run();
