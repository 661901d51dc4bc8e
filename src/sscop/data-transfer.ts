/**
 * SSCOP assured data transfer in Data Transfer Ready (Q.2110): sending SDs within the
 * peer's window, POLL/STAT/USTAT, acknowledgement and selective retransmission, credit,
 * and the polling timers (POLL, KEEP_ALIVE, IDLE, NO_RESPONSE).
 */
import type { SscopPdu } from './pdu.js';
import { dequeue, enqueue } from './queue.js';
import { add, behind, HALF, inc, seqRel, type SscopTimer } from './state.js';
import type { Ctx, Draft } from './step-context.js';
import { abort, beginRecovery } from './connection-control.js';

// ---------------------------------------------------------------- data transfer (state 10)

function windowOpen(s: Draft): boolean {
  const span = seqRel(s.vtMS, s.vtA);
  return span < HALF && seqRel(s.vtS, s.vtA) < span;
}

/**
 * Our last POLL is unanswered (VT(PA) is behind VT(PS)) and covers SDs not yet acknowledged: it was sent
 * after SD VT(S) - VT(PD), which is ahead of VT(A). (Retransmissions count in VT(PD) without moving VT(S),
 * so this can only err towards a POLL.)
 */
function statOnItsWay(s: Draft): boolean {
  return s.vtPS !== s.vtPA && seqRel(s.vtS, s.vtA) > s.vtPD;
}

function sendPoll(c: Ctx): void {
  const s = c.s;
  s.vtPS = inc(s.vtPS);
  c.send({ type: 'POLL', nps: s.vtPS, ns: s.vtS });
  s.vtPD = 0;
}

/** timer bookkeeping after an SD went out: leave the idle or transient phase, force a POLL at MaxPD */
function afterSd(c: Ctx): void {
  const s = c.s;
  s.vtPD++;
  if (s.timers.IDLE) {
    c.stop('IDLE');
    c.start('NO_RESPONSE');
    c.start('POLL');
  } else if (s.timers.KEEP_ALIVE) {
    c.stop('KEEP_ALIVE');
    c.start('POLL');
  } else if (!s.timers.POLL) {
    c.start('POLL');
  }
  if (s.vtPD >= c.p.maxPD) {
    sendPoll(c);
    c.start('POLL');
  }
}

/** send what may be sent: retransmissions first, then new SDs while the window is open */
export function transmit(c: Ctx): void {
  const s = c.s;
  let retransmitted = 0;
  for (;;) {
    if (s.rtx.length) {
      const sn = s.rtx[0]!;
      s.rtx = s.rtx.slice(1);
      const e = c.tx().get(sn);
      if (!e) continue;
      c.tx().set(sn, { data: e.data, ps: s.vtPS });
      c.send({ type: 'SD', ns: sn, data: e.data }, true);
      retransmitted++;
      afterSd(c);
      continue;
    }
    if (s.txQueue.size === 0) break;
    if (!windowOpen(s)) {
      if (s.credit) {
        s.credit = false;
        c.maa('W');
        // The receiver's next STAT brings the credit. When our last POLL is still unanswered and was sent
        // after SDs the receiver has not acknowledged yet, the STAT answering it is on its way and opens the
        // window (N(MR) moves with every SD the receiver takes in): nothing to ask. Otherwise ask now rather
        // than at the next Timer_POLL. (Q.2110 itself waits for Timer_POLL. Under a burst the window closes
        // again after each STAT, while a POLL forced by MaxPD is still out: a POLL here each time doubled
        // the POLL/STAT pairs.) Should that STAT be lost, Timer_POLL, which runs while SDs are outstanding,
        // polls as Q.2110 says.
        if (statOnItsWay(s)) break;
        if (s.timers.IDLE) {
          c.stop('IDLE');
          c.start('NO_RESPONSE');
        }
        c.stop('KEEP_ALIVE');
        sendPoll(c);
        c.start('POLL');
      }
      break;
    }
    const [data, rest] = dequeue(s.txQueue)!;
    s.txQueue = rest;
    sendNewSd(c, data);
  }
  if (retransmitted && c.p.pollAfterRetransmission && s.vtPD !== 0) {
    sendPoll(c);
    c.start('POLL');
  }
}

/** a new SD: numbered VT(S), kept until acknowledged */
function sendNewSd(c: Ctx, data: Buffer): void {
  const s = c.s;
  const sn = s.vtS;
  c.tx().set(sn, { data, ps: s.vtPS });
  s.vtS = inc(sn);
  c.send({ type: 'SD', ns: sn, data });
  afterSd(c);
}

/** AA-DATA.request in Data Transfer Ready: an SDU with nothing waiting before it goes straight out, not through the queue */
export function transmitData(c: Ctx, data: Buffer): void {
  const s = c.s;
  if (s.txQueue.size === 0 && s.rtx.length === 0 && windowOpen(s)) return sendNewSd(c, data);
  s.txQueue = enqueue(s.txQueue, data);
  transmit(c);
}

function deliver(c: Ctx, sn: number, data: Buffer): void {
  c.signal({ kind: 'AA-DATA.indication', data, sn });
}

function ustat(c: Ctx, sn1: number, sn2: number): void {
  const s = c.s;
  c.send({ type: 'USTAT', nmr: s.vrMR, nr: s.vrR, sn1, sn2 });
}

export function receiveSd(c: Ctx, pdu: Extract<SscopPdu, { type: 'SD' }>): void {
  const s = c.s;
  const ns = pdu.ns;
  const r = seqRel(ns, s.vrR);
  const mr = seqRel(s.vrMR, s.vrR);
  const h = seqRel(s.vrH, s.vrR);
  if (r >= mr) {
    if (c.p.robust && behind(ns, s.vrR)) {
      c.discard('duplicate-sd');
      return;
    }
    if (h < mr) {
      ustat(c, s.vrH, s.vrMR);
      s.vrH = s.vrMR;
    }
    c.discard('sd-outside-window');
    return;
  }
  if (r === 0) {
    const start = s.vrR;
    deliver(c, ns, pdu.data);
    s.vrR = inc(s.vrR);
    if (c.rxSize()) {
      const rx = c.rx();
      for (let d = rx.get(s.vrR); d !== undefined; d = rx.get(s.vrR)) {
        rx.delete(s.vrR);
        deliver(c, s.vrR, d);
        s.vrR = inc(s.vrR);
      }
    }
    if (seqRel(s.vrH, start) < seqRel(s.vrR, start)) s.vrH = s.vrR;
    s.vrMR = add(s.vrR, c.p.window);
    return;
  }
  if (r < h) {
    if (c.rx().has(ns)) {
      if (c.p.robust) c.discard('duplicate-sd');
      else beginRecovery(c, 'Q');
      return;
    }
    c.rx().set(ns, pdu.data);
    return;
  }
  c.rx().set(ns, pdu.data);
  if (r > h) ustat(c, s.vrH, ns);
  s.vrH = inc(ns);
}

export function receivePoll(c: Ctx, pdu: Extract<SscopPdu, { type: 'POLL' }>): void {
  const s = c.s;
  const r = seqRel(pdu.ns, s.vrR);
  const h = seqRel(s.vrH, s.vrR);
  const mr = seqRel(s.vrMR, s.vrR);
  if (c.p.robust) {
    // a POLL overtaken by later SDs (or a stale copy) must not lower VR(H)
    if (!behind(pdu.ns, s.vrR) && r > h) s.vrH = r > mr ? s.vrMR : pdu.ns;
  } else {
    if (r < h) {
      beginRecovery(c, 'Q');
      return;
    }
    s.vrH = r > mr ? s.vrMR : pdu.ns;
  }
  sendStat(c, pdu.nps);
}

/** answer a POLL: the missing/received runs from VR(R) to VR(H), split at MaxSTAT elements */
function sendStat(c: Ctx, nps: number): void {
  const s = c.s;
  const max = c.p.maxSTAT;
  let list: number[] = [];
  const rx = c.rx();
  let n = s.vrR;
  while (n !== s.vrH) {
    if (rx.has(n)) {
      n = inc(n);
      continue;
    }
    // start of a missing run ...
    list.push(n);
    if (list.length === max) list = statFull(c, nps, list);
    while (n !== s.vrH && !rx.has(n)) n = inc(n);
    // ... and start of the next received run (or VR(H))
    list.push(n);
    if (list.length === max) list = statFull(c, nps, list);
    while (n !== s.vrH && rx.has(n)) n = inc(n);
  }
  c.send({ type: 'STAT', nps, nmr: s.vrMR, nr: s.vrR, list });
}

/** a STAT list reached MaxSTAT (odd): send it, continue the next one from its last element */
function statFull(c: Ctx, nps: number, list: number[]): number[] {
  c.send({ type: 'STAT', nps, nmr: c.s.vrMR, nr: c.s.vrR, list });
  return [list[list.length - 1]!];
}

/** acknowledge everything below N(R) */
function acknowledge(c: Ctx, nr: number): void {
  const s = c.s;
  if (nr === s.vtA) return;
  c.tx().dropBefore(nr);
  s.vtA = nr;
  if (s.rtx.length) {
    const span = seqRel(s.vtS, nr);
    s.rtx = s.rtx.filter((sn) => seqRel(sn, nr) < span);
  }
}

function takeCredit(c: Ctx, nmr: number): void {
  const s = c.s;
  // in robust mode a reordered STAT/USTAT never takes back credit already given
  if (!c.p.robust || seqRel(nmr, s.vtA) >= seqRel(s.vtMS, s.vtA) || seqRel(s.vtMS, s.vtA) >= HALF) s.vtMS = nmr;
  if (!s.credit && windowOpen(s)) {
    s.credit = true;
    c.maa('X');
  }
}

/** queue [from, to) for retransmission; `gate` = only SDs last sent before poll N(PS) */
function queueRetransmissions(c: Ctx, from: number, to: number, gate: number | undefined): number {
  const s = c.s;
  let n = 0;
  const queued = s.rtx.length ? new Set(s.rtx) : undefined;
  const add: number[] = [];
  for (let sn = from; sn !== to; sn = inc(sn)) {
    const e = c.tx().get(sn);
    if (!e || queued?.has(sn)) continue;
    if (gate !== undefined && !behind(e.ps, gate)) continue;
    add.push(sn);
    n++;
  }
  if (n) {
    const base = s.vtA;
    s.rtx = s.rtx.concat(add).sort((a, b) => seqRel(a, base) - seqRel(b, base));
  }
  return n;
}

export function receiveStat(c: Ctx, pdu: Extract<SscopPdu, { type: 'STAT' }>): void {
  const s = c.s;
  const psSpan = seqRel(s.vtPS, s.vtPA);
  if (!(psSpan < HALF && seqRel(pdu.nps, s.vtPA) <= psSpan)) {
    if (c.p.robust && behind(pdu.nps, s.vtPA)) c.discard('stale-stat');
    else beginRecovery(c, 'R');
    return;
  }
  const span = seqRel(s.vtS, s.vtA);
  const nr = seqRel(pdu.nr, s.vtA);
  if (nr > span) {
    // Q.2110: N(R) outside [VT(A), VT(S)] is error S. Robust mode discards such a STAT when duplication or
    // reordering explains it: it answers an older POLL than our newest (POLLs and STATs overtake one another,
    // and a STAT sent before the one that moved VT(A) may arrive after it), or a POLL already answered (a
    // duplicated POLL is answered twice). A STAT answering our newest POLL for the first time with an N(R)
    // behind VT(A) comes from a peer that has lost its state (a restart whose BGN reused N(SQ) and was taken
    // for a retransmission): error S and recovery, as Q.2110 says, put both ends in step again.
    if (c.p.robust && behind(pdu.nr, s.vtA) && (pdu.nps !== s.vtPS || pdu.nps === s.vtPA)) c.discard('stale-stat');
    else beginRecovery(c, 'S');
    return;
  }
  let prev = -1;
  for (const e of pdu.list) {
    const r = seqRel(e, s.vtA);
    if (r < nr || r > span || r <= prev) {
      beginRecovery(c, 'S');
      return;
    }
    prev = r;
  }
  acknowledge(c, pdu.nr);
  let count = 0;
  for (let i = 0; i + 1 < pdu.list.length; i += 2) count += queueRetransmissions(c, pdu.list[i]!, pdu.list[i + 1]!, pdu.nps);
  if (count) c.maa('V', count);
  s.vtPA = pdu.nps;
  takeCredit(c, pdu.nmr);
  if (s.timers.POLL) c.start('NO_RESPONSE');
  else if (!s.timers.IDLE) {
    c.stop('KEEP_ALIVE');
    c.stop('NO_RESPONSE');
    c.start('IDLE');
  }
  transmit(c);
}

export function receiveUstat(c: Ctx, pdu: Extract<SscopPdu, { type: 'USTAT' }>): void {
  const s = c.s;
  const span = seqRel(s.vtS, s.vtA);
  const nr = seqRel(pdu.nr, s.vtA);
  if (nr > span) {
    // robust mode: a USTAT carries no N(PS) to tell a reordered one from a peer that lost its state, so one
    // whose N(R) is behind VT(A) is discarded; a peer that lost its state is found by the next STAT
    if (c.p.robust && behind(pdu.nr, s.vtA)) c.discard('stale-ustat');
    else beginRecovery(c, 'T');
    return;
  }
  const a = seqRel(pdu.sn1, s.vtA);
  const b = seqRel(pdu.sn2, s.vtA);
  if (!(nr <= a && a < b && b < span)) {
    beginRecovery(c, 'T');
    return;
  }
  acknowledge(c, pdu.nr);
  takeCredit(c, pdu.nmr);
  const count = queueRetransmissions(c, pdu.sn1, pdu.sn2, undefined);
  if (count) c.maa('V', count);
  transmit(c);
}

/** after a timer-driven POLL: Timer_POLL while SDs are outstanding or queued, else Timer_KEEP_ALIVE */
function setPollTimer(c: Ctx): void {
  const s = c.s;
  if (s.vtA !== s.vtS || s.txQueue.size || s.rtx.length) {
    c.stop('KEEP_ALIVE');
    c.start('POLL');
  } else {
    c.stop('POLL');
    c.start('KEEP_ALIVE');
  }
}

export function dataTransferTimer(c: Ctx, timer: SscopTimer): void {
  const s = c.s;
  s.crossing = false;
  switch (timer) {
    case 'POLL':
    case 'KEEP_ALIVE':
      c.expired(timer);
      sendPoll(c);
      setPollTimer(c);
      return;
    case 'IDLE':
      c.expired('IDLE');
      c.start('NO_RESPONSE');
      sendPoll(c);
      setPollTimer(c);
      return;
    case 'NO_RESPONSE':
      c.expired('NO_RESPONSE');
      abort(c, 'P', 'no-response');
      return;
    case 'CC':
      return;
  }
}
