// Network namespaces for integration tests: a unique name per test, always
// removed in teardown (even when the test failed), and a way to run `ip`
// inside it.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface Netns {
  name: string;
  /** run `ip ARGS` inside the namespace; throws with stderr on failure */
  ip(...args: string[]): string;
  /** run any command inside the namespace */
  exec(cmd: string, ...args: string[]): string;
  remove(): void;
}

// Namespaces still alive when the process exits (a crash, uvu exiting early,
// or a runner's timeout killing it) are removed here too: a finally block
// does not run then, and "exit" handlers do not run on a signal's default action.
const alive = new Set<string>();
function removeAlive(): void {
  for (const name of alive) {
    try { execFileSync("ip", ["netns", "del", name], { stdio: "ignore" }); } catch { /* gone */ }
  }
  alive.clear();
}
process.on("exit", removeAlive);
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.once(sig, () => { removeAlive(); process.kill(process.pid, sig); });
}

export function createNetns(prefix = "ifpxt"): Netns {
  // IFPX_TEST_RUN (set by tests/run.sh) lets the runner find leaks of its own run only
  const run = process.env.IFPX_TEST_RUN ? `${process.env.IFPX_TEST_RUN}-` : "";
  const name = `${prefix}-${run}${process.pid}-${randomBytes(3).toString("hex")}`;
  execFileSync("ip", ["netns", "add", name]);
  alive.add(name);
  const exec = (cmd: string, ...args: string[]) =>
    execFileSync("ip", ["netns", "exec", name, cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const ns: Netns = {
    name,
    exec,
    ip: (...args: string[]) => exec("ip", ...args),
    remove() {
      alive.delete(name);
      try { execFileSync("ip", ["netns", "del", name], { stdio: "ignore" }); } catch { /* already gone */ }
    },
  };
  try { ns.ip("link", "set", "lo", "up"); } catch (e) { ns.remove(); throw e; }
  return ns;
}

/** uvu-style wrapper: run fn with a fresh namespace, remove it whatever happens */
export async function withNetns<T>(fn: (ns: Netns) => Promise<T> | T, prefix?: string): Promise<T> {
  const ns = createNetns(prefix);
  try { return await fn(ns); } finally { ns.remove(); }
}
