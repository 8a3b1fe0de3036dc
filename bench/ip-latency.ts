// `ip` command -> callback latency: what a user sees when they configure a
// proxy by hand. Each sample spawns `ip -n NS addr add|del ...` and times from
// the spawn to the callback that reports it; the same spawn's exit time is
// measured too (iproute2 start-up and the kernel request, with no listener
// involved), so the listener's own share is the difference.
//   node --import tsx bench/ip-latency.ts [N]
import { spawn, execFileSync } from "node:child_process";
import { Ifpx, EventType, type IfpxEvent } from "../host/index.js";

const now = () => process.hrtime.bigint();
const us = (a: bigint, b: bigint) => Number(b - a) / 1000;
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

export async function runIpLatencyBench(opts: { quick?: boolean } | number = {}): Promise<{ samples: number; callbackMedianUs: number; ipExitMedianUs: number; callbackP99Us: number }> {
  const n = typeof opts === "number" ? opts : opts.quick ? 25 : 100;
  const ns = `ifpxbip-${process.pid}`;
  execFileSync("ip", ["netns", "add", ns]);
  const ifpx = new Ifpx({ netns: ns });
  try {
    const proxy = ifpx.createProxy({ name: "prx0" });
    ifpx.bind(0, proxy);
    execFileSync("ip", ["-n", ns, "link", "set", "prx0", "up"]);
    let waiting: ((t: bigint) => void) | undefined;
    const onAddr = (e: IfpxEvent) => { if (waiting && e.portId === 0) { const w = waiting; waiting = undefined; w(now()); } return true; };
    ifpx.registerCallbacks([{ type: EventType.ADDR_ADD, callback: onAddr }, { type: EventType.ADDR_DEL, callback: onAddr }]);
    await ifpx.listen();
    const cb: number[] = [], exit: number[] = [];
    for (let i = 0; i < n; i++) {
      for (const verb of ["add", "del"]) {
        const seen = new Promise<bigint>((r) => { waiting = r; });
        const t0 = now();
        const p = spawn("ip", ["-n", ns, "addr", verb, `198.51.100.${(i % 250) + 1}/32`, "dev", "prx0"], { stdio: "ignore" });
        const exited = new Promise<bigint>((r) => p.on("exit", () => r(now())));
        const [tc, te] = await Promise.all([seen, exited]);
        cb.push(us(t0, tc));
        exit.push(us(t0, te));
      }
    }
    const s = [...cb].sort((a, b) => a - b);
    return { samples: cb.length, callbackMedianUs: median(cb), ipExitMedianUs: median(exit), callbackP99Us: s[Math.floor(s.length * 0.99)] };
  } finally {
    await ifpx.dispose();
    execFileSync("ip", ["netns", "del", ns]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runIpLatencyBench(Number(process.argv[2] ?? 100));
  console.log(`ip command -> callback: median ${(r.callbackMedianUs / 1000).toFixed(2)} ms, p99 ${(r.callbackP99Us / 1000).toFixed(2)} ms ` +
    `(${r.samples} samples); the ip process itself exits after a median ${(r.ipExitMedianUs / 1000).toFixed(2)} ms`);
}
