// The real transport: a NETLINK_ROUTE socket (socket.ts), libuv's poll handle
// for readiness, recvmmsg bursts for live datagrams (recv-batch.ts), recv() for
// dumps read on the main thread and the pool receiver for the others
// (dump-receiver.ts). All of them write into the core's receive buffer.
import koffi from "koffi";
import type { Core } from "../core/core.js";
import { NetlinkSocket } from "./socket.js";
import { BatchReceiver } from "./recv-batch.js";
import { DumpReceiver } from "./dump-receiver.js";
import type { BatchResult, NetlinkTransport, PoolReceiver, RecvResult, TransportOptions } from "./transport.js";

// The receivers' vectors are allocated in the core's memory, which never frees:
// one set per core, whatever socket they read (one listen() after another).
interface Receivers { batch?: BatchReceiver; pool?: DumpReceiver | null }
const receiversOf = new WeakMap<Core, Receivers>();

export class KernelTransport implements NetlinkTransport {
  private readonly sock: NetlinkSocket;
  private poll: ReturnType<typeof koffi.node.poll> | undefined;
  private readonly rx: Receivers;
  private pool: PoolReceiver | undefined;

  constructor(private readonly core: Core, opts: TransportOptions) {
    this.sock = new NetlinkSocket(opts);
    let rx = receiversOf.get(core);
    if (!rx) receiversOf.set(core, rx = {});
    this.rx = rx;
  }

  get refusedGroups() { return this.sock.refusedGroups; }
  get portId(): number { return this.sock.portId; }
  dropGroups(groups: number): number { return this.sock.dropGroups(groups); }
  sendDump(type: number, seq: number, family: number): void { this.sock.sendDump(type, seq, family); }

  watch(onReadable: (status: number) => void): void {
    // koffi calls back with (status, events) although its typings say (events)
    const cb = onReadable as unknown as () => void;
    if (!this.poll) this.poll = koffi.node.poll(this.sock.fd, { readable: true }, cb);
    else this.poll.start({ readable: true }, cb);
  }

  unwatch(): void { this.poll?.stop(); }

  receiveBatch(): BatchResult {
    return (this.rx.batch ??= new BatchReceiver(this.core)).receive(this.sock.fd);
  }

  receiveOne(off: number, max: number): RecvResult {
    return this.sock.recv(this.core.bytes, this.core.rxPtr + off, max);
  }

  poolReceiver(): PoolReceiver | undefined {
    if (this.pool) return this.pool;
    if (this.rx.pool === undefined) this.rx.pool = DumpReceiver.create(this.core) ?? null;
    const d = this.rx.pool, fd = this.sock.fd;
    if (!d) return undefined;
    this.pool = {
      get inFlight() { return d.inFlight; },
      receive: (done) => d.receive(fd, done),
      datagram: (bank, i) => d.datagram(bank, i),
      idle: () => d.idle(),
    };
    return this.pool;
  }

  async close(): Promise<void> {
    const poll = this.poll;
    this.poll = undefined;
    let failure: unknown;
    // a broken handle must not keep the socket open
    try { poll?.stop(); poll?.close(); } catch (e) { failure = e; }
    // a pool thread's call must be done with the fd before it is closed (and reused)
    await this.rx.pool?.idle();
    this.sock.close();
    if (failure !== undefined) throw failure;
  }
}
