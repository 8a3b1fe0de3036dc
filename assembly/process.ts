// The per-message pipeline: parse (every length checked) -> filter -> mirror
// -> staged records. See state.ts for the status block.
import { S, O_RX, O_RX_CAP, O_STATUS, ST_NEXT_OFF, ST_FLAGS, ST_ERROR, ST_SEQ, ST_MSGS, ST_STAGED,
  STF_DONE, STF_ERROR, STF_DUMP_INTR, STF_ACK, STF_JOB, SS_MESSAGES, SS_MALFORMED, SS_LINK, SS_ADDR, SS_ROUTE,
  SS_NEIGH, SS_OTHER, SS_DONE, SS_ERRORS, SS_DUMP_INTR, SS_ACKS, O_SINK, stat_inc, status_or } from "./state";
import { NLMSG_HDRLEN, NLMSG_ERROR, NLMSG_DONE, NLM_F_DUMP_INTR, RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR,
  RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEIGH, RTM_DELNEIGH, RTM_NEWNEXTHOP, RTM_DELNEXTHOP, align4 } from "./nl";
import { handle_nexthop } from "./nexthops";
import { nstaged, stage_free, stage_reset } from "./staging";
import { max_ports } from "./proxies";
import { job_active, job_run, job_skip_pending, job_set_skip } from "./implied_deletions";
import { handle_link } from "./parse_link";
import { handle_addr } from "./parse_addr";
import { handle_route, route_decode, route_undecoded, route_home } from "./parse_route";
import { nlh_len, nlh_type, nlh_flags, nlh_seq, nlerr_error, NLMSGERR_MIN } from "./headers";
import { la_slot, LA_MAX } from "./scratch";
import { handle_neigh } from "./parse_neigh";
import { refresh_counts } from "./core_init";

// Records one message may stage per bound port, for the stop-early reserve.
// A route REPLACE may remove and add several next hops; the area still grows
// if an estimate is exceeded, so this only keeps chunks near STAGE_CAP.
function estimate(type: u16, mlen: u32): u32 {
  if (type == RTM_NEWROUTE || type == RTM_DELROUTE) return 4 + (mlen >> 2);
  return 3;
}

/** one message; d: the route message's decoding (route_decode) */
function handle(m: usize, mlen: u32, d: usize): void {
  const type = nlh_type(m);
  const flags = nlh_flags(m);
  if (flags & NLM_F_DUMP_INTR) { status_or(STF_DUMP_INTR); stat_inc(SS_DUMP_INTR); }
  let ok = true;
  if (type == NLMSG_DONE) {
    status_or(STF_DONE);
    store<u32>(S + O_STATUS + ST_SEQ, nlh_seq(m));
    stat_inc(SS_DONE);
  } else if (type == NLMSG_ERROR) {
    if (mlen < NLMSGERR_MIN) { ok = false; }
    else {
      const err = nlerr_error(m);
      store<u32>(S + O_STATUS + ST_SEQ, nlh_seq(m));
      if (err == 0) { status_or(STF_ACK); stat_inc(SS_ACKS); }
      else { status_or(STF_ERROR); store<i32>(S + O_STATUS + ST_ERROR, err); stat_inc(SS_ERRORS); }
    }
  } else if (type == RTM_NEWLINK || type == RTM_DELLINK) {
    stat_inc(SS_LINK); ok = handle_link(m, mlen, type);
  } else if (type == RTM_NEWADDR || type == RTM_DELADDR) {
    stat_inc(SS_ADDR); ok = handle_addr(m, mlen, type);
  } else if (type == RTM_NEWROUTE || type == RTM_DELROUTE) {
    stat_inc(SS_ROUTE); ok = handle_route(m, type, flags, d);
  } else if (type == RTM_NEWNEIGH || type == RTM_DELNEIGH) {
    stat_inc(SS_NEIGH); ok = handle_neigh(m, mlen, type);
  } else if (type == RTM_NEWNEXTHOP || type == RTM_DELNEXTHOP) {
    ok = handle_nexthop(m, mlen, type, flags);
  } else {
    stat_inc(SS_OTHER); // NLMSG_NOOP, NLMSG_OVERRUN, anything else
  }
  if (!ok) stat_inc(SS_MALFORMED);
}

export function process_impl(off: u32, len: u32): u32 {
  stage_reset();
  const st = S + O_STATUS;
  store<u32>(st + ST_FLAGS, 0);
  store<i32>(st + ST_ERROR, 0);
  store<u32>(st + ST_SEQ, 0);
  store<u32>(st + ST_MSGS, 0);
  const cap = load<u32>(S + O_RX_CAP);
  if (len > cap) len = cap;
  if (off > len) off = len;
  const base = load<usize>(S + O_RX);
  let pos = off;
  let stop = false;
  if (job_active() && !job_run()) stop = true;
  else if (job_skip_pending()) {
    // the message that started the job was applied before the job ran
    job_set_skip(0);
    if (len - pos >= NLMSG_HDRLEN) {
      const ml = nlh_len(base + pos);
      if (ml >= NLMSG_HDRLEN && ml <= len - pos) { pos += align4(ml); if (pos > len) pos = len; }
    }
  }
  // look-ahead: the next LA_MAX route messages are decoded (route_decode, into
  // the look-ahead slots, which handle_route then uses) and their table slots
  // loaded before the current one is handled, so their cache misses overlap
  let ahead = pos, nahead: u32 = 0, ndecoded: u32 = 0, sink: u32 = 0;
  while (!stop && pos < len) {
    const m = base + pos;
    if (nahead == 0 && ahead < len) {
      // next batch: decode first (rx is in cache), then the loads
      let nb: u32 = 0;
      while (nb < LA_MAX && ahead < len) {
        if (len - ahead < NLMSG_HDRLEN) { ahead = len; break; }
        const am = base + ahead;
        const al = nlh_len(am);
        if (al < NLMSG_HDRLEN || al > len - ahead) { ahead = len; break; }
        const at = nlh_type(am);
        if (at == RTM_NEWROUTE || at == RTM_DELROUTE) route_decode(am, al, la_slot(nb));
        else route_undecoded(la_slot(nb));
        ahead += align4(al);
        nb++;
      }
      for (let j: u32 = 0; j < nb; j++) {
        const h = route_home(la_slot(j));
        if (h) sink += <u32>load<u8>(h);
      }
      nahead = ndecoded = nb;
    }
    if (len - pos < NLMSG_HDRLEN) { stat_inc(SS_MALFORMED); pos = len; break; }
    const mlen = nlh_len(m);
    // A bad nlmsg_len loses the message boundaries of the rest of the buffer:
    // it is counted once and the rest is dropped (never read past len).
    if (mlen < NLMSG_HDRLEN || mlen > len - pos) { stat_inc(SS_MALFORMED); pos = len; break; }
    if (nstaged() > 0) {
      const mp = max_ports();
      if (stage_free() < estimate(nlh_type(m), mlen) * (mp > 0 ? mp : 1) + 8) break;
    }
    stat_inc(SS_MESSAGES);
    store<u32>(st + ST_MSGS, load<u32>(st + ST_MSGS) + 1);
    let d: usize;
    if (nahead > 0) d = la_slot(ndecoded - nahead);
    else { d = la_slot(0); route_decode(m, mlen, d); } // (not reached: every message is looked ahead)
    handle(m, mlen, d);
    if (job_active() && !job_run()) { job_set_skip(1); break; }
    pos += align4(mlen);
    if (pos > len) pos = len;
    if (nahead > 0) nahead--;
    // A DONE or ERROR ends the call: the status block holds one seq and one
    // error, and the host must see them in order (an ERROR ENOBUFS that only
    // postpones a dump, then that dump's DONE in the same read).
    if (load<u32>(st + ST_FLAGS) & (STF_DONE | STF_ERROR)) break;
  }
  store<u32>(S + O_SINK, sink);
  if (job_active()) status_or(STF_JOB);
  store<u32>(st + ST_NEXT_OFF, pos);
  const n = nstaged();
  store<u32>(st + ST_STAGED, n);
  refresh_counts();
  return n;
}
