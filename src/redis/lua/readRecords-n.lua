--[[
  Reads records with their versions.
  KEYS: the record keys to read (all in one hash slot).
  ARGV: none.
  Reply: three items per key, in order: a state (`v` a string value, `n` no such key, `w` a key
  holding another type), the version (SHA-1 hex of the text for `v`, the error for `w`, `` for `n`),
  and the text (`` unless `v`).
]]
--- @include "prelude"
local out = {}
for i = 1, #KEYS do
  local text = redis.pcall('GET', KEYS[i])
  if text == false then
    out[#out + 1] = 'n'
    out[#out + 1] = ''
    out[#out + 1] = ''
  elseif type(text) ~= 'string' then
    out[#out + 1] = 'w'
    out[#out + 1] = errorText(text) or 'WRONGTYPE'
    out[#out + 1] = ''
  else
    out[#out + 1] = 'v'
    out[#out + 1] = sha1hex(text)
    out[#out + 1] = text
  end
end
return reply(out)
