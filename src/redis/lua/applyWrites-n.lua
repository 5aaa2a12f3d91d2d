--[[
  Applies a chunk of conditional writes, each on its own and atomically with its index entry and its
  audit entry, after checking the fence once for the whole chunk.
  KEYS[1]: the index set; KEYS[2]: the fence (lock) key; KEYS[3]: the audit stream;
  KEYS[4..]: one record key per write, in order.
  ARGV[1]: the fence token, or `` for no fence; ARGV[2]: the audit stream's approximate maximum
  length, `0` for no audit; ARGV[3]: the run id for audit entries; ARGV[4]: `1` to keep the index, `0`
  for a layout without one; then six items per write: op (`put` | `delete`), record id, expected
  version (`` for a put that creates), new text (`` for a delete), `1` when the write is destructive
  (the planner's flag: a put that marks a record terminated is audited), and the reason for the audit entry.
  Reply, one of:
  - `fenced`: the fence no longer holds; nothing written;
  - `applied`, then two items per write: the outcome (`ok` | `conflict` | `missing`) and the version
    after the write (the new version for an ok put, the current version for a conflict, `` otherwise);
  - `failed`, the error, and `1` when undoing the chunk failed too, so some of it may be applied
    (else `0`: the chunk wrote nothing).

  Redis keeps the writes a script made before an error, so the chunk must not fail halfway: the keys
  every write shares (the index, the audit stream) are checked before the first write, and every
  command runs with `redis.pcall`, a destructive write's audit entry before its record write. When a
  command still fails, the chunk undoes everything it applied, newest first (the record texts, the
  index entries and the audit entries), and answers `failed`: a chunk applies all of its writes or
  none, and an applied destructive write always has its audit entry.

  A put whose stored text already equals its new text is `ok` whatever version it expected: that is
  the same put re-sent after a reconnect (or the same change made by someone else), and the stored
  record is what the caller wants. A delete of a key that is gone is `missing`, which callers take as
  done, so a re-sent delete never reports a false conflict either.
]]
--- @include "prelude"
local token = ARGV[1]
if token ~= '' and redis.pcall('GET', KEYS[2]) ~= token then
  return reply({'fenced'})
end
local auditMax = tonumber(ARGV[2])
local runId = ARGV[3]
local useIndex = ARGV[4] == '1'
local settled = {}
local function fail(message, inDoubt)
  return reply({'failed', message, inDoubt and '1' or '0'})
end
if useIndex then
  local indexType = typeOf(KEYS[1])
  if indexType ~= 'none' and indexType ~= 'set' then
    return fail('the index key ' .. KEYS[1] .. ' holds a ' .. indexType .. ', not a set', false)
  end
end
if auditMax > 0 then
  local auditType = typeOf(KEYS[3])
  if not STREAM_TYPES[auditType] then
    return fail('the audit key ' .. KEYS[3] .. ' holds a ' .. auditType .. ', not a stream', false)
  end
end

-- Every command applied so far in this chunk, oldest first, each with its undo.
local done = {}
-- Runs the commands of one write in order. When one fails, undoes every command the chunk applied
-- (this write's and the earlier writes'), newest first, so the chunk applies all of its writes or
-- none. Answers nil, or the error and whether an undo failed too.
local function runSteps(steps)
  for s = 1, #steps do
    local r = redis.pcall(unpackArgs(steps[s].command))
    local problem = errorText(r)
    if problem then
      local undoFailed = false
      for u = #done, 1, -1 do
        local undo = done[u].undo(done[u].result)
        if undo ~= nil and errorText(redis.pcall(unpackArgs(undo))) then undoFailed = true end
      end
      return problem, undoFailed
    end
    steps[s].result = r
    done[#done + 1] = steps[s]
  end
  return nil, false
end
local function auditStep(kind, id, reason, before, beforeVersion, after)
  return {
    command = {'XADD', KEYS[3], 'MAXLEN', '~', auditMax, '*',
      'kind', kind, 'id', id, 'runId', runId, 'reason', reason,
      'record', before, 'version', beforeVersion, 'after', after},
    undo = function(entryId) return {'XDEL', KEYS[3], entryId} end,
  }
end
local function recordStep(command, undoCommand)
  return { command = command, undo = function() return undoCommand end }
end
local function indexStep(command, id, undoCommand)
  return {
    command = {command, KEYS[1], id},
    -- Undone only when it changed the set: an id already indexed stays indexed.
    undo = function(changed) if changed == 1 then return {undoCommand, KEYS[1], id} end return nil end,
  }
end

for i = 1, #KEYS - 3 do
  local base = 4 + (i - 1) * 6
  local op, id, expected, text, destructive, reason =
    ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5], ARGV[base + 6]
  local key = KEYS[3 + i]
  local current = redis.pcall('GET', key)
  local outcome, version, steps = 'conflict', '', {}
  if current ~= false and type(current) ~= 'string' then
    -- A key holding another type: the record the caller read is not there any more.
    outcome = 'conflict'
  elseif op == 'put' then
    local newVersion = sha1hex(text)
    if current == false then
      if expected == '' then
        steps[#steps + 1] = recordStep({'SET', key, text}, {'DEL', key})
        if useIndex then steps[#steps + 1] = indexStep('SADD', id, 'SREM') end
        outcome, version = 'ok', newVersion
      else
        outcome = 'missing'
      end
    else
      local currentVersion = sha1hex(current)
      if currentVersion == newVersion then
        if useIndex then steps[#steps + 1] = indexStep('SADD', id, 'SREM') end
        outcome, version = 'ok', newVersion
      elseif expected ~= '' and currentVersion == expected then
        if auditMax > 0 and destructive == '1' then
          steps[#steps + 1] = auditStep('mark-terminated', id, reason, current, currentVersion, text)
        end
        steps[#steps + 1] = recordStep({'SET', key, text}, {'SET', key, current})
        if useIndex then steps[#steps + 1] = indexStep('SADD', id, 'SREM') end
        outcome, version = 'ok', newVersion
      else
        outcome, version = 'conflict', currentVersion
      end
    end
  else
    if current == false then
      if useIndex then steps[#steps + 1] = indexStep('SREM', id, 'SADD') end
      outcome = 'missing'
    else
      local currentVersion = sha1hex(current)
      if currentVersion == expected then
        if auditMax > 0 then steps[#steps + 1] = auditStep('remove', id, reason, current, currentVersion, '') end
        steps[#steps + 1] = recordStep({'DEL', key}, {'SET', key, current})
        if useIndex then steps[#steps + 1] = indexStep('SREM', id, 'SADD') end
        outcome = 'ok'
      else
        outcome, version = 'conflict', currentVersion
      end
    end
  end
  local problem, undoFailed = runSteps(steps)
  if problem then return fail(problem, undoFailed) end
  settled[#settled + 1] = outcome
  settled[#settled + 1] = version
end
local out = {'applied'}
for i = 1, #settled do out[#out + 1] = settled[i] end
return reply(out)
