// ifpx: interface proxies for data planes. Public entry point.
export { Ifpx, MAX_PORT_ID, type IfpxOptions, type ProxyInfo, type ProxyMaster, type Callback, type CallbackRegistration,
  type ExternalQueue, type RingQueue, type AnyQueue, type PortBackend, type IfpxStats, type MirrorKind, type PortLink, type SubinterfaceInfo } from "./ifpx.js";
export { IfpxError, type IfpxErrorCode } from "./errors.js";
export * from "./record.js";
export { Queue, QueueReader, type QueueOptions, type QueueHandle, type QueueMode } from "./queues/queue.js";
export { formatEvent } from "./format.js";
