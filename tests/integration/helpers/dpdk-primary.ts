// What the multi-process DPDK tests need before they can run: DPDK, root, the
// C primary of examples/dpdk-primary (rebuilt when older than its source) and
// 64 free 2 MiB hugepages. Returns why the tests cannot run, or undefined.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dpdkAvailable } from "../../../host/dpdk/index.js";

export const root = fileURLToPath(new URL("../../..", import.meta.url));
export const primaryDir = `${root}examples/dpdk-primary`;
export const primaryBin = `${primaryDir}/build/dpdk-primary`;

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
