// The appliance bundle for linux-arm64 (`ifpx bundle --target linux-arm64`),
// run under qemu-aarch64-static with Node 20 for arm64 and the arm64 C runtime
// (fetched by scripts/setup-arm64.sh into .cache/arm64), in a namespace: an
// adopted veth, a tap proxy, a worker reading a queue.
//
// What qemu-user cannot do, asserted rather than skipped: its netlink
// translation knows link, address and route messages only. The neighbour dump
// request fails at sendto() with EOPNOTSUPP (ifpx reports it once, goes on
// without neighbours, listen() resolves), and a nexthop notification fails the
// receive with EINVAL (counted in stats().unreadable, reported once).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { withNetns } from "./helpers/netns.js";
import { ApplianceRun, bundleAppliance, root, vethPair, type Line } from "./helpers/appliance.js";

const cache = join(root, ".cache/arm64");
const sysroot = join(cache, "sysroot/usr/aarch64-linux-gnu");
const node = join(cache, "node/bin/node");
const QEMU_MS = 90_000; // emulated V8 on a shared 2-core machine

function emulatorReady(): void {
  const missing = [join(sysroot, "lib/ld-linux-aarch64.so.1"), join(sysroot, "lib/libstdc++.so.6"), node, join(cache, "koffi/package.json")].filter((p) => !existsSync(p));
  let qemu = true;
  try { execFileSync("qemu-aarch64-static", ["--version"], { stdio: "ignore" }); } catch { qemu = false; }
  assert.ok(qemu && !missing.length,
    `the arm64 test needs qemu-aarch64-static${qemu ? "" : " (missing)"} and ${missing.join(", ") || "nothing else"}: run scripts/test-setup.sh as root`);
}

test("linux-arm64 bundle under qemu-user: veth adopted, listen resolves without neighbours, addresses arrive, tap proxy, worker", () => withNetns(async (ns) => {
  emulatorReady();
  const b = bundleAppliance("linux-arm64", ["--koffi-package", join(cache, "koffi"), "--minify"]);
  try {
    assert.equal(b.files.map((f) => f.path), [
      "app.mjs", "core.wasm",
      "node_modules/@koromix/koffi-linux-arm64/index.js",
      "node_modules/@koromix/koffi-linux-arm64/linux_arm64/koffi.node",
      "node_modules/@koromix/koffi-linux-arm64/package.json",
      "worker.mjs",
    ]);
    const elf = readFileSync(join(b.outDir, "node_modules/@koromix/koffi-linux-arm64/linux_arm64/koffi.node"));
    assert.is(elf.readUInt16LE(18), 183, "koffi.node is an aarch64 ELF (EM_AARCH64)");

    const qemu = (args: string[]) => ["-L", sysroot, node, ...args];
    let t = Date.now();
    execFileSync("qemu-aarch64-static", qemu(["-e", "0"]));
    const nodeStart = Date.now() - t;

    vethPair(ns);
    t = Date.now();
    const app = new ApplianceRun("qemu-aarch64-static", qemu(["app.mjs", ns.name, "v0", "tp0"]), b.outDir);
    try {
      const listening = await app.waitFor("listen() resolved", (l) => l.kind === "listening", QEMU_MS);
      const toListening = Date.now() - t;
      // the one refusal, reported once, and what stats() says (a neighbour notification that came
      // before the group was left, e.g. IPv6 router solicitation's, may add one unreadable report)
      const errors = app.lines.filter((l) => l.kind === "error");
      const refusals = errors.filter((e) => e.errno === 95);
      assert.equal(refusals.map((e) => e.code), ["EOPNOTSUPP"], "the neighbour dump's refusal, once");
      assert.match(refusals[0].message, /neigh dump/);
      assert.ok(errors.every((e) => e.errno === 95 || e.errno === 22), JSON.stringify(errors));
      assert.equal(listening.stats.refused, [{ request: "dump", kind: "neigh", errno: 95 }]);
      const ev = (type: string, port: number) => (l: Line) => l.kind === "event" && l.type === type && l.portId === port;
      const wk = (type: string, port: number) => (l: Line) => l.kind === "worker" && l.type === type && l.portId === port;
      await app.waitFor("initial LINK_CHANGE of the veth", ev("LINK_CHANGE", 0), 1);
      await app.waitFor("initial LINK_CHANGE of the tap", ev("LINK_CHANGE", 1), 1);
      await app.waitFor("the worker's CFG_DONE", (l) => l.kind === "worker" && l.type === "CFG_DONE", QEMU_MS);
      const firstWorker = Date.now() - t;

      // an address on the adopted veth: to the callback and through the queue to the worker
      let from = app.lines.length;
      t = Date.now();
      ns.ip("addr", "add", "198.51.100.14/24", "dev", "v0");
      const add = await app.waitFor("ADDR_ADD on port 0", ev("ADDR_ADD", 0), QEMU_MS, from);
      const toCallback = Date.now() - t;
      assert.match(add.line, /198\.51\.100\.14\/24 scope global/);
      await app.waitFor("the worker's ADDR_ADD", wk("ADDR_ADD", 0), QEMU_MS, from);
      const toWorker = Date.now() - t;

      // the tap proxy: up, an address, a route via it
      from = app.lines.length;
      ns.ip("link", "set", "tp0", "up");
      ns.ip("addr", "add", "203.0.113.1/24", "dev", "tp0");
      ns.ip("route", "add", "192.0.2.0/24", "via", "203.0.113.254", "dev", "tp0");
      await app.waitFor("the tap going up", (l) => ev("LINK_CHANGE", 1)(l) && / up,/.test(l.line), QEMU_MS, from);
      await app.waitFor("the tap's address", ev("ADDR_ADD", 1), QEMU_MS, from);
      const route = await app.waitFor("the route via the tap", (l) => ev("ROUTE_ADD", 1)(l) && l.line.includes("192.0.2.0/24"), QEMU_MS, from);
      assert.match(route.line, /via 203\.0\.113\.254 table main proto boot/);

      // neighbours are not followed (the group was left): nothing arrives, nothing unreadable
      from = app.lines.length;
      app.send("stats");
      const unreadable0 = (await app.waitFor("stats", (l) => l.kind === "stats", QEMU_MS, from)).stats.unreadable;
      from = app.lines.length;
      ns.ip("neigh", "add", "198.51.100.1", "dev", "v0", "lladdr", "02:00:00:00:00:01", "nud", "permanent");
      ns.ip("addr", "add", "198.51.100.15/24", "dev", "v0"); // a marker after it
      await app.waitFor("the marker address", (l) => ev("ADDR_ADD", 0)(l) && l.line.includes("198.51.100.15"), QEMU_MS, from);
      assert.not.ok(app.lines.slice(from).some((l) => /NEIGH/.test(l.type ?? "")), "no neighbour event under qemu-user");
      from = app.lines.length;
      app.send("stats");
      const before = await app.waitFor("stats", (l) => l.kind === "stats", QEMU_MS, from);
      assert.is(before.stats.unreadable, unreadable0, "the neighbour group was left: qemu-user has no neighbour datagram to fail on");
      // a nexthop notification qemu cannot translate: the receive fails with EINVAL, counted, reported once
      from = app.lines.length;
      ns.ip("nexthop", "add", "id", "7", "via", "198.51.100.1", "dev", "v0");
      ns.ip("nexthop", "add", "id", "8", "via", "198.51.100.2", "dev", "v0");
      ns.ip("addr", "add", "198.51.100.16/24", "dev", "v0");
      await app.waitFor("the marker after the nexthops", (l) => ev("ADDR_ADD", 0)(l) && l.line.includes("198.51.100.16"), QEMU_MS, from);
      from = app.lines.length;
      app.send("stats");
      const st = await app.waitFor("stats", (l) => l.kind === "stats", QEMU_MS, from);
      assert.ok(st.stats.unreadable > unreadable0, `nexthop notifications are unreadable under qemu-user: ${JSON.stringify(st.stats)}`);
      const einval = app.lines.filter((l) => l.kind === "error" && l.errno === 22);
      assert.is(einval.length, 1, "the unreadable datagrams are reported once");

      from = app.lines.length;
      app.send("quit");
      await app.waitFor("the worker's END", (l) => l.kind === "worker" && l.type === "END", QEMU_MS, 0);
      await app.waitFor("bye", (l) => l.kind === "bye", QEMU_MS, from);
      assert.is(await app.exited, 0);
      console.log(`arm64 under qemu: node -e 0 ${nodeStart} ms; start to listen() resolved ${toListening} ms (listen() ${listening.ms} ms); ` +
        `worker's first record ${firstWorker} ms after start; ip addr add -> callback ${toCallback} ms, -> worker ${toWorker} ms; bundle ${b.bytes} bytes`);
    } finally {
      app.kill();
    }
  } finally {
    rmSync(dirname(b.outDir), { recursive: true, force: true });
  }
}));

test.run();
