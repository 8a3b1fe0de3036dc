// A call into the WASM core that may trap for want of memory: the runtime's
// allocator traps (`unreachable`) when memory.grow is refused, before it has
// changed any state, so the trap can be reported as a typed error and the core
// used on. Only for allocation calls made at the API boundary.
import { IfpxError, type IfpxErrorCode } from "../errors.js";

export function callCore<T>(fn: () => T, code: IfpxErrorCode, what: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) throw Object.assign(new IfpxError(code, `${what}: the core's memory could not grow (${e.message})`), { cause: e });
    throw e;
  }
}
