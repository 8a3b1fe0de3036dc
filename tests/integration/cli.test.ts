// The CLI as people use it: `ifpx watch --json` piped (one JSON object per
// line, written as events happen), human output with ip monitor's names,
// `ifpx show`, `ifpx stats` and SIGUSR1, usage on stderr and exit codes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withNetns, type Netns } from "./helpers/netns.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(root, "dist/cli.js");

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 30000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function setup(ns: Netns): void {
  ns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
  ns.ip("link", "set", "v0", "up");
  ns.ip("link", "set", "v1", "up");
  ns.ip("addr", "add", "198.51.100.14/24", "dev", "v0");
  ns.ip("neigh", "add", "198.51.100.1", "dev", "v0", "lladdr", "02:00:00:00:00:01", "nud", "permanent");
}

/** A running `ifpx watch`: its stdout lines and stderr as they come. */
function watch(args: string[]) {
  const child = spawn(process.execPath, [CLI, "watch", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let err = "", partial = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
  const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  const until = async (what: string, pred: () => boolean, ms = 10000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`${what}: not seen; stdout:\n${lines.join("\n")}\nstderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, lines, get err() { return err; }, exited, until };
}

test("watch --json: one object per line, the decoded event's fields, written as it happens; SIGUSR1 counters on stderr; SIGINT exits 0", () => withNetns(async (ns) => {
  setup(ns);
  const w = watch(["--netns", ns.name, "--json", "v0"]);
  try {
    await w.until("CFG_DONE", () => w.lines.some((l) => l.includes('"CFG_DONE"')));
    const events = w.lines.map((l) => JSON.parse(l));
    const addr = events.find((e) => e.type === "ADDR_ADD");
    assert.equal(addr, { type: "ADDR_ADD", typeId: 3, portId: 0, proxyId: addr.proxyId, flags: 1, family: 2, ifindex: addr.ifindex,
      seq: addr.seq, ipNum: 0xc633640e, ip: "198.51.100.14", prefixLen: 24, scope: 0, ifaFlags: 0x80 });
    const neigh = events.find((e) => e.type === "NEIGH_ADD");
    assert.equal([neigh.ip, neigh.mac, neigh.state], ["198.51.100.1", "02:00:00:00:00:01", 0x80]);
    const n = w.lines.length;
    ns.ip("-6", "addr", "add", "2001:db8::14/64", "dev", "v0", "nodad");
    await w.until("ADDR6_ADD", () => w.lines.slice(n).some((l) => l.includes('"ADDR6_ADD"')));
    const a6 = JSON.parse(w.lines.slice(n).find((l) => l.includes('"ADDR6_ADD"'))!);
    assert.equal([a6.ip, a6.prefixLen, a6.flags, a6.ipBytes], ["2001:db8::14", 64, 0, undefined], "byte arrays are left out, their text is there");
    w.child.kill("SIGUSR1");
    await w.until("the counters on stderr", () => w.err.includes('"type":"STATS"'));
    const stats = JSON.parse(w.err.split("\n").find((l) => l.includes('"STATS"'))!);
    assert.ok(stats.datagrams > 0 && stats.delivered > 0 && Array.isArray(stats.refused) && typeof stats.core === "object", JSON.stringify(stats));
    assert.ok(w.lines.every((l) => !l.includes("STATS")), "stdout carries events only");
    w.child.kill("SIGINT");
    assert.is(await w.exited, 0);
  } finally {
    w.child.kill("SIGKILL");
  }
}));

test("watch: ip monitor's names for NUD states, protocols, tables, scopes, route types", () => withNetns(async (ns) => {
  setup(ns);
  const w = watch(["--netns", ns.name, "v0"]);
  try {
    await w.until("CFG_DONE", () => w.lines.some((l) => l.startsWith("CFG_DONE")));
    ns.ip("route", "add", "192.0.2.0/24", "via", "198.51.100.1", "dev", "v0", "proto", "static", "metric", "20");
    ns.ip("neigh", "replace", "198.51.100.1", "dev", "v0", "lladdr", "02:00:00:00:00:01", "nud", "stale");
    await w.until("route and neighbour", () => w.lines.some((l) => l.includes("192.0.2.0/24")) && w.lines.some((l) => l.includes("STALE")));
    const text = w.lines.join("\n");
    assert.match(text, /^ADDR_ADD\s+port 0\s+198\.51\.100\.14\/24 scope global \[initial\]$/m);
    assert.match(text, /^NEIGH_ADD\s+port 0\s+198\.51\.100\.1 lladdr 02:00:00:00:00:01 PERMANENT \[initial\]$/m);
    assert.match(text, /^ROUTE_ADD\s+port 0\s+198\.51\.100\.0\/24 table main proto kernel scope link \[initial\]$/m);
    assert.match(text, /^ROUTE_ADD\s+port 0\s+local 198\.51\.100\.14\/32 table local proto kernel scope host \[initial,local\]$/m);
    assert.match(text, /^ROUTE_ADD\s+port 0\s+192\.0\.2\.0\/24 via 198\.51\.100\.1 table main proto static metric 20$/m);
    assert.match(text, /^NEIGH_ADD\s+port 0\s+198\.51\.100\.1 lladdr 02:00:00:00:00:01 STALE/m);
    assert.match(text, /^LINK_CHANGE\s+port 0\s+up, carrier on <BROADCAST,MULTICAST,UP,LOWER_UP> state UP \[initial\]$/m);
    assert.not.match(text, /nud 0x|proto \d|type \d/);
    // a carrier change (the veth's peer goes down, then up) as watch shows it
    ns.ip("link", "set", "v1", "down");
    await w.until("carrier off", () => w.lines.some((l) => /^LINK_CHANGE\s+port 0\s+up, carrier off/.test(l)));
    assert.ok(w.lines.some((l) => /^LINK_CHANGE\s+port 0\s+up, carrier off <BROADCAST,MULTICAST,UP> state LOWERLAYERDOWN$/.test(l)), w.lines.join("\n"));
    ns.ip("link", "set", "v1", "up");
    await w.until("carrier on again", () => w.lines.filter((l) => /^LINK_CHANGE\s+port 0\s+up, carrier on <BROADCAST,MULTICAST,UP,LOWER_UP> state UP$/.test(l)).length === 1);
    w.child.kill("SIGTERM");
    assert.is(await w.exited, 0);
  } finally {
    w.child.kill("SIGKILL");
  }
}));

test("watch --json | head -1: the reader going away ends watch quietly with exit 0", () => withNetns(async (ns) => {
  setup(ns);
  const w = watch(["--netns", ns.name, "--json", "v0"]);
  try {
    await w.until("CFG_DONE", () => w.lines.some((l) => l.includes('"CFG_DONE"')));
    w.child.stdout.destroy(); // as head does after its line
    ns.ip("addr", "add", "198.51.100.15/24", "dev", "v0");
    assert.is(await w.exited, 0);
    assert.not.match(w.err, /EPIPE|Error/);
  } finally {
    w.child.kill("SIGKILL");
  }
}));

test("show and stats: the mirror and the counters, read once, then exit 0", () => withNetns((ns) => {
  setup(ns);
  const human = cli("show", "--netns", ns.name, "v0");
  assert.is(human.code, 0, human.err);
  assert.match(human.out, /^v0 \(port 0, proxy \d+\): ifindex \d+ up mtu 1500 mac [0-9a-f:]{17}$/m);
  assert.match(human.out, /^  addr\s+198\.51\.100\.14\/24 scope global$/m);
  assert.match(human.out, /^  route\s+198\.51\.100\.0\/24 table main proto kernel scope link$/m);
  assert.match(human.out, /^  neigh\s+198\.51\.100\.1 lladdr 02:00:00:00:00:01 PERMANENT$/m);
  const json = cli("show", "--netns", ns.name, "--json", "v0");
  assert.is(json.code, 0, json.err);
  const lines = json.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal([lines[0].type, lines[0].name, lines[0].portId, lines[0].mtu, lines[0].up], ["INFO", "v0", 0, 1500, true]);
  assert.ok(lines.some((l) => l.type === "ADDR_ADD" && l.ip === "198.51.100.14" && l.prefixLen === 24));
  assert.ok(lines.some((l) => l.type === "NEIGH_ADD" && l.ip === "198.51.100.1" && l.state === 0x80));
  const noNeigh = cli("show", "--netns", ns.name, "--json", "--kinds", "addr,route", "v0");
  assert.not.ok(noNeigh.out.includes("NEIGH"), "--kinds addr,route follows no neighbours");
  const stats = cli("stats", "--netns", ns.name, "--json", "v0");
  assert.is(stats.code, 0, stats.err);
  const s = JSON.parse(stats.out);
  assert.equal([s.type, s.refused, s.unreadable, s.syncing], ["STATS", [], 0, false]);
  assert.ok(s.core.mirror_neigh >= 1 && s.datagrams > 0);
  assert.match(cli("stats", "--netns", ns.name, "v0").out, /^stats: datagrams \d+ .* refused none unreadable 0$/m);
}));

test("usage on stderr with exit 2, --help on stdout with exit 0, failures exit 1", () => withNetns((ns) => {
  const none = cli();
  assert.equal([none.code, none.out], [2, ""]);
  assert.match(none.err, /usage: ifpx COMMAND/);
  const noIf = cli("watch");
  assert.equal([noIf.code, noIf.out], [2, ""]);
  assert.match(noIf.err, /no interface given\nusage: ifpx watch/);
  const badOpt = cli("show", "--colour", "v0");
  assert.equal([badOpt.code, badOpt.out], [2, ""]);
  for (const c of ["watch", "show", "stats", "bundle", "demo"]) {
    const h = cli(c, "--help");
    assert.equal([h.code, h.err], [0, ""], c);
    assert.match(h.out, new RegExp(`^usage: ifpx ${c}`), c);
  }
  const missing = cli("show", "--netns", ns.name, "nosuch0");
  assert.equal([missing.code, missing.out], [1, ""]);
  assert.match(missing.err, /^ifpx: ENOENT: no interface named nosuch0/);
  const badKinds = cli("show", "--netns", ns.name, "--kinds", "route", "lo");
  assert.is(badKinds.code, 1);
  assert.match(badKinds.err, /EINVAL: kinds: "route" needs "addr"/);
}));

test.run();
