// Runs inside the test VM (a kernel with the VRF driver; this machine's has
// none). A proxy moved into a VRF and out again: MASTER_CHANGE carries the
// VRF's table, and the routes through the proxy change tables as the kernel
// moves them (drivers/net/vrf.c cycle_netdev: enslaving and releasing take the
// port down and up, which flushes its routes, and the up re-adds the connected
// and local routes in the table of its new l3mdev, or main/local without one).
// The application's view, built from ROUTE_ADD/ROUTE_DEL alone, must equal the
// kernel's routes through the proxy after each step.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventType, type IfpxEvent, type MasterChangeEvent } from "../../host/index.js";
import { withNetns, type Netns } from "../integration/helpers/netns.js";
import { Collector, ALL_TYPES, sleep } from "../integration/helpers/collector.js";

const TYPES = [...ALL_TYPES, EventType.MASTER_CHANGE];
// TCG runs Node several times slower than the host: generous timeouts
const WAIT = 20_000;
const TABLE_IDS: Record<string, number> = { main: 254, local: 255, default: 253 };
const TYPE_NAMES: Record<number, string> = { 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast" };

/** the kernel's IPv4 routes through dp0 in every table, as "table|dst/len|type" */
function kernelRoutes(ns: Netns): string[] {
  const out = JSON.parse(ns.ip("-j", "-4", "route", "show", "table", "all", "dev", "dp0")) as any[];
  return out.map((r) => {
    const dst = r.dst === "default" ? "0.0.0.0/0" : r.dst.includes("/") ? r.dst : `${r.dst}/32`;
    const table = r.table === undefined ? 254 : (TABLE_IDS[r.table] ?? Number(r.table));
    return `${table}|${dst}|${r.type ?? "unicast"}`;
  }).sort();
}

/** the application's view of the routes through the proxy, from ROUTE events only */
function routeView(ifpx: Ifpx) {
  const view = new Set<string>();
  const key = (e: any) => `${e.table}|${e.ip}/${e.depth}|${TYPE_NAMES[e.routeType] ?? e.routeType}`;
  let last = Date.now();
  ifpx.registerCallbacks([
    { type: EventType.ROUTE_ADD, callback: (e: IfpxEvent) => { view.add(key(e)); last = Date.now(); } },
    { type: EventType.ROUTE_DEL, callback: (e: IfpxEvent) => { view.delete(key(e)); last = Date.now(); } },
  ]);
  return {
    keys: () => [...view].sort(),
    /** until `key` is in the view, then until no route event for a second */
    settle: async (key: string) => {
      const deadline = Date.now() + WAIT;
      while (!view.has(key)) {
        if (Date.now() > deadline) throw new Error(`no ROUTE_ADD ${key}; view: ${[...view].sort().join(" ")}`);
        await sleep(50);
      }
      while (Date.now() - last < 1000) await sleep(200);
    },
  };
}

test("a proxy moved into VRF vrf-blue (table 10) and out again: MASTER_CHANGE, routes change tables, a route in table 10", () => withNetns(async (ns) => {
  assert.is(process.env.IFPX_IN_VM, "1", "runs inside scripts/vm/run.sh");
  ns.ip("link", "add", "dp0", "type", "veth", "peer", "name", "dp0p");
  ns.ip("link", "add", "vrf-blue", "type", "vrf", "table", "10");
  for (const l of ["dp0p", "dp0", "vrf-blue"]) ns.ip("link", "set", l, "up");
  ns.ip("addr", "add", "10.1.0.1/24", "dev", "dp0");
  const vrf = JSON.parse(ns.ip("-j", "link", "show", "vrf-blue"))[0].ifindex as number;

  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
  try {
    const p = ifpx.adoptProxy("dp0");
    ifpx.bind(1, p);
    const c = new Collector();
    c.attach(ifpx, TYPES);
    const view = routeView(ifpx); // after attach: replaces its ROUTE callbacks, so ROUTE events go to the view
    await ifpx.listen();
    assert.not.ok(c.find({ type: "MASTER_CHANGE" }), "no master yet");
    assert.ok(view.keys().includes("254|10.1.0.0/24|unicast"), "the connected route in main");

    // into the VRF
    let from = c.events.length;
    ns.ip("link", "set", "dp0", "master", "vrf-blue");
    const [m] = await c.waitFor([{ type: "MASTER_CHANGE", master: vrf }], WAIT, from) as MasterChangeEvent[];
    assert.equal([m.portId, m.masterKind, m.vrfTable, m.masterName], [1, "vrf", 10, "vrf-blue"]);
    assert.equal(ifpx.info(p).master, { ifindex: vrf, name: "vrf-blue", kind: "vrf", vrfTable: 10 });
    ns.ip("route", "add", "10.9.0.0/24", "dev", "dp0", "table", "10");
    await view.settle("10|10.9.0.0/24|unicast");
    const inVrf = view.keys();
    assert.ok(inVrf.includes("10|10.1.0.0/24|unicast"), "the connected route moved to table 10");
    assert.ok(inVrf.includes("10|10.9.0.0/24|unicast"), "the route added in table 10");
    assert.not.ok(inVrf.some((k) => k.startsWith("254|") || k.startsWith("255|")), "nothing left in main or local");
    assert.equal(inVrf, kernelRoutes(ns));
    const shown = JSON.parse(ns.ip("-j", "-4", "route", "show", "vrf", "vrf-blue")) as any[];
    assert.ok(shown.some((r) => r.dst === "10.9.0.0/24") && shown.some((r) => r.dst === "10.1.0.0/24"), "ip route show vrf vrf-blue agrees");

    // and out again
    from = c.events.length;
    ns.ip("link", "set", "dp0", "nomaster");
    await c.waitFor([{ type: "MASTER_CHANGE", master: 0, portId: 1 }], WAIT, from);
    assert.is(ifpx.info(p).master, undefined);
    await view.settle("254|10.1.0.0/24|unicast");
    const out = view.keys();
    assert.ok(out.includes("254|10.1.0.0/24|unicast"), "the connected route back in main");
    assert.not.ok(out.some((k) => k.startsWith("10|")), "table 10's routes through dp0 gone (the kernel flushed them)");
    assert.equal(out, kernelRoutes(ns));
  } finally {
    await ifpx.dispose();
  }
}));

test("a VRF created after the proxy (dumped after it), proxy enslaved before listen: one MASTER_CHANGE with the table, before CFG_DONE", () => withNetns(async (ns) => {
  ns.ip("link", "add", "dp0", "type", "veth", "peer", "name", "dp0p");
  ns.ip("link", "add", "vrf-red", "type", "vrf", "table", "1011");
  ns.ip("link", "set", "dp0", "master", "vrf-red");
  const vrf = JSON.parse(ns.ip("-j", "link", "show", "vrf-red"))[0].ifindex as number;
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
  try {
    const p = ifpx.adoptProxy("dp0");
    assert.ok(vrf > ifpx.info(p).ifindex);
    ifpx.bind(1, p);
    const c = new Collector();
    c.attach(ifpx, TYPES);
    await ifpx.listen();
    const ms = c.events.filter((e): e is MasterChangeEvent => e.type === "MASTER_CHANGE");
    assert.equal(ms.map((e) => [e.master, e.masterKind, e.vrfTable, e.masterName]), [[vrf, "vrf", 1011, "vrf-red"]]);
    assert.ok(c.events.findIndex((e) => e.type === "MASTER_CHANGE") < c.events.findIndex((e) => e.type === "CFG_DONE"));
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
