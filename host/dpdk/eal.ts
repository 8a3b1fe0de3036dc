// DPDK Environment Abstraction Layer, once per process.
// Defaults (platform-notes): single-process mode without hugepages
//   --no-huge -m 128 --no-pci --no-shconf --lcores=0@(<this process' CPUs>)
// so EAL does not pin the main thread (and the libuv pool and workers it later
// creates) to one CPU; secondary mode attaches to a DPDK primary's hugepage
// memory (same --file-prefix) to reach its named rings.
// EAL initialises once per process and cannot be re-initialised after cleanup.
// Spawn long-lived child processes BEFORE Eal.init: children inherit EAL's fds
// (a net_tap fd keeps the tap interface alive in the child).
import { readFileSync } from "node:fs";
import { dpdk, DpdkError } from "./lib.js";

export type EalMode = "single" | "primary" | "secondary";

export interface EalOptions {
  /** "single" (default): no hugepages, no shared config. "secondary": attach to a
   *  primary (needs hugepages and filePrefix). "primary": hugepages, filePrefix. */
  mode?: EalMode;
  /** --file-prefix (required for "secondary" and "primary") */
  filePrefix?: string;
  /** --lcores value; default `0@(<CPUs of this process' affinity>)` */
  lcores?: string;
  /** -m MiB for "single" (default 128) */
  memoryMb?: number;
  /** --vdev devargs to create at init */
  vdevs?: string[];
  /** --log-level, e.g. "notice" or "lib.eal:debug"; an array gives one
   *  --log-level per entry (EAL takes one type:level per option) */
  logLevel?: string | string[];
  /** more EAL arguments, appended last */
  extraArgs?: string[];
}

/** CPUs this process may run on, as an EAL cpuset ("0-1", "0,2-3"). */
export function affinityCpus(): string {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return m[1];
  } catch { /* not Linux? */ }
  return "0";
}

/** The argv Eal.init would pass to rte_eal_init (without argv[0]). */
export function ealArgs(opts: EalOptions = {}): string[] {
  const mode = opts.mode ?? "single";
  const args: string[] = [];
  if (mode === "single") {
    args.push("--no-huge", "-m", String(opts.memoryMb ?? 128), "--no-shconf");
  } else {
    if (!opts.filePrefix) throw new DpdkError(`EAL ${mode} mode needs filePrefix`, 22);
    args.push(`--proc-type=${mode}`, "--file-prefix", opts.filePrefix);
  }
  args.push("--no-pci", `--lcores=${opts.lcores ?? `0@(${affinityCpus()})`}`);
  for (const v of opts.vdevs ?? []) args.push(`--vdev=${v}`);
  for (const l of typeof opts.logLevel === "string" ? [opts.logLevel] : opts.logLevel ?? []) args.push(`--log-level=${l}`);
  args.push(...(opts.extraArgs ?? []));
  return args;
}

type State = "none" | "up" | "cleaned";
let state: State = "none";
let current: { mode: EalMode; args: string[] } | undefined;
// what EAL starts with when a DPDK entry is used before Eal.init (the options
// of the last createDpdkPortBackend, else the single-process defaults)
let firstUse: EalOptions = {};

export const Eal = {
  /** Initialise EAL (idempotent: a second call with the same mode returns the
   *  first result; a different mode throws EBUSY). Returns the argv used. */
  init(opts: EalOptions = {}): { mode: EalMode; args: string[] } {
    const mode = opts.mode ?? "single";
    if (state === "up") {
      if (current!.mode !== mode) throw new DpdkError(`EAL is already initialised in ${current!.mode} mode`, 16);
      return current!;
    }
    if (state === "cleaned") throw new DpdkError("EAL was cleaned up; it cannot be initialised again in this process", 114);
    const lib = dpdk();
    const args = ["ifpx", ...ealArgs(opts)];
    const ret = lib.eal_init(args.length, args);
    if (ret < 0) throw new DpdkError(`rte_eal_init(${args.slice(1).join(" ")})`, lib.errno());
    state = "up";
    current = { mode, args: args.slice(1) };
    return current;
  },
  get initialized(): boolean { return state === "up"; },
  /** The options EAL starts with on first use (a DPDK entry called before Eal.init). */
  startOnFirstUseWith(opts: EalOptions): void { if (state === "none") firstUse = { ...opts }; },
  /** "primary" | "secondary" as DPDK sees it (undefined before init). */
  get processType(): "primary" | "secondary" | undefined {
    if (state !== "up") return undefined;
    const t = dpdk().proc_type();
    return t === 0 ? "primary" : t === 1 ? "secondary" : undefined;
  },
  /** rte_eal_cleanup(); a no-op when EAL is not up. */
  cleanup(): void {
    if (state !== "up") return;
    const ret = dpdk().eal_cleanup();
    state = "cleaned";
    current = undefined;
    if (ret < 0) throw new DpdkError("rte_eal_cleanup", -ret);
  },
};

/**
 * EAL up for a DPDK entry: started on first use (Eal.init with the options of
 * the last createDpdkPortBackend, or the single-process defaults) unless it
 * was cleaned up, which DPDK cannot undo.
 */
export function requireEal(what: string): void {
  if (state === "up") return;
  if (state === "cleaned") throw new DpdkError(`${what}: EAL was cleaned up; it cannot start again in this process`, 114);
  Eal.init(firstUse);
}
