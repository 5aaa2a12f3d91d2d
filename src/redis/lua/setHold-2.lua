--[[
  Sets the hold (replacing one already set), with an audit entry (whether or not the store's audit
  option is on: a person's hold is always recorded).
  KEYS[1]: the hold (a hash); KEYS[2]: the audit stream.
  ARGV[1]: the reason; ARGV[2]: who; ARGV[3]: when (ISO 8601); ARGV[4]: the audit stream's
  approximate maximum length.
  Reply: 1.
]]
--- @include "prelude"
-- The entry first: when it fails (the audit key holds another type), nothing is written.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*',
  'kind', 'hold', 'id', '', 'runId', '', 'reason', ARGV[1], 'record', '', 'version', '', 'after', '', 'by', ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'reason', ARGV[1], 'by', ARGV[2], 'at', ARGV[3])
return 1
