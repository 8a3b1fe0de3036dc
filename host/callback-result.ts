// What a callback's return value means (README, Callbacks). A truthy value
// consumes the event (the upstream rule). A thenable (a Promise, or any object
// with a `then` method) does NOT consume it: delivery is synchronous, the
// record lives in staging memory the next batch reuses, and waiting for the
// promise would stop reading the netlink socket; so the event goes on to the
// queues at once, as if the callback had returned nothing, and a promise's
// eventual value is ignored. Its rejection goes to `onRejected` (onError), so
// nothing is left unhandled. A callback that throws (or whose `then` throws)
// is reported by the caller.

export function consumes(result: unknown, onRejected: (reason: unknown) => void): boolean {
  if (!result) return false;
  if (typeof result !== "object" && typeof result !== "function") return true;
  const then = (result as { then?: unknown }).then;
  if (typeof then !== "function") return true;
  then.call(result, undefined, onRejected);
  return false;
}
