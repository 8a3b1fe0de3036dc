// The host's reads of the core's mirror: sizing it up front (the option
// `reserve`), walking it (forEachEntry and the decoded lists) and counting it.
// Synchronous to the end: the mirror only changes in process(), which cannot
// run meanwhile, so a walk is consistent.
import { Kind, RECORD_SIZE, type Core } from "./core.js";
import { callCore } from "./core-call.js";
import { IfpxError, shown } from "../errors.js";
import type { IfpxOptions, MirrorKind } from "../options.js";

const KIND_BITS: Record<MirrorKind, number> = { addr: Kind.ADDR, route: Kind.ROUTE, neigh: Kind.NEIGH };

/** The Kind bit of a MirrorKind name; EINVAL for anything else. */
export function mirrorKind(kind: unknown): number {
  if (typeof kind === "string" && Object.hasOwn(KIND_BITS, kind)) return KIND_BITS[kind as MirrorKind];
  throw new IfpxError("EINVAL", `unknown kind: "addr", "route" or "neigh"`);
}

/** Size each table once for the entries the application expects. */
export function reserveMirror(core: Core, r: IfpxOptions["reserve"]): void {
  if (!r) return;
  // mirror_reserve's kinds: ROUTE is the IPv4 table there, ROUTE6 the IPv6 one
  for (const [kind, n] of [[Kind.ADDR, r.addresses], [Kind.ROUTE, r.routes4], [Kind.ROUTE6, r.routes6], [Kind.NEIGH, r.neighbours]] as const) {
    if (!n) continue; // nothing to reserve
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new IfpxError("EINVAL", `reserve: ${shown(n)} is not a valid number of entries`);
    const res = callCore(() => core.x.mirror_reserve(kind, n), "ENOSPC", `reserve: cannot size the mirror for ${n} entries`);
    if (res < 0) throw new IfpxError("ENOSPC", `reserve: cannot size the mirror for ${n} entries (memory limit)`);
  }
}

/** Every entry of the kinds `bits` of one proxy (-1: all) as a 64-byte ADD record read in place. */
export function walkMirror(core: Core, bits: number, proxy: number, fn: (view: DataView, offset: number) => void): number {
  const x = core.x;
  core.check(x.query_begin(proxy, bits), "query");
  let total = 0;
  for (let n = x.query_step() >>> 0; n; n = x.query_step() >>> 0) {
    const p = x.query_ptr() >>> 0, dv = core.view;
    for (let i = 0; i < n; i++) fn(dv, p + i * RECORD_SIZE);
    total += n;
  }
  return total;
}
