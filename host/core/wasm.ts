// Loads the AssemblyScript core. One WebAssembly.Module, compiled once, and one
// shared WebAssembly.Memory; every thread makes its own Instance over them.
// Only the instance made by `createCore()` may allocate (platform-notes: each
// AS instance has its own allocator cursor); instances made in workers with
// `attachCore()` only touch raw pointers handed to them.
import { readFileSync, existsSync } from "node:fs";
import * as v8 from "node:v8";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { instantiateSync } from "@assemblyscript/loader";
import * as libc from "../libc.js";
import { IfpxError } from "../errors.js";
import type { CoreExports } from "./exports.js";

export interface CoreShare {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

// 64 KiB pages: the module declares 64..65536; start with 16 MiB.
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

/**
 * Where core.wasm is: the path in IFPX_CORE_WASM when set (a layout of one's
 * own); next to the running file (dist/ifpx.js, or an application bundle made
 * by `ifpx bundle`, which puts it there); the repository's dist/ when running
 * from sources (this file is host/core/wasm.ts);
 * or the installed package's (an application bundled by hand still finds
 * node_modules/ifpx/dist/core.wasm).
 */
export function coreWasmPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "core.wasm"), join(here, "..", "..", "dist", "core.wasm")];
  try { candidates.push(createRequire(import.meta.url).resolve("ifpx/core.wasm")); } catch { /* not installed */ }
  if (process.env.IFPX_CORE_WASM) candidates.unshift(process.env.IFPX_CORE_WASM);
  for (const p of candidates) if (p && existsSync(p)) return p;
  throw new Error(`ifpx: core.wasm not found (looked at ${candidates.join(", ")}). ` +
    "It ships next to the code that uses it: `npx ifpx bundle` puts it next to an application's bundle; " +
    "from sources, run `npm run build:wasm`; IFPX_CORE_WASM=PATH names another place");
}

export function coreModule(): WebAssembly.Module {
  if (!compiled) compiled = compileOptimized(new Uint8Array(readFileSync(coreWasmPath())));
  return compiled;
}

/**
 * Compile the core with V8's optimizing compiler (TurboFan) at once, instead
 * of V8's default: each function compiled by the baseline compiler (Liftoff)
 * on its first call, then recompiled by TurboFan in the background once hot.
 * With the default, that recompilation ran during the first full-table dump,
 * on the same CPUs as the dump and with the hot loop still in baseline code,
 * and the dump took measurably longer (bench/README.md, Measurements behind
 * design choices). The up-front compile is paid once per process, at the
 * first `new Ifpx()` / `createCore()`.
 *
 * V8 has no per-module switch: the two flags are set for this one synchronous
 * compile and restored. Not done when the user set either flag for node
 * (execArgv / NODE_OPTIONS: their setting stands), under Electron or NW.js
 * (embedders that freeze V8 flags turn setFlagsFromString into a fatal CHECK),
 * or with IFPX_WASM_EAGER=0.
 */
function compileOptimized(bytes: BufferSource): WebAssembly.Module {
  if (!eagerCompileAllowed()) return new WebAssembly.Module(bytes);
  v8.setFlagsFromString("--no-liftoff");
  v8.setFlagsFromString("--no-wasm-lazy-compilation");
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    v8.setFlagsFromString("--liftoff");
    v8.setFlagsFromString("--wasm-lazy-compilation");
  }
}

function eagerCompileAllowed(): boolean {
  if (process.env.IFPX_WASM_EAGER === "0") return false;
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.electron || versions.nw) return false;
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  return !/liftoff|wasm-lazy-compilation/.test(given);
}

function instantiate(share: CoreShare): CoreExports {
  const imports = {
    env: {
      memory: share.memory,
      abort(msg: number, _file: number, line: number, col: number) {
        // the runtime aborts only on what the host's checks should have refused first
        const text = asString(share.memory, msg);
        const code = /allocation too large/i.test(text) ? "ENOSPC" : "EIO";
        throw new IfpxError(code, `ifpx core: ${text || "abort"} at ${line}:${col}`);
      },
    },
  };
  return instantiateSync(share.module, imports).exports as unknown as CoreExports;
}

/** An AssemblyScript string in memory (UTF-16, byte length in the word before it); "" if unreadable. */
function asString(memory: WebAssembly.Memory, ptr: number): string {
  try {
    const dv = new DataView(memory.buffer);
    if (!ptr || ptr < 4 || ptr >= dv.byteLength) return "";
    const len = Math.min(dv.getUint32(ptr - 4, true), 512, dv.byteLength - ptr) >>> 1;
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(dv.getUint16(ptr + 2 * i, true));
    return s;
  } catch {
    return "";
  }
}

/**
 * Ask for transparent huge pages on the memory's whole reservation. The
 * mirror's hash tables are large and touched at random: with 4 KiB pages a
 * full table costs tens of thousands of first-touch faults and TLB misses
 * (bench/README.md); 2 MiB pages remove most of both. With THP
 * in "madvise" mode nothing happens without this call; failure is harmless.
 * IFPX_NO_HUGEPAGES=1 turns it off.
 */
function adviseHugePages(memory: WebAssembly.Memory): void {
  if (process.env.IFPX_NO_HUGEPAGES === "1" || process.platform !== "linux") return;
  try {
    const u8 = new Uint8Array(memory.buffer);
    const base = libc.memmove(u8, u8, 0); // the address of the backing store
    libc.madvise(base, MAXIMUM_PAGES * 65536, libc.MADV_HUGEPAGE);
  } catch { /* no THP: 4 KiB pages */ }
}

/** The allocating instance: the one the receive loop owns. */
export function createCore(): { share: CoreShare; exports: CoreExports } {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  adviseHugePages(memory);
  const share = { module: coreModule(), memory };
  return { share, exports: instantiate(share) };
}

/** A non-allocating instance over an existing share (worker threads). */
export function attachCore(share: CoreShare): CoreExports {
  return instantiate(share);
}
