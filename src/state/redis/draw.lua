local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return {-1} end
local now = tonumber(ARGV[2])
if now < (tonumber(redis.call('HGET', line, 'settle_until')) or 0) then return {-2} end
-- The address limit over every gateway: this minute's count and the last one's share of the
-- sliding minute, in two hashes used in turn (KEYS[11], KEYS[12]) that expire on their own.
local addr, per_minute = ARGV[3], tonumber(ARGV[4])
local counted
if addr ~= '' then
  local minute = math.floor(now / 60000)
  local cur, prev = KEYS[11 + minute % 2], KEYS[11 + (minute + 1) % 2]
  if redis.call('HGET', cur, '_m') ~= string.format('%d', minute) then
    redis.call('UNLINK', cur)
    redis.call('HSET', cur, '_m', string.format('%d', minute))
    redis.call('PEXPIRE', cur, 130000)
  end
  local this = redis.call('HINCRBY', cur, addr, 1)
  local last = 0
  if redis.call('HGET', prev, '_m') == string.format('%d', minute - 1) then
    last = tonumber(redis.call('HGET', prev, addr)) or 0
  end
  local overlap = 1 - (now % 60000) / 60000
  if this + last * overlap > per_minute + 1e-9 then
    redis.call('HINCRBY', cur, addr, -1)
    return {-3, math.ceil((60000 - now % 60000) / 1000)}
  end
  counted = cur
end
-- A solved challenge, used once whichever gateway it is handed in at (KEYS[13]: id → until).
if ARGV[5] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[13], '-inf', now)
  if redis.call('ZADD', KEYS[13], 'NX', ARGV[6], ARGV[5]) == 0 then
    if counted then redis.call('HINCRBY', counted, addr, -1) end
    return {-4}
  end
end
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
