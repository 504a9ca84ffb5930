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
local rate = tonumber(redis.call('HGET', line, 'rate')) or 0
local burst = tonumber(redis.call('HGET', line, 'burst')) or 1
local starts = tonumber(redis.call('HGET', line, 'starts')) or burst
local at = tonumber(redis.call('HGET', line, 'starts_at')) or now
starts = math.min(burst, starts + math.max(0, now - at) * rate / 60000)
at = math.max(at, now)
if starts < 1 - 1e-9 then
  redis.call('HSET', line, 'starts', tostring(starts), 'starts_at', at)
  return 4
end
redis.call('HSET', line, 'starts', tostring(starts - 1), 'starts_at', at)
redis.call('ZADD', KEYS[2], now, id)
redis.call('HSET', KEYS[3], id, now)
redis.call('HSET', KEYS[4], id, 1)
redis.call('RPUSH', KEYS[8], id)
if redis.call('LLEN', KEYS[8]) > 100000 then redis.call('LPOP', KEYS[8]) end
return 1
