// The package as a consumer gets it: `npm pack`, then `npm install <tarball>`
// into a fresh project outside the repository. Its contents are listed and
// checked; a TypeScript consumer importing "ifpx", "ifpx/dpdk" and
// "ifpx/bundle" typechecks with tsc --strict under moduleResolution node16 and
// bundler (and its deliberate mistakes are caught); a JavaScript consumer runs
// against the kernel in a namespace; the `ifpx` bin works.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withNetns } from "./helpers/netns.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const here = join(root, "tests/integration/consumer");
const tsc = join(root, "node_modules/typescript/bin/tsc");
let work = "";
let tarball = "";
let files: { path: string; size: number }[] = [];

test.before(() => {
  work = mkdtempSync(join(tmpdir(), "ifpx-consumer-"));
  // the build (dist/) is made by `npm test`'s pretest; prepare is not run again here
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: root, encoding: "utf8" }));
  tarball = join(work, packed[0].filename);
  files = packed[0].files;
});
test.after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

test("the tarball holds the library, its types, the CLI, core.wasm, the C header and shim sources; no tests, fixtures, bench or sources", () => {
  const paths = files.map((f) => f.path).sort();
  for (const p of ["package.json", "README.md", "dist/ifpx.js", "dist/dpdk.js", "dist/bundle.js", "dist/cli.js", "dist/core.wasm",
    "dist/types/host/index.d.ts", "dist/types/host/dpdk/index.d.ts", "dist/types/host/bundle.d.ts",
    "native/include/ifpx_event.h", "native/ifpx_dpdk.c", "native/build.sh"]) {
    assert.ok(paths.includes(p), `${p} is in the tarball`);
  }
  const stray = paths.filter((p) => /^(tests|bench|scripts|examples|assembly|host|docs|\.ci|\.cache)\//.test(p) || /fixture|\.map$|\.bin$|native\/build\//.test(p));
  assert.equal(stray, [], "nothing of the repository's tests, fixtures, bench, sources or local builds");
  const other = paths.filter((p) => !/^(dist\/[a-z]+\.js|dist\/core\.wasm|dist\/types\/host\/.*\.d\.ts|native\/.*|package\.json|README\.md)$/.test(p));
  assert.equal(other, [], "every file is accounted for");
  console.log(`npm pack: ${paths.length} files, ${files.reduce((a, f) => a + f.size, 0)} bytes unpacked`);
});

test("a fresh project installs the tarball; TypeScript --strict typechecks (node16, bundler); JavaScript runs against the kernel; the bin works", () => withNetns((ns) => {
  const app = join(work, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "ifpx-consumer", private: true, type: "module" }));
  const typesNode = JSON.parse(readFileSync(join(root, "node_modules/@types/node/package.json"), "utf8")).version;
  const esbuild = JSON.parse(readFileSync(join(root, "node_modules/esbuild/package.json"), "utf8")).version;
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball, `@types/node@${typesNode}`, `esbuild@${esbuild}`], { cwd: app, stdio: "pipe" });
  for (const f of ["consumer.ts", "wrong.ts", "consumer.mjs"]) copyFileSync(join(here, f), join(app, f));
  const base = { strict: true, noEmit: true, target: "es2022", types: ["node"], skipLibCheck: false };
  for (const [name, mod] of [["node16", { module: "node16", moduleResolution: "node16" }], ["bundler", { module: "esnext", moduleResolution: "bundler" }]] as const) {
    writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...mod }, files: ["consumer.ts", "wrong.ts"] }));
    try {
      execFileSync(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], { cwd: app, encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      assert.unreachable(`tsc --strict with moduleResolution ${name} failed:\n${(e as { stdout: string }).stdout}`);
    }
  }
  const run = JSON.parse(execFileSync(process.execPath, ["consumer.mjs", ns.name], { cwd: app, encoding: "utf8" }));
  assert.ok(run.seen.some((l: string) => /^LINK_CHANGE\s+port 0\s+down/.test(l)), run.seen.join("\n"));
  assert.ok(run.seen.some((l: string) => /^CFG_DONE/.test(l)));
  assert.ok(run.seen.some((l: string) => /^ADDR_ADD\s+port 0\s+198\.51\.100\.14\/24 scope global$/.test(l)), run.seen.join("\n"));
  assert.is(run.info.name, "dp0");
  // the shim is built on the consumer's machine (native/build.sh): until then ifpx/dpdk says so
  assert.is(run.dpdk.ok, false);
  assert.match(run.dpdk.reason, /libifpx_dpdk\.so/);
  ns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
  ns.ip("addr", "add", "192.0.2.1/24", "dev", "v0");
  // the consumer's own appliance bundle, made with the installed bin, run from a folder of its own
  const listing = JSON.parse(execFileSync(join(app, "node_modules/.bin/ifpx"), ["bundle", "consumer.mjs", "--out", join(work, "appliance"), "--json"], { cwd: app, encoding: "utf8" }));
  assert.equal(listing.files.map((f: { path: string }) => f.path), ["consumer.mjs", "core.wasm", "node_modules/@koromix/koffi-linux-x64/index.js",
    "node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node", "node_modules/@koromix/koffi-linux-x64/package.json"]);
  const bundled = JSON.parse(execFileSync(process.execPath, [join(work, "appliance/consumer.mjs"), ns.name], { cwd: "/", encoding: "utf8" }));
  assert.ok(bundled.seen.some((l: string) => /^CFG_DONE/.test(l)), bundled.seen.join("\n"));
  const show = execFileSync(join(app, "node_modules/.bin/ifpx"), ["show", "--netns", ns.name, "v0"], { cwd: app, encoding: "utf8" });
  assert.match(show, /^v0 \(port 0, proxy \d+\)/);
  assert.match(show, /^  addr\s+192\.0\.2\.1\/24 scope global$/m);
}));

test.run();
