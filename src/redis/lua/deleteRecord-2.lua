--[[
  Deletes a record unconditionally (the application's own `delete`), with its index entry.
  KEYS[1]: the index set; KEYS[2]: the record key.
  ARGV[1]: the record id; ARGV[2]: `1` to keep the index.
  Reply: 1 when the key existed, else 0.
]]
--- @include "prelude"
local existed = redis.call('DEL', KEYS[2])
if ARGV[2] == '1' then redis.call('SREM', KEYS[1], ARGV[1]) end
return existed
