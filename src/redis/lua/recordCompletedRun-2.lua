--[[
  Records when a real run completed, only while the lease that ran it still holds the lock, so a run
  that lost its lock never moves the schedule every replica shares.
  KEYS[1]: the lock key; KEYS[2]: the key of its last completed run (same hash slot).
  ARGV[1]: the owner token; ARGV[2]: the completion time in ms since the epoch.
  Reply: 1 when recorded, 0 when the lock is gone or held by another owner.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0
