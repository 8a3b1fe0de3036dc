// ring and queue exports (filled by the rings work)
export function ring_version(): u32 { return 1; }
