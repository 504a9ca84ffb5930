local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return -1 end
local id, now = ARGV[1], tonumber(ARGV[2])
-- Started already, or ended: the page decides, nothing to claim.
if redis.call('ZSCORE', KEYS[5], id) or redis.call('HGET', KEYS[4], id) then return 0 end
local starts = refilled_starts(line, now)
local ahead = claims_below(id, now, tonumber(ARGV[3]))
claim(id, now)
if starts >= ahead + 1 - 1e-9 then return 0 end
return 1000 + ahead
