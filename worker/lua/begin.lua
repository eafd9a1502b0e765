-- BEGIN: the holder of a channel moves to its next entry (see begin_next in the prelude).
-- ARGV: group, consumer, ck, token, lease_ms, max_deliveries, now
local ck, token = ARGV[3], ARGV[4]
if not holds(ck, token) then return LOST end
return begin_next(ck, ARGV[5], tonumber(ARGV[6]), ARGV[7])
