/**
 * The wire codec (docs/wire.md, version 1): constants, the AAL5 CRC-32, the frame codec
 * (Ethernet II + cell header + AAL5 CPCS-PDU), the zero-copy frame view the fast path reads, and the discovery announcement.
 * Pure: no I/O (but for loading the native helper's CRC once, crc32-native.ts), never throws on bytes from the network.
 */
export * from './constants.js';
export * from './crc32.js';
export * from './frame.js';
export * from './discovery.js';
export * from './discovery-auth.js';
export * from './frame-view.js';
