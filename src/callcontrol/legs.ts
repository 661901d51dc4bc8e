/**
 * Legs: what every user of call control keeps of a call on one UNI link. A
 * host's call control (call-control.ts) and a switch's (src/switch/calls.ts)
 * both own calls that span links; on each link such a call is one Q.2931 call
 * (its own call reference, VPI/VCI and endpoint references), reached through
 * the UNI port (src/uni/port.ts). A leg is that link call seen from above:
 *
 * - it is the link call's owner: the call's and its parties' indications
 *   come to the leg, which hands them, with itself, to its user (each user's
 *   leg class says how);
 * - it maps the link's endpoint references to the user's parties (`byEp`);
 * - it holds the ADD PARTYs asked for while its SETUP is still unanswered
 *   (`queued`): they go out once the call is active there (Q.2971 allows no
 *   ADD PARTY before), or the party fails;
 * - `placeParty` says where a further party of a call goes on a link the call
 *   may already use: on the leg as ADD PARTY, queued behind its SETUP, or, when
 *   the leg is being cleared, on a new leg with its own SETUP.
 *
 * What a party or a call means above the link (a host's NDIS call, a switch's
 * relayed call) stays with each user.
 */
import { DenseMap } from '../common/dense-map.js';
import type { CallIndication } from '../uni/call.js';
import type { PartyIndication } from '../uni/party.js';
import type { CallOwner, LinkCall, UniPort } from '../uni/port.js';
import type { UniMessage } from '../uni/msg/types.js';

/** A user's party as a leg knows it: its endpoint reference on the leg's link, -1 while queued. */
export interface LegParty {
  ep: number;
}

/** A leg; each user says where the call's and the parties' indications go (onCall, onParty). */
export abstract class CallLeg<C, P extends LegParty> implements CallOwner {
  /** (a DenseMap: endpoint references are small numbers, and a leg may have thousands) */
  readonly byEp: Map<number, P> = new DenseMap<P>();
  /** parties asked for while the leg's SETUP is on its way: ADD PARTY goes out once the leg is active */
  readonly queued = new Map<P, UniMessage>();
  constructor(
    readonly call: C,
    readonly link: UniPort,
    readonly lc: LinkCall,
  ) {}

  abstract onCall(lc: LinkCall, ind: CallIndication): void;
  abstract onParty(lc: LinkCall, ep: number, ind: PartyIndication): void;

  /** the leg's link call is being cleared or gone: it finishes on its own, and takes no further party */
  get ending(): boolean {
    const ph = this.lc.st.phase;
    return ph === 'rel-sent' || ph === 'rel-rcvd' || ph === 'null';
  }

  /** a party of this leg, by the endpoint reference the link gave it */
  attach(p: P, ep: number): void {
    p.ep = ep;
    this.byEp.set(ep, p);
  }

  /** forget a party (at its endpoint reference, or in the queue) */
  detach(p: P): void {
    if (this.byEp.get(p.ep) === p) this.byEp.delete(p.ep);
    this.queued.delete(p);
  }

  /** the parties on this leg, sent or queued */
  parties(): P[] {
    return [...this.byEp.values(), ...this.queued.keys()];
  }

  /**
   * The leg's SETUP was answered (the call is active on the link): every
   * queued ADD PARTY goes out now, in the order asked. A party the link has no
   * endpoint reference left for goes to `refused`.
   */
  sendQueued(refused: (p: P) => void): void {
    for (const [p, add] of [...this.queued]) {
      this.queued.delete(p);
      const ep = this.link.addParty(this.lc, add);
      if (ep === 'limit') refused(p);
      else this.attach(p, ep);
    }
  }

  /**
   * A further party for this leg's call on this leg's link: sent at once when
   * the call is active there ('sent'), queued behind the SETUP while that is on
   * its way ('queued'); 'limit' when the link has no endpoint reference left;
   * the leg's phase when it can take no party (the caller may open a new leg
   * when `ending`).
   */
  placeParty(p: P, add: UniMessage): 'sent' | 'queued' | 'limit' | { refused: string } {
    const ph = this.lc.st.phase;
    if (ph === 'out-setup' || ph === 'out-proceeding' || ph === 'out-alerting') {
      p.ep = -1;
      this.queued.set(p, add);
      return 'queued';
    }
    if (ph !== 'active') return { refused: ph };
    const ep = this.link.addParty(this.lc, add);
    if (ep === 'limit') return 'limit';
    this.attach(p, ep);
    return 'sent';
  }
}

/**
 * A call out on `link` (SETUP; for a multipoint call, with its first party's
 * endpoint reference): the leg `make` builds owns the link call from the
 * start, so no indication of it is lost.
 */
export function openLeg<L extends CallOwner & { readonly lc: LinkCall }>(
  link: UniPort,
  multipoint: boolean,
  setup: UniMessage,
  make: (lc: LinkCall) => L,
): { leg: L; ep?: number } | 'limit' | 'link-down' {
  let leg: L | undefined;
  // the link may tell the owner of the call before setup() returns (a SETUP refused at once)
  const owner: CallOwner = {
    onCall: (lc, ind) => leg?.onCall(lc, ind),
    onParty: (lc, ep, ind) => leg?.onParty(lc, ep, ind),
  };
  const r = link.setup(multipoint ? 'root' : 'p2p', setup, owner);
  if (typeof r === 'string') return r;
  leg = make(r.lc);
  r.lc.owner = leg;
  return r.ep !== undefined ? { leg, ep: r.ep } : { leg };
}
