// RTM_NEWADDR / RTM_DELADDR for proxies. Key: (proxy, family, address, prefixlen).
import { attr_ok, attr_type, attr_next, AF_INET, AF_INET6, RTM_DELADDR, IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS, bswap32, cpy16, zero8 } from "./nl";
import { S, O_SCRATCH, stat_inc, SS_FILTERED, SS_OTHER } from "./state";
import { slot_of_ifindex } from "./proxies";
import { unsettled_elsewhere } from "./jobs";
import { K_ADDR, t_find } from "./table";
import { A_FAMILY, A_PREFIX, A_ADDR, A_GEN, A_FLAGS, A_SCOPE, A_SIZE, stage_entry, m_insert, m_delete } from "./mirror";
import { live_flags, note_added, note_changed, cur_gen, KB_ADDR } from "./sync";
import { job_start, JOB_LASTADDR } from "./jobs";

export function handle_addr(m: usize, mlen: u32, type: u16): bool {
  if (mlen < 24) return false; // nlmsghdr + ifaddrmsg
  const family = load<u8>(m + 16);
  if (family != AF_INET && family != AF_INET6) { stat_inc(SS_OTHER); return true; }
  const alen: u32 = family == AF_INET ? 4 : 16;
  const prefixlen = load<u8>(m + 17);
  if (<u32>prefixlen > alen * 8) return false;
  let ifaflags = <u32>load<u8>(m + 18);
  const scope = load<u8>(m + 19);
  const ifindex = load<i32>(m + 20);
  const end = m + mlen;
  let local: usize = 0, addr: usize = 0;
  let a = m + 24;
  while (a < end) {
    const l = attr_ok(a, end);
    if (!l) return false;
    const ty = attr_type(a);
    if (ty == IFA_ADDRESS || ty == IFA_LOCAL) {
      if (l - 4 != alen) return false;
      if (ty == IFA_LOCAL) local = a + 4; else addr = a + 4;
    } else if (ty == IFA_FLAGS) {
      // ifa_flags is 8 bits; IFA_F_NOPREFIXROUTE, MANAGETEMPADDR... only fit here
      if (l - 4 < 4) return false;
      ifaflags = load<u32>(a + 4);
    }
    a = attr_next(a, l);
  }
  // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours.
  const ip = local ? local : addr;
  if (!ip) return false;
  const s = slot_of_ifindex(ifindex);
  if (s < 0) {
    if (type == RTM_DELADDR && family == AF_INET) unsettled_elsewhere();
    stat_inc(SS_FILTERED);
    return true;
  }

  const c = load<usize>(S + O_SCRATCH);
  zero8(c, A_SIZE);
  store<u8>(c + A_FAMILY, family);
  store<u8>(c + A_PREFIX, prefixlen);
  store<u8>(c + 3, <u8>s);
  if (family == AF_INET) store<u32>(c + A_ADDR, bswap32(load<u32>(ip)));
  else cpy16(c + A_ADDR, ip);
  store<u32>(c + A_FLAGS, ifaflags);
  store<u8>(c + A_SCOPE, scope);
  store<u32>(c + A_GEN, cur_gen());

  const flags = live_flags(KB_ADDR);
  const e = t_find(K_ADDR, c, false);
  if (type == RTM_DELADDR) {
    if (!e) return true;
    stage_entry(K_ADDR, e, false, flags, -1);
    const left = m_delete(K_ADDR, e);
    if (family == AF_INET && left == 0) job_start(JOB_LASTADDR, <u32>s, flags);
    return true;
  }
  if (!e) {
    const n = m_insert(K_ADDR, c);
    note_added(KB_ADDR);
    stage_entry(K_ADDR, n, true, flags, -1);
    return true;
  }
  store<u32>(e + A_GEN, cur_gen());
  // an identical NEWADDR (IPv6 lifetime refresh) stages nothing
  if (load<u32>(e + A_FLAGS) != ifaflags || load<u8>(e + A_SCOPE) != scope) {
    store<u32>(e + A_FLAGS, ifaflags);
    store<u8>(e + A_SCOPE, scope);
    note_changed(KB_ADDR);
    stage_entry(K_ADDR, e, true, flags, -1);
  }
  return true;
}
