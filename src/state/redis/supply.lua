local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return {-1} end
if ARGV[1] == 'none' then
  redis.call('HDEL', line, 'sup', 'sup_cfg', 'sup_open')
  return {-2}
elseif ARGV[1] == 'set' then
  -- Once per config value and opening, whichever gateway comes first: a second gateway
  -- applying the same must not undo the bookings made since.
  if redis.call('HEXISTS', line, 'sup') == 0 or redis.call('HGET', line, 'sup_cfg') ~= ARGV[2]
      or redis.call('HGET', line, 'sup_open') ~= ARGV[3] then
    redis.call('HSET', line, 'sup', ARGV[2], 'sup_cfg', ARGV[2], 'sup_open', ARGV[3])
  end
end
local left = tonumber(redis.call('HGET', line, 'sup'))
if not left then return {-2} end
local max = tonumber(ARGV[4])
for i = 5, #ARGV, 2 do
  local kind, n = ARGV[i], tonumber(ARGV[i + 1])
  if kind == 'booked' then
    local took = math.min(n, left)
    left = left - took
    redis.call('HINCRBY', line, 'sup_booked', took)
  elseif kind == 'cancelled' then
    left = math.min(max, left + n)
  else
    left = math.min(max, n)
  end
end
redis.call('HSET', line, 'sup', string.format('%d', left))
return {left, tonumber(redis.call('HGET', line, 'sup_booked')) or 0,
  tonumber(redis.call('HGET', line, 'sup_admitted')) or 0,
  tonumber(redis.call('HGET', line, 'sup_cfg')) or 0,
  tonumber(redis.call('HGET', line, 'sup_open')) or 0}
