// The README's DPDK example, run exactly as printed (the fenced block under
// "## DPDK", only its imports of "ifpx" resolved to this checkout through the
// package's own exports), in a namespace of its own, followed by a check that
// an address configured on dp0 reaches the rte_ring as ADDR_ADD for the port.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dpdkAvailable } from "../../host/dpdk/index.js";
import { withNetns } from "./helpers/netns.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const avail = dpdkAvailable();
const reason = !avail.ok ? avail.reason : process.getuid?.() !== 0 ? "needs root (net_tap creates a kernel interface)" : undefined;

/** The first ```ts block after the heading. */
export function readmeBlock(heading: string): string {
  const md = readFileSync(join(root, "README.md"), "utf8");
  const at = md.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no heading ${heading}`);
  const m = /```ts\n([\s\S]*?)```/.exec(md.slice(at));
  if (!m) throw new Error(`no ts block under ${heading}`);
  return m[1];
}

// appended after the README's last line: the quick start must be live
const CHECK = `
// ---- appended by the test ----
import { execFileSync as __exec } from "node:child_process";
__exec("ip", ["addr", "add", "192.0.2.77/24", "dev", "dp0"]);
__exec("ip", ["link", "set", "dp0", "up"]);
const __deadline = Date.now() + 10000;
let __found = false;
while (!__found && Date.now() < __deadline) {
  const recs = ring.dequeue(64);
  const dv = new DataView(recs.buffer, recs.byteOffset, recs.byteLength);
  for (let o = 0; o < recs.byteLength; o += 64) {
    // type 3 ADDR_ADD, port id at 2, IPv4 address (host order) at 16
    if (dv.getUint16(o, true) === 3 && dv.getUint16(o + 2, true) === port && dv.getUint32(o + 16, true) === 0xc000024d) __found = true;
  }
  if (!__found) await new Promise((r) => setTimeout(r, 20));
}
console.log(__found ? "QUICKSTART-OK" : "QUICKSTART-NO-EVENT");
await ifpx.dispose();
process.exit(__found ? 0 : 1);
`;

if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  test("README DPDK quick start runs as printed and delivers to the rte_ring", () => withNetns((ns) => {
    const block = readmeBlock("## DPDK");
    assert.match(block, /createNullPort\(\)/, "the block is the quick start");
    // a file inside the package, so that "ifpx" and "ifpx/dpdk" resolve to this checkout (self-reference)
    const dir = mkdtempSync(join(root, "tests", ".quickstart-"));
    try {
      const file = join(dir, "quickstart.ts");
      writeFileSync(file, block + CHECK);
      let out: string;
      try {
        out = execFileSync("ip", ["netns", "exec", ns.name, process.execPath, "--import", "tsx", file],
          { encoding: "utf8", cwd: root, timeout: 60000, stdio: ["ignore", "pipe", "pipe"] });
      } catch (e: any) {
        throw new Error(`the quick start failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
      }
      assert.match(out, /QUICKSTART-OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));
}

test.run();
