// Full-table scale (issue: never lose state, at full-table scale): a proxy
// carrying 1M IPv4 + 100k IPv6 routes; listen() to CFG_DONE delivered, with
// no consumer (mirror only), with callbacks for route events, and with a ring
// drained by a worker; peak RSS of each (its own process), next to the raw C
// reader dumping the same table in the same run.
//   node --import tsx bench/scale.ts [V4] [V6]
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { createTable, TAP } from "./tables.ts";
import { measure, delNetns, cleanupAll } from "./lib.ts";
import { childArgv } from "./ifpx.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

export async function runScaleBench(opts: { quick?: boolean; v4?: number; v6?: number } = {}) {
  const v4 = opts.v4 ?? (opts.quick ? 100000 : 1000000);
  const v6 = opts.v6 ?? (opts.quick ? 10000 : 100000);
  execFileSync("cc", ["-O2", "-o", join(HERE, "out", "nl_dump"), join(HERE, "c", "nl_dump.c")]);
  const { table } = await createTable(v4, v6, (s) => console.log(s));
  const rows: any[] = [];
  try {
    for (const fam of [4, 6]) {
      const m = await measure([join(HERE, "out", "nl_dump"), "dump", ...(fam === 6 ? ["-6"] : [])], { ns: table.ns });
      rows.push({ runner: `C reader IPv${fam} dump`, seconds: m.json?.seconds, rssMiB: (m.rssKiB ?? 0) / 1024, routes: m.json?.routes });
    }
    const child = (mode: string, reserve: boolean) =>
      childArgv("scale", TAP, mode, reserve ? Math.ceil(v4 * 1.05) : 0, reserve ? Math.ceil(v6 * 1.2) : 0);
    for (const [mode, reserve] of [["mirror", false], ["mirror", true], ["callbacks", true], ["queue", true]] as const) {
      const m = await measure(child(mode, reserve), { ns: table.ns, timeoutMs: 600000 });
      if (!m.json) throw new Error(`ifpx ${mode} failed: ${m.stderr.slice(-800)}`);
      rows.push({ runner: `ifpx ${mode}${reserve ? " (reserve)" : ""}`, seconds: m.json.seconds, rssMiB: (m.rssKiB ?? 0) / 1024,
        routes: m.json.routes4 + m.json.routes6, delivered: m.json.delivered, lost: m.json.lost, wasmMiB: m.json.wasmMiB });
    }
  } finally {
    delNetns(table.ns);
    cleanupAll();
  }
  const c = rows[0].seconds + rows[1].seconds;
  for (const r of rows) if (r.runner.startsWith("ifpx")) r.vsC = r.seconds / c;
  return { rows, table: { v4, v6 } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runScaleBench({ v4: process.argv[2] ? Number(process.argv[2]) : undefined, v6: process.argv[3] ? Number(process.argv[3]) : undefined });
  console.table(r.rows);
  console.log(`(vsC: ifpx time over the C reader's IPv4 + IPv6 dumps of the same table; ifpx dumps both families in one listen())`);
}
