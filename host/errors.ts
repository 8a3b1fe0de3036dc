// Typed errors: every failure a user can cause or meet carries a stable `code`
// (errno-style name) and a sentence that says what to do about it.

export type IfpxErrorCode =
  | "EINVAL"   // bad argument: unknown id, not a proxy, out of range
  | "EEXIST"   // already exists (queue added twice, id already a proxy)
  | "ENOENT"   // no such thing (port not bound, interface not found, queue not added)
  | "EBUSY"    // already listening
  | "ENOSPC"   // a fixed table is full
  | "EPERM"    // missing privilege (CAP_NET_ADMIN)
  | "ENODEV"   // /dev/net/tun missing
  | "ENODPDK"  // DPDK not installed or not built
  | "ECLOSED"  // the instance was closed
  | "EOPNOTSUPP" // the kernel (or an emulator) refused a dump or group: ifpx goes on without that kind
  | "EIO";     // the kernel refused a request (errno in `errno`)

export class IfpxError extends Error {
  readonly code: IfpxErrorCode;
  readonly errno?: number;
  constructor(code: IfpxErrorCode, message: string, errno?: number) {
    super(message);
    this.name = "IfpxError";
    this.code = code;
    if (errno !== undefined) this.errno = errno;
  }
}

const ERRNO_NAMES: Record<number, IfpxErrorCode> = { 1: "EPERM", 2: "ENOENT", 13: "EPERM", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV", 22: "EINVAL", 28: "ENOSPC" };

/** Map a negative errno returned by the WASM core or libc to an IfpxError. */
export function fromErrno(errno: number, what: string): IfpxError {
  const e = Math.abs(errno);
  return new IfpxError(ERRNO_NAMES[e] ?? "EIO", `${what} (errno ${e})`, e);
}

/** A value as it may appear in an error message: never throws (symbols, bigints, hostile objects). */
export function shown(v: unknown): string {
  try {
    if (typeof v === "string") return JSON.stringify(v.length > 64 ? v.slice(0, 64) + "..." : v);
    if (typeof v === "object" && v !== null) return Array.isArray(v) ? "an array" : "an object";
    if (typeof v === "function") return "a function";
    return String(v);
  } catch {
    return typeof v;
  }
}
