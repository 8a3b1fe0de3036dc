// Routes as comparable text: one line "PREFIX via GATEWAY dev IFNAME" (or
// "PREFIX dev IFNAME" without a gateway) per next hop, sorted. The kernel's
// routes through the proxies and a data plane's FIB are reduced to the same
// lines, so "the FIB equals the kernel" is a comparison of two sorted arrays.
import { execFileSync } from "node:child_process";
import type { Netns } from "./netns.js";

export type RouteLine = string;

export function routeLine(prefix: string, dev: string, gateway?: string): RouteLine {
  return gateway ? `${prefix} via ${gateway} dev ${dev}` : `${prefix} dev ${dev}`;
}

/** a prefix with its length, as the data plane prints it (ip -j omits /32 and /128) */
function withLength(dst: string, family: 4 | 6): string {
  if (dst === "default") return family === 4 ? "0.0.0.0/0" : "::/0";
  return dst.includes("/") ? dst : `${dst}/${family === 4 ? 32 : 128}`;
}

export interface KernelRouteFilter {
  /** the proxies: only next hops leaving through these count */
  devs: string[];
  family?: 4 | 6;
}

/**
 * The unicast routes of table main whose next hops leave through the given
 * interfaces, read with `ip -j route show` in the namespace. Routes using
 * nexthop objects (`nhid`, as zebra installs them) are printed with their next
 * hops spelled out, so they need no separate lookup.
 */
export function kernelRoutes(ns: Netns, f: KernelRouteFilter): RouteLine[] {
  const family = f.family ?? 4;
  // a full table is tens of MB of JSON: more than Netns.ip's default buffer
  const json = execFileSync("ip", ["-n", ns.name, "-j", `-${family}`, "route", "show", "table", "main"], { encoding: "utf8", maxBuffer: 1 << 30 });
  const routes = JSON.parse(json) as any[];
  const devs = new Set(f.devs);
  const out: RouteLine[] = [];
  for (const r of routes) {
    if (r.type && r.type !== "unicast") continue;
    const prefix = withLength(r.dst, family);
    for (const nh of (r.nexthops ?? [r]) as any[]) {
      if (devs.has(nh.dev)) out.push(routeLine(prefix, nh.dev, nh.gateway));
    }
  }
  return out.sort();
}

/** what is in `want` and not in `got` and the reverse (for assertion messages) */
export function routeDiff(want: RouteLine[], got: RouteLine[], max = 10): { missing: RouteLine[]; extra: RouteLine[] } {
  const g = new Set(got), w = new Set(want);
  return { missing: want.filter((l) => !g.has(l)).slice(0, max), extra: got.filter((l) => !w.has(l)).slice(0, max) };
}
