// The human line of SUBIF_ADD / SUBIF_DEL (host/format.ts): the sub-interface's
// proxy and name, its tags outer first as `ip -d link` shows a QinQ stack
// ("vlan 200.300 (802.1ad/802.1Q)"), and the device it sits on.
import { VlanProto, type SubifEvent } from "./record.js";

/** a TPID by its standard's name, else in hex */
export function vlanProtoName(tpid: number): string {
  return tpid === VlanProto.DOT1Q ? "802.1Q" : tpid === VlanProto.DOT1AD ? "802.1ad" : `0x${tpid.toString(16)}`;
}

/** `parentName`: the parent's interface name when the caller knows it (the record carries its ifindex). */
export function formatSubifBody(e: SubifEvent, parentName?: string): string {
  const qinq = e.outerVlanProto !== 0;
  const tags = qinq ? `${e.outerVlanId}.${e.vlanId}` : `${e.vlanId}`;
  const protos = qinq ? `${vlanProtoName(e.outerVlanProto)}/${vlanProtoName(e.vlanProto)}` : vlanProtoName(e.vlanProto);
  return `proxy ${e.proxyId} ${e.name} vlan ${tags} (${protos}) on ${parentName ?? `ifindex ${e.parentIfindex}`}`;
}
