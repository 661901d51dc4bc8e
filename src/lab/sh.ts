/** The shell helper lives in src/common/sh.ts (the miniports use it too); labs, tests and scripts may import it from here. */
export { CommandError, canDoNetworking, run, runSync, type RunResult } from '../common/sh.js';
