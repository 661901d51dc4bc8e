/** The impairer lives in src/faults/impair.ts (the soak script uses it too). */
export * from '../../src/faults/impair.js';
