local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return {-1} end
local now = tonumber(ARGV[2])
if now < (tonumber(redis.call('HGET', line, 'settle_until')) or 0) then return {-2} end
-- A store that may have come back older: restarted (from a snapshot or an AOF that lost its
-- last second) after the last draw it holds, or a replica promoted (that may have missed the
-- last writes). Its run id differs from the one the line's last draw was made on. Then the
-- counter moves past every number that could have been drawn since that draw (at ARGV[7]
-- draws a second, or four times the line's busiest second, and a thousand besides), and the
-- jump is recorded, so that positions skip what nobody turns up with. A line moved intact to
-- another server (a cluster's slot) is only stamped anew.
local info = redis.call('INFO', 'server')
local run = string.match(info, 'run_id:(%w+)') or ''
local state = redis.call('HMGET', line, 'run_id', 'drawn_at', 'draw_peak', 'issued')
if state[1] ~= run then
  local drawn_at = tonumber(state[2]) or now
  local up = (tonumber(string.match(info, 'uptime_in_seconds:(%d+)')) or 0) * 1000
  local restarted = now - up > drawn_at
  local promoted = string.match(redis.call('INFO', 'replication'), 'second_repl_offset:(%-?%d+)') ~= '-1'
  if state[1] and (restarted or promoted) then
    local from = math.max(tonumber(state[4]) or 0, tonumber(ARGV[1]))
    -- Restarted: what was lost was drawn before the restart.
    local window = now - drawn_at
    if restarted then window = now - up - drawn_at end
    local rate = math.max(tonumber(ARGV[7]), 4 * (tonumber(state[3]) or 0))
    local jump = math.ceil(math.max(window, 0) * rate / 1000) + 1000
    local to = from + jump
    redis.call('HSET', line, 'issued', string.format('%d', to), 'gap_from', string.format('%d', from),
      'gap_to', string.format('%d', to), 'gap_at', string.format('%d', now), 'seen', string.format('%d', from))
    redis.call('RPUSH', KEYS[14], string.format('%d %d %d %s', now, from, to, run))
    redis.call('LTRIM', KEYS[14], -100, -1)
  end
  redis.call('HSET', line, 'run_id', run)
end
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
-- The busiest second so far, for the jump above.
local sec = math.floor(now / 1000)
local pace = redis.call('HMGET', line, 'rate_sec', 'rate_n', 'draw_peak')
local n = 1
if tonumber(pace[1]) == sec then n = (tonumber(pace[2]) or 0) + 1 end
local peak = math.max(tonumber(pace[3]) or 0, n)
redis.call('HSET', line, 'issued', string.format('%d', issued), 'cursor', string.format('%d', cursor), 'allow', allow,
  'drawn_at', string.format('%d', now), 'rate_sec', string.format('%d', sec), 'rate_n', n, 'draw_peak', peak)
return {seq, admitted, issued, cursor}
