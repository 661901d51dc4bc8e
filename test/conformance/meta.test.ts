/**
 * Every rule in docs/conformance.md has at least one conformance test whose
 * title starts with its number. Reads the repository's own rule list (never
 * ../shared) and the titles passed to rule() in test/conformance/*.test.ts.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

function ruleList(): Map<string, string> {
  const md = readFileSync(join(root, 'docs', 'conformance.md'), 'utf8');
  const rules = new Map<string, string>();
  for (const m of md.matchAll(/^- (R\d+) \[([DSXP])\] (.+)$/gm)) rules.set(m[1]!, m[2]!);
  return rules;
}

function testedRules(): Map<string, number> {
  const seen = new Map<string, number>();
  for (const f of readdirSync(here).filter((n) => n.endsWith('.test.ts') && n !== 'meta.test.ts')) {
    const src = readFileSync(join(here, f), 'utf8');
    // rule('R45 ...' or rule(`R45 ...`
    for (const m of src.matchAll(/\brule\(\s*['"`](R\d+) /g)) seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1);
  }
  return seen;
}

test('the rule list in docs/conformance.md is R1..R93, each once, each tagged', (t) => {
  const rules = ruleList();
  t.is(rules.size, 93);
  for (let i = 1; i <= 93; i++) t.true(rules.has(`R${i}`), `R${i} is listed`);
});

test('every rule has at least one conformance test whose title starts with its number', (t) => {
  const rules = ruleList();
  const seen = testedRules();
  const missing = [...rules.keys()].filter((r) => !seen.has(r));
  t.deepEqual(missing, [], `rules without a test: ${missing.join(' ')}`);
  const unknown = [...seen.keys()].filter((r) => !rules.has(r));
  t.deepEqual(unknown, [], 'tests naming rules that are not in the list');
});
