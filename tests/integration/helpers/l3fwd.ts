// A test bed for l3fwd-ifpx: a router namespace running the data plane with
// proxies dp0..dp<n-1> on links v0..v<n-1>, and n host namespaces wired to
// them (examples/l3fwd/topology.sh), all removed by remove() (and by the
// namespace helper's exit handler if the test process dies).
import { execFileSync } from "node:child_process";
import { createNetns, type Netns } from "./netns.js";
import {
  L3fwd, wire, addProxyAddresses, diff, kernelRoutes, dataplaneRoutes, kernelNeighbours, dataplaneNeighbours, type Stats,
} from "../../../examples/l3fwd/driver.js";

export interface L3fwdBed {
  router: Netns;
  hosts: Netns[];
  dp: L3fwd;
  /** proxy name -> data port id */
  portOf: Record<string, number>;
  /** data port ids, by host index */
  ports: number[];
  remove(): Promise<void>;
}

export async function l3fwdBed(hostCount: number, extra: string[] = []): Promise<L3fwdBed> {
  const router = createNetns();
  const hosts: Netns[] = [];
  let dp: L3fwd | undefined;
  const remove = async () => {
    if (dp) { await dp.quit().catch(() => dp!.kill()); dp.kill(); }
    for (const h of hosts) h.remove();
    router.remove();
  };
  try {
    for (let i = 0; i < hostCount; i++) hosts.push(createNetns());
    wire(router.name, hosts.map((h) => h.name));
    dp = await L3fwd.start(router.name, hosts.map((_, i) => [`v${i}`, `dp${i}`]), extra);
    addProxyAddresses(router.name, hostCount);
    const ports = dp.ready!.ports.map((p) => p.port);
    return { router, hosts, dp, ports, portOf: Object.fromEntries(dp.ready!.ports.map((p) => [p.name, p.port])), remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** ping from a namespace; never throws: { ok, out } (out has stdout and stderr). */
export function ping(ns: Netns, dst: string, ...opts: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync("ip", ["netns", "exec", ns.name, "ping", ...opts, dst], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) };
  } catch (e: any) {
    return { ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** Ping until one answer comes (the first packets resolve neighbours through Linux), within ms. */
export async function pingUntil(ns: Netns, dst: string, ms = 5000): Promise<{ ok: boolean; out: string }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = ping(ns, dst, "-c", "1", "-W", "1");
    if (r.ok || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Packets received on a host's link (its kernel's own count). */
export function rxPackets(ns: Netns, dev = "eth0"): number {
  return Number(ns.exec("cat", `/sys/class/net/${dev}/statistics/rx_packets`).trim());
}

/** Polls the data plane's counters until `ok` holds; throws with the last counters after `ms`. */
export async function waitStats(dp: L3fwd, what: string, ok: (s: Stats) => boolean, ms = 5000): Promise<Stats> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await dp.stats();
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits (retrying while the data plane converges) until its routes equal the
 * kernel's on the proxies, and with `routesOnly` unset its neighbours too and
 * its LPM agrees with its route store; returns the route count. After `ms`
 * throws the differences, with what `onTimeout` adds (a diagnosis).
 */
export async function waitTablesEqual(bed: L3fwdBed, what: string,
  opts: { ms?: number; routesOnly?: boolean; onTimeout?: () => Promise<string> } = {}): Promise<number> {
  const ms = opts.ms ?? 15000;
  const deadline = Date.now() + ms;
  for (;;) {
    await bed.dp.settle(ms);
    const t = await bed.dp.tables();
    const r = diff(kernelRoutes(bed.router.name, bed.portOf), dataplaneRoutes(t));
    const n = opts.routesOnly ? { onlyKernel: [], onlyDataplane: [] } : diff(kernelNeighbours(bed.router.name, bed.portOf), dataplaneNeighbours(t));
    const mismatched = opts.routesOnly ? [] : t.routes.filter((x) => x.lpm === "MISMATCH").map((x) => x.dst);
    if (!r.onlyKernel.length && !r.onlyDataplane.length && !n.onlyKernel.length && !n.onlyDataplane.length && !mismatched.length) return t.routes.length;
    if (Date.now() > deadline) {
      const cut = (xs: string[]) => xs.slice(0, 20).join("\n  ");
      const extra = opts.onTimeout ? `\n${await opts.onTimeout()}` : "";
      throw new Error(`${what}: data plane != kernel\n only kernel routes:\n  ${cut(r.onlyKernel)}\n only data plane routes (${r.onlyDataplane.length}):\n  ${cut(r.onlyDataplane)}\n` +
        ` only kernel neighbours:\n  ${cut(n.onlyKernel)}\n only data plane neighbours:\n  ${cut(n.onlyDataplane)}\n LPM disagrees: ${mismatched.slice(0, 20)}${extra}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}
