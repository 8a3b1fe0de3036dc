// Bundles the host into dist/: the library (dist/ifpx.js), the DPDK binding
// (dist/dpdk.js), the appliance bundler (dist/bundle.js), the CLI
// (dist/cli.js) and type declarations (dist/types). dist/core.wasm is made by
// `npm run build:wasm`. koffi stays external: it loads a native module; so
// does esbuild, which the bundler loads from the application's project.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["koffi", "esbuild"],
  sourcemap: true,
  logLevel: "warning",
  // koffi and the loader are CommonJS; give the ESM bundle a require().
  banner: { js: "import { createRequire as __ifpxCreateRequire } from 'node:module'; const require = __ifpxCreateRequire(import.meta.url);" },
};

await build({ ...common, entryPoints: ["host/index.ts"], outfile: "dist/ifpx.js" });
// DPDK binding as its own entry: importing ifpx never loads DPDK.
await build({ ...common, entryPoints: ["host/dpdk/index.ts"], outfile: "dist/dpdk.js" });
await build({ ...common, entryPoints: ["host/bundle.ts"], outfile: "dist/bundle.js" });
await build({
  ...common,
  entryPoints: ["host/cli.ts"],
  outfile: "dist/cli.js",
  banner: { js: "#!/usr/bin/env node\n" + common.banner.js },
});
chmodSync("dist/cli.js", 0o755);
if (!existsSync("dist/core.wasm")) throw new Error("dist/core.wasm missing: run npm run build:wasm first");
try {
  execFileSync("npx", ["tsc", "-p", ".", "--emitDeclarationOnly"], { stdio: "inherit" });
} catch {
  console.warn("build: type declarations were not emitted (tsc failed); the bundle is built");
}
