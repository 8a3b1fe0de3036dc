// new Ifpx(options): each option read once and checked before anything is
// opened, so a bad value is an EINVAL at construction instead of a TypeError
// later inside a timer or a netlink callback (where onError itself is called).
import { IfpxError } from "./errors.js";
import type { IfpxOptions, PortBackend } from "./options.js";

const PATH_MAX = 4096;
const bad = (msg: string) => new IfpxError("EINVAL", msg);

export function checkOptions(opts: IfpxOptions | undefined | null): IfpxOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== "object") throw bad("Ifpx options must be an object");
  const { netns, rcvbuf, onError, ports, reserve, families, dumpThread, kinds, portSync, linkPollMs, subinterfaces } = opts;
  if (netns !== undefined && (typeof netns !== "string" || !netns || netns.length > PATH_MAX || netns.includes("\0"))) {
    throw bad(`netns must be a namespace name or path, got ${describe(netns)}`);
  }
  if (rcvbuf !== undefined && (!Number.isInteger(rcvbuf) || rcvbuf < 1 || rcvbuf > 0x7fffffff)) {
    throw bad(`rcvbuf must be a byte count 1..2^31-1, got ${describe(rcvbuf)}`);
  }
  if (onError !== undefined && typeof onError !== "function") throw bad("onError must be a function");
  if (ports !== undefined) checkPorts(ports);
  if (reserve !== undefined && (reserve === null || typeof reserve !== "object")) throw bad("reserve must be an object of entry counts");
  if (dumpThread !== undefined && typeof dumpThread !== "boolean") throw bad("dumpThread must be a boolean");
  if (portSync !== undefined && typeof portSync !== "boolean") throw bad("portSync must be a boolean");
  if (linkPollMs !== undefined && (!Number.isInteger(linkPollMs) || linkPollMs < 0 || linkPollMs > 0x7fffffff)) {
    throw bad(`linkPollMs must be a whole number of milliseconds (0: no polling), got ${describe(linkPollMs)}`);
  }
  if (subinterfaces !== undefined && typeof subinterfaces !== "boolean") {
    if (subinterfaces === null || typeof subinterfaces !== "object") throw bad("subinterfaces must be a boolean or { port?(sub) }");
    if (subinterfaces.port !== undefined && typeof subinterfaces.port !== "function") throw bad("subinterfaces.port must be a function");
  }
  // families and kinds are checked where they are turned into dumps and groups (ifpx.ts, followed-kinds.ts).
  // Every option is listed: one left out would be dropped silently (satisfies makes that a type error).
  return { netns, rcvbuf, onError, ports, reserve, families, dumpThread, kinds, portSync, linkPollMs, subinterfaces } satisfies { [K in keyof Required<IfpxOptions>]: IfpxOptions[K] };
}

function checkPorts(p: PortBackend): void {
  if (!p || typeof p !== "object") throw bad("ports must be a port backend (createDpdkPortBackend())");
  for (const m of ["createProxy", "createProxyByDevarg", "destroyProxy", "isValidPort"] as const) {
    if (typeof p[m] !== "function") throw bad(`ports.${m} must be a function`);
  }
  for (const m of ["linkOf", "setProxyMac"] as const) {
    if (p[m] !== undefined && typeof p[m] !== "function") throw bad(`ports.${m} must be a function`);
  }
}

function describe(v: unknown): string {
  try { return typeof v === "string" ? JSON.stringify(v.slice(0, 64)) : typeof v === "object" ? "an object" : String(v); } catch { return typeof v; }
}
