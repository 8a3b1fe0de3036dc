// Route tables for the bench: a namespace with a tap proxy, an address, and
// N IPv4 / IPv6 routes via the tap, inserted by `ip -n NS -batch -` fed from
// a stream (lines generated in chunks, with back-pressure).
//
// CLI: node --import tsx bench/tables.ts [v4count] [v6count]   (creates, prints rates, removes)
import { spawn, execFileSync } from "node:child_process";
import { newNetns, ipn, delNetns } from "./lib.ts";

export const TAP = "ifpx0";
export const TAP_ADDR4 = "192.0.2.1/24";
export const TAP_ADDR6 = "2001:db8:ffff::1/64";

export interface Table {
  ns: string;
  tap: string;
  ifindex: number;
  v4: number;
  v6: number;
}

export interface InsertResult { routes: number; seconds: number; perSec: number }

/** n-th IPv4 prefix: /24s from 16.0.0.0 upward (16.0.0.0/4 holds 1M of them) */
export function v4Prefix(i: number): string {
  const a = 16 + (i >>> 16), b = (i >>> 8) & 255, c = i & 255;
  return `${a}.${b}.${c}.0/24`;
}
/** n-th IPv6 prefix: 2001:db8:H:L::/64 */
export function v6Prefix(i: number): string {
  return `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
}

export function addTap(ns: string, tap = TAP): number {
  ipn(ns, "tuntap", "add", "dev", tap, "mode", "tap");
  ipn(ns, "addr", "add", TAP_ADDR4, "dev", tap);
  ipn(ns, "-6", "addr", "add", TAP_ADDR6, "dev", tap, "nodad");
  ipn(ns, "link", "set", tap, "up");
  return ifindexOf(ns, tap);
}

export function ifindexOf(ns: string, dev: string): number {
  const out = ipn(ns, "-o", "link", "show", "dev", dev);
  return Number(out.split(":")[0]);
}

/** the same, torn down and recreated (drops every route through it at once) */
export function recreateTap(ns: string, tap = TAP): number {
  try { ipn(ns, "link", "del", tap); } catch { /* not there */ }
  return addTap(ns, tap);
}

/**
 * Insert routes [from, to) of a family via `ip -batch -`, streaming the lines.
 * cmd: "add" or "del"
 */
export function insertRoutes(ns: string, family: 4 | 6, from: number, to: number, tap = TAP, cmd = "add"): Promise<InsertResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn("ip", ["-n", ns, ...(family === 6 ? ["-6"] : []), "-batch", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => { if (err.length < 4000) err += d; });
    child.on("error", reject);
    child.on("close", (code) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`ip -batch exited ${code}: ${err.slice(0, 1000)}`));
      const n = to - from;
      resolve({ routes: n, seconds: s, perSec: n / s });
    });
    const CHUNK = 4096;
    const pfx = family === 6 ? v6Prefix : v4Prefix;
    let i = from;
    const pump = () => {
      while (i < to) {
        const end = Math.min(to, i + CHUNK);
        let s = "";
        for (; i < end; i++) s += `route ${cmd} ${pfx(i)} dev ${tap}\n`;
        if (!child.stdin.write(s)) { child.stdin.once("drain", pump); return; }
      }
      child.stdin.end();
    };
    child.stdin.on("error", () => { /* reported by close */ });
    pump();
  });
}

/** count routes of a family via the tap using `ip route show` (sanity check) */
export function countRoutes(ns: string, family: 4 | 6, tap = TAP): number {
  const out = execFileSync("sh", ["-c", `ip -n ${ns} ${family === 6 ? "-6" : ""} route show dev ${tap} | wc -l`], { encoding: "utf8" });
  return Number(out.trim());
}

export async function createTable(v4: number, v6: number, log = console.log): Promise<{ table: Table; inserts: Record<string, InsertResult> }> {
  const ns = newNetns("ifpxb");
  const ifindex = addTap(ns);
  const inserts: Record<string, InsertResult> = {};
  if (v4) {
    const r = await insertRoutes(ns, 4, 0, v4);
    inserts[`ipv4 0..${v4}`] = r;
    log(`  insert ${v4} IPv4 routes: ${r.seconds.toFixed(2)} s, ${Math.round(r.perSec)} routes/s`);
  }
  if (v6) {
    const r = await insertRoutes(ns, 6, 0, v6);
    inserts[`ipv6 0..${v6}`] = r;
    log(`  insert ${v6} IPv6 routes: ${r.seconds.toFixed(2)} s, ${Math.round(r.perSec)} routes/s`);
  }
  return { table: { ns, tap: TAP, ifindex, v4, v6 }, inserts };
}

/** grow the IPv4 table of an existing namespace to `to` routes */
export async function growV4(t: Table, to: number, log = console.log): Promise<InsertResult> {
  const r = await insertRoutes(t.ns, 4, t.v4, to);
  log(`  insert IPv4 routes ${t.v4}..${to}: ${r.seconds.toFixed(2)} s, ${Math.round(r.perSec)} routes/s`);
  t.v4 = to;
  return r;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const v4 = Number(process.argv[2] ?? 100000), v6 = Number(process.argv[3] ?? 0);
  const { table } = await createTable(v4, v6);
  console.log(`ns ${table.ns} ifindex ${table.ifindex}: ipv4 via tap ${countRoutes(table.ns, 4)}, ipv6 via tap ${countRoutes(table.ns, 6)}`);
  delNetns(table.ns);
}
