local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return -1 end
local v = tonumber(redis.call('HGET', line, 'settings_v')) or 0
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', line, 'settings', ARGV[2], 'settings_v', v + 1)
if ARGV[3] == 'stop' then redis.call('HSET', line, 'held', 1, 'allow', 0) end
if ARGV[3] == 'resume' then redis.call('HSET', line, 'resumed_at', ARGV[4]) end
return 1
