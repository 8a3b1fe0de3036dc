// The README's queue example (examples/queue-worker.ts + queue-consumer.mjs)
// runs as documented: the worker reads the proxy's initial state, CFG_DONE,
// and END when the listener closes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { withNetns } from "./helpers/netns.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("examples/queue-worker.ts: a worker consumes the queue until END", () => withNetns(async (ns) => {
  const text = execFileSync(process.execPath, ["--import", "tsx", "examples/queue-worker.ts", "--netns", ns.name, "--once"],
    { encoding: "utf8", cwd: root, timeout: 30000 });
  const lines = text.split("\n").filter((l) => l.startsWith("worker: "));
  assert.ok(lines.some((l) => /LINK_CHANGE\s+port 0/.test(l)), text);
  assert.ok(lines.some((l) => /MTU_CHANGE\s+port 0\s+mtu 1500/.test(l)), text);
  const done = lines.findIndex((l) => /CFG_DONE/.test(l));
  assert.ok(done > 0, "CFG_DONE after the initial state");
  assert.match(lines[lines.length - 1], /END/);
}));

test.run();
