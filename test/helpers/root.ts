/**
 * `rootTest` is ava's `test` for tests that need root (TAP devices, network
 * namespaces). As root it is plain `test`. Without root it is skipped with the
 * reason in the title, except in CI (CI=true), where it runs and fails loudly:
 * CI runs as root and must never skip these.
 */
import test from 'ava';
import { canDoNetworking } from '../../src/common/sh.js';

const net = canDoNetworking();
const inCi = process.env.CI === 'true';

function skipped(title: string, ..._rest: unknown[]): void {
  const skip = test.skip;
  skip(`${title} [skipped: ${net.reason}; runs in CI]`, () => {});
}

export const rootTest: typeof test.serial = net.ok || inCi ? test.serial : (skipped as unknown as typeof test.serial);
export const netReason = net.reason;
