--[[
  What every store script starts with on in-process fakes such as ioredis-mock, whose Lua (fengari, Lua
  5.3 with 32-bit integers) has no `redis.sha1hex`: SHA-1 is computed in plain Lua, so the versions are
  the very same SHA-1 hex as on Redis. It also smooths over what such fakes reply differently: errors of
  `redis.pcall` come as userdata, a stream's TYPE is `list`, and a reply table must be built in an order
  the fake recognises as an array.
  Defines the same names as prelude-standard.lua.
]]
--- @include "portable-sha1"
local function errorText(r)
  if type(r) == 'table' and r.err then return r.err end
  if type(r) == 'userdata' then return tostring(r) end
  return nil
end
-- ioredis-mock keeps a stream as a list; a real list there still fails its XADD, which is undone.
local STREAM_TYPES = { none = true, stream = true, list = true }
local function reply(t)
  local out = {}
  for i = #t, 1, -1 do out[i] = t[i] end
  return out
end
--- @include "common"
