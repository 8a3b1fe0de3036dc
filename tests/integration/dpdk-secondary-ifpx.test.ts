// The real secondary -> primary path: a C DPDK primary (examples/dpdk-primary)
// owns a named rte_ring and verifies, with --expect-types, the event sequence a
// data plane would get for its port; ifpx runs in a Node DPDK secondary (same
// --file-prefix) with a plain tap proxy in a test namespace, binds that port,
// adds the looked-up ring with queueAdd and listens; this process plays the
// operator and configures the proxy with `ip`, one step at a time, pacing on
// the primary's MATCHED lines. Extras (IPv6 link-local routes, broadcast
// routes, ...) are skipped by the primary; a lost event (OVERFLOW) fails.
// The secondary is a child Node process running this same file with
// IFPX_DPDK_SECONDARY_IFPX set (it never runs uvu): EAL initialises once per
// process. Needs root, DPDK, hugepages (prepared here) and a C compiler; not
// run (and says why) otherwise. Hugepage files and /var/run/dpdk/<prefix> are
// removed at the end.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Ifpx } from "../../host/index.js";
import { preparePrimary, primaryBin, removePrefixFiles, ChildOutput } from "../../examples/dpdk-primary/driver.js";
import { Eal, RteRingQueue, EVENT_SIZE } from "../../host/dpdk/index.js";
import { createNetns, type Netns } from "./helpers/netns.js";

const prefix = `ifpxsi${process.pid}`;
const ringName = `ifpxsi${process.pid}`;
const PORT = 5;
const DEV = "sp0";
const M2 = "02:66:77:88:99:aa";

interface ChildCfg { prefix: string; ring: string; netns: string; port: number; dev: string }
interface RecordsCfg { prefix: string; ring: string; records: string /* hex */ }

const prepare = preparePrimary;

/** The operator's script: ip arguments and the expectations (primary --expect-types syntax) of each step. */
function script(dev: string): [string[], string[]][] {
  return [
    [["link", "set", "dev", dev, "up"], ["LINK_CHANGE=up"]],
    [["addr", "add", "198.51.100.14/24", "dev", dev],
      ["ADDR_ADD=198.51.100.14/24", "ROUTE_ADD=198.51.100.14/32", "ROUTE_ADD=198.51.100.0/24"]],
    [["route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", dev], ["ROUTE_ADD=203.0.113.0/24@198.51.100.1"]],
    [["neigh", "add", "198.51.100.1", "lladdr", M2, "nud", "permanent", "dev", dev], ["NEIGH_ADD=198.51.100.1"]],
    [["addr", "add", "2001:db8:1::14/64", "dev", dev, "nodad"],
      ["ADDR6_ADD=2001:db8:1::14/64", "ROUTE6_ADD=2001:db8:1::/64", "ROUTE6_ADD=2001:db8:1::14/128"]],
    [["route", "add", "2001:db8:2::/48", "via", "2001:db8:1::1", "dev", dev], ["ROUTE6_ADD=2001:db8:2::/48@2001:db8:1::1"]],
    [["neigh", "add", "2001:db8:1::1", "lladdr", M2, "nud", "permanent", "dev", dev], ["NEIGH6_ADD=2001:db8:1::1"]],
    [["link", "set", "dev", dev, "mtu", "1600"], ["MTU_CHANGE=1600"]],
    [["neigh", "del", "198.51.100.1", "dev", dev], ["NEIGH_DEL=198.51.100.1"]],
    [["route", "del", "2001:db8:2::/48", "dev", dev], ["ROUTE6_DEL=2001:db8:2::/48"]],
    [["addr", "del", "198.51.100.14/24", "dev", dev],
      ["ADDR_DEL=198.51.100.14/24", "ROUTE_DEL=198.51.100.14/32", "ROUTE_DEL=198.51.100.0/24", "ROUTE_DEL=203.0.113.0/24@198.51.100.1"]],
    [["addr", "del", "2001:db8:1::14/64", "dev", dev],
      ["ADDR6_DEL=2001:db8:1::14/64", "ROUTE6_DEL=2001:db8:1::14/128", "ROUTE6_DEL=2001:db8:1::/64"]],
    [["link", "set", "dev", dev, "down"], ["LINK_CHANGE=down"]],
  ];
}

/** What the listen dump gives the port before CFG_DONE (a fresh tap is down, MTU 1500). */
const INITIAL = ["LINK_CHANGE=down+MTU_CHANGE=1500+MAC_CHANGE", "CFG_DONE"];


/** The secondary's role, in a child process: ifpx publishing into the primary's ring until told to quit. */
async function secondaryRole(cfg: ChildCfg): Promise<void> {
  const e = Eal.init({ mode: "secondary", filePrefix: cfg.prefix, logLevel: "lib.eal:warning" });
  const q = RteRingQueue.lookup(cfg.ring);
  const errors: string[] = [];
  const ifpx = new Ifpx({ netns: cfg.netns, onError: (err) => errors.push(String(err)) });
  const proxy = ifpx.createProxy({ name: cfg.dev });
  ifpx.bind(cfg.port, proxy);
  ifpx.queueAdd(q);
  await ifpx.listen();
  console.log(`LISTENING ${JSON.stringify({ args: e.args, processType: Eal.processType, proxy, ifindex: ifpx.info(proxy).ifindex, capacity: q.capacity })}`);
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) if (line.trim() === "quit") break;
  rl.close();
  const stats = ifpx.stats();
  await ifpx.dispose();
  q.close(); // looked up: the primary owns (and frees) it
  Eal.cleanup();
  console.log(`RESULT ${JSON.stringify({ lost: q.lost, overflowed: q.overflowed, errors, delivered: stats.delivered, overruns: stats.overruns })}`);
  process.exit(0);
}

/** The negative tests' role: publish hand-made records into the ring and exit. */
function recordsRole(cfg: RecordsCfg): void {
  Eal.init({ mode: "secondary", filePrefix: cfg.prefix, logLevel: "lib.eal:warning" });
  const q = RteRingQueue.lookup(cfg.ring);
  const recs = Buffer.from(cfg.records, "hex");
  const n = q.publish(new Uint8Array(recs.buffer, recs.byteOffset, recs.length), recs.length / EVENT_SIZE);
  q.close();
  Eal.cleanup();
  console.log(`PUBLISHED ${n}`);
}

/** A record: type, port, then fields by offset (ifpx_event.h). */
function rec(type: number, port: number, f: (v: DataView) => void = () => {}): Buffer {
  const b = Buffer.alloc(EVENT_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, EVENT_SIZE);
  v.setUint16(0, type, true);
  v.setUint16(2, port, true);
  v.setUint16(4, 0x8000, true);
  v.setUint32(8, 7, true);
  f(v);
  return b;
}


const exitOf = (c: ChildProcess) => c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise<number | null>((r) => c.on("exit", (code) => r(code)));

const role = process.env.IFPX_DPDK_SECONDARY_IFPX;
const reason = role ? "secondary role" : prepare();
if (role) {
  const cfg = JSON.parse(role);
  if (cfg.records !== undefined) recordsRole(cfg);
  else await secondaryRole(cfg);
} else if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  let primary: ChildProcess | undefined;
  let secondary: ChildProcess | undefined;
  let ns: Netns | undefined;

  test("a C primary verifies the events an ifpx secondary publishes for its port while `ip` configures the proxy", async () => {
    removePrefixFiles(prefix);
    ns = createNetns();
    const steps = script(DEV);
    const spec = [...INITIAL, ...steps.map(([, w]) => w.join("+"))];
    const nWants = spec.join("+").split(/[+,]/).length;
    primary = spawn(primaryBin, ["--file-prefix", prefix, "--no-pci", "--lcores=0@(0-1)", "--log-level=lib.eal:warning", "--",
      "--ring", ringName, "--size", "256", "--port", String(PORT), "--expect-types", spec.join(","),
      "--timeout", "60", "--linger", "60"], { stdio: ["ignore", "pipe", "pipe"] });
    const pout = new ChildOutput(primary);
    await pout.waitFor(/^READY ring=\S+ capacity=256$/m, 20000, "primary READY");

    const cfg: ChildCfg = { prefix, ring: ringName, netns: ns.name, port: PORT, dev: DEV };
    secondary = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
      env: { ...process.env, FORCE_COLOR: undefined, IFPX_DPDK_SECONDARY_IFPX: JSON.stringify(cfg) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const sout = new ChildOutput(secondary);
    const l = JSON.parse((await sout.waitFor(/^LISTENING (.*)$/m, 30000, "secondary LISTENING"))[1]);
    assert.ok(l.args.includes("--proc-type=secondary"));
    assert.is(l.processType, "secondary");
    assert.is(l.capacity, 256);
    assert.ok(l.proxy >= 0x8000, "a plain tap proxy");
    assert.is(Number(/^(\d+):/.exec(ns.ip("-o", "link", "show", "dev", DEV))![1]), l.ifindex, "the tap is in the namespace");

    // the initial state and CFG_DONE
    let idx = INITIAL.join("+").split(/[+,]/).length;
    await pout.waitFor(new RegExp(`^MATCHED ${idx}/${nWants} CFG_DONE`, "m"), 2000, "CFG_DONE");
    // one step at a time, each within 2 s (the upstream test's rule), paced on the primary
    for (const [args, wants] of steps) {
      ns.ip(...args);
      idx += wants.length;
      const deadline = Date.now() + 2000;
      const count = () => (pout.text.match(/^MATCHED \d+\//gm) ?? []).length;
      while (count() < idx && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.ok(count() >= idx, `ip ${args.join(" ")}: expected ${wants.join(" + ")} within 2 s; primary output:\n${pout.text}`);
    }
    await pout.waitFor(new RegExp(`^VERIFIED ${nWants} expected events \\(\\d+ received\\)$`, "m"), 2000, "VERIFIED");

    secondary.stdin!.end("quit\n");
    assert.is(await exitOf(secondary), 0, sout.text);
    const r = JSON.parse((await sout.waitFor(/^RESULT (.*)$/m, 1000, "RESULT"))[1]);
    assert.is(r.lost, 0);
    assert.is(r.overflowed, false);
    assert.equal(r.errors, []);
    assert.ok(r.delivered > nWants);

    if (process.env.DUMP_PRIMARY) console.log(pout.text); // debugging aid: the primary's full output
    primary.kill("SIGTERM");
    assert.is(await exitOf(primary), 0, pout.text);
    const events = pout.text.split("\n").filter((x) => /^[A-Z0-9_]+ type=\d+ /.test(x));
    assert.ok(events.length >= nWants);
    // everything the ring carried is for the bound port, or port-less (CFG_DONE)
    const strays = events.filter((x) => !/ port=(5|65535) /.test(x));
    assert.equal(strays, []);
    assert.not.match(pout.text, /^OVERFLOW /m);
    assert.match(pout.text, /^ROUTE_ADD .* port=5 .* dst=203\.0\.113\.0\/24 gw=198\.51\.100\.1 table=254/m);
    assert.match(pout.text, /^ROUTE6_ADD .* port=5 .* dst=2001:db8:2::\/48 gw=2001:db8:1::1 table=254/m);
    assert.match(pout.text, /^NEIGH_ADD .* port=5 .* ip=198\.51\.100\.1 mac=02:66:77:88:99:aa state=0x80$/m);
    assert.match(pout.text, /^DONE \d+ events$/m);
  });

  /** Runs the primary on hand-made records; returns its exit code and output. */
  async function verifyRecords(spec: string, records: Buffer[]): Promise<{ code: number | null; out: string }> {
    removePrefixFiles(prefix);
    // The primary's timeout runs from its start and must outlast the secondary's start-up (a Node
    // process with tsx and EAL: over 1.5 s on a loaded machine, and then it found no mp_socket).
    const p = spawn(primaryBin, ["--file-prefix", prefix, "--no-pci", "--lcores=0@(0-1)", "--log-level=lib.eal:warning", "--",
      "--ring", ringName, "--size", "16", "--port", String(PORT), "--expect-types", spec, "--timeout", "6"], { stdio: ["ignore", "pipe", "pipe"] });
    primary = p;
    const out = new ChildOutput(p);
    await out.waitFor(/^READY /m, 20000, "primary READY");
    const c = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
      env: { ...process.env, FORCE_COLOR: undefined, IFPX_DPDK_SECONDARY_IFPX: JSON.stringify({ prefix, ring: ringName, records: Buffer.concat(records).toString("hex") }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    secondary = c;
    const cout = new ChildOutput(c);
    assert.is(await exitOf(c), 0, cout.text);
    assert.match(cout.text, `PUBLISHED ${records.length}`);
    const code = await exitOf(p);
    removePrefixFiles(prefix);
    return { code, out: out.text };
  }

  test("the primary's --expect-types fails on a wrong value (other ports ignored) and on a lost event", async () => {
    const v4 = (s: string) => s.split(".").reduce((a, x) => a * 256 + Number(x), 0);
    const route = (ip: string, depth: number) => (v: DataView) => { v.setUint32(16, v4(ip), true); v.setUint8(48, depth); };
    // the expected route arrives for port 6 only; port 5 gets a different one
    let r = await verifyRecords("LINK_CHANGE=up,ROUTE_ADD=198.51.100.0/24", [
      rec(2, PORT, (v) => v.setUint8(16, 1)), rec(7, PORT + 1, route("198.51.100.0", 24)),
      rec(7, PORT, route("198.51.100.0", 25)), rec(7, PORT, route("198.51.100.1", 24))]);
    assert.is(r.code, 2, r.out);
    assert.match(r.out, /^MATCHED 1\/2 LINK_CHANGE=up /m);
    assert.match(r.out, /^TIMEOUT after [\d.]+ s: 1 of 2 expected events for port 5 \(4 received\); missing: ROUTE_ADD=198\.51\.100\.0\/24 \(step 2\)$/m);
    // the same sequence as it should be passes; a group matches in any order
    r = await verifyRecords("LINK_CHANGE=up,ROUTE_ADD=198.51.100.0/24+ROUTE_ADD=198.51.100.0/25", [
      rec(2, PORT, (v) => v.setUint8(16, 1)), rec(7, PORT, route("198.51.100.0", 25)), rec(7, PORT, route("198.51.100.0", 24))]);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /^VERIFIED 3 expected events \(3 received\)$/m);
    // order between steps matters
    r = await verifyRecords("ROUTE_ADD,LINK_CHANGE", [rec(2, PORT), rec(7, PORT)]);
    assert.is(r.code, 2, r.out);
    // an OVERFLOW means events were lost: fail at once
    r = await verifyRecords("LINK_CHANGE,ROUTE_ADD", [rec(2, PORT), rec(19, 0xffff, (v) => v.setUint32(16, 3, true)), rec(7, PORT)]);
    assert.is(r.code, 3, r.out);
    assert.match(r.out, /^LOST 3 events \(OVERFLOW\) after 1 of 2 expected$/m);
  });

  test.after(async () => {
    for (const c of [secondary, primary]) {
      if (c && c.exitCode === null && c.signalCode === null) { c.kill("SIGKILL"); await exitOf(c); }
    }
    ns?.remove();
    removePrefixFiles(prefix);
    const left = existsSync("/dev/hugepages") ? readdirSync("/dev/hugepages").filter((f) => f.startsWith(prefix)) : [];
    if (left.length) console.log(`hugepage files left: ${left.join(" ")}`);
  });
  test.run();
}
