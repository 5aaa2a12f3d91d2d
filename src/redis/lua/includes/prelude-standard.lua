--[[
  What every store script starts with on Redis, Redis Cluster and servers that speak their Lua: versions
  are the server's `redis.sha1hex`. A server without it or `cjson` (which the scripts no longer use, but
  whose absence the store has always refused: it marks a server that is not the Redis they are written
  for) makes the script answer `lua-missing` before it touches anything, which the store turns into a
  ConfigError.
  Defines: sha1hex(text), errorText(reply) (the error of a redis.pcall reply, else nil), typeOf(key),
  unpackArgs, STREAM_TYPES and reply(table).
]]
local sha1hex = redis.sha1hex
if sha1hex == nil or rawget(_G, 'cjson') == nil then
  return {'lua-missing', sha1hex == nil and 'redis.sha1hex' or 'cjson'}
end
local function errorText(r)
  if type(r) == 'table' and r.err then return r.err end
  return nil
end
local STREAM_TYPES = { none = true, stream = true }
local function reply(t) return t end
--- @include "common"
