// libc through koffi: just the calls ifpx needs for netlink sockets, taps and
// namespaces. Buffers are passed as Uint8Array views (koffi passes their
// address; a view of the WASM shared memory is written in place, no copy).
import koffi from "koffi";

const libc = koffi.load("libc.so.6");

export const socket = libc.func("int socket(int domain, int type, int protocol)");
export const bind = libc.func("int bind(int fd, void *addr, unsigned int len)");
export const setsockopt = libc.func("int setsockopt(int fd, int level, int name, void *val, unsigned int len)");
export const getsockopt = libc.func("int getsockopt(int fd, int level, int name, _Inout_ void *val, _Inout_ void *len)");
export const recvfrom = libc.func("long recvfrom(int fd, void *buf, unsigned long len, int flags, void *addr, _Inout_ void *addrlen)");
export const sendto = libc.func("long sendto(int fd, void *buf, unsigned long len, int flags, void *addr, unsigned int addrlen)");
export const getsockname = libc.func("int getsockname(int fd, _Inout_ void *addr, _Inout_ void *len)");
export const close = libc.func("int close(int fd)");
export const open = libc.func("int open(const char *path, int flags)");
export const ioctl = libc.func("int ioctl(int fd, unsigned long req, void *arg)");
export const setns = libc.func("int setns(int fd, int nstype)");
export const if_nametoindex = libc.func("unsigned int if_nametoindex(const char *name)");
export const recvmmsg = libc.func("int recvmmsg(int fd, void *vec, unsigned int vlen, int flags, void *timeout)");
export const memmove = libc.func("void *memmove(void *dst, void *src, unsigned long n)");
export const madvise = libc.func("int madvise(void *addr, unsigned long len, int advice)");
export const MADV_HUGEPAGE = 14;
export const errno = (): number => koffi.errno();

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
export const NETLINK_ROUTE = 0;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const O_RDWR = 2;
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNET = 0x40000000;

export const EAGAIN = 11;
export const EINTR = 4;
export const ENOBUFS = 105;
export const EPERM = 1;
export const ENOENT = 2;
export const EACCES = 13;
export const EIO = 5;
