/**
 * `novita-reconciler/redis`: the Redis store and the Redis lock. `ioredis` is a peer dependency and is
 * imported only from this entry point, so the core never loads it.
 *
 * @packageDocumentation
 */
export { createRedisStore } from './redis-store.js';
export type { RedisStore, RedisStoreOptions } from './redis-store.js';
export { writeBatchProgress } from './write-batch.js';
export type { RedisConditionalWrite, RedisWriteBatchOptions, WriteBatchProgress } from './write-batch.js';
export type { RedisScriptsOption } from './script-flavour.js';
export { createRedisLock } from './redis-lock.js';
export type { RedisLock, RedisLockLease, RedisLockOptions } from './redis-lock.js';
export { jsonRecordCodec } from './codec.js';
export type { RedisRecordCodec, RedisForeignKeys } from './codec.js';
export type { RedisConnectionOptions } from './connection.js';
export { hashTagOf } from './keys.js';
export type { RedisKeyLayout } from './keys.js';
export type { AuditEntry, AuditKind, AuditGuard, ReadAuditTrailOptions, RedisAuditOptions } from './audit-trail.js';
export { checkRedisStore } from './doctor.js';
export type { RedisDoctorOptions } from './doctor.js';
