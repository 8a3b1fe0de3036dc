// Users bundle ifpx with esbuild: an application that imports "ifpx", bundled
// into one file (koffi external: it loads a native module), must find the
// WASM core and work against the kernel.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withNetns } from "./helpers/netns.js";

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

test.run();
