// An application that uses ifpx, bundled for an appliance: one folder with
// the application's bundle (one .mjs per entry: the app and its workers),
// core.wasm next to it (host/core/wasm.ts finds it there) and koffi's native module
// for the target, laid out where koffi's loader looks for it
// (node_modules/@koromix/koffi-<target>/, resolved from the bundle). Nothing
// else: no node_modules/ifpx, no environment variable, no source maps.
//
// koffi's JavaScript is bundled; its native module cannot be, and koffi finds
// it by a require() of its platform package relative to the bundle. Only the
// binary for the target's C library is copied (glibc unless libc "musl").
//
// esbuild is the application's: it is resolved from the working directory
// first (the project being bundled), then from ifpx's own location.
import { createRequire } from "node:module";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { coreWasmPath } from "./core/wasm.js";
import { IfpxError } from "./errors.js";

export type BundleTarget = "linux-x64" | "linux-arm64";
export const BUNDLE_TARGETS: readonly BundleTarget[] = ["linux-x64", "linux-arm64"];

export interface BundleOptions {
  /** the application's entry points: the program and any worker scripts (each becomes <name>.mjs) */
  entries: string[];
  /** the folder to write; it must be empty or absent unless `clean` */
  outDir: string;
  /** default: the machine's own (linux-x64 or linux-arm64) */
  target?: BundleTarget;
  /** C library of the target (default glibc): picks koffi's binary */
  libc?: "glibc" | "musl";
  /**
   * Folder of koffi's platform package for the target (@koromix/koffi-<target>,
   * e.g. unpacked from `npm pack @koromix/koffi-linux-arm64@<koffi version>`).
   * Default: resolved from the working directory, the entries' folders and ifpx.
   */
  koffiPackage?: string;
  /** empty outDir first */
  clean?: boolean;
  minify?: boolean;
}

export interface BundleResult {
  outDir: string;
  target: BundleTarget;
  /** every file written, relative to outDir, with its size in bytes */
  files: { path: string; bytes: number }[];
  bytes: number;
}

// koffi and @assemblyscript/loader are CommonJS: give the ESM bundle a require().
// esbuild does not see the banner's names: the import's must differ from the one
// dist/ifpx.js makes for itself (hoisted into the bundle unrenamed).
const BANNER = "import { createRequire as __ifpxBundleCreateRequire } from 'node:module'; const require = __ifpxBundleCreateRequire(import.meta.url);";

export function hostTarget(): BundleTarget | undefined {
  const t = `${process.platform}-${process.arch}`;
  return (BUNDLE_TARGETS as readonly string[]).includes(t) ? t as BundleTarget : undefined;
}

export async function bundleApp(opts: BundleOptions): Promise<BundleResult> {
  const target = opts.target ?? hostTarget();
  if (!target || !BUNDLE_TARGETS.includes(target)) {
    throw new IfpxError("EINVAL", `bundle: target must be one of ${BUNDLE_TARGETS.join(", ")}, got ${opts.target ?? `${process.platform}-${process.arch} (this machine)`}`);
  }
  const libc = opts.libc ?? "glibc";
  if (libc !== "glibc" && libc !== "musl") throw new IfpxError("EINVAL", `bundle: libc must be glibc or musl, got ${libc}`);
  if (!opts.entries?.length) throw new IfpxError("EINVAL", "bundle: no entry point given");
  const entries = opts.entries.map((e) => resolve(e));
  for (const e of entries) if (!existsSync(e)) throw new IfpxError("ENOENT", `bundle: entry ${e} does not exist`);
  const names = entries.map((e) => basename(e).replace(/\.[cm]?[jt]sx?$/, ""));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new IfpxError("EINVAL", `bundle: two entries would both be written as ${dup}.mjs`);
  const outDir = resolve(opts.outDir);
  prepareOutDir(outDir, !!opts.clean);

  const esbuild = await loadEsbuild();
  try {
    await writeBundle(esbuild, entries, outDir, target, libc, opts);
  } catch (e) {
    // the folder was empty: leave it so, not half an appliance
    for (const f of readdirSync(outDir)) rmSync(join(outDir, f), { recursive: true, force: true });
    throw e;
  }
  const files = listFiles(outDir);
  return { outDir, target, files, bytes: files.reduce((a, f) => a + f.bytes, 0) };
}

async function writeBundle(esbuild: Esbuild, entries: string[], outDir: string, target: BundleTarget, libc: string, opts: BundleOptions): Promise<void> {
  const result = await esbuild.build({
    entryPoints: entries,
    outdir: outDir,
    entryNames: "[name]",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: !!opts.minify,
    metafile: true,
    logLevel: "error",
    banner: { js: BANNER },
  });

  const koffiVersion = bundledKoffiVersion(result.metafile);
  copyFileSync(coreWasmPath(), join(outDir, "core.wasm"));
  if (koffiVersion !== undefined) copyKoffi(outDir, target, libc, koffiVersion, opts.koffiPackage, entries);
}

function prepareOutDir(outDir: string, clean: boolean): void {
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw new IfpxError("EEXIST", `bundle: ${outDir} exists and is not a folder`);
    const left = readdirSync(outDir);
    if (left.length && !clean) throw new IfpxError("EEXIST", `bundle: ${outDir} is not empty (pass --clean to empty it first)`);
    for (const f of left) rmSync(join(outDir, f), { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
}

interface Esbuild {
  build(o: Record<string, unknown>): Promise<{ metafile: { inputs: Record<string, unknown> } }>;
}

async function loadEsbuild(): Promise<Esbuild> {
  for (const from of [join(process.cwd(), "package.json"), import.meta.url]) {
    let path: string;
    try { path = createRequire(from).resolve("esbuild"); } catch { continue; }
    const mod = await import(pathToFileURL(path).href);
    return (mod.build ? mod : mod.default) as Esbuild;
  }
  throw new IfpxError("ENOENT", "bundle: esbuild is not installed: `npm install --save-dev esbuild` in the application's project");
}

// The koffi whose JavaScript went into the bundle (the native module must be
// the same version: koffi refuses another). undefined: the app does not use koffi.
function bundledKoffiVersion(meta: { inputs: Record<string, unknown> }): string | undefined {
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*node_modules[\\/]koffi)[\\/]/.exec(input);
    if (!m) continue;
    const pkg = JSON.parse(readFileSync(join(resolve(m[1]), "package.json"), "utf8"));
    return String(pkg.version);
  }
  return undefined;
}

function copyKoffi(outDir: string, target: BundleTarget, libc: string, version: string, given: string | undefined, entries: string[]): void {
  const name = `@koromix/koffi-${target}`;
  const src = given ? resolve(given) : findPackage(name, [process.cwd(), ...entries.map(dirname), dirname(fileURLToPath(import.meta.url))]);
  const hint = `npm pack ${name}@${version} and unpack it (tar xzf), then pass its folder with --koffi-package`;
  if (!src || !existsSync(join(src, "package.json"))) throw new IfpxError("ENOENT", `bundle: koffi's native module for ${target} (${name}) was not found: ${hint}`);
  const pkg = JSON.parse(readFileSync(join(src, "package.json"), "utf8"));
  if (pkg.name !== name) throw new IfpxError("EINVAL", `bundle: ${src} holds ${pkg.name}, not ${name}`);
  if (pkg.version !== version) throw new IfpxError("EINVAL", `bundle: ${src} is ${name}@${pkg.version} but the bundled koffi is ${version} (koffi refuses another version): ${hint}`);
  const arch = target.split("-")[1];
  const binary = `${libc === "musl" ? "musl" : "linux"}_${arch}/koffi.node`;
  if (!existsSync(join(src, binary))) throw new IfpxError("ENOENT", `bundle: ${join(src, binary)} is missing`);
  const dst = join(outDir, "node_modules", name);
  mkdirSync(join(dst, dirname(binary)), { recursive: true });
  for (const f of ["package.json", pkg.main ?? "index.js", binary]) copyFileSync(join(src, f), join(dst, f));
}

function findPackage(name: string, from: string[]): string | undefined {
  for (const dir of from) {
    try { return dirname(createRequire(join(dir, "noop.js")).resolve(`${name}/package.json`)); } catch { /* not there */ }
  }
  return undefined;
}

function listFiles(root: string, dir = root): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...listFiles(root, p));
    else out.push({ path: relative(root, p), bytes: statSync(p).size });
  }
  return out;
}
