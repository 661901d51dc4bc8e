/**
 * Durations in configuration files: a number is milliseconds; a string is a
 * number with a unit ("4s", "500ms", "1.5s", "2m", "1h"; "4 s" with a space is fine too).
 */

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?\s*$/;

/** Milliseconds for a duration string or number, or undefined when it is not one (or not a whole, positive number of ms). */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = DURATION_RE.exec(v);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2] ?? 'ms']!;
  const whole = Math.round(ms);
  return Number.isFinite(ms) && Math.abs(ms - whole) < 1e-6 ? whole : undefined;
}

/** "4s", "500ms", "2m" for display. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
