/** Record batches (v2), legacy message sets (v0/v1), compression and CRCs. */
export * from './batch.js';
export * from './batch-header.js';
export * from './compression.js';
export * from './crc.js';
export * from './legacy.js';
