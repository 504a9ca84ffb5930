local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return -1 end
local id, now = ARGV[1], tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[5], id) then return 3 end
local passes = tonumber(redis.call('HGET', KEYS[4], id))
if passes then
  if passes >= tonumber(ARGV[2]) then return 5 end
  redis.call('HINCRBY', KEYS[4], id, 1)
  redis.call('ZADD', KEYS[2], 'GT', now, id)
  return 2
end
local starts, at = refilled_starts(line, now)
local ahead = claims_below(id, now, tonumber(ARGV[4]))
if starts < ahead + 1 - 1e-9 then
  redis.call('HSET', line, 'starts', tostring(starts), 'starts_at', at)
  claim(id, now)
  return 1000 + ahead
end
redis.call('ZREM', KEYS[9], id)
redis.call('ZREM', KEYS[10], id)
redis.call('HSET', line, 'starts', tostring(starts - 1), 'starts_at', at)
redis.call('ZADD', KEYS[2], now, id)
redis.call('HSET', KEYS[3], id, now)
redis.call('HSET', KEYS[4], id, 1)
if redis.call('HEXISTS', line, 'sup') == 1 then redis.call('HINCRBY', line, 'sup_admitted', 1) end
redis.call('RPUSH', KEYS[8], id)
if redis.call('LLEN', KEYS[8]) > 100000 then redis.call('LPOP', KEYS[8]) end
return 1
