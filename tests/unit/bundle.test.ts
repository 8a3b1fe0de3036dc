// bundleApp (host/bundle.ts) refuses what would make a broken appliance, and
// leaves no half-written folder behind. (The folders that work are run in
// tests/integration/bundle*.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleApp } from "../../host/bundle.js";
import type { IfpxError } from "../../host/errors.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const quickstart = join(root, "examples/quickstart.ts");
const fails = async (p: Promise<unknown>, code: string, re: RegExp) => {
  try { await p; } catch (e) { assert.is((e as IfpxError).code, code, String(e)); assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected ${code}`);
};

test("bad target, libc, entries and a non-empty folder are refused before anything is written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ifpx-bundle-unit-"));
  try {
    const out = join(dir, "out");
    await fails(bundleApp({ entries: [quickstart], outDir: out, target: "linux-riscv64" as never }), "EINVAL", /target must be one of linux-x64, linux-arm64/);
    await fails(bundleApp({ entries: [quickstart], outDir: out, libc: "uclibc" as never }), "EINVAL", /libc must be glibc or musl/);
    await fails(bundleApp({ entries: [], outDir: out }), "EINVAL", /no entry point/);
    await fails(bundleApp({ entries: [join(dir, "nope.ts")], outDir: out }), "ENOENT", /does not exist/);
    await fails(bundleApp({ entries: [quickstart, join(root, "tests/integration/appliance/quickstart.mjs")], outDir: out }), "ENOENT", /does not exist/);
    writeFileSync(join(dir, "quickstart.mjs"), "");
    await fails(bundleApp({ entries: [quickstart, join(dir, "quickstart.mjs")], outDir: out }), "EINVAL", /both be written as quickstart\.mjs/);
    mkdirSync(out);
    writeFileSync(join(out, "keep"), "x");
    await fails(bundleApp({ entries: [quickstart], outDir: out }), "EEXIST", /is not empty/);
    assert.equal(readdirSync(out), ["keep"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("koffi's package of another version or for another target is refused, and the folder is left empty", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ifpx-bundle-unit-"));
  try {
    const koffi = JSON.parse(readFileSync(join(root, "node_modules/koffi/package.json"), "utf8")).version;
    const fake = (name: string, version: string) => {
      const d = mkdtempSync(join(dir, "pkg-"));
      writeFileSync(join(d, "package.json"), JSON.stringify({ name, version, main: "./index.js" }));
      return d;
    };
    const out = join(dir, "out");
    await fails(bundleApp({ entries: [quickstart], outDir: out, target: "linux-arm64", koffiPackage: fake("@koromix/koffi-linux-arm64", "0.0.1") }),
      "EINVAL", new RegExp(`@koromix/koffi-linux-arm64@0\\.0\\.1 but the bundled koffi is ${koffi.replace(/\./g, "\\.")}`));
    assert.equal(readdirSync(out), [], "no half-written appliance");
    await fails(bundleApp({ entries: [quickstart], outDir: out, target: "linux-arm64", koffiPackage: fake("@koromix/koffi-linux-x64", koffi) }),
      "EINVAL", /holds @koromix\/koffi-linux-x64, not @koromix\/koffi-linux-arm64/);
    await fails(bundleApp({ entries: [quickstart], outDir: out, target: "linux-arm64", koffiPackage: fake("@koromix/koffi-linux-arm64", koffi) }),
      "ENOENT", /linux_arm64\/koffi\.node is missing/);
    assert.equal(readdirSync(out), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
