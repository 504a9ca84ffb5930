local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return -1 end
local id, now = ARGV[1], tonumber(ARGV[2])
-- Started already, or ended: the page decides, nothing to claim.
if redis.call('ZSCORE', KEYS[5], id) or redis.call('HGET', KEYS[4], id) then return 0 end
local rate = tonumber(redis.call('HGET', line, 'rate')) or 0
local burst = tonumber(redis.call('HGET', line, 'burst')) or 1
local starts = tonumber(redis.call('HGET', line, 'starts')) or burst
local at = tonumber(redis.call('HGET', line, 'starts_at')) or now
starts = math.min(burst, starts + math.max(0, now - at) * rate / 60000)
local stale = now - tonumber(ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', stale, 'LIMIT', 0, 1000)
for _, p in ipairs(gone) do
  redis.call('ZREM', KEYS[9], p)
  redis.call('ZREM', KEYS[10], p)
end
local ahead = redis.call('ZCOUNT', KEYS[9], '-inf', '(' .. id)
redis.call('ZADD', KEYS[9], id, id)
redis.call('ZADD', KEYS[10], now, id)
if starts >= ahead + 1 - 1e-9 then return 0 end
return 1000 + ahead
