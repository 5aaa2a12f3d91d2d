/*
 * The Lua scripts of the Redis lock. They use nothing beyond GET, SET, PEXPIRE and DEL, so they run
 * unchanged on Redis, Redis Cluster and in-process fakes such as ioredis-mock.
 */

/**
 * Extends a lock lease, only for its owner.
 * KEYS[1]: the lock key. ARGV[1]: the owner token; ARGV[2]: the lease time in ms.
 * Reply: 1 when renewed, 0 when the key is gone or held by another owner.
 */
export const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * Releases a lock, only for its owner.
 * KEYS[1]: the lock key. ARGV[1]: the owner token.
 * Reply: 1 when released, 0 when the key is gone or held by another owner.
 */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Records when a real run completed, only while the lease that ran it still holds the lock, so a run
 * that lost its lock never moves the schedule every replica shares.
 * KEYS[1]: the lock key; KEYS[2]: the key of its last completed run (same hash slot).
 * ARGV[1]: the owner token; ARGV[2]: the completion time in ms since the epoch.
 * Reply: 1 when recorded, 0 when the lock is gone or held by another owner.
 */
export const RECORD_COMPLETED_RUN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0
`;
