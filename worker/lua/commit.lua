-- COMMIT: under the fence, publish an entry's actions, mark its event done, acknowledge it, pop
-- it from its channel's queue, and move on to the next entry (or release the lock when the
-- queue is empty) in one atomic step: a crash either happened before all of it or after.
-- ARGV: group, consumer, ck, token, id, event_id ('' none), lease_ms, max_deliveries, now,
--       done_ttl_ms, outbound_stream, maxlen, n_actions, payload_1 .. payload_n
local ck, token, id, event = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if not holds(ck, token) then return {'lost', '', {}, 0, 0, 0, 0} end
local head = redis.call('LINDEX', queue_key(ck), 0)
if not head or split_item(head) ~= id then return {'lost', '', {}, 0, 0, 0, 0} end
local outbound, maxlen, n = ARGV[11], tonumber(ARGV[12]), tonumber(ARGV[13])
for i = 1, n do
  if maxlen > 0 then
    redis.call('XADD', outbound, 'MAXLEN', '~', maxlen, '*', 'payload', ARGV[13 + i])
  else
    redis.call('XADD', outbound, '*', 'payload', ARGV[13 + i])
  end
end
local done_ttl = tonumber(ARGV[10])
if event ~= '' and done_ttl > 0 then
  redis.call('SET', 'sg:done:' .. event, id, 'PX', done_ttl)
end
settle_head(ck, id)
return begin_next(ck, ARGV[7], tonumber(ARGV[8]), ARGV[9])
