// Timers and completions of ifpx's own must never throw into Node's event loop
// (an exception there ends the process): whatever they throw is handed to the
// instance's error reporter, and the reporter itself cannot throw either.

export type Reporter = (error: unknown) => void;

/** Report to `onError`; if that throws (or is missing), to console.error; never throws. */
export function reportSafely(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  try {
    if (onError) { onError(error); return; }
  } catch (thrown) {
    try { console.error("ifpx: onError threw", thrown, "while reporting", error); } catch { /* nothing left to tell */ }
    return;
  }
  try { console.error("ifpx:", error); } catch { /* nothing left to tell */ }
}

/** fn, with anything it throws sent to `report` instead of to the caller. */
export function guarded<A extends unknown[]>(fn: (...args: A) => void, report: Reporter): (...args: A) => void {
  return (...args: A) => {
    try { fn(...args); } catch (e) { report(e); }
  };
}

/** setTimeout (unref'd: ifpx's housekeeping never keeps a process alive) whose callback cannot throw. */
export function safeTimeout(fn: () => void, ms: number, report: Reporter): ReturnType<typeof setTimeout> {
  const t = setTimeout(guarded(fn, report), ms);
  t.unref?.();
  return t;
}

/** setInterval (unref'd) whose callback cannot throw. */
export function safeInterval(fn: () => void, ms: number, report: Reporter): ReturnType<typeof setInterval> {
  const t = setInterval(guarded(fn, report), ms);
  t.unref?.();
  return t;
}
