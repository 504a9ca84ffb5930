-- A drawn number no replica confirmed is given to nobody: its address count and its
-- challenge's use are given back, so that the visitor may come back with the same puzzle.
-- ARGV: now address_hash challenge_id (either empty).
local now = tonumber(ARGV[1])
if ARGV[2] ~= '' then
  local minute = math.floor(now / 60000)
  local cur = KEYS[11 + minute % 2]
  if redis.call('HGET', cur, '_m') == string.format('%d', minute) then
    redis.call('HINCRBY', cur, ARGV[2], -1)
  end
end
if ARGV[3] ~= '' then redis.call('ZREM', KEYS[13], ARGV[3]) end
return 1
