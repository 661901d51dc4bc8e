/**
 * Heap snapshots of a bundled daemon without a scan of its source per
 * function. A snapshot records where each function is in its script; for a
 * script whose table of line starts V8 has not built, it finds the line by
 * reading the source from the start, once per function. condisd is one
 * 2 MB script (the build bundles it), so a snapshot of a daemon with 14 MiB
 * of heap took about 4 s of CPU, nearly all in that scan (perf:
 * `v8::internal::Script::GetPositionInfo`, 92 %). Formatting a stack trace
 * that passes through the script builds the table, about 8 bytes a line
 * (some 450 KB for condisd), so this does it only in a process started to
 * take snapshots or to be inspected.
 */

/** node flags with which a process may be asked for a heap snapshot */
const SNAPSHOT_FLAGS = /^--(heapsnapshot-signal|heapsnapshot-near-heap-limit|inspect)/;

/** true when `execArgv` or NODE_OPTIONS ask for heap snapshots (or an inspector, which can take them) */
export function takesHeapSnapshots(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((f) => SNAPSHOT_FLAGS.test(f));
}

/**
 * When this process takes heap snapshots, have V8 build the line table of the
 * script this function is in (call it from the bundle whose snapshots should
 * be quick); returns whether it did.
 */
export function prepareHeapSnapshots(): boolean {
  if (!takesHeapSnapshots()) return false;
  // reading `stack` formats the trace, which looks up this frame's line: V8 builds the script's line table
  return new Error('line table').stack !== undefined;
}
