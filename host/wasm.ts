// Loads the AssemblyScript core. One WebAssembly.Module, compiled once, and one
// shared WebAssembly.Memory; every thread makes its own Instance over them.
// Only the instance made by `createCore()` may allocate (platform-notes: each
// AS instance has its own allocator cursor); instances made in workers with
// `attachCore()` only touch raw pointers handed to them.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { instantiateSync } from "@assemblyscript/loader";

export interface CoreShare {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

// 64 KiB pages: the module declares 64..65536; start with 16 MiB.
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

function wasmPath(): string {
  // dist/core.wasm next to the bundle (dist/ifpx.js) or, from sources, ../dist
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, "core.wasm"), join(here, "..", "dist", "core.wasm")]) {
    try { readFileSync(p, { flag: "r" }).length; return p; } catch { /* next */ }
  }
  throw new Error("ifpx: dist/core.wasm not found; run `npm run build:wasm`");
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

/** The allocating instance: the one the receive loop owns. */
export function createCore(): { share: CoreShare; exports: any } {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  const share = { module: coreModule(), memory };
  return { share, exports: instantiate(share) };
}

/** A non-allocating instance over an existing share (worker threads). */
export function attachCore(share: CoreShare): any {
  return instantiate(share);
}
