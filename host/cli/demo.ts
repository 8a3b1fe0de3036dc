// ifpx demo: a live demo in a private network namespace: a tap proxy, the
// upstream 16-step ip sequence, events as they arrive (needs root; nothing else).
import { execFileSync } from "node:child_process";
import { Ifpx } from "../ifpx.js";
import { EventType, type IfpxEvent } from "../record.js";
import { formatEvent } from "../format.js";
import { EXIT_OK, type Command } from "./command.js";

export const demoCommand: Command = {
  name: "demo",
  summary: "a live demo in a private namespace: a tap proxy, ip commands, their events",
  help: `usage: ifpx demo
Creates a namespace, a tap proxy in it bound to port 0, runs a sequence of ip commands on it
and prints each event with its delay; removes the namespace at the end (needs root).`,
  options: { help: { type: "boolean", short: "h" } },
  async run() { await demo(); return EXIT_OK; },
};

async function demo(): Promise<void> {
  const ns = `ifpx-demo-${process.pid}`;
  const ip = (...a: string[]) => execFileSync("ip", ["-n", ns, ...a], { stdio: ["ignore", "ignore", "pipe"] });
  execFileSync("ip", ["netns", "add", ns]);
  const ifpx = new Ifpx({ netns: ns });
  const cleanup = () => { try { execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" }); } catch { /* gone */ } };
  process.once("SIGINT", () => { cleanup(); process.exit(130); });
  try {
    const PORT = 0;
    const proxy = ifpx.createProxy({ name: "ifpx0" });
    ifpx.bind(PORT, proxy);
    console.log(`namespace ${ns}: proxy ${proxy} is tap ifpx0 (ifindex ${ifpx.info(proxy).ifindex}), bound to port ${PORT}\n`);
    let mark = process.hrtime.bigint();
    const seen: IfpxEvent[] = [];
    ifpx.registerCallbacks(Object.values(EventType).map((type) => ({
      type,
      callback: (e: IfpxEvent) => {
        const us = Number(process.hrtime.bigint() - mark) / 1000;
        seen.push(e);
        console.log(`  ${(us / 1000).toFixed(2).padStart(8)} ms  ${formatEvent(e)}`);
        return true;
      },
    })));
    const t0 = process.hrtime.bigint();
    mark = t0;
    console.log("listen(): initial state");
    await ifpx.listen();
    console.log(`CFG_DONE after ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms\n`);
    const steps: string[][] = [
      ["link", "set", "dev", "ifpx0", "up"],
      ["link", "set", "dev", "ifpx0", "address", "02:00:00:00:00:01"],
      ["link", "set", "dev", "ifpx0", "mtu", "1600"],
      ["addr", "add", "198.51.100.14/24", "dev", "ifpx0"],
      ["route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "ifpx0"],
      ["route", "add", "default", "via", "198.51.100.1", "dev", "ifpx0"],
      ["neigh", "add", "198.51.100.1", "dev", "ifpx0", "lladdr", "02:00:00:00:00:02", "nud", "permanent"],
      ["-6", "addr", "add", "2001:db8::dead:beef/64", "dev", "ifpx0", "nodad"],
      ["-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::1", "dev", "ifpx0"],
      ["-6", "neigh", "add", "2001:db8::1", "dev", "ifpx0", "lladdr", "02:00:00:00:00:03", "nud", "permanent"],
      ["route", "del", "203.0.113.0/24"],
      ["addr", "del", "198.51.100.14/24", "dev", "ifpx0"],
      ["link", "set", "dev", "ifpx0", "down"],
    ];
    for (const s of steps) {
      console.log(`$ ip ${s.join(" ")}`);
      const before = seen.length;
      mark = process.hrtime.bigint();
      ip(...s);
      const deadline = Date.now() + 300;
      while (Date.now() < deadline && (seen.length === before || Date.now() < deadline - 200)) await new Promise((r) => setTimeout(r, 10));
      if (seen.length === before) console.log("  (no event)");
    }
    const st = ifpx.stats();
    console.log(`\n${seen.length} events; ${st.datagrams} netlink datagrams; ${st.spoofed} spoofed dropped; ${st.overruns} overruns`);
    console.log(`mirror now: ${ifpx.mirrorCount("addr", proxy)} addresses, ${ifpx.mirrorCount("route", proxy)} routes, ${ifpx.mirrorCount("neigh", proxy)} neighbours`);
  } finally {
    await ifpx.dispose();
    cleanup();
  }
}
