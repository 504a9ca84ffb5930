local line = KEYS[1]
local now = tonumber(ARGV[1])
local n_seed, n_seen, n_ended = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local off = 16
local status = 1
if redis.call('EXISTS', line) == 0 then
  if ARGV[4] == 'none' or n_seed == 0 then
    return {0, {}, 0, 0, {}, {}, 0}
  end
  local seed = {}
  for i = 1, 2 * n_seed do seed[i] = ARGV[off + i] end
  redis.call('HSET', line, unpack(seed))
  status = 2
end
off = off + 2 * n_seed
local issued = tonumber(redis.call('HGET', line, 'issued')) or 0
local floor = tonumber(ARGV[5])
if floor > issued then
  issued = floor
  redis.call('HSET', line, 'issued', string.format('%d', issued))
end
-- Tickets of a jump's range that visitors showed: people, not a gap.
local shown = tonumber(ARGV[15])
if shown > 0 then
  local gap = redis.call('HMGET', line, 'gap_to', 'seen')
  if gap[1] and shown <= tonumber(gap[1]) and shown > (tonumber(gap[2]) or 0) then
    redis.call('HSET', line, 'seen', string.format('%d', shown))
  end
end
local cursor = tonumber(redis.call('HGET', line, 'cursor')) or 0
local known = math.min(tonumber(ARGV[6]), issued)
if known > cursor then redis.call('HSET', line, 'cursor', string.format('%d', known)) end
local pq_v = tonumber(ARGV[8])
if pq_v > (tonumber(redis.call('HGET', line, 'pq_v')) or 0) then
  redis.call('HSET', line, 'pq', ARGV[9], 'pq_v', pq_v)
end
local settings_v = tonumber(ARGV[13])
if settings_v > (tonumber(redis.call('HGET', line, 'settings_v')) or 0) then
  redis.call('HSET', line, 'settings', ARGV[14], 'settings_v', settings_v)
end
for i = 0, n_seen - 1 do
  local id, seen = ARGV[off + 2 * i + 1], ARGV[off + 2 * i + 2]
  if not redis.call('ZSCORE', KEYS[5], id) then
    redis.call('ZADD', KEYS[2], 'GT', seen, id)
    redis.call('HSETNX', KEYS[3], id, seen)
    redis.call('HSETNX', KEYS[4], id, 1)
  end
end
off = off + 2 * n_seen
for i = 0, n_ended - 1 do
  local id, untl = ARGV[off + 2 * i + 1], ARGV[off + 2 * i + 2]
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZADD', KEYS[5], untl, id)
  redis.call('ZADD', KEYS[6], now, id)
end
local leader = 0
local holder = redis.call('GET', KEYS[7])
if ARGV[3] == '0' then
  if holder == ARGV[2] then redis.call('DEL', KEYS[7]) end
elseif holder == ARGV[2] then
  redis.call('PEXPIRE', KEYS[7], ARGV[3])
  leader = 1
elseif not holder then
  redis.call('SET', KEYS[7], ARGV[2], 'PX', ARGV[3])
  leader = 1
end
local arrivals = {}
if leader == 1 then arrivals = redis.call('LPOP', KEYS[8], 1000) or {} end
local recent = {}
if ARGV[7] == 'all' then
  recent = redis.call('ZRANGEBYSCORE', KEYS[5], now, '+inf', 'WITHSCORES')
else
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], ARGV[7], '+inf')) do
    local u = redis.call('ZSCORE', KEYS[5], id)
    if u then
      table.insert(recent, id)
      table.insert(recent, u)
    end
  end
end
-- Called places that asked within the claim hold: they go before everyone still waiting.
-- (Those that would start at once count too; they are gone from here a moment later.)
local claimed = redis.call('ZCOUNT', KEYS[10], '(' .. (now - tonumber(ARGV[16])), '+inf')
return {status, redis.call('HGETALL', line), redis.call('ZCARD', KEYS[2]), leader, arrivals, recent, claimed}
