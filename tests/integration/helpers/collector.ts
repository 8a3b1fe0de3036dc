// Collects events delivered to callbacks and waits for expected ones.
import { EVENT_TYPE_COUNT, type IfpxEvent } from "../../../host/index.js";
import type { Ifpx } from "../../../host/index.js";

export const ALL_TYPES = Array.from({ length: EVENT_TYPE_COUNT }, (_, i) => i);

export type Match = Partial<Record<string, unknown>> & { type: string };

export class Collector {
  readonly events: IfpxEvent[] = [];
  private waiters: (() => void)[] = [];

  /** Register a callback for each type that records the event and returns `consume`. */
  attach(ifpx: Ifpx, types: number[] = ALL_TYPES, consume = true): void {
    ifpx.registerCallbacks(types.map((type) => ({ type, callback: (e: IfpxEvent) => { this.push(e); return consume; } })));
  }

  push(e: IfpxEvent): void {
    this.events.push(e);
    for (const w of this.waiters.splice(0)) w();
  }

  clear(): void { this.events.length = 0; }

  find(m: Match, from = 0): IfpxEvent | undefined {
    for (let i = from; i < this.events.length; i++) if (matches(this.events[i], m)) return this.events[i];
    return undefined;
  }

  /** Wait until every match is found (in any order); rejects with what was seen on timeout. */
  async waitFor(ms: Match[], timeoutMs = 2000, from = 0): Promise<IfpxEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = ms.map((m) => this.find(m, from));
      if (found.every(Boolean)) return found as IfpxEvent[];
      const left = deadline - Date.now();
      if (left <= 0) {
        const missing = ms.filter((_, i) => !found[i]);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(missing)}; saw:\n` +
          this.events.slice(from).map((e) => JSON.stringify(e, (_k, v) => (v instanceof Uint8Array ? undefined : v))).join("\n"));
      }
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }
}

function matches(e: IfpxEvent, m: Match): boolean {
  for (const [k, v] of Object.entries(m)) if ((e as any)[k] !== v) return false;
  return true;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
