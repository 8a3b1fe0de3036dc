// A JavaScript consumer of the installed package, run against the kernel:
// a tap proxy in namespace argv[2], an address configured with ip, its events.
import { execFileSync } from "node:child_process";
import { Ifpx, EventType, formatEvent } from "ifpx";
import { dpdkAvailable } from "ifpx/dpdk";

const netns = process.argv[2];
const ifpx = new Ifpx({ netns });
const proxy = ifpx.createProxy({ name: "dp0" });
ifpx.bind(0, proxy);
const seen = [];
ifpx.registerCallbacks(Object.values(EventType).map((type) => ({ type, callback: (e) => { seen.push(formatEvent(e)); return true; } })));
await ifpx.listen();
execFileSync("ip", ["-n", netns, "link", "set", "dp0", "up"]);
execFileSync("ip", ["-n", netns, "addr", "add", "198.51.100.14/24", "dev", "dp0"]);
for (let i = 0; i < 250 && !seen.some((l) => l.startsWith("ADDR_ADD")); i++) await new Promise((r) => setTimeout(r, 20));
console.log(JSON.stringify({ seen, info: ifpx.info(proxy), dpdk: dpdkAvailable() }));
await ifpx.dispose();
