// Drives the appliance bundle (tests/integration/appliance/app.ts) made by
// `ifpx bundle`: builds it with the CLI, starts it (natively or under qemu),
// and waits for the JSON lines it prints.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../..", import.meta.url));

export interface BundleListing { outDir: string; target: string; files: { path: string; bytes: number }[]; bytes: number }

/** `ifpx bundle app.ts worker.mjs --out <fresh dir outside the repository> EXTRA`; its --json result. */
export function bundleAppliance(target: string, extra: string[] = []): BundleListing {
  const out = join(mkdtempSync(join(tmpdir(), `ifpx-appliance-${target}-`)), "app");
  const text = execFileSync(process.execPath, [join(root, "dist/cli.js"), "bundle",
    "tests/integration/appliance/app.ts", "tests/integration/appliance/worker.mjs",
    "--out", out, "--target", target, "--json", ...extra], { cwd: root, encoding: "utf8" });
  return JSON.parse(text);
}

export type Line = Record<string, any> & { kind: string };

export class ApplianceRun {
  readonly lines: Line[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  private readonly child;
  private waiters: (() => void)[] = [];
  private partial = "";

  constructor(cmd: string, args: string[], cwd: string) {
    // no IFPX_CORE_WASM: the bundle must find core.wasm by itself
    const env = { ...process.env };
    delete env.IFPX_CORE_WASM;
    this.child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8").on("data", (d: string) => {
      const parts = (this.partial + d).split("\n");
      this.partial = parts.pop()!;
      for (const p of parts) if (p.trim()) this.lines.push(parseLine(p));
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr.setEncoding("utf8").on("data", (d: string) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => { for (const w of this.waiters.splice(0)) w(); resolve(code); }));
  }

  /** The first line (from index `from`) that `pred` accepts; rejects with everything seen on timeout. */
  async waitFor(what: string, pred: (l: Line) => boolean, timeoutMs: number, from = 0): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(`${what}: not seen after ${timeoutMs} ms (exit ${this.child.exitCode}); stdout:\n${this.lines.map((l) => JSON.stringify(l)).join("\n")}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((r) => { const t = setTimeout(r, Math.min(left, 250)); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  send(cmd: string): void { this.child.stdin.write(cmd + "\n"); }

  kill(): void { if (this.child.exitCode === null) this.child.kill("SIGKILL"); }
}

function parseLine(p: string): Line {
  try { return JSON.parse(p); } catch { return { kind: "text", text: p }; }
}

/** ip in the test's namespace: a veth pair (v0 adopted by the app, v1 its peer), both up. */
export function vethPair(ns: { ip(...a: string[]): string }): void {
  ns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
  ns.ip("link", "set", "v0", "up");
  ns.ip("link", "set", "v1", "up");
}

export const execText = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8" });
