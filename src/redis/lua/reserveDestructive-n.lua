--[[
  The destructive guards of one run, read and reserved in one atomic step: the hold, and the window
  budget shared by every replica on the prefix. Called once per run right before its destructive writes.
  KEYS[1]: the budget (a sorted set: one member per reserved record, `<runId> <recordId>`, scored by the
  reconciler's time in ms); KEYS[2]: the hold (a hash: reason, by, at); KEYS[3]: the audit stream.
  ARGV[1]: `1` to reserve, `0` for a dry run (read only); ARGV[2]: the run id; ARGV[3]: the budget's max,
  or `` without a budget; ARGV[4]: now (ms, the reconciler's clock); ARGV[5]: the window's start (ms,
  exclusive: reservations scored after it count); ARGV[6]: reservations scored before this are pruned;
  ARGV[7]: the budget key's time to live (ms); ARGV[8]: the audit stream's approximate maximum length,
  `0` for no audit; ARGV[9]: the records the run held back itself, one `<guard> <recordId>` per line
  (`` for none); ARGV[10]: how many of them there are in all (the lines may be cut short);
  ARGV[11..]: the record ids the run would end, in the order it takes them.
  Reply: `1` when the hold is set (else `0`), its reason, by and at (`` without a hold), the budget used
  before this call, and how many of the ids (from the first) are granted: none under a hold, else as
  many as the budget has left, all without a budget. When reserving, each granted id is reserved at now;
  and when the run held anything back (itself, or here), one `held-back` audit entry lists the guards.
]]
--- @include "prelude"
local reserve = ARGV[1] == '1'
local runId = ARGV[2]
local budgeted = ARGV[3] ~= ''
local auditMax = tonumber(ARGV[8])
local ids = {}
for i = 11, #ARGV do ids[#ids + 1] = ARGV[i] end

local held = redis.call('EXISTS', KEYS[2]) == 1
local reason, by, at = '', '', ''
if held then
  local fields = redis.call('HMGET', KEYS[2], 'reason', 'by', 'at')
  reason, by, at = fields[1] or '', fields[2] or '', fields[3] or ''
end

local used = 0
if budgeted then
  if reserve then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[6]) end
  used = tonumber(redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[5], '+inf'))
end

local granted = #ids
if held then
  granted = 0
elseif budgeted then
  granted = math.max(0, math.min(#ids, tonumber(ARGV[3]) - used))
end

local refused = #ids - granted
local ownHeld = tonumber(ARGV[10])
if reserve and auditMax > 0 and (refused > 0 or ownHeld > 0) then
  local guard = held and 'hold' or 'window'
  -- At most 1000 lines in one entry; the counts say how many there were in all.
  local lines = ARGV[9]
  local listed = math.min(ownHeld, 1000)
  local more = {}
  for i = granted + 1, #ids do
    if listed >= 1000 then break end
    more[#more + 1] = guard .. ' ' .. ids[i]
    listed = listed + 1
  end
  if #more > 0 then
    if lines ~= '' then lines = lines .. '\n' end
    lines = lines .. table.concat(more, '\n')
  end
  local summary = 'held back ' .. (ownHeld + refused) .. ': ' .. ownHeld .. ' by the run (liveness, cap)'
  if refused > 0 then summary = summary .. ', ' .. refused .. ' by the ' .. guard end
  if held then summary = summary .. ' set by ' .. by .. ' at ' .. at .. ': ' .. reason end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', auditMax, '*',
    'kind', 'held-back', 'id', '', 'runId', runId, 'reason', summary, 'record', '', 'version', '', 'after', '',
    'heldBack', lines)
end

-- The reservations last: when the audit entry fails (its key holds another type), nothing is reserved.
if reserve and budgeted and granted > 0 then
  for i = 1, granted do redis.call('ZADD', KEYS[1], ARGV[4], runId .. ' ' .. ids[i]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end

return reply({held and '1' or '0', reason, by, at, tostring(used), tostring(granted)})
