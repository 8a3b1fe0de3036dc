// Runs commands and uvu test files inside the test VM (scripts/vm/run.sh, tests/vm/README.md):
// Debian 12's kernel, which has the 802.1Q VLAN, VRF and dummy drivers this machine's
// kernel lacks, over the host's root.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_MARK } from "./vm-uvu.js";

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const RUN = join(repoRoot, "scripts/vm/run.sh");

export interface VmRun {
  /** the command's exit code; 125: the VM gave none (QEMU missing, boot failure, timeout) */
  code: number;
  /** stdout and stderr of the command and of scripts/vm/run.sh, interleaved */
  output: string;
  ms: number;
}

/** Runs argv in the VM, in the repository's directory; env entries named IFPX_* reach it. */
export function runInVm(argv: string[], opts: { timeoutS?: number; env?: NodeJS.ProcessEnv } = {}): Promise<VmRun> {
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn("bash", [RUN, "--timeout", String(opts.timeoutS ?? 600), "--", ...argv], {
      cwd: repoRoot, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    // QEMU writes the serial console a byte at a time: decode across chunks
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
    child.on("error", (e) => { output += `\nspawn ${RUN}: ${e.message}`; });
    child.on("close", (code, signal) => resolve({ code: code ?? 128, output: signal ? `${output}\nkilled by ${signal}` : output, ms: Date.now() - t }));
  });
}

export interface UvuSummary { total: number; passed: number; skipped: number }

/** The last "Total/Passed/Skipped" block of uvu's output, as tests/run.sh reads it. */
export function uvuSummary(output: string): UvuSummary | undefined {
  const last = (label: string) => {
    const all = [...output.matchAll(new RegExp(`^ *${label}: *(\\d+)`, "gm"))];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const total = last("Total");
  if (total === undefined) return undefined;
  return { total, passed: last("Passed") ?? 0, skipped: last("Skipped") ?? 0 };
}

/** tests/vm/*.test.ts, as paths relative to the repository */
export function vmTestFiles(): string[] {
  return readdirSync(join(repoRoot, "tests/vm")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => `tests/vm/${f}`);
}

export interface VmTestResult { name: string; passed: boolean }
export interface VmFileResult {
  file: string; code: number;
  /** the file's output, without the lines helpers/vm-uvu.ts adds */
  output: string;
  summary?: UvuSummary;
  /** each test that ran to its end (pass or fail), in order */
  tests: VmTestResult[];
}

const FILE_MARK = "@@ifpx-vm-file ";
const EXIT_MARK = "@@ifpx-vm-exit ";

/**
 * Runs each test file (paths relative to the repository) in its own Node process, all in
 * one VM boot. Each file is bundled with esbuild on the host first and runs as plain
 * JavaScript: tsx's loader costs tens of seconds per process under TCG. So a file run here
 * must not load TypeScript at run time (no Worker on a .ts file) nor find files relative
 * to its own location (import.meta.url is the bundle's); core.wasm is found through
 * IFPX_CORE_WASM. Its "uvu" is helpers/vm-uvu.ts, which names each test's outcome.
 */
export async function runVmTests(files: string[], opts: { timeoutS?: number; perFileTimeoutS?: number } = {}): Promise<{ run: VmRun; results: VmFileResult[] }> {
  const { build } = await import("esbuild");
  const shim = join(repoRoot, "tests/integration/helpers/vm-uvu.ts");
  const uvuShim = {
    name: "vm-uvu",
    setup(b: any) { b.onResolve({ filter: /^uvu$/ }, (args: any) => (args.importer === shim ? undefined : { path: shim })); },
  };
  const perFileTimeoutS = opts.perFileTimeoutS ?? 300;
  // not under /tmp: the VM mounts its own /tmp over the host's
  const dir = join(repoRoot, ".cache/vm", `tests-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const bundles: string[] = [];
    for (const file of files) {
      const out = join(dir, basename(file).replace(/\.ts$/, ".mjs"));
      await build({
        entryPoints: [join(repoRoot, file)], outfile: out, bundle: true, platform: "node", format: "esm",
        target: "node20", external: ["koffi", "esbuild"], logLevel: "error", plugins: [uvuShim],
        // koffi and the AssemblyScript loader are CommonJS: the ESM bundle needs a require()
        banner: { js: "import { createRequire as __vmCreateRequire } from 'node:module'; const require = __vmCreateRequire(import.meta.url);" },
      });
      bundles.push(relative(repoRoot, out));
    }
    const script = `for i in $(seq 1 $(($# / 2))); do f=$1; b=$2; shift 2; echo "${FILE_MARK}$f"; ` +
      `timeout -k 5 ${perFileTimeoutS} node "$b" 2>&1; rc=$?; echo; echo "${EXIT_MARK}$f $rc"; done`;
    const run = await runInVm(["sh", "-c", script, "sh", ...files.flatMap((f, i) => [f, bundles[i]])], {
      timeoutS: opts.timeoutS ?? 120 + files.length * perFileTimeoutS, env: { IFPX_CORE_WASM: join(repoRoot, "dist/core.wasm"), IFPX_L3FWD_DIR: join(repoRoot, "examples/l3fwd"), NO_COLOR: "1", FORCE_COLOR: undefined },
    });
    return { run, results: vmFileResults(run.output, files, perFileTimeoutS) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each file's share of runVmTests's VM output, between its marks. */
export function vmFileResults(output: string, files: string[], timeoutS: number): VmFileResult[] {
  return files.map((file) => fileResult(output, file, timeoutS));
}

function fileResult(output: string, file: string, timeoutS: number): VmFileResult {
  const start = output.indexOf(`${FILE_MARK}${file}\n`);
  if (start < 0) return { file, code: 125, output: "(not run: the VM did not reach this file)", tests: [] };
  const body = output.slice(start + FILE_MARK.length + file.length + 1);
  const exit = body.match(new RegExp(`^${EXIT_MARK}${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} (\\d+)$`, "m"));
  const code = exit ? Number(exit[1]) : 125;
  // the newline echoed before the exit mark, in case the file's output did not end with one
  const raw = exit ? body.slice(0, exit.index).replace(/\n$/, "") : body;
  const tests: VmTestResult[] = [];
  const lines: string[] = [];
  for (const line of raw.split("\n")) {
    const m = line.startsWith(TEST_MARK) ? line.slice(TEST_MARK.length).match(/^(pass|fail) (".*")$/) : null;
    if (m) tests.push({ name: JSON.parse(m[2]), passed: m[1] === "pass" });
    else lines.push(line);
  }
  // vm-uvu's marks start on a new line: rejoin the progress dots they split
  let own = lines.join("\n").replace(/(• |✘ )\n(?=• |✘ |  \()/g, "$1").replace(/^\n/, "");
  if (!exit) own += "\n(no exit code: the VM stopped during this file)";
  else if (code === 124) own += `\n(timed out after ${timeoutS} s)`;
  return { file, code, output: own, summary: uvuSummary(own), tests };
}
