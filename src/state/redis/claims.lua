-- Shared by the scripts that hand out session starts (put in front of them): the start
-- bucket, and the claims of called places told "in a moment" (KEYS[9] by place, KEYS[10] by
-- when they last asked), so that a start goes to the lowest of them first.

-- Session starts the rate allows now, and the time they are refilled to.
local function refilled_starts(line, now)
  local rate = tonumber(redis.call('HGET', line, 'rate')) or 0
  local burst = tonumber(redis.call('HGET', line, 'burst')) or 1
  local starts = tonumber(redis.call('HGET', line, 'starts')) or burst
  local at = tonumber(redis.call('HGET', line, 'starts_at')) or now
  return math.min(burst, starts + math.max(0, now - at) * rate / 60000), math.max(at, now)
end

-- Forgets claims not asked for within `hold` ms; the claims below place `id`.
local function claims_below(id, now, hold)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', now - hold, 'LIMIT', 0, 1000)
  for _, p in ipairs(gone) do
    redis.call('ZREM', KEYS[9], p)
    redis.call('ZREM', KEYS[10], p)
  end
  return redis.call('ZCOUNT', KEYS[9], '-inf', '(' .. id)
end

-- Place `id` claims the next starts (asked at `now`), at most 65,536 claims kept.
local function claim(id, now)
  redis.call('ZADD', KEYS[9], id, id)
  redis.call('ZADD', KEYS[10], now, id)
  if redis.call('ZCARD', KEYS[9]) > 65536 then
    local last = redis.call('ZPOPMAX', KEYS[9])
    redis.call('ZREM', KEYS[10], last[1])
  end
end
