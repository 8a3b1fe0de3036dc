// Which kinds of kernel objects a listener follows: those the user asked for
// (option `kinds`), minus those the kernel refused to give.
//
// A kernel, a sandbox or an emulator may refuse part of rtnetlink: gVisor and
// restricted containers refuse some dumps or groups (EPERM, EACCES, EOPNOTSUPP),
// kernels without a family's handler answer EOPNOTSUPP or EPROTONOSUPPORT, and
// qemu-user translates only link, address and route messages, so a neighbour
// dump request fails at sendto() with EOPNOTSUPP. Asking again cannot succeed:
// the listener reports the refusal once (onError), goes on without that kind
// (its dump is left out of every later sync and its groups are dropped) and
// lists it in stats().refused; listen() still resolves.
//
// A receive that fails with EINVAL, EOPNOTSUPP or EPROTONOSUPPORT is counted
// as an unreadable datagram (stats().unreadable, reported once per errno) and
// the listener reads on. Under qemu-user this is a notification it could not
// translate (a neighbour or nexthop message): the datagram is gone, and it is
// of a kind the emulated listener cannot mirror anyway, so a resync would not
// bring it back, only repeat the dump at each such message. On a real kernel
// the only EINVAL a netlink receive gives is the spurious one a recvmsg racing
// the start of a dump can leave in the socket error (no datagram is lost).
import { Kind } from "./core/layout.js";
import {
  RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH,
  RTMGRP_LINK, RTMGRP_NEIGH, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_IFADDR, RTMGRP_IPV6_ROUTE, RTMGRP_NEXTHOP,
} from "./netlink/socket.js";
import { IfpxError } from "./errors.js";

/** Kinds a listener can be asked to follow (links are always followed). */
export type FollowKind = "addr" | "route" | "neigh";
export type KindName = "link" | FollowKind;

/** Something the kernel refused: a dump request, a group subscription. */
export interface Refusal {
  request: "dump" | "group";
  kind: KindName;
  /** the group number (RTNLGRP_*) of a refused subscription */
  group?: number;
  errno: number;
}

export const EPERM = 1, EACCES = 13, EINVAL = 22, EPROTONOSUPPORT = 93, EOPNOTSUPP = 95;
const ERRNO_NAMES: Record<number, string> = { [EPERM]: "EPERM", [EACCES]: "EACCES", [EINVAL]: "EINVAL", [EPROTONOSUPPORT]: "EPROTONOSUPPORT", [EOPNOTSUPP]: "EOPNOTSUPP" };

const BIT_OF: Record<KindName, number> = { link: Kind.LINK, addr: Kind.ADDR, route: Kind.ROUTE, neigh: Kind.NEIGH };
const NAME_OF_DUMP: Record<number, KindName> = { [RTM_GETLINK]: "link", [RTM_GETADDR]: "addr", [RTM_GETROUTE]: "route", [RTM_GETNEIGH]: "neigh" };
// the groups (bind-mask bits) that carry each kind's notifications
const GROUPS_OF: Record<KindName, number> = {
  link: RTMGRP_LINK,
  addr: RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
  route: RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_NEXTHOP,
  neigh: RTMGRP_NEIGH,
};
const WORDS: Record<KindName, string> = { link: "links", addr: "addresses", route: "routes", neigh: "neighbours" };

/** A refusal: asking again cannot succeed. */
export function isRefusal(errno: number): boolean {
  return errno === EOPNOTSUPP || errno === EPROTONOSUPPORT || errno === EPERM || errno === EACCES;
}

/** A receive error after which the socket reads on: a datagram that could not be delivered. */
export function isUnreadable(errno: number): boolean {
  return errno === EINVAL || errno === EOPNOTSUPP || errno === EPROTONOSUPPORT;
}

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** The kind whose notifications a group (bind-mask bit) carries. */
export function kindOfGroupBit(bit: number): KindName {
  for (const k of Object.keys(GROUPS_OF) as KindName[]) if (GROUPS_OF[k] & bit) return k;
  return "link";
}

/** Validate the option `kinds` and turn it into Kind bits (links always included). */
export function parseKinds(kinds: readonly FollowKind[] | undefined): number {
  if (kinds === undefined) return Kind.LINK | Kind.ADDR | Kind.ROUTE | Kind.NEIGH;
  if (!Array.isArray(kinds) || kinds.some((k) => k !== "addr" && k !== "route" && k !== "neigh")) {
    throw new IfpxError("EINVAL", `kinds must be a list of "addr", "route" and "neigh", got ${JSON.stringify(kinds)}`);
  }
  // the kernel deletes IPv4 routes silently with a link's last IPv4 address: the mirror needs the address messages
  if (kinds.includes("route") && !kinds.includes("addr")) {
    throw new IfpxError("EINVAL", `kinds: "route" needs "addr" (the kernel deletes IPv4 routes silently with the last address)`);
  }
  let bits: number = Kind.LINK;
  for (const k of kinds as readonly FollowKind[]) bits |= BIT_OF[k];
  return bits;
}

export class FollowedKinds {
  /** Kind bits followed now */
  bits: number;
  readonly refused: Refusal[] = [];
  /** receives that failed with an unreadable-datagram errno (see isUnreadable) */
  unreadable = 0;
  private readonly reportedUnreadable = new Set<number>();

  constructor(kinds: readonly FollowKind[] | undefined, private readonly report: (e: unknown) => void) {
    this.bits = parseKinds(kinds);
  }

  /** The groups of the kinds followed, out of `groups` (bind mask). */
  groups(groups: number): number {
    let out = 0;
    for (const k of Object.keys(BIT_OF) as KindName[]) if (this.bits & BIT_OF[k]) out |= groups & GROUPS_OF[k];
    return out >>> 0;
  }

  /** Groups (bind-mask bits) that carry a kind's notifications. */
  groupsOf(kindBit: number): number {
    for (const k of Object.keys(BIT_OF) as KindName[]) if (BIT_OF[k] === kindBit) return GROUPS_OF[k] >>> 0;
    return 0;
  }

  /**
   * A dump request of `type` failed with `errno`. A refusal: the kind is no
   * longer followed, reported once; returns its Kind bit. Otherwise 0 (the
   * caller retries as before).
   */
  refuseDump(type: number, errno: number): number {
    const kind = NAME_OF_DUMP[type];
    if (!kind || !isRefusal(errno)) return 0;
    const bit = BIT_OF[kind];
    this.bits &= ~bit;
    this.refused.push({ request: "dump", kind, errno });
    this.report(refusalError(errno, `the kernel refused the ${kind} dump (${errnoName(errno)}): ifpx goes on without ${WORDS[kind]} (stats().refused)`));
    return bit;
  }

  /** Subscriptions the socket could not make (NetlinkSocket.refusedGroups): recorded and reported once each. */
  refuseGroups(list: readonly { bit: number; errno: number }[]): void {
    for (const { bit, errno } of list) {
      const kind = kindOfGroupBit(bit);
      const group = 32 - Math.clz32(bit);
      this.refused.push({ request: "group", kind, group, errno });
      this.report(refusalError(errno, `the kernel refused the subscription to group ${group} (${errnoName(errno)}): changes of ${WORDS[kind]} it carries are not followed (stats().refused)`));
    }
  }

  /** A receive failed with `errno`: true when it is an unreadable datagram (counted; reported once per errno). */
  unreadableReceive(errno: number): boolean {
    if (!isUnreadable(errno)) return false;
    this.unreadable++;
    if (!this.reportedUnreadable.has(errno)) {
      this.reportedUnreadable.add(errno);
      this.report(new IfpxError("EIO", `a netlink datagram could not be received (${errnoName(errno)}; an emulator such as qemu-user cannot translate neighbour and nexthop messages): skipped; further ones are only counted (stats().unreadable)`, errno));
    }
    return true;
  }
}

function refusalError(errno: number, message: string): IfpxError {
  return new IfpxError(errno === EPERM || errno === EACCES ? "EPERM" : "EOPNOTSUPP", message, errno);
}
