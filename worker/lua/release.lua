-- RELEASE: give up channel locks (shutdown, or an entry that must wait). A channel whose queue
-- is not empty becomes an orphan, so that the next consumer with room takes it at once.
-- ARGV: group, consumer, ck_1, token_1, ...
local released = 0
for i = 3, #ARGV, 2 do
  local ck, token = ARGV[i], ARGV[i + 1]
  if holds(ck, token) then
    redis.call('DEL', lock_key(ck))
    if redis.call('LLEN', queue_key(ck)) > 0 then redis.call('SADD', ORPHANS, ck) end
    released = released + 1
  end
end
return released
