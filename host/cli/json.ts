// The CLI's JSON-lines schema (README "CLI"): one object per line.
// - an event: the fields of the decoded event (host/record.ts, decodeEvent),
//   same names and values; the 16-byte arrays (ipBytes, gatewayBytes) are left
//   out, their text (`ip`, `gateway`) is there.
// - `ifpx show --json`: per interface one {"type":"INFO", ...} line (its
//   proxyId, portId and ifpx.info() fields), then its mirror entries as
//   ADDR(6)_ADD, ROUTE(6)_ADD and NEIGH(6)_ADD events.
// - `ifpx stats --json` and SIGUSR1 during watch: {"type":"STATS", ...ifpx.stats()}.
import type { IfpxEvent } from "../record.js";
import type { ProxyInfo, IfpxStats } from "../ifpx.js";

const dropBytes = (_k: string, v: unknown) => (v instanceof Uint8Array ? undefined : v);

export function eventJson(e: IfpxEvent): string {
  return JSON.stringify(e, dropBytes);
}

export function infoJson(proxyId: number, portId: number, info: ProxyInfo): string {
  return JSON.stringify({ type: "INFO", proxyId, portId, ...info });
}

export function statsJson(s: IfpxStats): string {
  return JSON.stringify({ type: "STATS", ...s });
}
