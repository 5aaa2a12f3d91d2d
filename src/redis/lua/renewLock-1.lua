--[[
  Extends a lock lease, only for its owner.
  KEYS[1]: the lock key. ARGV[1]: the owner token; ARGV[2]: the lease time in ms.
  Reply: 1 when renewed, 0 when the key is gone or held by another owner.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
