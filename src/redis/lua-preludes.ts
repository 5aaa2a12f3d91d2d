/*
 * What every store script starts with: the few helpers the script bodies (record-scripts.ts) call,
 * in two flavours.
 *
 * - Standard, for Redis, Redis Cluster and servers that speak their Lua: versions are the server's
 *   `redis.sha1hex`, a record's status is read with `cjson`. A server without either makes the script
 *   answer `lua-missing` before it touches anything, which the store turns into a ConfigError.
 * - Portable, for in-process fakes such as ioredis-mock, whose Lua (fengari, Lua 5.3 with 32-bit
 *   integers) has neither: SHA-1 and the top-level `status` of a JSON record are computed in plain Lua,
 *   so the versions are the very same SHA-1 hex as on Redis. It also smooths over what such fakes reply
 *   differently: errors of `redis.pcall` come as userdata, a stream's TYPE is `list`, and a reply table
 *   must be built in an order the fake recognises as an array.
 *
 * Both define: `sha1hex(text)`, `wasTerminated(text)`, `errorText(reply)` (the error of a
 * `redis.pcall` reply, else nil), `typeOf(key)`, `unpackArgs`, `STREAM_TYPES` and `reply(table)`.
 */

/** Helpers shared by both flavours. */
const COMMON = `
local unpackArgs = rawget(_G, 'unpack') or table.unpack
local function typeOf(key)
  local t = redis.call('TYPE', key)
  if type(t) == 'table' then return t.ok end
  return t
end
`;

/** @internal The prelude for a server with `redis.sha1hex` and `cjson`. */
export const STANDARD_PRELUDE = `
local sha1hex = redis.sha1hex
local cjson = rawget(_G, 'cjson')
if sha1hex == nil or cjson == nil then
  return {'lua-missing', sha1hex == nil and 'redis.sha1hex' or 'cjson'}
end
local function wasTerminated(text)
  local ok, value = pcall(cjson.decode, text)
  return ok and type(value) == 'table' and value.status == 'terminated'
end
local function errorText(r)
  if type(r) == 'table' and r.err then return r.err end
  return nil
end
local STREAM_TYPES = { none = true, stream = true }
local function reply(t) return t end
${COMMON}`;

/**
 * SHA-1 over the bytes of a Lua string. Lua 5.3 (fengari, in ioredis-mock) gets native bit operators,
 * compiled with `load` so that a Lua 5.1 parser never sees them; Lua 5.1 (Redis, when the portable
 * scripts are asked for there) gets the `bit` library. Every value is masked to 32 bits: a no-op on
 * fengari, whose integers are 32-bit, and exact where integers are 64-bit.
 */
const PORTABLE_SHA1 = `
local sha1hex
local bitlib = rawget(_G, 'bit')
if bitlib == nil then
  sha1hex = load([==[
    local M = 0xFFFFFFFF
    local HEX = '0123456789abcdef'
    local byte = string.byte
    local function hex32(x)
      local out = {}
      for s = 28, 0, -4 do
        local d = ((x & M) >> s) & 15
        out[#out + 1] = string.sub(HEX, d + 1, d + 1)
      end
      return table.concat(out)
    end
    return function(message, lengthBytes)
      local len = #message
      local padded = message .. string.char(128) .. string.rep(string.char(0), (55 - len) % 64) .. lengthBytes
      local h0, h1, h2, h3, h4 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
      local w = {}
      for chunk = 1, #padded, 64 do
        for i = 0, 15 do
          local b1, b2, b3, b4 = byte(padded, chunk + i * 4, chunk + i * 4 + 3)
          w[i] = ((b1 << 24) | (b2 << 16) | (b3 << 8) | b4) & M
        end
        for i = 16, 79 do
          local x = w[i - 3] ~ w[i - 8] ~ w[i - 14] ~ w[i - 16]
          w[i] = ((x << 1) | ((x & M) >> 31)) & M
        end
        local a, b, c, d, e = h0, h1, h2, h3, h4
        for i = 0, 79 do
          local f, k
          if i < 20 then f, k = (b & c) | (~b & d), 0x5A827999
          elseif i < 40 then f, k = b ~ c ~ d, 0x6ED9EBA1
          elseif i < 60 then f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
          else f, k = b ~ c ~ d, 0xCA62C1D6 end
          local temp = ((((a << 5) | ((a & M) >> 27)) & M) + f + e + k + w[i]) & M
          e, d, c, b, a = d, c, ((b << 30) | ((b & M) >> 2)) & M, a, temp
        end
        h0, h1, h2, h3, h4 = (h0 + a) & M, (h1 + b) & M, (h2 + c) & M, (h3 + d) & M, (h4 + e) & M
      end
      return hex32(h0) .. hex32(h1) .. hex32(h2) .. hex32(h3) .. hex32(h4)
    end]==])()
else
  local band, bor, bxor, bnot, shl, shr, tobit = bitlib.band, bitlib.bor, bitlib.bxor, bitlib.bnot, bitlib.lshift, bitlib.rshift, bitlib.tobit
  local function rol(x, n) return bor(shl(x, n), shr(x, 32 - n)) end
  local function add(a, b) return tobit(a + b) end
  local HEX = '0123456789abcdef'
  local function hex32(x)
    local out = {}
    for s = 28, 0, -4 do
      local d = band(shr(x, s), 15) + 1
      out[#out + 1] = string.sub(HEX, d, d)
    end
    return table.concat(out)
  end
  sha1hex = function(message, lengthBytes)
    local len = #message
    local padded = message .. string.char(128) .. string.rep(string.char(0), (55 - len) % 64) .. lengthBytes
    local h0, h1, h2, h3, h4 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
    local w = {}
    for chunk = 1, #padded, 64 do
      for i = 0, 15 do
        local b1, b2, b3, b4 = string.byte(padded, chunk + i * 4, chunk + i * 4 + 3)
        w[i] = bor(bor(shl(b1, 24), shl(b2, 16)), bor(shl(b3, 8), b4))
      end
      for i = 16, 79 do
        w[i] = rol(bxor(bxor(w[i - 3], w[i - 8]), bxor(w[i - 14], w[i - 16])), 1)
      end
      local a, b, c, d, e = h0, h1, h2, h3, h4
      for i = 0, 79 do
        local f, k
        if i < 20 then
          f, k = bor(band(b, c), band(bnot(b), d)), 0x5A827999
        elseif i < 40 then
          f, k = bxor(bxor(b, c), d), 0x6ED9EBA1
        elseif i < 60 then
          f, k = bor(bor(band(b, c), band(b, d)), band(c, d)), 0x8F1BBCDC
        else
          f, k = bxor(bxor(b, c), d), 0xCA62C1D6
        end
        local temp = add(add(add(rol(a, 5), f), add(e, k)), w[i])
        e, d, c, b, a = d, c, rol(b, 30), a, temp
      end
      h0, h1, h2, h3, h4 = add(h0, a), add(h1, b), add(h2, c), add(h3, d), add(h4, e)
    end
    return hex32(h0) .. hex32(h1) .. hex32(h2) .. hex32(h3) .. hex32(h4)
  end
end
-- The message length in bits as 8 big-endian bytes, in floating point so that nothing overflows.
local sha1Blocks = sha1hex
sha1hex = function(message)
  local bits, lengthBytes = #message * 8.0, {}
  for i = 8, 1, -1 do
    lengthBytes[i] = string.char(math.floor(bits % 256))
    bits = math.floor(bits / 256)
  end
  return sha1Blocks(message, table.concat(lengthBytes))
end
`;

/**
 * The top-level `status` of a JSON object, read without a JSON library. It answers `nil` whenever it
 * is not sure (not an object, an escape in a key or in the status, a malformed text): the caller then
 * writes an audit entry, so uncertainty costs at most an extra entry, never a missing one.
 */
const PORTABLE_STATUS = `
local function topLevelStatus(text)
  local pos = string.find(text, '[^ \\t\\r\\n]')
  if pos == nil or string.sub(text, pos, pos) ~= '{' then return nil end
  pos = pos + 1
  local function skipSpace() pos = string.find(text, '[^ \\t\\r\\n]', pos) or (#text + 1) end
  -- At a quote: the string's raw text (false when it has escapes), or nil when it never ends.
  local function readString()
    local from, escaped = pos + 1, false
    while true do
      local q = string.find(text, '["\\\\]', from)
      if q == nil then return nil end
      if string.sub(text, q, q) == '\\\\' then
        escaped, from = true, q + 2
      else
        local value = string.sub(text, pos + 1, q - 1)
        pos = q + 1
        if escaped then return false end
        return value
      end
    end
  end
  local function skipValue()
    local c = string.sub(text, pos, pos)
    if c == '"' then return readString() end
    if c == '{' or c == '[' then
      local depth = 0
      while pos <= #text do
        c = string.sub(text, pos, pos)
        if c == '"' then
          if readString() == nil then return nil end
        else
          if c == '{' or c == '[' then depth = depth + 1 elseif c == '}' or c == ']' then depth = depth - 1 end
          pos = pos + 1
          if depth == 0 then return true end
        end
      end
      return nil
    end
    local stop = string.find(text, '[,}%s]', pos)
    if stop == nil or stop == pos then return nil end
    pos = stop
    return true
  end
  local status = nil
  skipSpace()
  if string.sub(text, pos, pos) == '}' then return nil end
  while true do
    skipSpace()
    if string.sub(text, pos, pos) ~= '"' then return nil end
    local key = readString()
    if not key then return nil end
    skipSpace()
    if string.sub(text, pos, pos) ~= ':' then return nil end
    pos = pos + 1
    skipSpace()
    local isString = string.sub(text, pos, pos) == '"'
    local value = skipValue()
    if value == nil then return nil end
    -- A later duplicate key wins, as in JSON.parse and cjson.
    if key == 'status' then status = (isString and value) or nil end
    skipSpace()
    local c = string.sub(text, pos, pos)
    if c == '}' then return status end
    if c ~= ',' then return nil end
    pos = pos + 1
  end
end
`;

/** @internal The prelude for a fake without `redis.sha1hex` or `cjson` (ioredis-mock). */
export const PORTABLE_PRELUDE = `
${PORTABLE_SHA1}
${PORTABLE_STATUS}
local function wasTerminated(text) return topLevelStatus(text) == 'terminated' end
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
${COMMON}`;
