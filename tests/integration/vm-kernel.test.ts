// The tests in tests/vm/ need kernel features this machine's kernel lacks (802.1Q VLAN, VRF,
// dummy): they run inside the test VM (tests/vm/README.md), every file in one boot, each file
// in its own Node process. Here each file counts as one test, which passes when every test in
// the file passed (and at least one ran); its inner output is printed with a "vm| " prefix
// (so tests/run.sh does not read the inner summaries as this file's).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runVmTests, vmTestFiles, type VmFileResult, type VmRun } from "./helpers/vm.js";

const files = vmTestFiles();
let run: VmRun | undefined;
let results = new Map<string, VmFileResult>();
let failure = "";
// not console.log: uvu's bin sets FORCE_COLOR, and Node warns on each console.log when NO_COLOR is set too
const print = (text: string) => process.stdout.write(`${text}\n`);

test.before(async () => {
  try {
    const r = await runVmTests(files);
    run = r.run;
    results = new Map(r.results.map((x) => [x.file, x]));
    const counts = r.results.map((x) => `${x.file}: ${x.summary ? `${x.summary.passed}/${x.summary.total} passed` : "no summary"}`);
    print(`vm| ${files.length} files in one VM run of ${(run.ms / 1000).toFixed(1)} s (exit ${run.code}); ${counts.join("; ")}`);
  } catch (e: any) {
    failure = `the VM run failed: ${e?.stack ?? e}`;
  }
});

test("tests/vm has test files", () => {
  assert.ok(files.length > 0, "no tests/vm/*.test.ts");
});

for (const file of files) {
  test(`in the VM: ${file}: every test passed`, () => {
    assert.is(failure, "");
    const r = results.get(file)!;
    const shown = r.output.trimEnd().split("\n").map((l) => `vm| ${l}`).join("\n");
    print(`vm| ${file}\n${shown}`);
    const s = r.summary;
    assert.ok(s, `${file}: no uvu summary (exit ${r.code}); VM output:\n${s ? "" : run?.output ?? ""}`);
    assert.ok(s!.total >= 1, `${file}: no test ran`);
    assert.is(s!.skipped, 0, `${file}: skipped tests`);
    assert.is(s!.passed, s!.total, `${file}: ${s!.total - s!.passed} of ${s!.total} failed`);
    assert.is(r.code, 0, `${file}: exit ${r.code}`);
  });
}

test.run();
