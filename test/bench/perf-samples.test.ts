import test from 'ava';
import { NO_JS, ownerOf, owners, ownersMarkdown, perfSamples } from '../../bench/perf-samples.js';

// `perf script -F tid,ip,sym` of five samples, shaped as perf prints them (frames innermost first)
const TEXT = `13893 
	ffffffff81df376c tun_net_xmit
	ffffffff81ead6ef dev_hard_start_xmit
	ffffffff8120e1a0 ksys_write
	    7f21c3a1b2c0 __GI___libc_write
	    7fae28196308 JS:*send file:///home/u/condis-tap/dist/src/miniport/tap.js:290:13
	    7fae2818ca5c JS:* file:///home/u/condis-tap/dist/src/host/link-down-path.js:161:21
	          b0c01d v8::Function::Call

13893 
	         150d103 Builtins_LoadIC_Megamorphic
	    7fae281beb1c JS:*OperatorSubscriber._this._next /home/u/condis-tap/node_modules/rxjs/dist/cjs/internal/operators/OperatorSubscriber.js:31:24
	    7fae281aef49 JS:*out file:///home/u/condis-tap/dist/src/callcontrol/call-control.js:48:24

13893 
	          aef91c v8::TryCatch::TryCatch
	          86ebb2 napi_make_callback
	           104d6 (anonymous namespace)::Reader::Drain
	         14c05fb uv__io_poll

  900 
	          c9a1f0 v8::internal::Scavenger::ScavengeObject
	          c9a000 v8::internal::ScavengerCollector::JobTask::Run

13893 
	ffffffff8122aa10 do_epoll_wait
	ffffffff81000100 entry_SYSCALL_64_after_hwframe
	    7f21c3a1c000 epoll_pwait
	         14c05fb uv__io_poll
13893 
	    7fae28185304 JS:~_fill node:buffer:1031:15
	    7fae281a4d0e JS:^emitPdu file:///home/u/condis-tap/dist/src/sscop/pdu.js:112:24
`;

const samples = () => [...perfSamples(TEXT.split('\n'))];

test('samples are split at headers and blank lines, frames innermost first, the kernel leaf told apart', (t) => {
  const s = samples();
  t.is(s.length, 6);
  t.deepEqual(
    s.map((x) => x.kernelLeaf),
    [true, false, false, false, true, false],
  );
  t.is(s[0]!.frames[0], 'tun_net_xmit');
  t.is(s[0]!.frames.length, 7);
  // a header straight after the last frame (no blank line) still starts a new sample
  t.is(s[5]!.frames[1], 'JS:^emitPdu file:///home/u/condis-tap/dist/src/sscop/pdu.js:112:24');
});

test('a sample goes to its innermost JavaScript frame, at the level asked for', (t) => {
  const s = samples();
  t.is(ownerOf(s[0]!, 'layer'), 'src/miniport');
  t.is(ownerOf(s[0]!, 'file'), 'src/miniport/tap.js');
  t.is(ownerOf(s[0]!, 'function'), 'send src/miniport/tap.js:290');
  t.is(ownerOf(s[1]!, 'layer'), 'rxjs');
  t.is(ownerOf(s[1]!, 'file'), 'rxjs/dist/cjs/internal/operators/OperatorSubscriber.js');
  t.is(ownerOf(s[5]!, 'layer'), 'node (built-in modules)');
  t.is(ownerOf(s[5]!, 'function'), '_fill node:buffer:1031');
});

test('with no JavaScript on the stack: collector, kernel or native', (t) => {
  const s = samples();
  t.is(ownerOf(s[2]!, 'layer'), NO_JS.native);
  t.is(ownerOf(s[3]!, 'layer'), NO_JS.gc);
  t.is(ownerOf(s[4]!, 'layer'), NO_JS.kernel);
});

test('owners are counted, sorted, and each one says how much of it was in the kernel', (t) => {
  const r = owners(samples(), 'layer');
  t.is(r.total, 6);
  t.deepEqual(
    r.rows.map((x) => [x.owner, x.samples, x.kernel]),
    [
      [NO_JS.gc, 1, 0],
      [NO_JS.kernel, 1, 1],
      [NO_JS.native, 1, 0],
      ['node (built-in modules)', 1, 0],
      ['rxjs', 1, 0],
      ['src/miniport', 1, 1],
    ],
  );
  const md = ownersMarkdown(r, 'layer', 2).split('\n');
  t.is(md.length, 6);
  t.is(md[5], '| 16.7 | 100.0 | (kernel, no JS frame) |');
});
