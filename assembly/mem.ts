// Byte order and small fixed-size copies inside linear memory.

@inline export function bswap32(v: u32): u32 { return bswap<u32>(v); }

// Small fixed-size copies as plain 8-byte loads/stores: on shared memory V8
// turns memory.copy/memory.fill into out-of-line calls, slower than this for
// 16..64 bytes (the cost per staged record: README, Performance).
@inline export function cpy8(d: usize, s: usize, n: usize): void {
  for (let i: usize = 0; i < n; i += 8) store<u64>(d + i, load<u64>(s + i));
}
@inline export function zero8(d: usize, n: usize): void {
  for (let i: usize = 0; i < n; i += 8) store<u64>(d + i, 0);
}
@inline export function cpy16(d: usize, s: usize): void {
  store<u64>(d, load<u64>(s));
  store<u64>(d + 8, load<u64>(s + 8));
}
