// Driving the C primary from Node (the multi-process tests and bench/dpdk-e2e):
// what it needs before it can run, its output, and the files a DPDK process
// with a --file-prefix leaves behind.
import { execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dpdkAvailable } from "../../host/dpdk/index.js";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const primaryDir = `${root}examples/dpdk-primary`;
export const primaryBin = `${primaryDir}/build/dpdk-primary`;

/** DPDK, root, the primary (rebuilt when older than main.c), 64 free 2 MiB hugepages: why not, or undefined. */
export function preparePrimary(): string | undefined {
  const a = dpdkAvailable();
  if (!a.ok) return a.reason;
  if (process.getuid?.() !== 0) return "needs root (hugepages, namespaces)";
  try {
    const stale = !existsSync(primaryBin) || statSync(primaryBin).mtimeMs < statSync(`${primaryDir}/main.c`).mtimeMs;
    if (stale) execFileSync("bash", [`${primaryDir}/build.sh`], { stdio: "pipe" });
  } catch (e) {
    return `cannot build examples/dpdk-primary: ${(e as any).stderr ?? e}`;
  }
  try {
    execFileSync("sh", ["-c", "f=$(awk '/HugePages_Free/{print $2}' /proc/meminfo); [ \"$f\" -ge 64 ] || echo 256 > /proc/sys/vm/nr_hugepages; " +
      "mkdir -p /dev/hugepages; mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages"], { stdio: "pipe" });
  } catch (e) {
    return `cannot prepare hugepages: ${(e as any).stderr ?? e}`;
  }
  const free = Number(/HugePages_Free:\s*(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))![1]);
  if (free < 64) return `only ${free} free 2 MiB hugepages (need 64)`;
  return undefined;
}

/** Remove the hugepage files and the runtime directory of a --file-prefix. */
export function removePrefixFiles(prefix: string): void {
  try {
    for (const f of readdirSync("/dev/hugepages")) if (f.startsWith(`${prefix}map_`)) rmSync(`/dev/hugepages/${f}`, { force: true });
  } catch { /* none */ }
  rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true });
}

/** Collects a child's output; waits for a line matching a pattern. */
export class ChildOutput {
  text = "";
  private waiters: (() => void)[] = [];
  constructor(readonly child: ChildProcess) {
    for (const s of [child.stdout!, child.stderr!]) s.setEncoding("utf8").on("data", (d: string) => { this.text += d; for (const w of this.waiters.splice(0)) w(); });
    child.on("exit", () => { for (const w of this.waiters.splice(0)) w(); });
  }
  async waitFor(re: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) throw new Error(`${what}: not seen within ${ms} ms (exit ${this.child.exitCode}):\n${this.text.slice(-3000)}`);
      await this.next(left);
    }
  }
  /** Resolves at the child's next output (or its exit), or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise<void>((r) => { const t = setTimeout(r, ms); this.waiters.push(() => { clearTimeout(t); r(); }); });
  }
}
