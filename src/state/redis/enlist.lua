-- One letter per ticket, ever: a ticket written to or with a letter pending is refused (0);
-- at `max` letters pending, none more (2); else the letter is kept and queued by ticket (1).
-- KEYS: letters (seq -> letter), queue (zset of seq), written (zset of seq, scored by seq)
-- ARGV: seq letter max
if redis.call('ZSCORE', KEYS[3], ARGV[1]) or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return 0
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 2
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
return 1
