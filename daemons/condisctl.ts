#!/usr/bin/env node
/**
 * condisctl: act as a CoNDIS client of a running condisd from the shell.
 * A thin layer over the control client library (src/control/client.ts).
 *
 * Exit codes: 0 success; 1 the operation failed or condisd is not reachable;
 * 2 bad command-line arguments.
 */
import { fstatSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseAtmAddress } from '../src/config/address.js';
import type { ControlEvent, ControlEventKind } from '../src/control/backend.js';
import { EVENT_KINDS } from '../src/control/backend.js';
import { connectControl, defaultSocketPath, type ControlClient } from '../src/control/client.js';
import { ControlError } from '../src/control/errors.js';
import { AckSender, AckWindow, parseAck, parseTally, PIPE_OFFER, tallyText } from '../src/control/pipe-flow.js';
import { bytesText, eventText, partiesTable, pcrText, peersTable, statusReport, statusText, timeText, vcsTable } from '../src/control/format.js';
import { encodeBytes } from '../src/control/protocol.js';
import { packageVersion } from '../src/common/package-root.js';

/** A usage error found after commander parsed the line (exit 2). */
class UsageError extends Error {}

/** sends `pipe` keeps in flight on the control connection (condisd's limits.pendingRequests is 256 by default) */
const PIPE_WINDOW = 32;
/** what pipe reads of condisd's events (not send-complete: one per packet sent, answered already by the request) */
const PIPE_EVENTS: ControlEventKind[] = ['incoming-call', 'call-connected', 'incoming-close-call', 'receive'];

/** pipe lost data: the far side closed before all input was sent (exit 1) */
class PipeError extends Error {}

/** the size of standard input when it is a regular file (else unknown) */
function stdinSize(): number | undefined {
  try {
    const st = fstatSync(0);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** "condisctl: sent 1400000 octets (350000 octets/s), received 0 octets (0 octets/s)" on stderr every second */
function progressMeter(count: { sent: number; received: number }): { stop(): void } {
  const t0 = Date.now();
  let last = { ...count, at: t0 };
  const line = (final: boolean) => {
    const now = Date.now();
    const span = Math.max(1, final ? now - t0 : now - last.at) / 1000;
    const rate = (n: number) => Math.round(n / span);
    const sent = final ? count.sent : count.sent - last.sent;
    const received = final ? count.received : count.received - last.received;
    process.stderr.write(
      `condisctl: ${final ? 'total: ' : ''}sent ${count.sent} octets (${rate(sent)} octets/s), received ${count.received} octets (${rate(received)} octets/s)\n`,
    );
    last = { ...count, at: now };
  };
  const timer = setInterval(() => line(false), 1000);
  return {
    stop() {
      clearInterval(timer);
      line(true);
    },
  };
}

// ---- argument parsers (commander reports their errors with the argument's name, exit 2) ----

function intArg(what: string, min = 0, max = 0xffffffff) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${what} must be a whole number, not "${v}".`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${what} must be between ${min} and ${max}.`);
    return n;
  };
}

function addressArg(v: string, previous?: string[]): string[] {
  const r = parseAtmAddress(v);
  if (!r.ok) throw new InvalidArgumentError(`${r.message}.`);
  return [...(previous ?? []), r.value];
}

function oneAddress(v: string): string {
  return addressArg(v)[0]!;
}

/** -e/--encoding, described for the options the subcommand has (e.g. "--close-data") */
const encodingOption = (what: string) => new Option('-e, --encoding <encoding>', `how ${what} ${what.includes('/') ? 'are' : 'is'} written`).choices(['utf8', 'base64']).default('utf8');

function decode(text: string, encoding: string, what: string): Buffer {
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw new UsageError(`${what} is not valid base64: "${text}"`);
    return Buffer.from(text, 'base64');
  }
  return Buffer.from(text, 'utf8');
}

// ---- connection and output ----

interface Globals {
  socket: string;
}

let activeClient: ControlClient | undefined;

async function withClient<T>(cmd: Command, fn: (ctl: ControlClient) => Promise<T>): Promise<T> {
  const { socket } = cmd.optsWithGlobals<Globals>();
  const ctl = await connectControl(socket);
  activeClient = ctl;
  // name ourselves, so condisd can say who holds a SAP another client asks for
  await ctl.request('hello', { version: ctl.hello.version, client: `condisctl ${current ?? ''} (pid ${process.pid})`.replace('  ', ' ') });
  try {
    return await fn(ctl);
  } finally {
    ctl.close();
    activeClient = undefined;
  }
}

function json(v: unknown): void {
  process.stdout.write(JSON.stringify(encodeBytes(v), null, 2) + '\n');
}

function line(s: string): void {
  process.stdout.write(s + '\n');
}

function printEvent(ev: ControlEvent, asJson: boolean): void {
  if (asJson) process.stdout.write(JSON.stringify(encodeBytes(ev)) + '\n');
  else line(`${timeText(ev.at)}  ${eventText(ev)}`);
}

/** resolve on SIGINT/SIGTERM or when the connection closes */
function untilInterrupted(ctl: ControlClient): Promise<'signal' | 'closed'> {
  return new Promise((resolve) => {
    const on = () => resolve('signal');
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
    void ctl.whenClosed().then(() => resolve('closed'));
  });
}

function readStdin(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    process.stdin.on('data', (b: Buffer) => parts.push(b));
    process.stdin.once('end', () => resolve(Buffer.concat(parts)));
    process.stdin.once('error', reject);
  });
}

const EXAMPLES = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

// ---- the program ----

/** the subcommand being parsed, for error messages */
let current: string | undefined;

export function buildProgram(): Command {
  const program = new Command('condisctl')
    .description('Drive condisd (CoNDIS call management over Q.2931 on Ethernet) as a CoNDIS client.')
    .version(packageVersion(), '-V, --version', 'print the version of condis-tap and exit')
    .addOption(new Option('-s, --socket <path>', 'condisd control socket').default(defaultSocketPath(), '$CONDIS_SOCKET or /run/condis/condisd.sock'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, current ? `condisctl ${current}: ` : 'condisctl: ')) })
    .hook('preSubcommand', (_program, sub) => {
      current = sub.name();
    })
    .addHelpText(
      'after',
      EXAMPLES([
        'condisctl status',
        'condisctl listen 1001',
        'condisctl call 1002 --data hello --close-data bye',
        'condisctl call 1002 1003 1004            # point-to-multipoint, three parties',
        'condisctl watch --json',
      ]),
    );
  program.configureHelp({ sortSubcommands: false });

  program
    .command('status')
    .description('show peers, links, SAPs, VCs and parties as tables')
    .option('--json', 'print the raw status as JSON (counters included)')
    .addHelpText('after', EXAMPLES(['condisctl status', 'condisctl --socket /run/condis/leaf1.sock status --json']))
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (ctl) => {
        const s = await ctl.status();
        if (o.json) json(s);
        else line(statusReport(s));
      });
    });

  program
    .command('peers')
    .description('list known peers (static and discovered)')
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES(['condisctl peers']))
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (ctl) => {
        const p = await ctl.peers();
        if (o.json) json(p);
        else line(peersTable(p));
      });
    });

  program
    .command('listen')
    .description('register a SAP, take incoming calls and print indications, received data and close data until interrupted')
    .argument('[address]', 'the called address to listen on (default: any of this host\'s addresses)', oneAddress)
    .option('--reject [cause]', 'reject incoming calls (Q.2931 cause, default 21 call rejected)', intArg('cause', 1, 127))
    .option('--once', 'exit after the first call has ended')
    .option('--echo', 'send every received packet back on its VC')
    .option('--refuse-qos', 'refuse a QoS change the caller asks for (Q.2963.1 MODIFY REQUEST) by closing the call: MODIFY REJECT, then RELEASE')
    .option('--json', 'print events as JSON lines')
    .addHelpText('after', EXAMPLES(['condisctl listen 1001', 'condisctl listen --reject 17', 'condisctl listen 1001 --echo --json', 'condisctl listen 1002 --refuse-qos']))
    .action(async (address: string | undefined, o: { reject?: number | true; once?: boolean; echo?: boolean; refuseQos?: boolean; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (ctl) => {
        const sub = await ctl.subscribe();
        const rejectCause = o.reject === true ? 21 : o.reject;
        const sap = await ctl.registerSap({
          ...(address ? { address } : {}),
          policy: o.reject !== undefined ? 'reject' : 'accept',
          ...(rejectCause !== undefined ? { rejectCause } : {}),
          ...(o.refuseQos ? { qos: 'refuse' as const } : {}),
        });
        const how = sap.policy === 'reject' ? `rejecting with cause ${rejectCause}` : `accepting calls${o.refuseQos ? ', refusing QoS changes' : ''}`;
        (o.json ? process.stderr : process.stdout).write(`listening on ${sap.address} (SAP ${sap.sap}, ${how}); Ctrl-C to stop\n`);
        const mine = new Set<number>();
        let finished!: () => void;
        const ended = new Promise<void>((r) => (finished = r));
        const s = sub.events$.subscribe((ev) => {
          if (ev.kind === 'incoming-call' && ev.sap === sap.sap) mine.add(ev.vc);
          const vc = (ev as { vc?: number }).vc;
          if (vc === undefined || !mine.has(vc)) return;
          printEvent(ev, !!o.json);
          if (ev.kind === 'receive' && o.echo) void ctl.send({ vc: ev.vc, data: ev.data }).catch((e) => line(`echo failed: ${(e as ControlError).message}`));
          if (ev.kind === 'incoming-close-call' || ev.kind === 'close-call-complete' || (ev.kind === 'incoming-call' && o.reject !== undefined)) {
            mine.delete(ev.vc);
            if (o.once) finished();
          }
        });
        const why = await Promise.race([untilInterrupted(ctl), ended.then(() => 'once' as const)]);
        s.unsubscribe();
        if (why !== 'closed') await ctl.deregisterSap({ sap: sap.sap }).catch(() => {});
        if (why === 'closed') throw new ControlError('closed', 'condisd closed the control connection');
      });
    });

  program
    .command('call')
    .description('make a call: one address is point-to-point, several (or --multipoint) make a point-to-multipoint call')
    .argument('<address...>', 'called address(es); the first is the first party', addressArg)
    .option('-m, --multipoint', 'point-to-multipoint even with one address')
    .option('-d, --data <text>', 'send this once the call is up')
    .option('-c, --close-data <text>', 'then close the call with this close data (drops the other parties with it first)')
    .option('--close', 'close the call after sending (without close data unless --close-data)')
    .addOption(encodingOption('--data / --close-data'))
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      EXAMPLES([
        'condisctl call 1002',
        'condisctl call 1002 --data "hello" --close-data "bye"',
        'condisctl call 1002 1003 1004 --data hello-all',
        'condisctl call 1002 --multipoint',
        'condisctl call 1002 -e base64 --data aGVsbG8= --close-data AAEC',
      ]),
    )
    .action(async (addresses: string[], o: { multipoint?: boolean; data?: string; closeData?: string; close?: boolean; encoding: string; json?: boolean }, cmd: Command) => {
      const data = o.data !== undefined ? decode(o.data, o.encoding, '--data') : undefined;
      const closeData = o.closeData !== undefined ? decode(o.closeData, o.encoding, '--close-data') : undefined;
      const multipoint = !!o.multipoint || addresses.length > 1;
      await withClient(cmd, async (ctl) => {
        const r = await ctl.makeCall(multipoint ? { parties: addresses, multipoint: true } : { called: addresses[0]! });
        const out: Record<string, unknown> = { call: r };
        if (!o.json) {
          line(`call on VC ${r.vc} to ${addresses.join(', ')} (${multipoint ? 'point-to-multipoint' : 'point-to-point'}): ${statusText(r.status)}`);
          for (const p of r.parties) {
            line(`  party ${p.party ?? '-'} ${p.address}: ${statusText(p.status)}${p.error ? ` (${p.error.message})` : ''}`);
          }
        }
        if (data) {
          const s = await ctl.send({ vc: r.vc, data });
          out.sent = s;
          if (!o.json) line(`sent ${s.bytes} octets on VC ${r.vc}`);
        }
        if (closeData !== undefined || o.close) {
          const up = r.parties.filter((p) => p.party !== undefined);
          for (const p of up.slice(0, -1)) {
            await ctl.dropParty({ vc: r.vc, party: p.party!, ...(closeData ? { closeData } : {}) });
            if (!o.json) line(`dropped party ${p.party} (${p.address})${closeData ? ' with close data' : ''}`);
          }
          const last = up[up.length - 1];
          await ctl.closeCall({ vc: r.vc, ...(last ? { party: last.party! } : {}), ...(closeData ? { closeData } : {}) });
          out.closed = true;
          if (!o.json) line(`closed the call on VC ${r.vc}${closeData ? ` with close data (${closeData.length} octets)` : ''}`);
        }
        if (o.json) json(out);
        if (r.parties.some((p) => p.error)) process.exitCode = 1;
      });
    });

  program
    .command('add-party')
    .description('add a party to a point-to-multipoint call')
    .argument('<vc>', 'the VC of the call', intArg('vc'))
    .argument('<address>', 'the new party\'s address', oneAddress)
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES(['condisctl add-party 3 1004']))
    .action(async (vc: number, address: string, o: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (ctl) => {
        const r = await ctl.addParty({ vc, address });
        if (o.json) json(r);
        else line(`party ${r.party} (${address}) added to VC ${vc}: ${statusText(r.status)}`);
      });
    });

  program
    .command('drop-party')
    .description('drop one party of a point-to-multipoint call (not the last one: use close)')
    .argument('<vc>', 'the VC of the call', intArg('vc'))
    .argument('<party>', 'the party', intArg('party'))
    .option('-c, --close-data <text>', 'close data for the party (at most 127 octets)')
    .addOption(encodingOption('--close-data'))
    .addHelpText('after', EXAMPLES(['condisctl drop-party 3 2', 'condisctl drop-party 3 2 --close-data "goodbye"']))
    .action(async (vc: number, party: number, o: { closeData?: string; encoding: string }, cmd: Command) => {
      const closeData = o.closeData !== undefined ? decode(o.closeData, o.encoding, '--close-data') : undefined;
      await withClient(cmd, async (ctl) => {
        await ctl.dropParty({ vc, party, ...(closeData ? { closeData } : {}) });
        line(`dropped party ${party} of VC ${vc}${closeData ? ` with close data (${closeData.length} octets)` : ''}`);
      });
    });

  program
    .command('close')
    .description('close the call on a VC (multipoint: when one party is left)')
    .argument('<vc>', 'the VC of the call', intArg('vc'))
    .option('-p, --party <party>', 'the last party (multipoint; found automatically when omitted)', intArg('party'))
    .option('-c, --close-data <text>', 'close data (at most 127 octets)')
    .option('--delete', 'also delete the VC afterwards (VCs this client created)')
    .addOption(encodingOption('--close-data'))
    .addHelpText('after', EXAMPLES(['condisctl close 3', 'condisctl close 3 --close-data "bye"', 'condisctl close 3 -e base64 --close-data AAEC']))
    .action(async (vc: number, o: { party?: number; closeData?: string; encoding: string; delete?: boolean }, cmd: Command) => {
      const closeData = o.closeData !== undefined ? decode(o.closeData, o.encoding, '--close-data') : undefined;
      await withClient(cmd, async (ctl) => {
        await ctl.closeCall({ vc, ...(o.party !== undefined ? { party: o.party } : {}), ...(closeData ? { closeData } : {}) });
        line(`closed the call on VC ${vc}${closeData ? ` with close data (${closeData.length} octets)` : ''}`);
        if (o.delete) {
          await ctl.deleteVc({ vc });
          line(`deleted VC ${vc}`);
        }
      });
    });

  program
    .command('modify')
    .description('change the peak cell rate of a point-to-point call this host placed (Q.2963.1 MODIFY REQUEST); refused: the old rate stays')
    .argument('<vc>', 'the VC of the call', intArg('vc'))
    .requiredOption('--pcr <cells/s>', 'new transmit peak cell rate, cells/s (48 octets a cell)', intArg('--pcr', 1, 0xffffff))
    .option('--receive-pcr <cells/s>', 'new receive peak cell rate, cells/s (default: unchanged)', intArg('--receive-pcr', 1, 0xffffff))
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES(['condisctl modify 3 --pcr 1000', 'condisctl modify 3 --pcr 1000 --receive-pcr 2000']))
    .action(async (vc: number, o: { pcr: number; receivePcr?: number; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (ctl) => {
        const r = await ctl.modifyCall({ vc, pcr: o.pcr, ...(o.receivePcr !== undefined ? { receivePcr: o.receivePcr } : {}) });
        if (o.json) json(r);
        else line(`modified the call on VC ${vc}: ${statusText(r.status)}, ${pcrText(r.pcr)}`);
      });
    });

  program
    .command('send')
    .description('send one packet on a VC (DATA, or standard input when DATA is "-" or omitted)')
    .argument('<vc>', 'the VC', intArg('vc'))
    .argument('[data]', 'the packet')
    .addOption(encodingOption('DATA'))
    .addHelpText('after', EXAMPLES(['condisctl send 3 hello', 'condisctl send 3 -e base64 AAECAw==', 'printf "\\x01\\x02" | condisctl send 3']))
    .action(async (vc: number, text: string | undefined, o: { encoding: string }, cmd: Command) => {
      const data = text === undefined || text === '-' ? await readStdin() : decode(text, o.encoding, 'DATA');
      await withClient(cmd, async (ctl) => {
        const r = await ctl.send({ vc, data });
        line(`sent ${r.bytes} octets on VC ${vc}`);
      });
    });

  program
    .command('pipe')
    .description('like netcat over a VC: standard input is sent, received data is written to standard output')
    .argument('[address]', 'call this address (point-to-point)', oneAddress)
    .option('--vc <vc>', 'use the call already on this VC', intArg('vc'))
    .option('-l, --listen [address]', 'wait for one incoming call instead (optionally on this address); the end of input does not hang up: the caller does')
    .option('--chunk <octets>', 'largest packet sent', intArg('chunk', 1, 65535), 1400)
    .option('--keep', 'do not close the call at the end of input')
    .option('--recv-only', 'do not read standard input: only write what arrives, until the remote closes the call (or Ctrl-C)')
    .option('--progress', 'print octets sent and received, and octets/s, on standard error every second')
    .addHelpText(
      'after',
      EXAMPLES(['condisctl pipe 1002 < file', 'condisctl pipe --listen 1002 --recv-only > file', 'echo hi | condisctl pipe --vc 3 --keep', 'condisctl pipe 1002 --progress < big.iso']) +
        '\nA VC does not carry data reliably: a receiving host too busy to read loses frames. A\n' +
        'listener with --recv-only acknowledges what it received to a caller that offers it (every\n' +
        'caller does), and the caller keeps at most 512 KiB unacknowledged. The caller that hangs up\n' +
        'at the end of its input says in its close data how many octets it sent, and a listener\n' +
        'that received fewer exits 1 ("lost N of the M octets ...").\n',
    )
    .action(
      async (
        address: string | undefined,
        o: { vc?: number; listen?: string | true; chunk: number; keep?: boolean; recvOnly?: boolean; progress?: boolean },
        cmd: Command,
      ) => {
        const modes = [address !== undefined, o.vc !== undefined, o.listen !== undefined].filter(Boolean).length;
        if (modes !== 1) throw new UsageError('pipe: give exactly one of ADDRESS, --vc N or --listen');
        const listenAddr = typeof o.listen === 'string' ? oneAddress(o.listen) : undefined;
        const inputSize = o.recvOnly ? undefined : stdinSize();
        await withClient(cmd, async (ctl) => {
          const sub = await ctl.subscribe({ kinds: PIPE_EVENTS });
          let vc: number;
          let sap: number | undefined;
          const early: ControlEvent[] = [];
          const collect = sub.events$.subscribe((ev) => early.push(ev));
          // from here on, Ctrl-C or SIGTERM ends the pipe cleanly: a listener still waiting for its call
          // deregisters its SAP (SAPs outlive the connection: left behind, it would take the next call)
          const interrupted = untilInterrupted(ctl);
          // acknowledgements (src/control/pipe-flow.ts): a listener that only receives sends them when the caller offers
          let acks: AckSender | undefined;
          if (o.listen !== undefined) {
            sap = (await ctl.registerSap({ ...(listenAddr ? { address: listenAddr } : {}), policy: 'accept' })).sap;
            process.stderr.write(`condisctl: waiting for a call (SAP ${sap})\n`);
            const call = await Promise.race([
              new Promise<number>((resolve) => {
                const check = (ev: ControlEvent) => {
                  if (ev.kind !== 'incoming-call' || ev.sap !== sap) return;
                  if (o.recvOnly && ev.uu?.toString('latin1') === PIPE_OFFER) acks = new AckSender();
                  resolve(ev.vc);
                };
                early.forEach(check);
                sub.events$.subscribe(check);
              }),
              interrupted,
            ]);
            if (typeof call !== 'number') {
              if (call === 'closed') throw new ControlError('closed', 'condisd closed the control connection');
              await ctl.deregisterSap({ sap });
              return;
            }
            vc = call;
            // data may flow once the call is connected
            await new Promise<void>((resolve) => {
              const check = (ev: ControlEvent) => (ev.kind === 'call-connected' || ev.kind === 'incoming-close-call') && ev.vc === vc && resolve();
              early.forEach(check);
              sub.events$.subscribe(check);
            });
          } else if (o.vc !== undefined) vc = o.vc;
          else vc = (await ctl.makeCall({ called: address!, uu: PIPE_OFFER })).vc;
          // the caller that offered acknowledgements reads them off what it receives
          const flow = address !== undefined ? new AckWindow() : undefined;
          collect.unsubscribe();
          const count = { sent: 0, received: 0 };
          const meter = o.progress ? progressMeter(count) : undefined;
          let remoteClosed = false;
          let announced: number | undefined;
          const done = new Promise<void>((resolve) => {
            const onEv = (ev: ControlEvent) => {
              if ((ev as { vc?: number }).vc !== vc) return;
              if (ev.kind === 'receive') {
                const acked = flow && parseAck(ev.data);
                if (acked !== undefined) {
                  flow!.ack(acked);
                  return;
                }
                count.received += ev.data.length;
                process.stdout.write(ev.data);
                const ack = acks?.received(count.received);
                if (ack) ctl.send({ vc, data: ack }).catch(() => {}); // a lost one is made good by the next
              }
              if (ev.kind === 'incoming-close-call') {
                remoteClosed = true;
                announced = ev.closeData && parseTally(ev.closeData);
                if (announced === undefined && ev.closeData?.length) process.stderr.write(`condisctl: call closed by the remote, close data: ${bytesText(ev.closeData)}\n`);
                resolve();
              }
            };
            early.forEach(onEv);
            sub.events$.subscribe(onEv);
          });
          let inputDone = !!o.recvOnly;
          const input: Promise<'eof' | 'remote'> = o.recvOnly
            ? new Promise(() => {})
            : (async () => {
                // up to PIPE_WINDOW sends in flight: condisd takes a connection's requests in order, so
                // the packets leave in order, and no control round trip is waited for per packet
                const inFlight: Promise<unknown>[] = [];
                let failed: unknown;
                const settle = async (): Promise<boolean> => {
                  const r = await inFlight.shift();
                  if (r instanceof Error && failed === undefined) failed = r;
                  return failed === undefined;
                };
                const lost = async (): Promise<'remote'> => {
                  while (inFlight.length) await settle();
                  // the VC went away under us: the remote closed (its indication may still be on its way)
                  await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
                  if (remoteClosed) return 'remote';
                  throw failed;
                };
                let issued = 0;
                for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
                  for (let i = 0; i < chunk.length; i += o.chunk) {
                    if (remoteClosed) return 'remote';
                    const part = chunk.subarray(i, i + o.chunk);
                    await flow?.room(issued);
                    issued += part.length;
                    inFlight.push(
                      ctl.send({ vc, data: part }).then(
                        () => void (count.sent += part.length),
                        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
                      ),
                    );
                    // a full window is drained by half: the next half goes out in one turn, as one write
                    if (inFlight.length >= PIPE_WINDOW) while (inFlight.length > PIPE_WINDOW / 2) if (!(await settle())) return lost();
                  }
                }
                while (inFlight.length) if (!(await settle())) return lost();
                inputDone = true;
                return 'eof';
              })();
          const first = await Promise.race([input, done.then(() => 'remote' as const), interrupted]);
          let why: 'eof' | 'remote' | 'signal' | 'closed' = first;
          // a listener does not hang up at the end of its input (or of an empty one): the caller does
          if (why === 'eof' && o.listen !== undefined) why = await Promise.race([done.then(() => 'remote' as const), interrupted]);
          meter?.stop();
          if (why === 'eof' && !o.keep) {
            // the tally as close data; a link configured without close data takes the close without it
            await ctl
              .closeCall({ vc, closeData: tallyText(count.sent) })
              .catch(() => ctl.closeCall({ vc }))
              .catch(() => {});
          }
          if (why === 'signal') await ctl.closeCall({ vc }).catch(() => {});
          if (sap !== undefined && why !== 'closed') await ctl.deregisterSap({ sap }).catch(() => {});
          process.stdin.destroy();
          if (why === 'closed') throw new ControlError('closed', 'condisd closed the control connection');
          if (why === 'remote' && announced !== undefined && announced !== count.received) {
            throw new PipeError(
              announced > count.received
                ? `lost ${announced - count.received} of the ${announced} octets the caller sent (received ${count.received}): the receiving host could not keep up`
                : `received ${count.received} octets, more than the ${announced} the caller sent`,
            );
          }
          if (why === 'remote' && !inputDone) {
            const of = inputSize !== undefined ? `${count.sent} of ${inputSize} octets` : `${count.sent} octets (input not finished)`;
            throw new PipeError(`remote closed after ${of}`);
          }
        });
      },
    );

  program
    .command('watch')
    .description('print indications and state changes as they happen, with names (until interrupted)')
    .addOption(new Option('-k, --kind <kind...>', 'only these event kinds').choices(EVENT_KINDS as string[]))
    .option('--vc <vc>', 'only events of this VC', intArg('vc'))
    .option('--json', 'print events as JSON lines')
    .addHelpText('after', EXAMPLES(['condisctl watch', 'condisctl watch --kind incoming-close-call incoming-drop-party', 'condisctl watch --vc 3 --json']))
    .action(async (o: { kind?: ControlEventKind[]; vc?: number; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (ctl) => {
        const sub = await ctl.subscribe({ ...(o.kind ? { kinds: o.kind } : {}), ...(o.vc !== undefined ? { vc: o.vc } : {}) });
        process.stderr.write(`condisctl: watching ${ctl.hello.server}; Ctrl-C to stop\n`);
        sub.events$.subscribe((ev) => printEvent(ev, !!o.json));
        if ((await untilInterrupted(ctl)) === 'closed') throw new ControlError('closed', 'condisd closed the control connection');
      });
    });

  // help for subcommands' own errors too
  for (const c of program.commands) {
    c.showHelpAfterError(`(run "condisctl ${c.name()} --help" for usage)`).exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      return 2; // commander already printed what was wrong
    }
    if (e instanceof PipeError) {
      process.stderr.write(`condisctl: ${e.message}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`condisctl: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ControlError) {
      process.stderr.write(`condisctl: ${e.describe()}\n`);
      return 1;
    }
    process.stderr.write(`condisctl: unexpected error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  } finally {
    activeClient?.close();
  }
}

// run when executed, not when imported (tests read the help texts from buildProgram)
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  // exit at once: listen/pipe/watch leave signal and stdin listeners behind (stdout to a pipe or file is synchronous on Linux)
  process.exit(await main(process.argv));
}
