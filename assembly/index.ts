// The WASM core: netlink parsing, filtering, proxies and bindings, the mirror
// (core_exports) and the lock-free rings and queue registry (ring_exports).
export * from "./core_exports";
export * from "./ring_exports";
