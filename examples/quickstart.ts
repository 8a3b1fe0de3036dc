// The README quick start as a program: a tap proxy bound to port 0, callbacks
// printing every event, listen, then wait for Ctrl-C. Configure the proxy from
// another shell (`ip addr add 198.51.100.14/24 dev dp0`, ...).
//   node --import tsx examples/quickstart.ts [--netns NS] [--once]
import { Ifpx, EventType, formatEvent, type IfpxEvent } from "ifpx";

const args = process.argv.slice(2);
const netns = args.includes("--netns") ? args[args.indexOf("--netns") + 1] : undefined;
const ifpx = new Ifpx({ netns });
const proxy = ifpx.createProxy({ name: "dp0" });
ifpx.bind(0, proxy);
const all = Object.values(EventType).map((type) => ({
  type,
  callback: (e: IfpxEvent) => { console.log(formatEvent(e)); return true; },
}));
ifpx.registerCallbacks(all);
await ifpx.listen();
console.log(`proxy ${proxy}: ${JSON.stringify(ifpx.info(proxy))}`);
if (args.includes("--once")) {
  await ifpx.dispose();
} else {
  process.once("SIGINT", () => { void ifpx.dispose().then(() => process.exit(0)); });
}
