--[[
  Clears the hold, with an audit entry naming the hold released (always, like the hold).
  KEYS[1]: the hold (a hash); KEYS[2]: the audit stream.
  ARGV[1]: the audit stream's approximate maximum length; ARGV[2]: who releases it
  (`` when not given).
  Reply: `1` and the released hold's reason, by and at; `0` when none was set.
]]
--- @include "prelude"
if redis.call('EXISTS', KEYS[1]) == 0 then return reply({'0'}) end
local fields = redis.call('HMGET', KEYS[1], 'reason', 'by', 'at')
local reason, by, at = fields[1] or '', fields[2] or '', fields[3] or ''
-- The entry first: when it fails (the audit key holds another type), the hold stays.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*',
  'kind', 'release', 'id', '', 'runId', '', 'reason', 'the hold set by ' .. by .. ' at ' .. at .. ': ' .. reason,
  'record', '', 'version', '', 'after', '', 'by', ARGV[2])
redis.call('DEL', KEYS[1])
return reply({'1', reason, by, at})
