-- READ: take new entries for the group and append each to its channel's queue, atomically, then
-- lock channels that have no holder, up to the caller's free capacity.
-- ARGV: group, consumer, count, lease_ms, token_base, capacity, max_payload
-- Returns {n_read, wait_from, {ck1, token1, ck2, token2, ...}, n_behind}: wait_from is the id a
-- blocking XREAD should wait after ('' when the caller should read again at once: a full
-- batch); n_behind counts entries queued behind a channel another consumer holds (lock waits).
local count, lease, token_base = tonumber(ARGV[3]), ARGV[4], ARGV[5]
local capacity, max_payload = tonumber(ARGV[6]), tonumber(ARGV[7])
local owned = {}
local behind = 0

local function lock_for_caller(ck)
  if capacity <= 0 then return false end
  local token = try_lock(ck, token_base .. '.' .. (#owned / 2), lease)
  if not token then return false end
  table.insert(owned, ck); table.insert(owned, token)
  capacity = capacity - 1
  return true
end

local function count_values(...) return select('#', ...), ... end

-- The channel key and event id of an entry, as far as Lua can tell; the worker's decoder gives
-- the exact dead-letter reason for anything that lands in '!undecodable'.
local function classify(fields)
  local payload
  for i = 1, #fields, 2 do
    if fields[i] == 'payload' then payload = fields[i + 1]; break end
  end
  if not payload or #payload > max_payload then return '!undecodable', nil end
  local results = {pcall(function() return count_values(cmsgpack.unpack(payload)) end)}
  if not results[1] or results[2] ~= 1 or type(results[3]) ~= 'table' then
    return '!undecodable', nil
  end
  local envelope = results[3]
  local platform, message = envelope['platform'], envelope['message']
  if type(platform) ~= 'string' or type(message) ~= 'table' then return '!undecodable', nil end
  local channel = message['channel_id']
  if type(channel) ~= 'string' or #platform > 32 or not string.match(platform, '^[a-z0-9_]+$') then
    return '!undecodable', nil
  end
  local event = envelope['event_id']
  if type(event) ~= 'string' or #event == 0 or #event > 128 then event = nil end
  return platform .. ':' .. channel, event
end

-- Channels left without a holder (by a full consumer, or by a release at shutdown) first.
while capacity > 0 do
  local ck = redis.call('SPOP', ORPHANS)
  if not ck then break end
  if redis.call('LLEN', queue_key(ck)) > 0 then lock_for_caller(ck) end
end

local reply = redis.pcall('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', count, 'STREAMS', STREAM, '>')
if type(reply) == 'table' and reply['err'] then
  if not string.find(reply['err'], 'NOGROUP', 1, true) then return redis.error_reply(reply['err']) end
  -- A first deployment or a Redis that restarted empty: create the group at 0 so that entries
  -- written before it existed are not skipped.
  redis.call('XGROUP', 'CREATE', STREAM, GROUP, '0', 'MKSTREAM')
  reply = redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', count, 'STREAMS', STREAM, '>')
end
local entries = {}
if reply and reply[1] then entries = reply[1][2] end

for _, entry in ipairs(entries) do
  local id, fields = entry[1], entry[2]
  local ck, event = classify(fields)
  local item = id
  if event and ck ~= '!undecodable' then item = id .. ' ' .. event end
  if redis.call('RPUSH', queue_key(ck), item) == 1 then redis.call('SADD', ACTIVE, ck) end
  -- No lock means no holder: the channel is new, or its holder's lease ran out.
  if redis.call('EXISTS', lock_key(ck)) == 1 then
    behind = behind + 1
  elseif not lock_for_caller(ck) then
    redis.call('SADD', ORPHANS, ck)
  end
end

local wait_from = ''
if #entries < count then
  local last = redis.call('XREVRANGE', STREAM, '+', '-', 'COUNT', 1)
  wait_from = (last[1] and last[1][1]) or '0-0'
end
return {#entries, wait_from, owned, behind}
