// NLM_F_DUMP_INTR: the kernel flags a dump that raced with a change (address
// dumps do). ifpx must notice, dump again, and end with the kernel's exact
// state. Addresses are churned while listen() dumps; the race is real, so the
// test retries (a fresh listener each time) until the kernel flagged one.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { Ifpx } from "../../host/index.js";
import { withNetns } from "./helpers/netns.js";
import { sleep } from "./helpers/collector.js";

test("an interrupted dump is retried and converges", () => withNetns(async (ns) => {
  ns.exec("ip", "tuntap", "add", "t0", "mode", "tap");
  ns.ip("link", "set", "t0", "up");
  let base = "";
  for (let i = 0; i < 5000; i++) base += `addr add 10.1.${(i >> 8) & 255}.${i & 255}/32 dev t0\n`;
  spawnSync("ip", ["-n", ns.name, "-batch", "-"], { input: base });
  let churn = "";
  for (let k = 0; k < 200; k++) for (let i = 0; i < 50; i++) churn += `addr ${k % 2 ? "del" : "add"} 10.2.0.${i}/32 dev t0\n`;
  let interrupted = 0;
  for (let attempt = 0; attempt < 12 && !interrupted; attempt++) {
    const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
    try {
      const p = ifpx.adoptProxy("t0");
      ifpx.bind(0, p);
      const bg = spawn("ip", ["-n", ns.name, "-batch", "-"], { stdio: ["pipe", "ignore", "ignore"] });
      const exited = new Promise((r) => bg.on("exit", r));
      bg.stdin.end(churn);
      await sleep(10);
      await ifpx.listen();
      await exited;
      while (ifpx.stats().syncing) await sleep(50);
      await sleep(200);
      const st = ifpx.stats();
      if (st.core.dump_intr > 0) {
        interrupted++;
        assert.ok(st.dumpRetries > 0, "the interrupted dump was started again");
      }
      const kernel = JSON.parse(execFileSync("ip", ["-n", ns.name, "-j", "-4", "addr", "show", "dev", "t0"], { encoding: "utf8", maxBuffer: 1 << 26 }))[0].addr_info.length;
      assert.is(ifpx.mirrorCount("addr", p), kernel, `attempt ${attempt}: mirror equals the kernel's ${kernel} addresses`);
    } finally {
      await ifpx.dispose();
    }
  }
  assert.ok(interrupted > 0, "the kernel flagged at least one dump as interrupted");
}));

test.run();
