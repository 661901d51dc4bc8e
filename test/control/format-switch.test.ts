import test from 'ava';
import { switchReport } from '../../src/control/format-switch.js';
import type { SwitchSnapshot } from '../../src/switch/types.js';

const A = '02:c0:00:00:00:0a';
const B = '02:c0:00:00:00:0b';
const C = '02:c0:00:00:00:0c';
const D = '02:c0:00:00:00:0d';

function snapshot(): SwitchSnapshot {
  return {
    name: 'sw1',
    ports: [],
    routes: [],
    calls: [
      {
        call: 1,
        multipoint: true,
        called: '1002',
        calling: '1001',
        legs: [
          { port: 'p1', peer: A, inbound: true, callRef: 1, state: 'U10 Active', vpi: 0, vci: 32 },
          { port: 'p2', peer: B, inbound: false, callRef: 2, state: 'N10 Active', vpi: 0, vci: 33 },
          { port: 'p3', peer: C, inbound: false, callRef: 3, state: 'N10 Active', vpi: 0, vci: 34 },
          { port: 'p4', peer: D, inbound: false, callRef: 4, state: 'N6 Call Present' },
        ],
        parties: [
          { rootEpref: 0, called: '1002', phase: 'active', port: 'p2', peer: B, epref: 0 },
          { rootEpref: 1, called: '1003', phase: 'active', port: 'p3', peer: C, epref: 0 },
          { rootEpref: 2, called: '1013', phase: 'adding', port: 'p3', peer: C, epref: 1 },
          { rootEpref: 3, called: '1004', phase: 'adding', port: 'p4', peer: D },
        ],
      },
      {
        call: 2,
        multipoint: false,
        called: '1003',
        calling: '1002',
        legs: [
          { port: 'p2', peer: B, inbound: true, callRef: 5, state: 'U10 Active' },
          { port: 'p3', peer: C, inbound: false, callRef: 6, state: 'N10 Active' },
        ],
        parties: [],
      },
    ],
  };
}

/** The ADDRESS column (the last) of the SWITCH CALLS rows, keyed by "call port". */
function legAddresses(text: string): Record<string, string> {
  const lines = text.split('\n');
  const at = lines.indexOf('SWITCH CALLS');
  const out: Record<string, string> = {};
  for (const line of lines.slice(at + 2)) {
    if (line === '') break;
    const cells = line.split(/\s+/);
    out[`${cells[0]} ${cells[3]}`] = cells.at(-1)!;
  }
  return out;
}

test('switch status: every outgoing leg shows its own party\'s called address, the inbound leg the caller\'s', (t) => {
  t.deepEqual(legAddresses(switchReport(snapshot())), {
    '1 p1': '1001',
    '1 p2': '1002',
    '1 p3': '1003,1013',
    '1 p4': '1004',
    '2 p2': '1002',
    '2 p3': '1003',
  });
});

test('switch status: an outgoing leg with no party left on it shows no address rather than another leg\'s', (t) => {
  const s = snapshot();
  s.calls[0]!.parties = s.calls[0]!.parties.filter((p) => p.port !== 'p4');
  t.is(legAddresses(switchReport(s))['1 p4'], '-');
});
