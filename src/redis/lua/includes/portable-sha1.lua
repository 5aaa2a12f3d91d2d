--[[
  SHA-1 over the bytes of a Lua string, `sha1hex(text)`. Lua 5.3 (fengari, in ioredis-mock) gets native
  bit operators, compiled with `load` so that a Lua 5.1 parser never sees them; Lua 5.1 (Redis, when the
  portable scripts are asked for there) gets the `bit` library. Every value is masked to 32 bits: a
  no-op on fengari, whose integers are 32-bit, and exact where integers are 64-bit.
]]
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
