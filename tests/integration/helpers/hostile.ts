// Hostile input for the public API: a seeded generator, a pool of values a
// careless or malicious caller could pass, and the rule for what may come back
// (a typed IfpxError, or the caller's own exception from a getter it gave us).
import { Ifpx, IfpxError, Queue, QueueReader, type AnyQueue } from "../../../host/index.js";

export { prng } from "./prng.js";

/** The exception our hostile getters throw: it may reach the caller (it is theirs), nothing else may. */
export const SENTINEL = new Error("hostile getter");

const trap = () => { throw SENTINEL; };
export const throwingObject = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap });
export const throwingArray = new Proxy([], { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });

/** Callbacks that never consume (so queues keep getting every event) and misbehave. */
export const hostileCallbacks: ((...a: unknown[]) => unknown)[] = [
  () => { throw SENTINEL; },
  async () => { throw SENTINEL; },
  () => new Promise(() => { /* never settles */ }),
  () => ({ then() { throw SENTINEL; } }),
  () => ({ then: (_ok: unknown, fail: (e: unknown) => void) => { fail(SENTINEL); fail(SENTINEL); } }),
  () => Promise.resolve(true),
  () => undefined,
];

/** Values for any argument position. `extra` adds context values (forged/stale queues of the test). */
export function hostileValues(extra: unknown[] = []): unknown[] {
  return [
    undefined, null, NaN, Infinity, -Infinity, -1, 0, 1.5, -0.5, 2 ** 16, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 31), -(2 ** 53),
    0x7fff, 0x8000 + 63, 0xfffe, 0xffff, 0x10000, "", "x", "0", "-1", "lo", "../../etc/passwd", "a\0b", "x".repeat(5000),
    Symbol("s"), 10n, true, {}, [], [null], [{ type: 3 }], [{ type: 99, callback: () => 0 }], { slots: 2 ** 16 },
    { slots: 2 ** 31 }, { slots: 3 }, { slots: 1 << 25 }, { burst: 1e9 }, { maxReaders: -4 }, { mode: "mpmc", slots: 64 },
    { name: 5 }, { name: "a b" }, { ptr: 0xffffffc0 }, { ptr: -64 }, { ptr: 64 }, { ptr: NaN }, { ptr: "64" },
    { publish: () => { throw SENTINEL; }, close() {} }, { publish: 1 }, new Uint16Array(3), new Uint8Array(64),
    throwingObject, throwingArray, ...hostileCallbacks, ...extra,
  ];
}

/** An error a call may end with: typed, or the caller's own sentinel (possibly as the cause of an EINVAL). */
export function acceptableError(e: unknown): boolean {
  if (e === SENTINEL) return true;
  if (e instanceof IfpxError) return true;
  return false;
}

export function describe(v: unknown): string {
  try {
    if (typeof v === "symbol" || typeof v === "bigint") return String(v);
    if (v === throwingObject) return "<throwing object>";
    if (v === throwingArray) return "<throwing array>";
    if (typeof v === "function") return `<fn ${v.toString().slice(0, 40)}>`;
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 60) + "…" : s;
  } catch {
    return `<${typeof v}>`;
  }
}

export interface Call { name: string; args: unknown[]; run: () => unknown }

/**
 * Every public method of an Ifpx (except close/dispose, which end it, and
 * pause, which the caller undoes), plus Queue/QueueReader entry points, with
 * random hostile arguments.
 */
export function randomCall(ifpx: Ifpx, rnd: () => number, pool: unknown[], queue?: Queue): Call {
  const v = () => pool[Math.floor(rnd() * pool.length)];
  const any = ifpx as any;
  const methods: [string, number][] = [
    ["createProxy", 1], ["adoptProxy", 1], ["destroyProxy", 1], ["bind", 2], ["unbind", 1], ["proxyOf", 1],
    ["portsOf", 2], ["ports", 1], ["isProxy", 1], ["info", 1], ["registerCallbacks", 1], ["unregisterCallback", 1],
    ["unregisterAllCallbacks", 0], ["queueAdd", 1], ["queueRemove", 1], ["replayInto", 1], ["createQueue", 1],
    ["eventsAvailable", 0], ["resync", 0], ["stats", 0], ["forEachEntry", 3], ["addresses", 1], ["routes", 1],
    ["neighbours", 1], ["mirrorCount", 2], ["listen", 0], ["pause", 0], ["resume", 0],
    ["registerCallbacks/one", 2], ["attach", 2], ["Queue.create", 1],
    ...(queue ? [["Queue.enqueue", 1], ["QueueReader.dequeue", 1]] as [string, number][] : []),
  ];
  const [name, arity] = methods[Math.floor(rnd() * methods.length)];
  const args = Array.from({ length: arity }, v);
  if (name === "registerCallbacks/one") {
    // a well-formed registration with a hostile callback and a random type
    const list = [{ type: Math.floor(rnd() * 23) - 1, callback: hostileCallbacks[Math.floor(rnd() * hostileCallbacks.length)] }];
    return { name: "registerCallbacks", args: [list], run: () => ifpx.registerCallbacks(list as any) };
  }
  if (name === "attach") return { name: "QueueReader.attach", args, run: () => QueueReader.attach(args[0] as any, args[1] as any) };
  if (name === "Queue.create") return { name, args, run: () => Queue.create(ifpx.coreHandle, args[0] as any) };
  if (name === "Queue.enqueue") return { name, args, run: () => queue!.enqueue(args[0] as any) };
  if (name === "QueueReader.dequeue") {
    return { name, args, run: () => { const r = queue!.reader(); try { const n = r.dequeue(args[0] as any); if (n > r.burst) throw new Error(`dequeued ${n} > burst`); } finally { r.close(); } } };
  }
  return { name, args, run: () => any[name](...args) };
}

/**
 * Run one call: a sync method returns or throws an acceptable error; an async
 * one (listen, replayInto) never throws synchronously and settles, if at all,
 * with an acceptable error. Returns a problem description, or undefined.
 */
export async function runCall(c: Call): Promise<string | undefined> {
  let r: unknown;
  try {
    r = c.run();
  } catch (e) {
    if (c.name === "listen" || c.name === "replayInto") return `${c.name} threw synchronously: ${e}`;
    return acceptableError(e) ? undefined : `${c.name}(${c.args.map(describe).join(", ")}) threw ${(e as Error)?.stack ?? e}`;
  }
  if (r instanceof Promise) {
    // replayInto may legitimately wait for room; do not wait for it forever
    const settled = await Promise.race([r.then(() => undefined, (e) => e ?? null), new Promise((res) => setTimeout(res, 50, "pending"))]);
    if (settled !== undefined && settled !== "pending" && !acceptableError(settled)) return `${c.name} rejected with ${(settled as Error)?.stack ?? settled}`;
  }
  if (r instanceof QueueReader) r.close();
  return undefined;
}

/** A stale queue (closed) and a queue of another instance, for the pools. */
export function strayQueues(ifpx: Ifpx, other: Ifpx): AnyQueue[] {
  const stale = ifpx.createQueue({ slots: 4 });
  stale.close();
  return [stale, other.createQueue({ slots: 4 }), stale.handle, { ptr: stale.ptr }];
}
