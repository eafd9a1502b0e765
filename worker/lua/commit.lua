-- COMMIT: under the fence, publish an entry's actions, mark its event done, acknowledge it, pop
-- it from its channel's queue, and move on to the next entry (or release the lock) in one
-- atomic step: a crash happened either before all of it or after all of it. Retrying a commit
-- whose reply was lost is safe: the head check makes the second run a no-op ('moved'/'lost').
-- ARGV: group, consumer, ck, token, id, event_id ('' none), lease_ms, max_deliveries, now,
--       done_ttl_ms, outbound_stream, maxlen, keep_going, n_actions, payload_1 .. payload_n
local ck, token, id, event = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if not holds(ck, token) then return LOST end
local head = redis.call('LINDEX', queue_key(ck), 0)
if not head or split_item(head) ~= id then return MOVED end
local outbound, maxlen, n = ARGV[11], tonumber(ARGV[12]), tonumber(ARGV[14])
for i = 1, n do
  if maxlen > 0 then
    redis.call('XADD', outbound, 'MAXLEN', '~', maxlen, '*', 'payload', ARGV[14 + i])
  else
    redis.call('XADD', outbound, '*', 'payload', ARGV[14 + i])
  end
end
local done_ttl = tonumber(ARGV[10])
if event ~= '' and done_ttl > 0 then
  redis.call('SET', 'sg:done:' .. event, id, 'PX', done_ttl)
end
settle_head(ck, id)
return next_or_release(ck, ARGV[13], ARGV[7], tonumber(ARGV[8]), ARGV[9])
