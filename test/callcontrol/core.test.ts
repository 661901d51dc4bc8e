/**
 * Call control's core (src/callcontrol/core.ts) on its own: two minimal users
 * over a perfect in-memory SAAL, each deciding only what the core leaves to
 * its users. The endpoint's and the switch's call control are tested through
 * their own suites (test/uni, test/conformance, test/switch).
 */
import test from 'ava';
import { CallCore, type CallUser, type CoreCall, type CoreLink } from '../../src/callcontrol/core.js';
import { CallLeg, type LegParty } from '../../src/callcontrol/legs.js';
import type { CallIndication } from '../../src/uni/call.js';
import { calledIe, defaultAal, defaultBearer, defaultQos, defaultTraffic } from '../../src/uni/call-ies.js';
import { Cause, MsgType, type UniMessage } from '../../src/uni/msg/types.js';
import type { PartyIndication } from '../../src/uni/party.js';
import type { LinkCall } from '../../src/uni/port.js';
import { Clock, saalPair } from '../uni/helpers.js';

interface Link extends CoreLink {
  readonly name: string;
}

interface Party extends LegParty {
  leg?: Leg;
}

interface Call extends CoreCall<Leg, Party> {
  readonly legs: Map<string, Leg>;
  readonly parties: Map<number, Party>;
}

class Leg extends CallLeg<Call, Party> {
  readonly heard: string[] = [];
  readonly calls: CallIndication[] = [];
  onCall(_lc: LinkCall, ind: CallIndication): void {
    this.heard.push(ind.k);
    this.calls.push(ind);
  }
  onParty(_lc: LinkCall, ep: number, ind: PartyIndication): void {
    this.heard.push(`${ind.k}@${ep}`);
  }
}

/** A user that records what the core hands it and answers SETUPs as told. */
class User implements CallUser<Link> {
  readonly events: { what: string; link: Link; cause?: number }[] = [];
  readonly core: CallCore<Link, Call>;
  /** what incomingSetup answers (0: take the call) */
  answer = 0;
  units = 0;
  constructor(clock: Clock, calls?: number) {
    this.core = new CallCore<Link, Call>(this, { scheduler: clock.scheduler, partiesPerCall: 16, calls });
  }
  incomingSetup(from: Link, lc: LinkCall, _m: UniMessage): number {
    this.events.push({ what: 'setup', link: from });
    if (this.answer) return this.answer;
    const call = newCall(this.core, lc.multipoint);
    const leg = new Leg(call, from.uni, lc);
    lc.owner = leg;
    call.legs.set(from.key, leg);
    this.core.register(call);
    from.uni.leafAnswer(lc, 'connect-req');
    return 0;
  }
  incomingAddParty(from: Link): number {
    this.events.push({ what: 'add-party', link: from });
    return 0;
  }
  linkUp(link: Link): void {
    this.events.push({ what: 'up', link });
  }
  linkDown(link: Link): void {
    this.events.push({ what: 'down', link });
  }
  restarted(link: Link): void {
    this.events.push({ what: 'restart', link });
  }
  protocolError(link: Link, cause: number): void {
    this.events.push({ what: 'protocol-error', link, cause });
  }
  unit(fn: () => void): void {
    this.units++;
    fn();
  }
}

function newCall(core: CallCore<Link, Call>, multipoint: boolean): Call {
  return { id: core.newCallId(), multipoint, legs: new Map(), parties: new Map() };
}

function setup(multipoint: boolean, called = '47.0001'): UniMessage {
  return {
    type: MsgType.SETUP,
    callRef: 0,
    callRefFlag: false,
    ies: [defaultAal(), defaultTraffic(), defaultBearer(multipoint), calledIe(called), defaultQos()],
  };
}

/** a call of `u` out on `link`: its leg there (and a multipoint call's first endpoint reference) */
function open(u: User, link: Link, multipoint: boolean): { call: Call; leg: Leg; ep?: number } {
  const call = newCall(u.core, multipoint);
  const r = u.core.openLeg(call, link, setup(multipoint), (lc) => new Leg(call, link.uni, lc));
  if (typeof r === 'string') throw new Error(`openLeg: ${r}`);
  return { call, ...r };
}

/** two users joined by one in-memory link (a is the user side, b the network side) */
function pair(up = true) {
  const clock = new Clock();
  const [sa, sb] = saalPair(clock, 1, up);
  const a = new User(clock);
  const b = new User(clock);
  const la = a.core.attach('to-b', 'b', sa, 'user', { name: 'a->b' });
  const lb = b.core.attach('to-a', 'a', sb, 'network', { name: 'b->a' });
  return { clock, a, b, la, lb, sa, sb };
}

test("a link's events reach its user with the user's own record of that link, run as the user's units", (t) => {
  const { clock, a, b, la, lb, sa } = pair(false);
  sa.establish();
  clock.advance(10);
  t.deepEqual(
    a.events.map((e) => [e.what, e.link]),
    [['up', la]],
  );
  t.deepEqual(
    b.events.map((e) => [e.what, e.link]),
    [['up', lb]],
  );
  t.is(la.name, 'a->b', "the user's fields are kept on the record");
  t.is(a.core.link('to-b'), la);
  t.true(a.units > 0, 'the link ran its work through the user');
});

test('a SETUP opened by one user arrives at the other with its link record; the core counts calls on both', (t) => {
  const { clock, a, b, la, lb } = pair();
  const { call, ...r } = open(a, la, false);
  a.core.register(call);
  t.is(call.legs.get('to-b'), r.leg, "the leg is the call's leg on that link, by link key");
  clock.advance(10);
  t.deepEqual(
    b.events.map((e) => [e.what, e.link]),
    [['setup', lb]],
  );
  t.deepEqual(r.leg.heard, ['connected']);
  t.like(a.core.counts(), { links: 1, calls: 1, linkCalls: 1 });
  t.like(b.core.counts(), { links: 1, calls: 1, linkCalls: 1 });
});

test("the user's cause refuses a SETUP: the caller's leg hears it cleared and nothing stays on either link", (t) => {
  const { clock, a, b, la } = pair();
  b.answer = Cause.UNALLOCATED_NUMBER;
  const { call, ...r } = open(a, la, false);
  clock.advance(10);
  t.deepEqual(r.leg.heard, ['released']);
  t.like(r.leg.calls[0], { k: 'released', cause: Cause.UNALLOCATED_NUMBER });
  t.is(r.leg.lc.st.phase, 'null');
  t.like(a.core.counts(), { linkCalls: 0 });
  t.like(b.core.counts(), { calls: 0, linkCalls: 0 });
});

test('legOn: the leg that can take a further party; a leg being cleared is retired from the call and finishes alone', (t) => {
  const { clock, a, la } = pair();
  const { call, ...r } = open(a, la, true);
  t.is(typeof r.ep, 'number', 'a multipoint SETUP carries its first endpoint reference');
  clock.advance(10);
  t.is(a.core.legOn(call, la), r.leg, 'active: it takes the next party');
  la.uni.callRequest(r.leg.lc, { k: 'release-req', cause: Cause.NORMAL_CALL_CLEARING });
  t.true(r.leg.ending);
  t.is(a.core.legOn(call, la), undefined, 'being cleared: no further party on it');
  t.false(call.legs.has('to-b'), 'retired from the call');
  clock.advance(10);
  t.true(r.leg.heard.includes('release-confirm'), 'the retired leg still hears its clearing finish');
});

test('parties: enrolment counts and indexes by endpoint reference; removal counts only a party that was on the call', (t) => {
  const { clock, a, la } = pair();
  const { call, ...r } = open(a, la, true);
  clock.advance(10);
  const p: Party = { ep: r.ep!, leg: r.leg };
  a.core.enrol(call, 7, p);
  t.is(call.parties.get(7), p);
  t.is(r.leg.byEp.get(r.ep!), p, 'known to its leg by endpoint reference');
  t.is(a.core.counts().parties, 1);
  const stranger: Party = { ep: 99, leg: r.leg };
  t.false(a.core.remove(call, 7, stranger), 'not the party under that key');
  t.is(a.core.counts().parties, 1);
  t.true(a.core.remove(call, 7, p));
  t.false(call.parties.has(7));
  t.false(r.leg.byEp.has(r.ep!));
  t.is(a.core.counts().parties, 0);
});

test('the call limit: full once that many calls are registered, free again when one is forgotten', (t) => {
  const clock = new Clock();
  const u = new User(clock, 2);
  const c1 = newCall(u.core, false);
  const c2 = newCall(u.core, false);
  t.false(u.core.full);
  u.core.register(c1);
  u.core.register(c2);
  t.true(u.core.full);
  t.not(c1.id, c2.id);
  u.core.forget(c1);
  t.false(u.core.full);
  t.is(u.core.call(c2.id), c2);
  t.is(u.core.call(c1.id), undefined);
});

test("attaching under a key already known replaces that link: the old one's calls are cleared locally", (t) => {
  const { clock, a, la, sa } = pair();
  const { call, ...r } = open(a, la, false);
  clock.advance(10);
  const again = a.core.attach('to-b', 'b', sa, 'user', { name: 'again' });
  t.not(again, la);
  t.is(a.core.link('to-b'), again);
  t.is(r.leg.lc.st.phase, 'null', "the old link's call is gone");
  t.true(r.leg.heard.includes('released'));
  t.like(a.core.counts(), { links: 1, linkCalls: 0 });
});

test('dispose: every link disposed, its calls cleared and reported to their legs, nothing counted', (t) => {
  const { clock, a, la } = pair();
  const { call, ...r } = open(a, la, false);
  a.core.register(call);
  clock.advance(10);
  a.core.dispose();
  t.true(r.leg.heard.includes('released'));
  t.deepEqual(a.core.counts(), { links: 0, calls: 0, linkCalls: 0, parties: 0, timers: 0 });
  t.is(a.core.link('to-b'), undefined);
});
