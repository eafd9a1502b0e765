-- DEAD_LETTER: under the fence, move the head entry to the dead-letter stream with the reason
-- the worker's decoder gave (the original payload copied from the stream, unchanged), settle it
-- and move on, like COMMIT.
-- ARGV: group, consumer, ck, token, id, reason, deliveries, lease_ms, max_deliveries, now,
--       keep_going
local ck, token, id = ARGV[3], ARGV[4], ARGV[5]
if not holds(ck, token) then return LOST end
local head = redis.call('LINDEX', queue_key(ck), 0)
if not head or split_item(head) ~= id then return MOVED end
local found = redis.call('XRANGE', STREAM, id, id)
if #found > 0 then dead_letter(id, found[1][2], ARGV[6], ARGV[7], ARGV[10]) end
settle_head(ck, id)
return next_or_release(ck, ARGV[11], ARGV[8], tonumber(ARGV[9]), ARGV[10])
