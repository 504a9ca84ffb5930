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
-- Called places told "in a moment" keep a claim for a while (KEYS[9] by place, KEYS[10] by
-- when they last asked): a start goes to the lowest of them first.
local stale = now - tonumber(ARGV[4])
local gone = redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', stale, 'LIMIT', 0, 1000)
for _, p in ipairs(gone) do
  redis.call('ZREM', KEYS[9], p)
  redis.call('ZREM', KEYS[10], p)
end
local ahead = redis.call('ZCOUNT', KEYS[9], '-inf', '(' .. id)
if starts < ahead + 1 - 1e-9 then
  redis.call('HSET', line, 'starts', tostring(starts), 'starts_at', at)
  redis.call('ZADD', KEYS[9], id, id)
  redis.call('ZADD', KEYS[10], now, id)
  if redis.call('ZCARD', KEYS[9]) > 65536 then
    local last = redis.call('ZPOPMAX', KEYS[9])
    redis.call('ZREM', KEYS[10], last[1])
  end
  return 1000 + ahead
end
redis.call('ZREM', KEYS[9], id)
redis.call('ZREM', KEYS[10], id)
redis.call('HSET', line, 'starts', tostring(starts - 1), 'starts_at', at)
redis.call('ZADD', KEYS[2], now, id)
redis.call('HSET', KEYS[3], id, now)
redis.call('HSET', KEYS[4], id, 1)
redis.call('RPUSH', KEYS[8], id)
if redis.call('LLEN', KEYS[8]) > 100000 then redis.call('LPOP', KEYS[8]) end
return 1
