local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return {-1} end
if tonumber(ARGV[2]) < (tonumber(redis.call('HGET', line, 'settle_until')) or 0) then return {-2} end
local issued = math.max(tonumber(redis.call('HGET', line, 'issued')) or 0, tonumber(ARGV[1]))
local cursor = tonumber(redis.call('HGET', line, 'cursor')) or 0
local allow = tonumber(redis.call('HGET', line, 'allow')) or 0
local seq = issued
issued = issued + 1
local admitted = 0
if seq == cursor and redis.call('HGET', line, 'held') ~= '1' and allow >= 1 then
  cursor = cursor + 1
  allow = allow - 1
  admitted = 1
end
redis.call('HSET', line, 'issued', string.format('%d', issued), 'cursor', string.format('%d', cursor), 'allow', allow)
return {seq, admitted, issued, cursor}
