export { defaultSpoolDir } from './default-spool-dir.js';
export { SpoolError } from './errors.js';
export { LOCK_LEASE_MS } from './lock-file.js';
export type { OfflineStore } from './offline-store.js';
export { createOfflineStore } from './offline-store.js';
export type { Spool, SpoolBatch, SpoolOptions, SpoolPosition, SpoolStats } from './open-spool.js';
export { openSpool } from './open-spool.js';
export type { SpoolDurability } from './spool-durability.js';
export { spoolDurability } from './spool-durability.js';
