// ifpx runners for bench/run.ts (RUNNER INTERFACE there): each runs the ifpx
// child (bench/ifpx-child.ts) in its own process inside the bench namespace.
// The child is bundled with esbuild first and run with plain node, as an
// application would ship it: no TypeScript loader in the process whose time
// and peak RSS are measured.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

export interface IfpxTarget { ns: string; proxy: string; ifindex: number }

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const OUT = join(HERE, "out", "ifpx-child.mjs");
let built = false;

function bundle(): string {
  if (!built) {
    buildSync({
      entryPoints: [join(HERE, "ifpx-child.ts")], outfile: OUT, bundle: true, platform: "node", format: "esm",
      target: "node20", external: ["koffi"], logLevel: "error",
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    built = true;
  }
  return OUT;
}

/** argv of the ifpx child: node bench/out/ifpx-child.mjs MODE ... (core.wasm found in dist/) */
export function childArgv(...args: (string | number)[]): string[] {
  return [process.execPath, bundle(), ...args.map(String)];
}

/** The dump job: listen() until CFG_DONE for that family only, routes mirrored in WASM memory. */
export function ifpxDumpArgv(o: IfpxTarget & { family: 4 | 6 }): string[] {
  return childArgv("dump", o.proxy, o.family, process.env.IFPX_BENCH_DUMP ?? "mirror");
}

export function ifpxDrainArgv(o: IfpxTarget & { rcvbufBytes: number; count: number; idleMs: number }): string[] {
  return childArgv("drain", o.proxy, o.rcvbufBytes, o.count, o.idleMs);
}

export function ifpxLatencyArgv(o: IfpxTarget & { count: number; prefixHi: number }): string[] {
  return childArgv("latency", o.proxy, o.count, o.prefixHi);
}

export const ROOT_DIR = ROOT;
