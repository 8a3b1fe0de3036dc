// ifpx runners for bench/run.ts (RUNNER INTERFACE there): each runs
// bench/ifpx-child.ts in its own process inside the bench namespace.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface IfpxTarget { ns: string; proxy: string; ifindex: number }

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const child = (...args: (string | number)[]) =>
  [process.execPath, "--import", join(ROOT, "node_modules/tsx/dist/loader.mjs"), join(HERE, "ifpx-child.ts"), ...args.map(String)];

/** The dump job: listen() until CFG_DONE, routes mirrored in WASM memory, no callbacks. */
export function ifpxDumpArgv(o: IfpxTarget & { family: 4 | 6 }): string[] {
  return child("dump", o.proxy, o.family, process.env.IFPX_BENCH_DUMP ?? "mirror");
}

export function ifpxDrainArgv(o: IfpxTarget & { rcvbufBytes: number; count: number; idleMs: number }): string[] {
  return child("drain", o.proxy, o.rcvbufBytes, o.count, o.idleMs);
}

export function ifpxLatencyArgv(o: IfpxTarget & { count: number; prefixHi: number }): string[] {
  return child("latency", o.proxy, o.count, o.prefixHi);
}
