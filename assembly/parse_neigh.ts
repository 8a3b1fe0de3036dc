// RTM_NEWNEIGH / RTM_DELNEIGH for proxies. Key: (proxy, family, dst).
// Kernel quirk: `ip neigh del` first sends RTM_NEWNEIGH with NUD_FAILED and no
// NDA_LLADDR, then RTM_DELNEIGH without NDA_LLADDR (verified on 6.18, fixtures
// s09-neigh-del, s15-neigh6-del); the first is reported faithfully (NEIGH_ADD,
// REPLACE, state FAILED, mac zero), as `ip neigh show` would show it; the DEL
// reports the last MAC the entry had (N_LASTMAC), as upstream's event does.
import { AF_INET, AF_INET6, RTM_DELNEIGH, NDA_DST, NDA_LLADDR, NUD_NOARP, RTN_BROADCAST, RTN_MULTICAST, NLM_F_MULTI } from "./nl";
import { bswap32, cpy16, zero8 } from "./mem";
import { NDM_ATTRS, nlh_flags, ndm_family, ndm_index, ndm_state, ndm_flags, ndm_type } from "./headers";
import { attr_parse, pol, tb_attr, attr_data, attr_len, POL_ADDR } from "./attrs";
import { cand, msg_tb } from "./scratch";
import { stat_inc, SS_FILTERED, SS_OTHER } from "./state";
import { slot_of_ifindex } from "./proxies";
import { K_NEIGH, t_find } from "./table";
import { E_SLOT, N_FAMILY, N_TYPE, N_DST, N_GEN, N_MAC, N_STATE, N_FLAGS, N_LASTMAC, N_SIZE } from "./entries";
import { stage_entry, m_insert, m_delete } from "./mirror";
import { live_flags, note_added, note_changed, cur_gen, sync_deleted, sync_live, sync_dump_stale, KB_NEIGH } from "./sync";
import { F_REPLACE } from "./record";

const NEIGH_POLICY: u64 = pol(NDA_DST, POL_ADDR);

export function handle_neigh(m: usize, mlen: u32, type: u16): bool {
  if (mlen < NDM_ATTRS) return false;
  const family = ndm_family(m);
  // AF_BRIDGE carries the bridge FDB, not neighbours
  if (family != AF_INET && family != AF_INET6) { stat_inc(SS_OTHER); return true; }
  const alen: u32 = family == AF_INET ? 4 : 16;
  const ifindex = ndm_index(m);
  const state = ndm_state(m);
  const nflags = ndm_flags(m);
  const ndtype = ndm_type(m);
  const tb = msg_tb();
  if (!attr_parse(m + NDM_ATTRS, m + mlen, tb, NEIGH_POLICY, alen)) return false;
  const da = tb_attr(tb, NDA_DST), la = tb_attr(tb, NDA_LLADDR);
  if (!da) return false;
  const dst = attr_data(da);
  const ll: usize = la ? attr_data(la) : 0, lllen: u32 = la ? attr_len(la) : 0;
  const s = slot_of_ifindex(ifindex);
  if (s < 0) { stat_inc(SS_FILTERED); return true; }
  // The kernel makes NOARP entries for the multicast and broadcast addresses
  // it sends to (33:33:.. / 01:00:5e:.. / ff:ff:..: derived, not configured)
  // without announcing them: only dumps would show them, so they would come
  // and go with resyncs. Not mirrored (verified on 6.18: ff02::16, ff02::2,
  // ff02::1:ffXX:XXXX appear after link up with no RTM_NEWNEIGH).
  if (state == NUD_NOARP && (ndtype == RTN_MULTICAST || ndtype == RTN_BROADCAST)) { stat_inc(SS_FILTERED); return true; }

  const c = cand();
  zero8(c, N_SIZE);
  store<u8>(c + N_FAMILY, family);
  store<u8>(c + N_TYPE, ndtype);
  store<u8>(c + E_SLOT, <u8>s);
  if (family == AF_INET) store<u32>(c + N_DST, bswap32(load<u32>(dst)));
  else cpy16(c + N_DST, dst);
  store<u32>(c + N_GEN, cur_gen());
  const nl = lllen < 6 ? lllen : 6;
  for (let i: u32 = 0; i < nl; i++) store<u8>(c + N_MAC + i, load<u8>(ll + i));
  if (nl) { store<u32>(c + N_LASTMAC, load<u32>(c + N_MAC)); store<u16>(c + N_LASTMAC + 4, load<u16>(c + N_MAC + 4)); }
  store<u16>(c + N_STATE, state);
  store<u8>(c + N_FLAGS, nflags);

  const flags = live_flags(KB_NEIGH);
  // (dumps carry NLM_F_MULTI; notifications never do)
  const dumped = (nlh_flags(m) & NLM_F_MULTI) != 0;
  if (type == RTM_DELNEIGH) sync_deleted(K_NEIGH, c);
  else if (!dumped) sync_live(K_NEIGH, c);
  else if (sync_dump_stale(K_NEIGH, c)) return true;
  const e = t_find(K_NEIGH, c, false);
  if (type == RTM_DELNEIGH) {
    if (!e) return true;
    if (nl) { store<u32>(e + N_LASTMAC, load<u32>(c + N_LASTMAC)); store<u16>(e + N_LASTMAC + 4, load<u16>(c + N_LASTMAC + 4)); }
    stage_entry(K_NEIGH, e, false, flags, -1);
    m_delete(K_NEIGH, e);
    return true;
  }
  if (!e) {
    const n = m_insert(K_NEIGH, c);
    note_added(KB_NEIGH);
    stage_entry(K_NEIGH, n, true, flags, -1);
    return true;
  }
  store<u32>(e + N_GEN, cur_gen());
  const changed = load<u16>(e + N_STATE) != state
    || load<u32>(e + N_MAC) != load<u32>(c + N_MAC) || load<u16>(e + N_MAC + 4) != load<u16>(c + N_MAC + 4);
  store<u8>(e + N_FLAGS, nflags);
  store<u8>(e + N_TYPE, ndtype);
  if (nl) { store<u32>(e + N_LASTMAC, load<u32>(c + N_LASTMAC)); store<u16>(e + N_LASTMAC + 4, load<u16>(c + N_LASTMAC + 4)); }
  if (changed) {
    store<u32>(e + N_MAC, load<u32>(c + N_MAC)); store<u16>(e + N_MAC + 4, load<u16>(c + N_MAC + 4));
    store<u16>(e + N_STATE, state);
    note_changed(KB_NEIGH);
    stage_entry(K_NEIGH, e, true, flags | F_REPLACE, -1);
  }
  return true;
}
