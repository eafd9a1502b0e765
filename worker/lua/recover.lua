-- RECOVER: per-channel take-over. Walks the set of channels with a queue (SSCAN, a slice per
-- call) and locks, up to the caller's capacity, those whose lock is gone: their holder died or
-- stalled past its lease. Entries parked behind a busy channel are left alone (no generic
-- XAUTOCLAIM), so their delivery counts stay true. Forgets channels whose queue is empty.
-- ARGV: group, consumer, cursor, scan_count, lease_ms, token_base, capacity
local cursor, scan_count, lease, token_base = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local capacity = tonumber(ARGV[7])
local owned = {}
local scan = redis.call('SSCAN', ACTIVE, cursor, 'COUNT', scan_count)
for _, ck in ipairs(scan[2]) do
  if redis.call('LLEN', queue_key(ck)) == 0 then
    if redis.call('EXISTS', lock_key(ck)) == 0 then redis.call('SREM', ACTIVE, ck) end
  elseif redis.call('EXISTS', lock_key(ck)) == 0 then
    local token = nil
    if capacity > 0 then token = try_lock(ck, token_base .. '.' .. (#owned / 2), lease) end
    if token then
      table.insert(owned, ck); table.insert(owned, token)
      capacity = capacity - 1
    else
      redis.call('SADD', ORPHANS, ck)
    end
  end
end
return {scan[1], owned}
