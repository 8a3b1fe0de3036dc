// ifpx show: the mirror of some interfaces (link, addresses, routes,
// neighbours), read once from the kernel, then exit.
import { formatEventBody, masterText } from "../format.js";
import type { IfpxEvent } from "../record.js";
import { EXIT_OK, type Command } from "./command.js";
import { LISTENER_HELP, LISTENER_OPTIONS, openListener, warn } from "./listener.js";
import { eventJson, infoJson } from "./json.js";
import { println } from "./output.js";

export const showCommand: Command = {
  name: "show",
  summary: "print what ifpx mirrors of interfaces (link, addresses, routes, neighbours) and exit",
  help: `usage: ifpx show [--netns NS] [--kinds LIST] [--json] IFNAME...
Reads the kernel's state once (as listen() does) and prints, per interface, its link, then its
addresses, routes (one line per next hop through it) and neighbours.
${LISTENER_HELP}`,
  options: LISTENER_OPTIONS,
  async run(values, names) {
    const { ifpx, ports } = openListener(values, names, warn);
    try {
      await ifpx.listen();
      for (const { port, proxy, name } of ports) {
        const info = ifpx.info(proxy);
        const entries: IfpxEvent[] = [...ifpx.addresses(proxy), ...ifpx.routes(proxy), ...ifpx.neighbours(proxy)];
        if (values.json === true) {
          println(infoJson(proxy, port, info));
          for (const e of entries) println(eventJson(e));
          continue;
        }
        println(`${info.name} (port ${port}, proxy ${proxy}${name !== info.name ? `, given as ${name}` : ""}): ifindex ${info.ifindex} ${info.up ? "up" : "down"} mtu ${info.mtu} mac ${info.mac}` +
          (info.master ? ` ${masterText(info.master.ifindex, info.master.name, info.master.kind, info.master.vrfTable)}` : ""));
        for (const e of entries) println(`  ${e.type.replace(/_ADD$/, "").toLowerCase().padEnd(7)} ${formatEventBody(e)}`);
      }
    } finally {
      await ifpx.dispose();
    }
    return EXIT_OK;
  },
};
