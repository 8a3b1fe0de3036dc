// stdout for a CLI people pipe: one line per write (on Linux, Node writes to
// pipes and files synchronously, so each line is out before the next event is
// read), and a reader that goes away (`| head`) ends the program quietly
// instead of with an EPIPE stack.
import { EXIT_OK } from "./command.js";

let watching = false;

export function println(line: string): void {
  if (!watching) {
    watching = true;
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(EXIT_OK);
      throw e;
    });
  }
  process.stdout.write(line + "\n");
}
