// Node as a DPDK secondary feeding a C primary's named rte_ring
// (examples/dpdk-primary). Needs root, DPDK, hugepages (prepared here), and a
// C compiler to build the primary. Not run (and says why) otherwise.
// The DPDK secondary is a child Node process running this same file with
// IFPX_DPDK_SECONDARY set (it never runs uvu): EAL initialises once per
// process and other test files of this uvu process may use EAL in another mode.
// The primary's hugepage files are removed at the end.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { preparePrimary, primaryBin, removePrefixFiles } from "../../examples/dpdk-primary/driver.js";
import { Eal, RteRingQueue, EVENT_SIZE } from "../../host/dpdk/index.js";

const prefix = `ifpxmp${process.pid}`;
const ringName = `ifpxmp${process.pid}`; // the secondary gets both from its parent
const PORT = 3;

const prepare = preparePrimary;

const T: Record<string, number> = {
  MAC_CHANGE: 0, MTU_CHANGE: 1, LINK_CHANGE: 2, ADDR_ADD: 3, ADDR_DEL: 4, ADDR6_ADD: 5, ADDR6_DEL: 6,
  ROUTE_ADD: 7, ROUTE_DEL: 8, ROUTE6_ADD: 9, ROUTE6_DEL: 10, NEIGH_ADD: 11, NEIGH_DEL: 12,
  NEIGH6_ADD: 13, NEIGH6_DEL: 14, CFG_DONE: 15, OVERFLOW: 19,
};

/** The events of the upstream 16-step functional test, as records for port PORT. */
function script(): { types: string[]; recs: Uint8Array } {
  const ip4 = 0xc633640e; // 198.51.100.14
  const net4 = 0xc6336400; // 198.51.100.0
  const ip6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef];
  const mac2 = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
  type F = (v: DataView, b: Uint8Array) => void;
  const steps: [string, F][] = [
    ["LINK_CHANGE", (v) => v.setUint8(16, 1)],
    ["MAC_CHANGE", (_v, b) => b.set([0x02, 0, 0, 0, 0, 0x01], 16)],
    ["MTU_CHANGE", (v) => v.setUint32(16, 1600, true)],
    ["ADDR_ADD", (v) => { v.setUint32(16, ip4, true); v.setUint8(32, 32); }],
    ["ROUTE_ADD", (v) => { v.setUint32(16, ip4, true); v.setUint8(48, 32); }],
    ["ADDR_DEL", (v) => { v.setUint32(16, ip4, true); v.setUint8(32, 32); }],
    ["ROUTE_DEL", (v) => { v.setUint32(16, ip4, true); v.setUint8(48, 32); }],
    ["ROUTE_ADD", (v) => { v.setUint32(16, net4, true); v.setUint8(48, 24); }],
    ["ROUTE_DEL", (v) => { v.setUint32(16, net4, true); v.setUint8(48, 24); }],
    ["NEIGH_ADD", (v, b) => { v.setUint32(16, ip4, true); b.set(mac2, 32); }],
    ["NEIGH_DEL", (v) => v.setUint32(16, ip4, true)],
    ["ADDR6_ADD", (v, b) => { b.set(ip6, 16); v.setUint8(32, 128); }],
    ["ROUTE6_ADD", (v, b) => { b.set(ip6, 16); v.setUint8(48, 128); }],
    ["ADDR6_DEL", (v, b) => { b.set(ip6, 16); v.setUint8(32, 128); }],
    ["ROUTE6_DEL", (v, b) => { b.set(ip6, 16); v.setUint8(48, 128); }],
    ["ROUTE6_ADD", (v, b) => { b.set(ip6.slice(0, 12), 16); v.setUint8(48, 96); }],
    ["ROUTE6_DEL", (v, b) => { b.set(ip6.slice(0, 12), 16); v.setUint8(48, 96); }],
    ["NEIGH6_ADD", (_v, b) => { b.set(ip6, 16); b.set(mac2, 32); }],
    ["NEIGH6_DEL", (_v, b) => b.set(ip6, 16)],
    ["LINK_CHANGE", () => {}],
    ["CFG_DONE", () => {}],
  ];
  const recs = new Uint8Array(steps.length * EVENT_SIZE);
  steps.forEach(([t, f], i) => {
    const b = recs.subarray(i * EVENT_SIZE, (i + 1) * EVENT_SIZE);
    const v = new DataView(b.buffer, b.byteOffset, EVENT_SIZE);
    v.setUint16(0, T[t], true);
    v.setUint16(2, t === "CFG_DONE" ? 0xffff : PORT, true);
    v.setUint16(4, 0, true);           // proxy 0
    v.setUint8(7, t.includes("6") ? 10 : t === "CFG_DONE" || t.endsWith("CHANGE") ? 0 : 2);
    v.setUint32(8, 7, true);           // ifindex
    v.setUint32(12, i + 1, true);      // seq
    f(v, b);
  });
  return { types: steps.map((s) => s[0]), recs };
}


/** The secondary's role, in a child process: publish the script, print a JSON line. */
async function secondaryRole(cfg: { prefix: string; ring: string; cap: number; first: number }): Promise<void> {
  const { types, recs } = script();
  const e = Eal.init({ mode: "secondary", filePrefix: cfg.prefix, logLevel: "lib.eal:warning" });
  const q = RteRingQueue.lookup(cfg.ring);
  const r: any = { args: e.args, processType: Eal.processType, capacity: q.capacity, owner: q.owner };
  r.firstEnqueued = q.publish(recs, cfg.first);
  r.lostAfterFirst = q.lost;
  r.overflowedAfterFirst = q.overflowed;
  // the primary drains once the ring is full; publish the rest as room returns
  let i = cfg.first;
  const deadline = Date.now() + 20000;
  r.later = [];
  while (i < types.length && Date.now() < deadline) {
    const chunk = Math.min(3, types.length - i);
    if (q.freeCount() >= chunk + (q.overflowed ? 1 : 0)) {
      r.later.push(q.publish(recs.subarray(i * EVENT_SIZE), chunk));
      i += chunk;
    } else await new Promise((res) => setTimeout(res, 5));
  }
  r.published = i;
  r.lost = q.lost;
  r.overflowed = q.overflowed;
  q.close(); // looked up: the primary owns (and frees) it
  Eal.cleanup();
  console.log(JSON.stringify(r));
}

const role = process.env.IFPX_DPDK_SECONDARY;
const reason = role ? "secondary role" : prepare();
if (role) {
  await secondaryRole(JSON.parse(role));
} else if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  let primary: ChildProcess | undefined;
  let out = "";
  let exited: Promise<number | null>;

  test("a C primary verifies the scripted sequence (with an OVERFLOW) published by a Node secondary", async () => {
    removePrefixFiles(prefix);
    const { types } = script();
    const CAP = 8, FIRST = 10; // the first 10 go into a ring of 8 the primary holds until full: 2 lost
    const expected = [...types.slice(0, CAP), "OVERFLOW", ...types.slice(FIRST)];
    primary = spawn(primaryBin, ["--file-prefix", prefix, "--no-pci", "--lcores=0@(0-1)", "--log-level=lib.eal:warning", "--",
      "--ring", ringName, "--size", String(CAP), "--hold", String(CAP), "--port", String(PORT),
      "--expect", expected.join(","), "--timeout", "30"], { stdio: ["ignore", "pipe", "pipe"] });
    exited = new Promise((res) => primary!.on("exit", (code) => res(code)));
    primary.stdout!.setEncoding("utf8").on("data", (d) => { out += d; });
    primary.stderr!.setEncoding("utf8").on("data", (d) => { out += d; });
    const t0 = Date.now();
    while (!out.includes("READY")) {
      if (primary.exitCode !== null || Date.now() - t0 > 20000) assert.unreachable(`primary did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(out, `READY ring=${ringName} capacity=${CAP}`);

    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
      env: { ...process.env, FORCE_COLOR: undefined, IFPX_DPDK_SECONDARY: JSON.stringify({ prefix, ring: ringName, cap: CAP, first: FIRST }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let cout = "";
    child.stdout!.setEncoding("utf8").on("data", (d) => { cout += d; });
    child.stderr!.setEncoding("utf8").on("data", (d) => { cout += d; });
    const ccode = await new Promise((res) => child.on("exit", res));
    assert.is(ccode, 0, `secondary exit ${ccode}:\n${cout}`);
    const r = JSON.parse(cout.trim().split("\n").filter((l) => l.startsWith("{")).pop()!);
    assert.ok(r.args.includes("--proc-type=secondary"));
    assert.is(r.processType, "secondary");
    assert.is(r.capacity, CAP);
    assert.is(r.owner, false);
    assert.is(r.firstEnqueued, CAP, "whole events up to capacity");
    assert.is(r.lostAfterFirst, FIRST - CAP);
    assert.ok(r.overflowedAfterFirst);
    assert.is(r.published, types.length);
    assert.ok(r.later.every((k: number) => k > 0));
    assert.is(r.lost, 2);
    assert.not.ok(r.overflowed);

    const code = await Promise.race([exited, new Promise((res) => setTimeout(() => res("timeout"), 25000))]);
    assert.is(code, 0, `primary exit ${code}:\n${out}`);
    assert.match(out, `VERIFIED ${expected.length} expected events (${expected.length} received)`);
    const seen = out.split("\n").filter((l) => /^[A-Z0-9_]+ type=/.test(l));
    assert.equal(seen.map((l) => l.split(" ")[0]), expected);
    assert.match(seen[CAP], /^OVERFLOW type=19 port=65535 .* lost=2$/);
    assert.ok(seen.some((l) => /^ROUTE_ADD .*port=3 .*dst=198\.51\.100\.0\/24 gw=0\.0\.0\.0/.test(l)), out);
    assert.ok(seen.some((l) => /^NEIGH6_ADD .*ip=2001:db8::dead:beef mac=02:00:00:00:00:02/.test(l)), out);
    assert.ok(seen.some((l) => /^ROUTE6_ADD .*dst=2001:db8::\/96/.test(l)), out);
  });

  test.after(async () => {
    if (primary && primary.exitCode === null) { primary.kill("SIGTERM"); await exited; }
    removePrefixFiles(prefix);
    const left = existsSync("/dev/hugepages") ? readdirSync("/dev/hugepages").filter((f) => f.startsWith(prefix)) : [];
    if (left.length) console.log(`hugepage files left: ${left.join(" ")}`);
  });
  test.run();
}
