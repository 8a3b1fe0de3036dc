// What a file bundled by runVmTests (helpers/vm.ts) imports as "uvu": uvu itself, whose tests
// also write one line each with their outcome, so that the wrapper outside the VM can count
// and name them (uvu's own output names failed tests only).
import * as uvu from "uvu";

export const TEST_MARK = "@@ifpx-vm-test ";

function report(outcome: "pass" | "fail", suiteName: string | undefined, name: string): void {
  // on a line of its own: uvu writes its progress dots without newlines
  process.stdout.write(`\n${TEST_MARK}${outcome} ${JSON.stringify(suiteName ? `${suiteName} › ${name}` : name)}\n`);
}

function reporting<T>(t: uvu.Test<T>, suiteName?: string): uvu.Test<T> {
  const wrapRegister = (register: (name: string, fn: uvu.Callback<T>) => void) =>
    (name: string, fn: uvu.Callback<T>) => register(name, async (ctx) => {
      try { await fn(ctx); } catch (e) { report("fail", suiteName, name); throw e; }
      report("pass", suiteName, name);
    });
  return Object.assign(wrapRegister(t), { only: wrapRegister(t.only), skip: t.skip, before: t.before, after: t.after, run: t.run });
}

export const test = reporting(uvu.test);
export function suite<T = Record<string, any>>(title?: string, context?: T): uvu.Test<T> {
  return reporting(uvu.suite(title, context), title);
}
export const exec = uvu.exec;
