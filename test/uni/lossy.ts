/**
 * A lossy in-memory wire for full-stack uni/ tests: two real SAAL links
 * (SSCOP + SSCF-UNI from src/sscop) whose PDUs cross a wire that loses a
 * fraction of them, deterministically (seeded), after a fixed delay.
 */
import { Observable } from 'rxjs';
import { createSaalLink, type SaalLink } from '../../src/sscop/saal-link.js';
import type { SaalService, SaalSignal } from '../../src/sscop/service.js';
import type { Clock } from './helpers.js';

import { seededRandom as rng } from '../../src/common/random.js';
export { rng };

export interface LossyWire {
  a: SaalLink;
  b: SaalLink;
  /** the two ends as call control sees them, counting who listens to their signals */
  ua: SaalService;
  ub: SaalService;
  /** subscriptions to ua/ub signals still open */
  listeners(): number;
  stats: { sent: number; lost: number };
  dispose(): void;
}

function counted(link: SaalLink, count: { n: number }): SaalService {
  const signals$ = new Observable<SaalSignal>((sub) => {
    count.n++;
    const s = link.signals$.subscribe(sub);
    return () => {
      count.n--;
      s.unsubscribe();
    };
  });
  return {
    signals$,
    establish: () => link.establish(),
    release: () => link.release(),
    data: (d) => link.data(d),
    unitdata: (d) => link.unitdata(d),
    get established() {
      return link.established;
    },
  };
}

export function lossyWire(clock: Clock, loss: number, seed: number, delay = 2, name = 'wire'): LossyWire {
  const random = rng(seed);
  const stats = { sent: 0, lost: 0 };
  let a!: SaalLink;
  let b!: SaalLink;
  const carry = (to: () => SaalLink) => (pdu: Buffer) => {
    stats.sent++;
    if (random() < loss) {
      stats.lost++;
      return;
    }
    const copy = Buffer.from(pdu);
    clock.scheduler.schedule(() => to().receive(copy), delay);
  };
  a = createSaalLink({ send: carry(() => b), scheduler: clock.scheduler, name: `${name}:a` });
  b = createSaalLink({ send: carry(() => a), scheduler: clock.scheduler, name: `${name}:b` });
  const count = { n: 0 };
  return {
    a,
    b,
    ua: counted(a, count),
    ub: counted(b, count),
    listeners: () => count.n,
    stats,
    dispose() {
      a.dispose();
      b.dispose();
    },
  };
}
