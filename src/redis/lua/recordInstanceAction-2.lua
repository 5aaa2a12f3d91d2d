--[[
  One entry of the trail of the calls a run makes to end orphans, and the "stopped by us at" time, in
  one atomic step: an applied stop keeps the instance's stop time, an applied delete forgets it, so the
  audit stream and the stop times always agree. Recorded whether or not the store's audit option is on
  (ending an instance is always recorded).
  KEYS[1]: the stop times (a hash: Novita instance id -> ISO 8601); KEYS[2]: the audit stream.
  ARGV[1]: the audit kind (`instance-stop` or `instance-delete`); ARGV[2]: the phase (`intent` or
  `outcome`); ARGV[3]: the outcome (`applied`, `failed`, `skipped`; `` for an intent); ARGV[4]: the
  instance id; ARGV[5]: the run id; ARGV[6]: the reason; ARGV[7]: when (ISO 8601, the reconciler's
  clock); ARGV[8]: the audit stream's approximate maximum length.
  Reply: 1.
]]
--- @include "prelude"
-- The entry first: when it fails (the audit key holds another type), no stop time changes.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*',
  'kind', ARGV[1], 'id', '', 'runId', ARGV[5], 'reason', ARGV[6], 'record', '', 'version', '', 'after', '',
  'instance', ARGV[4], 'phase', ARGV[2], 'outcome', ARGV[3], 'at', ARGV[7])
if ARGV[2] == 'outcome' and ARGV[3] == 'applied' then
  if ARGV[1] == 'instance-stop' then
    redis.call('HSET', KEYS[1], ARGV[4], ARGV[7])
  else
    redis.call('HDEL', KEYS[1], ARGV[4])
  end
end
return 1
