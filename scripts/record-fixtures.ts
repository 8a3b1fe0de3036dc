// Records raw rtnetlink datagrams for the deterministic unit tests.
//
//   node --import tsx scripts/record-fixtures.ts      (as root)
//
// Creates a network namespace, re-runs itself inside it (`ip netns exec`) so
// the NETLINK_ROUTE socket and every `ip` command live there, subscribes to
// RTMGRP_LINK|NEIGH|IPV4_IFADDR|IPV6_IFADDR|IPV4_ROUTE|IPV6_ROUTE and runs a
// scripted sequence (the upstream 16-step test, multipath, default routes,
// replace, link down, link delete, dumps). Each step's datagrams are appended
// to tests/fixtures/<step>.bin; tests/fixtures/index.json lists, per step, the
// commands, the datagram lengths and the taps' ifindexes.
//
// Taps have no process holding their fd: they stay NO-CARRIER, so IPv6 DAD,
// router solicitations and MLD never run and the recording is reproducible.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync, rmSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "tests", "fixtures");

if (process.env.IFPX_RECORD_INNER !== "1") {
  const ns = `ifpxrec-${process.pid}`;
  execFileSync("ip", ["netns", "add", ns]);
  try {
    execFileSync("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", fileURLToPath(import.meta.url)], {
      stdio: "inherit",
      env: { ...process.env, IFPX_RECORD_INNER: "1" },
      cwd: root,
    });
  } finally {
    execFileSync("ip", ["netns", "del", ns]);
  }
  process.exit(0);
}

const koffi = (await import("koffi")).default;
const libc = koffi.load("libc.so.6");
const socket = libc.func("int socket(int, int, int)");
const bind = libc.func("int bind(int, const void *, unsigned int)");
const send = libc.func("long send(int, const void *, unsigned long, int)");
const recv = libc.func("long recv(int, _Out_ uint8_t *buf, unsigned long, int)");
const setsockopt = libc.func("int setsockopt(int, int, int, const void *, unsigned int)");
const close = libc.func("int close(int)");

const AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000, NETLINK_ROUTE = 0;
const MSG_DONTWAIT = 0x40, SOL_SOCKET = 1, SO_RCVBUFFORCE = 33;
const GROUPS = 0x1 | 0x4 | 0x10 | 0x100 | 0x40 | 0x400;

const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
if (fd < 0) throw new Error("socket failed");
const sa = Buffer.alloc(12);
sa.writeUInt16LE(AF_NETLINK, 0);
sa.writeUInt32LE(GROUPS, 8);
if (bind(fd, sa, 12) !== 0) throw new Error("bind failed");
const rb = Buffer.alloc(4); rb.writeInt32LE(8 << 20, 0);
setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, rb, 4);

const buf = new Uint8Array(1 << 20);
function drain(): Buffer[] {
  const out: Buffer[] = [];
  for (;;) {
    const n = Number(recv(fd, buf, buf.length, MSG_DONTWAIT));
    if (n <= 0) break;
    out.push(Buffer.from(buf.subarray(0, n)));
  }
  return out;
}
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

let seq = 1000;
function dumpReq(type: number, family: number, bodyLen: number): Buffer {
  const b = Buffer.alloc(16 + bodyLen);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(0x1 | 0x300, 6); // NLM_F_REQUEST | NLM_F_DUMP
  b.writeUInt32LE(++seq, 8);
  b.writeUInt8(family, 16);
  return b;
}

interface Step { name: string; cmds: string[][]; dump?: [number, number]; datagrams: number[]; bytes: number }
const steps: Step[] = [];
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

function step(name: string, cmds: string[][], dump?: [number, number]): void {
  drain();
  for (const c of cmds) execFileSync(c[0], c.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
  if (dump) {
    const r = dumpReq(dump[0], 0, dump[1]);
    if (Number(send(fd, r, r.length, 0)) !== r.length) throw new Error("send failed");
  }
  sleep(150);
  const dg = drain();
  const all = Buffer.concat(dg);
  const file = `${String(steps.length).padStart(2, "0")}-${name}.bin`;
  writeFileSync(join(outDir, file), all);
  steps.push({ name: file, cmds: cmds.map((c) => c.join(" ")), dump, datagrams: dg.map((d) => d.length), bytes: all.length });
}
const ip = (...a: string[]) => ["ip", ...a];
const ifindex = (n: string) => Number(readFileSync(`/sys/class/net/${n}/ifindex`, "utf8"));

const M1 = "02:11:22:33:44:55", M2 = "02:66:77:88:99:aa";
const RTM_GETLINK = 18, RTM_GETADDR = 22, RTM_GETROUTE = 26, RTM_GETNEIGH = 30;

// taps: t0 and t1 become proxies in the tests, t2 stays foreign
step("create", [ip("link", "set", "lo", "up"), ip("tuntap", "add", "t0", "mode", "tap"),
  ip("tuntap", "add", "t1", "mode", "tap"), ip("tuntap", "add", "t2", "mode", "tap")]);
const taps = { t0: ifindex("t0"), t1: ifindex("t1"), t2: ifindex("t2"), lo: ifindex("lo") };
const mtu0 = Number(readFileSync("/sys/class/net/t0/mtu", "utf8"));

// pre-listen configuration, then the listen dumps (as a listener would see them)
step("preconf", [ip("link", "set", "t1", "up"), ip("link", "set", "t2", "up"),
  ip("addr", "add", "198.18.0.14/24", "dev", "t1"), ip("addr", "add", "192.0.2.1/24", "dev", "t2"),
  ip("route", "add", "10.20.0.0/16", "via", "198.18.0.1", "dev", "t1"),
  ip("neigh", "add", "198.18.0.7", "dev", "t1", "lladdr", M2, "nud", "permanent")]);
step("dump-link", [], [RTM_GETLINK, 16]);
step("dump-addr", [], [RTM_GETADDR, 8]);
step("dump-route", [], [RTM_GETROUTE, 12]);
step("dump-neigh", [], [RTM_GETNEIGH, 12]);

// the upstream 16 steps on t0 (after `ip link set dev t0 down`)
step("s00-down", [ip("link", "set", "dev", "t0", "down")]);
step("s01-up", [ip("link", "set", "dev", "t0", "up")]);
step("s02-mac", [ip("link", "set", "dev", "t0", "address", M1)]);
step("s03-mtu", [ip("link", "set", "dev", "t0", "mtu", String(mtu0 + 100))]);
step("s04-addr-add", [ip("addr", "add", "198.51.100.14", "dev", "t0")]);
step("s05-addr-del", [ip("addr", "del", "198.51.100.14/32", "dev", "t0")]);
step("s06-route-add", [ip("route", "add", "198.51.100.0/24", "dev", "t0")]);
step("s07-route-del", [ip("route", "del", "198.51.100.0/24", "dev", "t0")]);
step("s08-neigh-add", [ip("neigh", "add", "198.51.100.14", "dev", "t0", "lladdr", M2, "nud", "noarp")]);
step("s09-neigh-del", [ip("neigh", "del", "198.51.100.14", "dev", "t0")]);
step("s10-addr6-add", [ip("addr", "add", "2001:db8::dead:beef", "dev", "t0")]);
step("s11-addr6-del", [ip("addr", "del", "2001:db8::dead:beef/128", "dev", "t0")]);
step("s12-route6-add", [ip("route", "add", "2001:db8::dead:0/96", "dev", "t0")]);
step("s13-route6-del", [ip("route", "del", "2001:db8::dead:0/96", "dev", "t0")]);
step("s14-neigh6-add", [ip("neigh", "add", "2001:db8::dead:beef", "dev", "t0", "lladdr", M2, "nud", "noarp")]);
step("s15-neigh6-del", [ip("neigh", "del", "2001:db8::dead:beef", "dev", "t0")]);
step("s16-down", [ip("link", "set", "dev", "t0", "down")]);

// beyond upstream
step("x-up-addrs", [ip("link", "set", "dev", "t0", "up"), ip("addr", "add", "198.51.100.14/24", "dev", "t0"),
  ip("addr", "add", "2001:db8::14/64", "dev", "t0"), ip("addr", "add", "2001:db8:1::14/64", "dev", "t1")]);
step("x-multipath", [ip("route", "add", "10.10.0.0/16", "nexthop", "via", "198.51.100.1", "dev", "t0", "weight", "2",
  "nexthop", "via", "198.18.0.1", "dev", "t1")]);
step("x-multipath-foreign", [ip("route", "add", "10.11.0.0/16", "nexthop", "via", "198.51.100.1", "dev", "t0",
  "nexthop", "via", "192.0.2.2", "dev", "t2")]);
step("x-multipath6", [ip("-6", "route", "add", "2001:db8:10::/48", "nexthop", "via", "2001:db8::1", "dev", "t0",
  "nexthop", "via", "2001:db8:1::1", "dev", "t1")]);
// IPv6 deletes one sibling of a multipath route alone; appending it back restores the route
step("x-multipath6-del1", [ip("-6", "route", "del", "2001:db8:10::/48", "via", "2001:db8:1::1", "dev", "t1")]);
step("x-multipath6-readd", [ip("-6", "route", "append", "2001:db8:10::/48", "via", "2001:db8:1::1", "dev", "t1")]);
step("x-default", [ip("route", "add", "default", "via", "198.51.100.1", "dev", "t0")]);
step("x-default6", [ip("-6", "route", "add", "default", "via", "2001:db8::1", "dev", "t0")]);
step("x-foreign", [ip("route", "add", "10.30.0.0/16", "via", "192.0.2.2", "dev", "t2"),
  ip("neigh", "add", "192.0.2.9", "dev", "t2", "lladdr", M2, "nud", "permanent")]);
step("x-table100", [ip("route", "add", "10.40.0.0/16", "via", "198.51.100.1", "dev", "t0", "table", "100")]);
step("x-route-add", [ip("route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "t0")]);
step("x-route-replace", [ip("route", "replace", "203.0.113.0/24", "via", "198.51.100.2", "dev", "t0")]);
step("x-route-replace-foreign", [ip("route", "replace", "203.0.113.0/24", "via", "192.0.2.2", "dev", "t2")]);
step("x-route-append", [ip("route", "append", "203.0.113.0/24", "via", "198.51.100.3", "dev", "t0")]);
step("x-blackhole", [ip("route", "add", "blackhole", "10.50.0.0/16"), ip("route", "add", "unreachable", "10.51.0.0/16")]);
step("x-neigh-change", [ip("neigh", "add", "198.51.100.20", "dev", "t0", "lladdr", M2, "nud", "permanent"),
  ip("neigh", "replace", "198.51.100.20", "dev", "t0", "lladdr", M1, "nud", "permanent"),
  ip("neigh", "add", "2001:db8::20", "dev", "t0", "lladdr", M2, "nud", "noarp")]);
step("x-dump2-route", [], [RTM_GETROUTE, 12]);
step("x-dump2-addr", [], [RTM_GETADDR, 8]);
step("x-dump2-neigh", [], [RTM_GETNEIGH, 12]);
// IFF_UP cleared on t0: the kernel removes IPv4 routes through it without RTM_DELROUTE
step("x-t0-down", [ip("link", "set", "dev", "t0", "down")]);
step("x-dump3-route", [], [RTM_GETROUTE, 12]);
step("x-t0-up", [ip("link", "set", "dev", "t0", "up")]);
step("x-dump4-route", [], [RTM_GETROUTE, 12]);
// the last IPv4 address of t1 goes: IPv4 routes through t1 go silently
step("x-t1-lastaddr", [ip("route", "add", "10.60.0.0/16", "via", "198.18.0.1", "dev", "t1"),
  ip("addr", "del", "198.18.0.14/24", "dev", "t1")]);
step("x-dump5-route", [], [RTM_GETROUTE, 12]);
step("x-t1-del", [ip("link", "del", "t1")]);
step("x-dump6-link", [], [RTM_GETLINK, 16]);

close(fd);
writeFileSync(join(outDir, "index.json"), JSON.stringify({
  recorded: new Date().toISOString(),
  kernel: execFileSync("uname", ["-r"], { encoding: "utf8" }).trim(),
  taps, mtu0, M1, M2, steps,
}, null, 1) + "\n");
console.log(`recorded ${steps.length} steps into ${outDir}:`, readdirSync(outDir).length, "files", taps);
