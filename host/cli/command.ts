// What a subcommand of the CLI is, and how its misuse is told. Exit codes
// (README "CLI"): 0 done (watch: stopped by SIGINT/SIGTERM), 1 failed (the
// error on stderr as "ifpx: CODE: message"), 2 misused (usage on stderr).
import type { ParseArgsConfig } from "node:util";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface Command {
  name: string;
  /** one line for `ifpx --help` */
  summary: string;
  /** the synopsis and options, printed by `ifpx NAME --help` and on misuse */
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

/** A command line that does not make sense: usage on stderr, exit 2. */
export class UsageError extends Error {}
