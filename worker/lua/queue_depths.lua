-- QUEUE_DEPTHS: the deepest channel queues, for metrics (the group's lag does not show entries
-- already read but waiting behind a busy channel). Looks at a bounded slice of the active set.
-- ARGV: group, consumer, scan_count, top_n. Returns {ck1, depth1, ck2, depth2, ...}, deepest first.
local scan = redis.call('SSCAN', ACTIVE, 0, 'COUNT', ARGV[3])
local depths = {}
for _, ck in ipairs(scan[2]) do
  local depth = redis.call('LLEN', queue_key(ck))
  if depth > 0 then table.insert(depths, {ck, depth}) end
end
table.sort(depths, function(a, b) return a[2] > b[2] end)
local reply = {}
for i = 1, math.min(#depths, tonumber(ARGV[4])) do
  table.insert(reply, depths[i][1]); table.insert(reply, depths[i][2])
end
return reply
