local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return {-1, '', 0} end
local v = tonumber(redis.call('HGET', line, 'pq_v')) or 0
if tonumber(ARGV[6]) < (tonumber(redis.call('HGET', line, 'settle_until')) or 0) then
  return {-2, redis.call('HGET', line, 'pq') or '', v}
end
if v ~= tonumber(ARGV[1]) then
  return {0, redis.call('HGET', line, 'pq') or '', v}
end
local issued = tonumber(redis.call('HGET', line, 'issued')) or 0
local first = issued
if ARGV[4] ~= '' then first = math.min(tonumber(ARGV[4]), issued) end
local pq = ARGV[3] .. ',' .. string.format('%d', first)
if ARGV[2] == 'freeze' then
  pq = pq .. ',' .. string.format('%d', issued - first) .. ',' .. ARGV[5]
end
pq = pq .. ARGV[7]
redis.call('HSET', line, 'pq', pq, 'pq_v', v + 1, 'held', 1, 'allow', 0)
return {1, pq, v + 1}
