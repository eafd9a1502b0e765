-- REAP: remove consumers of workers that are gone and own nothing, so the group does not grow
-- with every restart. Gone: no liveness record (sg:heartbeat:<name>) and idle longer than
-- min_idle_ms. DELCONSUMER would drop a consumer's pending entries, so only consumers with none
-- are removed, checked in the same atomic step.
-- ARGV: group, consumer, min_idle_ms. Returns the number removed.
local min_idle = tonumber(ARGV[3])
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', STREAM, GROUP)
if not ok then return 0 end
local removed = 0
for _, consumer in ipairs(consumers) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  local name = info['name']
  if name ~= CONSUMER and info['pending'] == 0 and info['idle'] > min_idle
      and redis.call('EXISTS', 'sg:heartbeat:' .. name) == 0 then
    redis.call('XGROUP', 'DELCONSUMER', STREAM, GROUP, name)
    removed = removed + 1
  end
end
return removed
