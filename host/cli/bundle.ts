// ifpx bundle: an application that uses ifpx as a self-contained folder for
// an appliance (host/bundle.ts).
import { bundleApp, BUNDLE_TARGETS, hostTarget, type BundleTarget } from "../bundle.js";
import { EXIT_OK, UsageError, type Command } from "./command.js";
import { println } from "./output.js";

export const bundleCommand: Command = {
  name: "bundle",
  summary: "bundle an application that uses ifpx into a folder to copy to an appliance",
  help: `usage: ifpx bundle ENTRY... --out DIR [--target linux-x64|linux-arm64] [--libc glibc|musl]
                   [--koffi-package DIR] [--clean] [--minify] [--json]
Writes DIR/<entry>.mjs for each entry (the application and its worker scripts), DIR/core.wasm
and DIR/node_modules/@koromix/koffi-<target>/ (koffi's native module), and nothing else:
copy DIR to the appliance and run \`node DIR/<entry>.mjs\`. Needs esbuild in the project.
  --out DIR             the folder to write (must be empty or absent)
  --target T            linux-x64 or linux-arm64 (default: this machine, ${hostTarget() ?? "none"})
  --libc L              the target's C library: glibc (default) or musl (Alpine)
  --koffi-package DIR   koffi's package for the target when it is not installed (another CPU):
                        npm pack @koromix/koffi-linux-arm64@<koffi version>; tar xzf; pass package/
  --clean               empty DIR first
  --minify              minify the bundle
  --json                print the result (files and sizes) as one JSON object`,
  options: {
    out: { type: "string", short: "o" },
    target: { type: "string" },
    libc: { type: "string" },
    "koffi-package": { type: "string" },
    clean: { type: "boolean" },
    minify: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
  async run(values, entries) {
    if (!entries.length) throw new UsageError("no entry point given");
    if (typeof values.out !== "string") throw new UsageError("--out DIR is required");
    const target = values.target as string | undefined;
    if (target !== undefined && !(BUNDLE_TARGETS as readonly string[]).includes(target)) throw new UsageError(`--target must be one of ${BUNDLE_TARGETS.join(", ")}`);
    const libc = values.libc as string | undefined;
    if (libc !== undefined && libc !== "glibc" && libc !== "musl") throw new UsageError("--libc must be glibc or musl");
    const r = await bundleApp({
      entries, outDir: values.out, target: target as BundleTarget | undefined, libc: libc as "glibc" | "musl" | undefined,
      koffiPackage: values["koffi-package"] as string | undefined, clean: values.clean === true, minify: values.minify === true,
    });
    if (values.json === true) { println(JSON.stringify(r)); return EXIT_OK; }
    println(`${r.outDir} (${r.target}):`);
    for (const f of r.files) println(`  ${String(f.bytes).padStart(9)}  ${f.path}`);
    println(`  ${String(r.bytes).padStart(9)}  total`);
    return EXIT_OK;
  },
};
