/**
 * wireshark/condis.lua decodes authenticated (version 2) discovery
 * announcements: the fields, the algorithm, the timestamp and the tag, in
 * real tshark; a cut trailer and an unknown algorithm are flagged, not a Lua
 * error; version 1 still decodes as before.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKTYPE_ETHERNET, openPcapWriter } from '../../src/capture/pcap.js';
import { packagePath } from '../../src/common/package-root.js';
import { announcementTag, cellHeader, emitAnnouncement, emitFrame, emitSignedAnnouncement, ETHERTYPE_CONDIS, VCI_DISCOVERY } from '../../src/wire/index.js';

const TSHARK = '/usr/bin/tshark';
const LUA = packagePath('wireshark', 'condis.lua');
const dir = mkdtempSync(join(tmpdir(), 'condis-tshark-auth-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const KEY = Buffer.from('lab key for the dissector test!!');
const TS = 1_765_000_123_456;
const fields = { mac: '02:00:00:00:00:01', role: 'network' as const, holdTimeS: 15, addresses: ['1001', '47.0005.80ffe1000000f21a2a7f.020000000001.00'] };
const frameOf = (sdu: Buffer) => emitFrame({ dst: 'ff:ff:ff:ff:ff:ff', src: fields.mac, etherType: ETHERTYPE_CONDIS, cell: cellHeader(0, VCI_DISCOVERY), uu: 0, cpi: 0, sdu });

function tshark(args: string[]): string {
  if (!existsSync(TSHARK)) throw new Error(`${TSHARK} is missing: install tshark (scripts/ensure-deps.mjs does)`);
  const home = mkdtempSync(join(dir, 'home-'));
  return execFileSync(TSHARK, args, { encoding: 'utf8', env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

test('condis.lua: version 2 announcements decoded with algorithm, timestamp and tag; bad trailers flagged', (t) => {
  const signed = emitSignedAnnouncement(fields, TS, (b) => announcementTag(KEY, b));
  const cut = signed.subarray(0, signed.length - 3);
  const badAlg = Buffer.from(signed);
  badAlg[signed.length - 41] = 9;
  const path = join(dir, 'auth.pcap');
  const w = openPcapWriter(path, LINKTYPE_ETHERNET);
  [signed, emitAnnouncement({ version: 1, ...fields }), cut, badAlg].forEach((sdu, i) => w.writeEthernet(frameOf(sdu), 1_700_000_000_000 + i));
  w.close();
  const lua = ['-X', `lua_script:${LUA}`, '-n', '-r', path];
  const rows = tshark([...lua, '-T', 'fields', '-E', 'separator=|', '-e', '_ws.col.Info', '-e', 'condis.disc.version', '-e', 'condis.disc.auth.alg', '-e', 'condis.disc.auth.timestamp', '-e', 'condis.disc.auth.tag', '-e', 'condis.disc.addr', '-e', '_ws.expert.message'])
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
  t.is(rows.length, 4);
  const [v2, v1, short, alg] = rows as [string[], string[], string[], string[]];
  t.is(v2[0], 'Discovery announcement from 02:00:00:00:00:01, network, hold 15 s, 1001 [signed]');
  t.deepEqual(v2.slice(1, 6), ['2', '1', String(TS), announcementTag(KEY, signed.subarray(0, signed.length - 32)).toString('hex'), '1001,47.0005.80ffe1000000f21a2a7f.020000000001.00']);
  t.is(v2[6], '', 'no expert item');
  t.is(v1[0], 'Discovery announcement from 02:00:00:00:00:01, network, hold 15 s, 1001');
  t.is(v1[2], '', 'version 1 has no trailer');
  t.regex(short[6]!, /authentication trailer is 41/);
  t.regex(alg[6]!, /Algorithm 9 is not 1/);
  const all = tshark([...lua, '-V']);
  t.false(/Lua Error/i.test(all), all.split('\n').filter((l) => /Lua Error/i.test(l)).join('\n'));
  t.regex(all, /Sent at: .*2025/);
});
