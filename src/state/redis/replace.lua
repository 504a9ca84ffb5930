-- Replaces the address of the letter pending for a ticket (a typing mistake corrected), at
-- most `max` times: the new letter takes the old one's place, so the old address is gone.
-- No letter pending (sent already, or never asked for): 0; changed `max` times already: 2;
-- replaced: 1. The new letter's JSON ends in `"changes":0}`, which is set to the count.
-- KEYS: letters (seq -> letter)
-- ARGV: seq letter max to (the new address, as `"to":"…"`; the same again: 3, unchanged)
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then
  return 0
end
if string.find(old, ARGV[4], 1, true) then
  return 3
end
local changes = tonumber(string.match(old, '"changes":(%d+)')) or 0
if changes >= tonumber(ARGV[3]) then
  return 2
end
local new = string.gsub(ARGV[2], '"changes":0}$', '"changes":' .. (changes + 1) .. '}')
redis.call('HSET', KEYS[1], ARGV[1], new)
return 1
