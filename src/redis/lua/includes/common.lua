--[[
  Helpers of both preludes: `unpackArgs` (unpack on Lua 5.1, table.unpack on 5.3) and `typeOf(key)`,
  the TYPE of a key as a string (some fakes answer a status table).
]]
local unpackArgs = rawget(_G, 'unpack') or table.unpack
local function typeOf(key)
  local t = redis.call('TYPE', key)
  if type(t) == 'table' then return t.ok end
  return t
end
