// netlink core exports (filled by the core work)
export function core_version(): u32 { return 1; }
