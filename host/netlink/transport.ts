// The seam between the listener and the kernel: everything the host does with
// its NETLINK_ROUTE socket. host/netlink/kernel-transport.ts is the real one
// (a socket, libuv's poll handle, recvmmsg on the main thread and on the pool);
// tests/unit/helpers/fake-kernel.ts replays recorded or scripted datagrams.
// Datagrams are always written into the core's receive buffer (rx): the
// receiver hands rx offsets to the core, never copies.

/** What one receive of live datagrams got: packed at rx[0..bytes). */
export interface BatchResult {
  bytes: number;
  datagrams: number;
  spoofed: number;
  truncated: number;
  /** errno of a failed call (EAGAIN excluded), 0 otherwise */
  errno: number;
}

/** One datagram received at rx + off. */
export interface RecvResult {
  /** bytes received (0 when nothing was pending) */
  bytes: number;
  /** errno of a failed recv (EAGAIN excluded), 0 otherwise */
  errno: number;
  /** the datagram did not come from the kernel and was discarded */
  spoofed: boolean;
  /** the datagram was larger than the space given: it was truncated */
  truncated: boolean;
}

/** What one pool call received: `n` datagrams in `bank` (n <= 0: none, errno set unless EAGAIN). */
export interface DumpBatch { bank: number; n: number; errno: number }

/** One datagram of a pool batch: parse rx[off..end) unless spoofed or truncated. */
export interface DumpDatagram { off: number; end: number; spoofed: boolean; truncated: boolean }

/** Receives dump datagrams off the main thread, one call at a time, into alternating banks of rx. */
export interface PoolReceiver {
  /** a call is running */
  readonly inFlight: boolean;
  /** Start a call; `done` runs on the main thread. Never while one is in flight. */
  receive(done: (batch: DumpBatch) => void): void;
  datagram(bank: number, i: number): DumpDatagram;
  /** Resolves once no call is in flight. */
  idle(): Promise<void>;
}

export interface NetlinkTransport {
  /** groups (bind-mask bits) the kernel refused to subscribe to */
  readonly refusedGroups: readonly { bit: number; errno: number }[];
  /** the socket's netlink port id (0 if unknown) */
  readonly portId: number;
  /** Leave the groups of a bind mask: 0, or the errno of the first failure. */
  dropGroups(groups: number): number;
  /** Ask for a dump; throws an IfpxError carrying the errno when the request cannot be sent. */
  sendDump(type: number, seq: number, family: number): void;
  /** Call `onReadable(status)` when the socket is readable (status < 0: an error stopped the watch). Throws if it cannot. */
  watch(onReadable: (status: number) => void): void;
  /** Stop calling onReadable (pause, or the pool reads). */
  unwatch(): void;
  /** Up to a burst of pending live datagrams, without blocking. */
  receiveBatch(): BatchResult;
  /** One pending datagram into rx[off..off+max), without blocking. */
  receiveOne(off: number, max: number): RecvResult;
  /** The pool receiver for dumps (made on first use), undefined when there is none. */
  poolReceiver(): PoolReceiver | undefined;
  /** Stop watching, wait for a pool call in flight, close the socket. */
  close(): Promise<void>;
}

export interface TransportOptions {
  groups: number;
  rcvbuf: number;
  netns: string | undefined;
}

/** Opens the transport of one listen(): the kernel's, or a fake in unit tests. */
export type OpenTransport = (opts: TransportOptions) => NetlinkTransport;
