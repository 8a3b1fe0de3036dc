// Loads the AssemblyScript core. One WebAssembly.Module, compiled once, and one
// shared WebAssembly.Memory; every thread makes its own Instance over them.
// Only the instance made by `createCore()` may allocate (platform-notes: each
// AS instance has its own allocator cursor); instances made in workers with
// `attachCore()` only touch raw pointers handed to them.
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { instantiateSync } from "@assemblyscript/loader";
import * as libc from "./libc.js";

export interface CoreShare {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

// 64 KiB pages: the module declares 64..65536; start with 16 MiB.
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

function wasmPath(): string {
  // IFPX_CORE_WASM; core.wasm next to this file (dist/ifpx.js); ../dist from
  // sources; or the installed package's (an application bundle that inlined
  // dist/ifpx.js elsewhere still finds node_modules/ifpx/dist/core.wasm).
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.IFPX_CORE_WASM, join(here, "core.wasm"), join(here, "..", "dist", "core.wasm")];
  try { candidates.push(createRequire(import.meta.url).resolve("ifpx/core.wasm")); } catch { /* not installed */ }
  for (const p of candidates) if (p && existsSync(p)) return p;
  throw new Error("ifpx: core.wasm not found: run `npm run build:wasm`, or set IFPX_CORE_WASM to its path");
}

export function coreModule(): WebAssembly.Module {
  if (!compiled) compiled = new WebAssembly.Module(readFileSync(wasmPath()));
  return compiled;
}

function instantiate(share: CoreShare): any {
  const imports = {
    env: {
      memory: share.memory,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`ifpx core: abort at ${line}:${col}`);
      },
    },
  };
  return instantiateSync(share.module, imports).exports;
}

/**
 * Ask for transparent huge pages on the memory's whole reservation. The
 * mirror's hash tables are large and touched at random: with 4 KiB pages a
 * full table costs tens of thousands of first-touch faults (~13 us each on
 * the VMs measured) and TLB misses; 2 MiB pages remove most of both. With THP
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
export function createCore(): { share: CoreShare; exports: any } {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  adviseHugePages(memory);
  const share = { module: coreModule(), memory };
  return { share, exports: instantiate(share) };
}

/** A non-allocating instance over an existing share (worker threads). */
export function attachCore(share: CoreShare): any {
  return instantiate(share);
}
