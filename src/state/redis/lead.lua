local line = KEYS[1]
if redis.call('GET', KEYS[7]) ~= ARGV[1] or redis.call('EXISTS', line) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[7], ARGV[2])
local issued = tonumber(redis.call('HGET', line, 'issued')) or 0
local cursor = tonumber(redis.call('HGET', line, 'cursor')) or 0
local walked = math.max(0, cursor - tonumber(ARGV[3]))
local new_cursor = math.min(issued, math.max(cursor, tonumber(ARGV[4])))
-- A jump's range (see draw.lua), when the copy knows of one (ARGV[11]): the numbers nobody
-- has shown up with are passed in one step. A holder who shows up later was called with them
-- and comes in at the rate of session starts, ahead of everyone who drew after the jump.
if ARGV[11] == '1' then
  local gap = redis.call('HMGET', line, 'gap_from', 'gap_to', 'seen')
  if gap[2] then
    local ghosts_from = math.max(tonumber(gap[1]), tonumber(gap[3]) or 0)
    local gap_to = tonumber(gap[2])
    if new_cursor >= ghosts_from and new_cursor < gap_to then new_cursor = gap_to end
    if new_cursor >= gap_to then redis.call('HDEL', line, 'gap_from', 'gap_to', 'gap_at', 'seen') end
  end
end
local allow = math.max(0, tonumber(ARGV[5]) - walked)
local fields = {'cursor', string.format('%d', new_cursor), 'allow', allow}
for i = 12, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', line, unpack(fields))
local changed = (tonumber(redis.call('HGET', line, 'settings_v')) or 0) ~= tonumber(ARGV[9])
  or (tonumber(redis.call('HGET', line, 'pq_v')) or 0) ~= tonumber(ARGV[10])
if changed then redis.call('HSET', line, 'allow', 0, 'held', 1) end
local now = tonumber(ARGV[6])
local idle = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[7]), 'LIMIT', 0, 1000)
for _, id in ipairs(idle) do
  local untl = (tonumber(redis.call('HGET', KEYS[3], id)) or 0) + tonumber(ARGV[8])
  if untl > now then
    redis.call('ZADD', KEYS[5], untl, id)
    redis.call('ZADD', KEYS[6], now, id)
  end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - 60000)
return 1
