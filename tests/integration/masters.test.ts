// MASTER_CHANGE on a real kernel. This kernel has no VRF driver (CONFIG_NET_VRF
// unset), so the master here is a bridge: IFLA_MASTER is the same attribute
// for every master kind (tests/vm/vrf.test.ts does the VRF in a VM).
// Enslaving to a bridge does not touch the port's routes (unlike a VRF, which
// cycles the port down and up to move them; README "VRF and other masters").
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventType, EventFlag, type IfpxEvent, type MasterChangeEvent } from "../../host/index.js";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector, ALL_TYPES, sleep } from "./helpers/collector.js";

const TYPES = [...ALL_TYPES, EventType.MASTER_CHANGE];

async function session(fn: (ns: Netns, ifpx: Ifpx, c: Collector) => Promise<void>) {
  await withNetns(async (ns) => {
    const errors: unknown[] = [];
    const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { errors.push(e); } });
    const c = new Collector();
    try { await fn(ns, ifpx, c); } finally { await ifpx.dispose(); }
    assert.equal(errors, []);
  });
}

const ifindexOf = (ns: Netns, name: string): number => JSON.parse(ns.ip("-j", "link", "show", name))[0].ifindex;
const masters = (c: Collector, from = 0) => c.events.slice(from).filter((e): e is MasterChangeEvent => e.type === "MASTER_CHANGE");
const brief = (e: MasterChangeEvent) => ({ port: e.portId, master: e.master, kind: e.masterKind, table: e.vrfTable, name: e.masterName, initial: (e.flags & EventFlag.INITIAL) !== 0 });
const routeKeys = (ifpx: Ifpx, p: number) => ifpx.routes(p).map((r: any) => `${r.table}|${r.ip}/${r.depth}|${r.gateway}`).sort();
const routeEvents = (c: Collector, from: number) => c.events.slice(from).filter((e: IfpxEvent) => e.type.startsWith("ROUTE"));

test("live: a tap proxy enslaved to a bridge and released; its routes untouched", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "dp0" });
  ifpx.bind(0, p);
  ns.ip("link", "set", "dp0", "up");
  ns.ip("addr", "add", "10.1.0.1/24", "dev", "dp0");
  ns.ip("route", "add", "10.9.0.0/24", "via", "10.1.0.2", "dev", "dp0");
  c.attach(ifpx, TYPES);
  await ifpx.listen();
  assert.equal(masters(c), [], "no master, no MASTER_CHANGE in the initial state");
  assert.is(ifpx.info(p).master, undefined);
  const routesBefore = routeKeys(ifpx, p);
  assert.ok(routesBefore.some((k) => k.startsWith("254|10.9.0.0/24|10.1.0.2")), "the static route mirrored");

  ns.ip("link", "add", "br0", "type", "bridge");
  ns.ip("link", "set", "br0", "up");
  const br = ifindexOf(ns, "br0");
  let from = c.events.length;
  ns.ip("link", "set", "dp0", "master", "br0");
  await c.waitFor([{ type: "MASTER_CHANGE", master: br }], 3000, from);
  assert.equal(masters(c, from).map(brief), [{ port: 0, master: br, kind: "bridge", table: 0, name: "br0", initial: false }]);
  assert.equal(ifpx.info(p).master, { ifindex: br, name: "br0", kind: "bridge", vrfTable: 0 });

  from = c.events.length;
  ns.ip("link", "set", "dp0", "nomaster");
  await c.waitFor([{ type: "MASTER_CHANGE", master: 0 }], 3000, from);
  assert.equal(masters(c, from).map(brief), [{ port: 0, master: 0, kind: "none", table: 0, name: "", initial: false }]);
  assert.is(ifpx.info(p).master, undefined);

  await sleep(200); // anything the kernel would still say about routes
  const start = c.events.findIndex((e) => e.type === "CFG_DONE") + 1;
  assert.equal(routeEvents(c, start), [], "no route event while enslaved and released");
  assert.equal(routeKeys(ifpx, p), routesBefore);
  assert.ok(ns.ip("route", "show", "10.9.0.0/24").includes("via 10.1.0.2 dev dp0"), "the kernel kept it too");
}));

test("enslaved before listen, the bridge dumped after the tap: one complete MASTER_CHANGE; late bind; rename; bridge deleted", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "dp0" });
  ifpx.bind(0, p);
  ns.ip("link", "add", "br0", "type", "bridge");
  ns.ip("link", "set", "dp0", "master", "br0");
  ns.ip("link", "set", "dp0", "up");
  const br = ifindexOf(ns, "br0");
  assert.ok(br > ifpx.info(p).ifindex, "the bridge comes after the tap in the link dump");
  c.attach(ifpx, TYPES);
  await ifpx.listen();
  assert.equal(masters(c).map(brief), [{ port: 0, master: br, kind: "bridge", table: 0, name: "br0", initial: true }]);
  const types = c.events.map((e) => e.type);
  assert.ok(types.indexOf("MASTER_CHANGE") < types.indexOf("CFG_DONE"), "part of the initial state");
  assert.equal(ifpx.info(p).master, { ifindex: br, name: "br0", kind: "bridge", vrfTable: 0 });

  let from = c.events.length;
  ifpx.bind(5, p);
  await c.waitFor([{ type: "PORT_DONE", portId: 5 }], 3000, from);
  assert.equal(masters(c, from).map(brief), [{ port: 5, master: br, kind: "bridge", table: 0, name: "br0", initial: true }]);

  from = c.events.length;
  ns.ip("link", "set", "br0", "name", "br-renamed"); // the bridge is down: a rename is allowed
  await c.waitFor([{ type: "MASTER_CHANGE", masterName: "br-renamed", portId: 0 }, { type: "MASTER_CHANGE", masterName: "br-renamed", portId: 5 }], 3000, from);
  assert.equal(ifpx.info(p).master!.name, "br-renamed");

  from = c.events.length;
  ns.ip("link", "del", "br-renamed");
  await c.waitFor([{ type: "MASTER_CHANGE", master: 0, portId: 0 }, { type: "MASTER_CHANGE", master: 0, portId: 5 }], 3000, from);
  assert.is(ifpx.info(p).master, undefined);
  await sleep(100);
  assert.is(masters(c, from).length, 2, "released once per port, nothing after the bridge's DELLINK");
}));

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

test("CLI: watch prints MASTER_CHANGE as the bridge takes the port; show prints the master, --json carries it", () => withNetns(async (ns) => {
  ns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
  ns.ip("link", "add", "br0", "type", "bridge");
  const child = spawn(process.execPath, [CLI, "watch", "--netns", ns.name, "v0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
  const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  const until = async (re: RegExp) => {
    for (const end = Date.now() + 15000; !re.test(out); await sleep(50)) if (Date.now() > end) throw new Error(`no ${re} in:\n${out}\n${err}`);
  };
  try {
    await until(/CFG_DONE/);
    ns.ip("link", "set", "v0", "master", "br0");
    await until(/^MASTER_CHANGE port 0 +proxy \d+ master br0 \(bridge\)$/m);
    ns.ip("link", "set", "v0", "nomaster");
    await until(/^MASTER_CHANGE port 0 +proxy \d+ nomaster$/m);
  } finally {
    child.kill("SIGINT");
  }
  assert.is(await exited, 0);

  ns.ip("link", "set", "v0", "master", "br0");
  const br = ifindexOf(ns, "br0");
  const show = spawnSync(process.execPath, [CLI, "show", "--netns", ns.name, "v0"], { encoding: "utf8", timeout: 30000 });
  assert.is(show.status, 0, show.stderr);
  assert.match(show.stdout.split("\n")[0], / master br0 \(bridge\)$/);
  const json = spawnSync(process.execPath, [CLI, "show", "--json", "--netns", ns.name, "v0"], { encoding: "utf8", timeout: 30000 });
  assert.is(json.status, 0, json.stderr);
  const info = JSON.parse(json.stdout.split("\n")[0]);
  assert.equal([info.type, info.master], ["INFO", { ifindex: br, name: "br0", kind: "bridge", vrfTable: 0 }]);
}));

test.run();
