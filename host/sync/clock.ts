// Time as the sync sees it: the stall watchdog and the retry delays. The real
// clock uses unref'd timers that cannot throw (safe-timer.ts); unit tests pass
// a manual clock (tests/unit/helpers/manual-clock.ts) to make stalls
// deterministic.
import { safeInterval, safeTimeout, type Reporter } from "../safe-timer.js";

export interface Timer { cancel(): void }

export interface Clock {
  now(): number;
  after(ms: number, fn: () => void, report: Reporter): Timer;
  every(ms: number, fn: () => void, report: Reporter): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn, report) {
    const t = safeTimeout(fn, ms, report);
    return { cancel: () => clearTimeout(t) };
  },
  every(ms, fn, report) {
    const t = safeInterval(fn, ms, report);
    return { cancel: () => clearInterval(t) };
  },
};
