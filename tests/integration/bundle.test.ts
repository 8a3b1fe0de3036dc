// Users bundle applications that use ifpx. Two ways:
// - by hand with esbuild (koffi external) inside their project: the bundle
//   finds the installed package's core.wasm;
// - `ifpx bundle --target linux-x64`: one folder with the bundle, core.wasm and
//   koffi's native module, and nothing else, that runs anywhere (here: from a
//   temporary folder outside the repository, no node_modules above it, no
//   IFPX_CORE_WASM): an adopted veth, a tap proxy, a worker reading a queue.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { dirname, join, parse } from "node:path";
import { fileURLToPath } from "node:url";
import { withNetns } from "./helpers/netns.js";
import { ApplianceRun, bundleAppliance, vethPair, type Line } from "./helpers/appliance.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("an esbuild bundle of examples/quickstart.ts runs and reports the initial state", () => withNetns(async (ns) => {
  assert.ok(existsSync(join(root, "dist/ifpx.js")), "dist/ifpx.js is built by npm ci (prepare)");
  // inside the package so that the bundle resolves ifpx/core.wasm by self-reference
  const dir = mkdtempSync(join(root, "tests", ".bundle-"));
  try {
    const out = join(dir, "app.mjs");
    await build({
      entryPoints: [join(root, "examples/quickstart.ts")], outfile: out, bundle: true, platform: "node", format: "esm",
      target: "node20", external: ["koffi"], logLevel: "error",
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    const text = execFileSync(process.execPath, [out, "--netns", ns.name, "--once"], { encoding: "utf8", cwd: dir });
    assert.match(text, /LINK_CHANGE\s+port 0\s+down/);
    assert.match(text, /MTU_CHANGE\s+port 0\s+mtu 1500/);
    assert.match(text, /CFG_DONE/);
    assert.match(text, /"name":"dp0"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}));

test("ifpx bundle --target linux-x64: a self-contained folder that runs from anywhere", () => withNetns(async (ns) => {
  const b = bundleAppliance("linux-x64");
  try {
    assert.equal(b.files.map((f) => f.path), [
      "app.mjs", "core.wasm",
      "node_modules/@koromix/koffi-linux-x64/index.js",
      "node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node",
      "node_modules/@koromix/koffi-linux-x64/package.json",
      "worker.mjs",
    ]);
    // nothing above the folder could supply ifpx or koffi
    for (let d = dirname(b.outDir); d !== parse(d).root; d = dirname(d)) assert.not.ok(existsSync(join(d, "node_modules")), `${d}/node_modules`);

    vethPair(ns);
    ns.ip("neigh", "add", "198.51.100.1", "dev", "v0", "lladdr", "02:00:00:00:00:01", "nud", "permanent");
    let t = Date.now();
    const app = new ApplianceRun(process.execPath, ["app.mjs", ns.name, "v0", "tp0"], b.outDir);
    try {
      const listening = await app.waitFor("listen() resolved", (l) => l.kind === "listening", 20000);
      const toListening = Date.now() - t;
      assert.equal(listening.stats.refused, [], "a real kernel refuses nothing");
      assert.equal(app.lines.filter((l) => l.kind === "error"), []);
      const ev = (type: string, port: number) => (l: Line) => l.kind === "event" && l.type === type && l.portId === port;
      await app.waitFor("the neighbour in the initial state", (l) => ev("NEIGH_ADD", 0)(l) && /PERMANENT/.test(l.line), 1);
      await app.waitFor("the worker's CFG_DONE", (l) => l.kind === "worker" && l.type === "CFG_DONE", 20000);
      let from = app.lines.length;
      t = Date.now();
      ns.ip("addr", "add", "198.51.100.14/24", "dev", "v0");
      await app.waitFor("ADDR_ADD on port 0", ev("ADDR_ADD", 0), 5000, from);
      const toCallback = Date.now() - t;
      await app.waitFor("the worker's ADDR_ADD", (l) => l.kind === "worker" && l.type === "ADDR_ADD" && l.portId === 0, 5000, from);
      const toWorker = Date.now() - t;
      from = app.lines.length;
      ns.ip("link", "set", "tp0", "up");
      await app.waitFor("the tap going up", (l) => ev("LINK_CHANGE", 1)(l) && / up,/.test(l.line), 5000, from);
      app.send("quit");
      await app.waitFor("bye", (l) => l.kind === "bye", 10000, from);
      assert.is(await app.exited, 0);
      console.log(`linux-x64 bundle: ${b.files.map((f) => `${f.path} ${f.bytes}`).join(", ")}; total ${b.bytes} bytes; ` +
        `start to listen() resolved ${toListening} ms (listen() ${listening.ms} ms); ip addr add -> callback ${toCallback} ms, -> worker ${toWorker} ms`);
    } finally {
      app.kill();
    }
  } finally {
    rmSync(dirname(b.outDir), { recursive: true, force: true });
  }
}));

test("ifpx bundle refuses a non-empty folder and an unknown target (exit 2 for misuse)", () => {
  const dir = mkdtempSync(join(root, "tests", ".bundle-"));
  try {
    const run = (args: string[]) => {
      try { execFileSync(process.execPath, [join(root, "dist/cli.js"), "bundle", ...args], { cwd: root, encoding: "utf8", stdio: "pipe" }); return { code: 0, err: "" }; }
      catch (e) { const x = e as { status: number; stderr: string }; return { code: x.status, err: x.stderr }; }
    };
    const bad = run(["examples/quickstart.ts", "--out", dir, "--target", "linux-riscv64"]);
    assert.is(bad.code, 2);
    assert.match(bad.err, /--target must be one of linux-x64, linux-arm64/);
    execFileSync("touch", [join(dir, "keep")]);
    const full = run(["examples/quickstart.ts", "--out", dir]);
    assert.is(full.code, 1);
    assert.match(full.err, /EEXIST: bundle: .* is not empty/);
    assert.ok(existsSync(join(dir, "keep")), "nothing of the folder was removed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
