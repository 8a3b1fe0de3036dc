// How the VM wrapper (tests/integration/helpers/vm.ts) splits one VM run's output into each
// test file's result: the marks runVmTests's shell loop writes around each file, a file
// whose output does not end with a newline, a timed-out file, a VM that stopped early, and
// each test's outcome (the lines helpers/vm-uvu.ts adds).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { uvuSummary, vmFileResults } from "../integration/helpers/vm.js";

const summary = (total: number, passed: number) =>
  `  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   0\n  Duration:  12.00ms\n\n`;

test("each file's output, exit code and uvu summary, between its marks", () => {
  const out = [
    "kernel noise before the first file\n",
    "@@ifpx-vm-file tests/vm/a.test.ts\n", "• •   (2 / 2)\n\n", summary(2, 2), "\n@@ifpx-vm-exit tests/vm/a.test.ts 0\n",
    "@@ifpx-vm-file tests/vm/b.test.ts\n", "• ✘   (1 / 2)\n\n   FAIL  \"x\"\n", summary(2, 1), "\n@@ifpx-vm-exit tests/vm/b.test.ts 1\n",
  ].join("");
  const [a, b] = vmFileResults(out, ["tests/vm/a.test.ts", "tests/vm/b.test.ts"], 300);
  assert.equal([a.code, a.summary], [0, { total: 2, passed: 2, skipped: 0 }]);
  assert.not.ok(a.output.includes("kernel noise") || a.output.includes("@@"), "only the file's own lines");
  assert.equal([b.code, b.summary], [1, { total: 2, passed: 1, skipped: 0 }]);
  assert.ok(b.output.includes("FAIL  \"x\""));
});

test("each test's outcome from the lines helpers/vm-uvu.ts writes, which are taken out of the output", () => {
  const out = "@@ifpx-vm-file tests/vm/c.test.ts\n" +
    '\n@@ifpx-vm-test pass "VLAN 100"\n• \n@@ifpx-vm-test fail "grouped › QinQ: \\"300\\""\n✘ \n@@ifpx-vm-test pass "VRF"\n•   (2 / 3)\n\n' +
    summary(3, 2) + "\n@@ifpx-vm-exit tests/vm/c.test.ts 1\n";
  const [c] = vmFileResults(out, ["tests/vm/c.test.ts"], 300);
  assert.equal(c.tests, [
    { name: "VLAN 100", passed: true },
    { name: 'grouped › QinQ: "300"', passed: false },
    { name: "VRF", passed: true },
  ]);
  assert.ok(c.output.startsWith("• ✘ •   (2 / 3)\n"), `progress dots rejoined: ${JSON.stringify(c.output)}`);
  assert.not.ok(c.output.includes("@@"));
  assert.equal(c.summary, { total: 3, passed: 2, skipped: 0 });
});

test("a file cut off mid-line, by its timeout or by the VM stopping, and a file never reached", () => {
  const out = "@@ifpx-vm-file tests/vm/slow.test.ts\n• \n@@ifpx-vm-exit tests/vm/slow.test.ts 124\n" +
    "@@ifpx-vm-file tests/vm/crash.test.ts\n• • ";
  const [slow, crash, never] = vmFileResults(out, ["tests/vm/slow.test.ts", "tests/vm/crash.test.ts", "tests/vm/never.test.ts"], 30);
  assert.equal([slow.code, slow.summary, slow.output], [124, undefined, "• \n(timed out after 30 s)"]);
  assert.is(crash.code, 125);
  assert.match(crash.output, /no exit code: the VM stopped during this file/);
  assert.equal([never.code, never.summary], [125, undefined]);
});

test("uvu's summary: the last block wins, as tests/run.sh reads it; none without one", () => {
  assert.equal(uvuSummary(summary(3, 3) + summary(5, 4)), { total: 5, passed: 4, skipped: 0 });
  assert.is(uvuSummary("vm|   Total:     2\n"), undefined, "the wrapper's prefixed inner lines are not a summary");
});

test.run();
