-- RENEW: extend the leases of the caller's channel locks that it still holds.
-- ARGV: group, consumer, lease_ms, ck_1, token_1, ck_2, token_2, ...
-- Returns the channel keys whose lock was lost (expired, or taken over by another consumer).
local lease, lost = ARGV[3], {}
for i = 4, #ARGV, 2 do
  local ck, token = ARGV[i], ARGV[i + 1]
  if holds(ck, token) then
    redis.call('PEXPIRE', lock_key(ck), lease)
  else
    table.insert(lost, ck)
  end
end
return lost
