// The tests in tests/vm/ need kernel features this machine's kernel lacks (802.1Q VLAN, VRF,
// dummy): they run inside the test VM (tests/vm/README.md), every file in one boot, each file
// in its own Node process. The VM runs before any test here is registered (top-level await),
// so that each test that ran inside is registered here under its own name and passes or fails
// as it did there: tests/run.sh counts the inner tests. A file that did not run to a clean end
// (no summary, a test without an outcome, skipped tests, a non-zero exit) adds one failing test
// saying why. The inner output is printed with a "vm| " prefix (so tests/run.sh does not read
// the inner summaries as this file's).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runVmTests, vmTestFiles, type VmFileResult } from "./helpers/vm.js";

// not console.log: uvu's bin sets FORCE_COLOR, and Node warns on each console.log when NO_COLOR is set too
const print = (text: string) => process.stdout.write(`${text}\n`);

const files = vmTestFiles();
let results: VmFileResult[];
try {
  const r = await runVmTests(files);
  results = r.results;
  const counts = results.map((x) => `${x.file}: ${x.summary ? `${x.summary.passed}/${x.summary.total} passed` : "no summary"}`);
  print(`vm| ${files.length} files in one VM run of ${(r.run.ms / 1000).toFixed(1)} s (exit ${r.run.code}); ${counts.join("; ")}`);
  if (results.some((x) => !x.summary)) print(r.run.output.trimEnd().split("\n").map((l) => `vm| ${l}`).join("\n"));
} catch (e: any) {
  results = files.map((file) => ({ file, code: 125, output: `the VM run failed: ${e?.stack ?? e}`, tests: [] }));
}

test("tests/vm has test files", () => {
  assert.ok(files.length > 0, "no tests/vm/*.test.ts");
});

for (const r of results) {
  print(`vm| ${r.file}\n${r.output.trimEnd().split("\n").map((l) => `vm| ${l}`).join("\n")}`);
  for (const t of r.tests) {
    test(`in the VM: ${r.file}: ${t.name}`, () => {
      assert.ok(t.passed, `failed in the VM (its output is above, "vm| " lines of ${r.file})`);
    });
  }
  const s = r.summary;
  const problem = !s ? `no uvu summary (exit ${r.code})`
    : s.total === 0 ? "no test ran"
    : s.skipped ? `${s.skipped} skipped`
    : s.total - s.skipped !== r.tests.length ? `${s.total} tests in uvu's summary, ${r.tests.length} with an outcome`
    : r.code !== 0 && s.passed === s.total ? `exit ${r.code} although every test passed`
    : "";
  if (problem) test(`in the VM: ${r.file} ran to a clean end`, () => { assert.unreachable(`${r.file}: ${problem}\n${r.output}`); });
}

test.run();
