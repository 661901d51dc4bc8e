/** SSCOP (Q.2110) + SSCF-UNI (Q.2130): the SAAL under Q.2931. */
export type { SaalService, SaalSignal } from './service.js';
export * from './pdu.js';
export * from './machine.js';
export * from './sscf.js';
export * from './saal-link.js';
export * from './operators.js';
export { emptyQueue, enqueue, dequeue, queueFrom, queueToArray, SnMap, SnLog, type SnMapEditor, type SnLogEditor, type PQueue } from './queue.js';
