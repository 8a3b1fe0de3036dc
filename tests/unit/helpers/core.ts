// Test helpers for the WASM netlink core: load a fresh core, feed recorded
// netlink bytes, decode staged records into plain objects.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createCore } from "../../../host/core/wasm.ts";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures");
export const index = JSON.parse(readFileSync(join(FIXTURES, "index.json"), "utf8"));
export const T0: number = index.taps.t0;
export const T1: number = index.taps.t1;
export const T2: number = index.taps.t2;

export const EV = ["MAC_CHANGE", "MTU_CHANGE", "LINK_CHANGE", "ADDR_ADD", "ADDR_DEL", "ADDR6_ADD", "ADDR6_DEL",
  "ROUTE_ADD", "ROUTE_DEL", "ROUTE6_ADD", "ROUTE6_DEL", "NEIGH_ADD", "NEIGH_DEL", "NEIGH6_ADD", "NEIGH6_DEL",
  "CFG_DONE", "PROXY_GONE", "PORT_DONE", "RESYNC_DONE", "OVERFLOW", "REPLAY_DONE", "END"];
export const F = { INITIAL: 1, REPLACE: 2, LOCAL: 4, RESYNC: 8, MULTIPATH: 16, GW6: 32 };

/** fixture bytes by step name fragment (e.g. "s04-addr-add") */
export function fx(name: string): Uint8Array {
  const s = index.steps.find((x: any) => x.name.includes(name));
  if (!s) throw new Error(`no fixture ${name}`);
  return new Uint8Array(readFileSync(join(FIXTURES, s.name)));
}
export function fxNames(): string[] { return index.steps.map((x: any) => x.name); }

const ip4 = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
function ip6(b: Uint8Array): string {
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[i] << 8) | b[i + 1]).toString(16));
  // compress the longest zero run
  let best = -1, bl = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== "0") { i++; continue; }
    let j = i; while (j < 8 && w[j] === "0") j++;
    if (j - i > bl) { best = i; bl = j - i; }
    i = j;
  }
  if (bl < 2) return w.join(":");
  return (w.slice(0, best).join(":") + "::" + w.slice(best + bl).join(":"));
}
const mac = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");

export function decode(mem: ArrayBufferLike, p: number): any {
  const dv = new DataView(mem as ArrayBuffer, p, 64);
  const u8 = new Uint8Array(mem as ArrayBuffer, p, 64);
  const type = dv.getUint16(0, true);
  const r: any = {
    type: EV[type] ?? type, port: dv.getUint16(2, true), proxy: dv.getUint16(4, true),
    flags: dv.getUint8(6), family: dv.getUint8(7), ifindex: dv.getUint32(8, true), seq: dv.getUint32(12, true),
  };
  const v6 = r.family === 10;
  const ip = (o: number) => v6 ? ip6(u8.slice(o, o + 16)) : ip4(dv.getUint32(o, true));
  switch (type) {
    case 0: r.mac = mac(u8.slice(16, 22)); break;
    case 1: r.mtu = dv.getUint32(16, true); break;
    case 2: r.up = u8[16]; r.carrier = u8[17]; r.oper = u8[18]; r.if_flags = dv.getUint32(20, true); break;
    case 3: case 4: case 5: case 6:
      r.ip = ip(16); r.prefixlen = u8[32]; r.scope = u8[33]; r.ifa_flags = dv.getUint32(36, true); break;
    case 7: case 8: case 9: case 10:
      // flag 0x20 (GW6): an IPv4 route's IPv6 gateway, 16 bytes
      r.dst = ip(16); r.gw = r.flags & 0x20 ? ip6(u8.slice(32, 48)) : ip(32); r.depth = u8[48]; r.rtype = u8[49]; r.proto = u8[50]; r.scope = u8[51];
      r.table = dv.getUint32(52, true); r.prio = dv.getUint32(56, true); r.weight = u8[60]; r.nh_count = u8[61]; r.tos = u8[62];
      break;
    case 11: case 12: case 13: case 14:
      r.ip = ip(16); r.mac = mac(u8.slice(32, 38)); r.state = dv.getUint16(38, true); r.ntf = u8[40]; r.ndm_type = u8[41]; break;
    default: r.a = dv.getUint32(16, true); r.b = dv.getUint32(20, true); r.c = dv.getUint32(24, true); r.d = dv.getUint32(28, true);
  }
  return r;
}

export const STATS = ["messages", "malformed", "filtered", "staged", "link", "addr", "route", "neigh", "other",
  "done", "errors", "dump_intr", "n_addr", "n_route4", "n_route6", "n_neigh", "via", "cloned", "nh_over",
  "implied", "grows", "sync_added", "sync_removed", "sync_changed", "gen", "stage_grows", "seq", "acks",
  "nh_msgs", "nh_used", "nh_nocompat", "unsettled"];

export class Core {
  x: any;
  memory: WebAssembly.Memory;
  constructor() {
    const { share, exports } = createCore();
    this.x = exports;
    this.memory = share.memory;
    this.x.core_init();
  }
  get buf(): ArrayBufferLike { return this.memory.buffer; }
  u32(p: number, i = 0): number { return new DataView(this.buf as ArrayBuffer).getUint32(p + i * 4, true); }
  i32(p: number, i = 0): number { return new DataView(this.buf as ArrayBuffer).getInt32(p + i * 4, true); }
  status() {
    const p = this.x.status_ptr();
    return { next_off: this.u32(p, 0), flags: this.u32(p, 1), error: this.i32(p, 2), seq: this.u32(p, 3),
      msgs: this.u32(p, 4), staged: this.u32(p, 5), sync: this.u32(p, 6), replay: this.u32(p, 7) };
  }
  stats(): Record<string, number> {
    const p = this.x.stats_ptr();
    const o: Record<string, number> = {};
    STATS.forEach((k, i) => { o[k] = this.u32(p, i); });
    return o;
  }
  staged(n: number): any[] {
    const p = this.x.staged_ptr();
    const out = [];
    for (let i = 0; i < n; i++) out.push(decode(this.buf, p + i * 64));
    return out;
  }
  /** copy bytes into rx at 0 and process them to the end, collecting all records */
  feed(bytes: Uint8Array, maxCalls = 1 << 20): any[] {
    new Uint8Array(this.buf as ArrayBuffer, this.x.rx_ptr(), bytes.length).set(bytes);
    const out: any[] = [];
    let off = 0;
    for (let calls = 0; calls < maxCalls; calls++) {
      const n = this.x.process(off, bytes.length);
      out.push(...this.staged(n));
      off = this.status().next_off;
      if (off >= bytes.length) break;
    }
    return out;
  }
  /** run sync_end_step() to completion */
  sweep(): any[] {
    const out: any[] = [];
    for (let i = 0; i < 1 << 20; i++) { const n = this.x.sync_end_step(); if (!n) break; out.push(...this.staged(n)); }
    return out;
  }
  replay(proxy: number, port: number): any[] {
    this.x.replay_begin(proxy, port);
    const out: any[] = [];
    for (let i = 0; i < 1 << 20; i++) { const n = this.x.replay_step(); if (!n) break; out.push(...this.staged(n)); }
    return out;
  }
  info(id: number) {
    const p = this.x.proxy_info_ptr(id);
    if (!p) return null;
    const u8 = new Uint8Array(this.buf as ArrayBuffer, p, 40);
    const nameBytes = u8.slice(24, 40);
    const z = nameBytes.indexOf(0);
    return { ifindex: this.i32(p, 0), mtu: this.u32(p, 1), mac: mac(u8.slice(8, 14)), ifi_flags: this.u32(p, 4),
      operstate: u8[20], known: u8[21], gone: u8[22],
      name: Buffer.from(nameBytes.slice(0, z < 0 ? 16 : z)).toString() };
  }
}

/** strip seq (varies with history) and keep the listed keys only when given */
export function brief(r: any, keys?: string[]): any {
  const { seq, ...rest } = r;
  if (!keys) return rest;
  const o: any = {};
  for (const k of keys) o[k] = rest[k];
  return o;
}

// ---- synthetic netlink messages ----

export function attr(type: number, payload: Uint8Array): Uint8Array {
  const len = 4 + payload.length;
  const out = new Uint8Array((len + 3) & ~3);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, len, true); dv.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}
export const u32le = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };
export const ip4be = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, false); return b; };

export function nlmsg(type: number, flags: number, body: Uint8Array, ...attrs: Uint8Array[]): Uint8Array {
  const len = 16 + body.length + attrs.reduce((a, x) => a + x.length, 0);
  const out = new Uint8Array((len + 3) & ~3);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len, true); dv.setUint16(4, type, true); dv.setUint16(6, flags, true); dv.setUint32(8, 1, true);
  out.set(body, 16);
  let o = 16 + body.length;
  for (const a of attrs) { out.set(a, o); o += a.length; }
  return out;
}
export function rtmsg(family: number, dstLen: number, table: number, type = 1, scope = 0, proto = 4): Uint8Array {
  return new Uint8Array([family, dstLen, 0, 0, table, proto, scope, type, 0, 0, 0, 0]);
}
/** RTM_NEWROUTE IPv4 dst/len via gw dev oif in table 254 (60 bytes) */
export function route4(dst: number, len: number, gw: number, oif: number, type = 24, flags = 0x2): Uint8Array {
  return nlmsg(type, flags, rtmsg(2, len, 254), attr(15, u32le(254)), attr(1, ip4be(dst)), attr(5, ip4be(gw)), attr(4, u32le(oif)));
}
export function route6(i: number, oif: number): Uint8Array {
  const dst = new Uint8Array(16); dst[0] = 0x20; dst[1] = 0x01; dst[2] = 0x0d; dst[3] = 0xb8;
  new DataView(dst.buffer).setUint32(4, i, false);
  const gw = new Uint8Array(16); gw[0] = 0xfe; gw[1] = 0x80; gw[15] = 1;
  return nlmsg(24, 0x2, rtmsg(10, 64, 254), attr(15, u32le(254)), attr(1, dst), attr(5, gw), attr(4, u32le(oif)), attr(6, u32le(1024)));
}
export function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, x) => a + x.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
