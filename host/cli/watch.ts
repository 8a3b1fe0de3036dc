// ifpx watch: adopt interfaces and print their events as they come.
import { EventType, type IfpxEvent } from "../record.js";
import { formatEvent } from "../format.js";
import { EXIT_OK, type Command } from "./command.js";
import { LISTENER_HELP, LISTENER_OPTIONS, openListener, warn } from "./listener.js";
import { eventJson, statsJson } from "./json.js";
import { println } from "./output.js";
import { formatStats } from "./stats.js";

export const watchCommand: Command = {
  name: "watch",
  summary: "adopt interfaces as proxies and print their events until SIGINT/SIGTERM",
  help: `usage: ifpx watch [--netns NS] [--kinds LIST] [--json] [--subinterfaces] IFNAME...
Prints the initial state (flag [initial]), CFG_DONE, then every change, one line per event,
written as it happens. SIGUSR1 writes the counters to stderr (ifpx stats).
${LISTENER_HELP}`,
  options: LISTENER_OPTIONS,
  async run(values, names) {
    const { ifpx } = openListener(values, names, warn);
    const json = values.json === true;
    ifpx.registerCallbacks(Object.values(EventType).map((type) => ({
      type,
      callback: (e: IfpxEvent) => { println(json ? eventJson(e) : formatEvent(e, parentName(e))); return true; },
    })));
    // SUBIF lines name the device the VLAN sits on (the record carries its proxy and ifindex)
    const parentName = (e: IfpxEvent) => {
      if (e.type !== "SUBIF_ADD" && e.type !== "SUBIF_DEL") return undefined;
      try { return ifpx.isProxy(e.parentProxy) ? ifpx.info(e.parentProxy).name : undefined; } catch { return undefined; }
    };
    process.on("SIGUSR1", () => { process.stderr.write((json ? statsJson(ifpx.stats()) : formatStats(ifpx.stats())) + "\n"); });
    await ifpx.listen();
    return new Promise<number>((resolve) => {
      const stop = () => { void ifpx.dispose().then(() => resolve(EXIT_OK)); };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  },
};
