// ifpx stats: the listener's counters after the initial read of some
// interfaces (during watch: SIGUSR1).
import type { IfpxStats } from "../ifpx.js";
import { EXIT_OK, type Command } from "./command.js";
import { LISTENER_HELP, LISTENER_OPTIONS, openListener, warn } from "./listener.js";
import { statsJson } from "./json.js";
import { println } from "./output.js";

/** The counters as "name value" words on one line; core counters prefixed "core.". */
export function formatStats(s: IfpxStats): string {
  const words: string[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (k === "core") for (const [ck, cv] of Object.entries(v as Record<string, number>)) words.push(`core.${ck} ${cv}`);
    else if (k === "refused") words.push(`refused ${(v as IfpxStats["refused"]).map((r) => `${r.request}:${r.kind}:${r.errno}`).join(",") || "none"}`);
    else words.push(`${k} ${v}`);
  }
  return `stats: ${words.join(" ")}`;
}

export const statsCommand: Command = {
  name: "stats",
  summary: "read interfaces once and print the listener's counters (during watch: kill -USR1)",
  help: `usage: ifpx stats [--netns NS] [--kinds LIST] [--json] IFNAME...
Listens (initial read of the kernel's state), prints ifpx.stats() and exits. A running
\`ifpx watch\` writes the same to stderr on SIGUSR1.
${LISTENER_HELP}`,
  options: LISTENER_OPTIONS,
  async run(values, names) {
    const { ifpx } = openListener(values, names, warn);
    try {
      await ifpx.listen();
      println(values.json === true ? statsJson(ifpx.stats()) : formatStats(ifpx.stats()));
    } finally {
      await ifpx.dispose();
    }
    return EXIT_OK;
  },
};
