// RTM_NEWADDR / RTM_DELADDR for proxies. Key: (proxy, family, address, prefixlen).
import { AF_INET, AF_INET6, RTM_DELADDR, IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS, NLM_F_MULTI } from "./nl";
import { bswap32, cpy16, zero8 } from "./mem";
import { IFA_ATTRS, nlh_flags, ifa_family, ifa_prefixlen, ifa_flags, ifa_scope, ifa_index } from "./headers";
import { attr_parse, pol, tb_attr, attr_data, attr_u32, POL_ADDR, POL_U32 } from "./attrs";
import { cand, msg_tb } from "./scratch";
import { stat_inc, SS_FILTERED, SS_OTHER } from "./state";
import { slot_of_ifindex } from "./proxies";
import { K_ADDR, t_find } from "./table";
import { E_SLOT, A_FAMILY, A_PREFIX, A_ADDR, A_GEN, A_FLAGS, A_SCOPE, A_SIZE } from "./entries";
import { stage_entry, m_insert, m_delete } from "./mirror";
import { live_flags, note_added, note_changed, cur_gen, sync_deleted, sync_live, sync_dump_stale, KB_ADDR } from "./sync";
import { job_start, unsettled_elsewhere, JOB_LASTADDR } from "./implied_deletions";

// ifa_flags is 8 bits; IFA_F_NOPREFIXROUTE, MANAGETEMPADDR... only fit IFA_FLAGS
const ADDR_POLICY: u64 = pol(IFA_ADDRESS, POL_ADDR) | pol(IFA_LOCAL, POL_ADDR) | pol(IFA_FLAGS, POL_U32);

export function handle_addr(m: usize, mlen: u32, type: u16): bool {
  if (mlen < IFA_ATTRS) return false;
  const family = ifa_family(m);
  if (family != AF_INET && family != AF_INET6) { stat_inc(SS_OTHER); return true; }
  const alen: u32 = family == AF_INET ? 4 : 16;
  const prefixlen = ifa_prefixlen(m);
  if (<u32>prefixlen > alen * 8) return false;
  const scope = ifa_scope(m);
  const ifindex = ifa_index(m);
  const tb = msg_tb();
  if (!attr_parse(m + IFA_ATTRS, m + mlen, tb, ADDR_POLICY, alen)) return false;
  const fa = tb_attr(tb, IFA_FLAGS);
  const ifaflags = fa ? attr_u32(fa) : <u32>ifa_flags(m);
  // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours.
  const local = tb_attr(tb, IFA_LOCAL);
  const ia = local ? local : tb_attr(tb, IFA_ADDRESS);
  if (!ia) return false;
  const ip = attr_data(ia);
  const s = slot_of_ifindex(ifindex);
  if (s < 0) {
    if (type == RTM_DELADDR && family == AF_INET) unsettled_elsewhere();
    stat_inc(SS_FILTERED);
    return true;
  }

  const c = cand();
  zero8(c, A_SIZE);
  store<u8>(c + A_FAMILY, family);
  store<u8>(c + A_PREFIX, prefixlen);
  store<u8>(c + E_SLOT, <u8>s);
  if (family == AF_INET) store<u32>(c + A_ADDR, bswap32(load<u32>(ip)));
  else cpy16(c + A_ADDR, ip);
  store<u32>(c + A_FLAGS, ifaflags);
  store<u8>(c + A_SCOPE, scope);
  store<u32>(c + A_GEN, cur_gen());

  const flags = live_flags(KB_ADDR);
  // (dumps carry NLM_F_MULTI; notifications never do)
  const dumped = (nlh_flags(m) & NLM_F_MULTI) != 0;
  if (type == RTM_DELADDR) sync_deleted(K_ADDR, c);
  else if (!dumped) sync_live(K_ADDR, c);
  else if (sync_dump_stale(K_ADDR, c)) return true;
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
