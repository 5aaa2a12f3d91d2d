--[[
  Stores a record unconditionally (the application's own `put`), with its index entry.
  KEYS[1]: the index set; KEYS[2]: the record key.
  ARGV[1]: the record id; ARGV[2]: the text; ARGV[3]: `1` to keep the index.
  Reply: the new version.
]]
--- @include "prelude"
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[3] == '1' then redis.call('SADD', KEYS[1], ARGV[1]) end
return sha1hex(ARGV[2])
