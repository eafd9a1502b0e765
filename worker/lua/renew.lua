-- RENEW: extend the leases of the caller's channel locks that it still holds.
-- ARGV: group, consumer, lease_ms, ck_1, token_1, ck_2, token_2, ...
-- Returns {ck, token, ...} for the locks that were lost (expired, or taken over): the token says
-- which acquisition, since the caller may hold the channel again by now under a newer one.
local lease, lost = ARGV[3], {}
for i = 4, #ARGV, 2 do
  local ck, token = ARGV[i], ARGV[i + 1]
  if holds(ck, token) then
    redis.call('PEXPIRE', lock_key(ck), lease)
  else
    table.insert(lost, ck); table.insert(lost, token)
  end
end
return lost
