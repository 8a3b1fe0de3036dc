// ifpx command line: `ifpx COMMAND [options]`, `ifpx COMMAND --help`.
// Subcommands live in host/cli/, one file each; exit codes in host/cli/command.ts.
import { parseArgs } from "node:util";
import { IfpxError } from "./errors.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command } from "./cli/command.js";
import { watchCommand } from "./cli/watch.js";
import { showCommand } from "./cli/show.js";
import { statsCommand } from "./cli/stats.js";
import { demoCommand } from "./cli/demo.js";
import { bundleCommand } from "./cli/bundle.js";

const COMMANDS: Command[] = [watchCommand, showCommand, statsCommand, bundleCommand, demoCommand];

function overview(): string {
  return `usage: ifpx COMMAND [options]   (ifpx COMMAND --help for its options)\n` +
    COMMANDS.map((c) => `  ${c.name.padEnd(7)} ${c.summary}`).join("\n") +
    `\nexit status: 0 done, 1 failed (error on stderr), 2 usage error`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") { process.stdout.write(overview() + "\n"); return EXIT_OK; }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`${name ? `ifpx: unknown command ${name}\n` : ""}${overview()}\n`);
    return EXIT_USAGE;
  }
  let values: Record<string, string | boolean | undefined>, positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true }) as
      { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (e) {
    process.stderr.write(`ifpx ${cmd.name}: ${(e as Error).message}\n${cmd.help}\n`);
    return EXIT_USAGE;
  }
  if (values.help) { process.stdout.write(cmd.help + "\n"); return EXIT_OK; }
  try {
    return await cmd.run(values, positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ifpx ${cmd.name}: ${e.message}\n${cmd.help}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof IfpxError) process.stderr.write(`ifpx: ${e.code}: ${e.message}\n`);
    else process.stderr.write(`ifpx: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT_FAILED;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
