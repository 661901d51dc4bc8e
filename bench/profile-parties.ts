/**
 * Parties added to and dropped from one multipoint call on one in-memory link
 * (the uni section's party figure), for a CPU profile of what grows faster
 * than the party count (not a benchmark: `npm run bench -- --only uni` gives
 * the figures):
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile-parties.js [parties] [rounds]
 *   node dist/bench/profile-top.js /tmp/prof/*.cpuprofile [15]
 */
import { parties } from './uni.js';

const n = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 5);
parties(Math.min(n, 1_000)); // warm up (JIT)
const ms: number[] = [];
for (let i = 0; i < rounds; i++) ms.push(parties(n));
console.log(`${n} parties, add and drop: ${ms.map((m) => m.toFixed(0)).join(', ')} CPU ms`);
