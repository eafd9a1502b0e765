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

-- A minimal MessagePack reader: just enough to find `platform`, `event_id` and
-- `message.channel_id` without decoding the rest. Redis 7.0's cmsgpack refuses bin and ext
-- anywhere in its input, and a valid envelope may carry bytes in `message.extra`, so values are
-- skipped by their headers here instead (strings and bytes by length, containers by counting
-- their items, without recursion). Any malformed or truncated input raises an error.
local byte, sub = string.byte, string.sub

local function be(data, pos, width)
  local value = 0
  for i = 0, width - 1 do
    local b = byte(data, pos + i)
    if not b then error('truncated') end
    value = value * 256 + b
  end
  return value
end

-- Fixed sizes after the type byte, and length-prefixed kinds: {length width, extra bytes}.
local FIXED = {[0xc0] = 0, [0xc2] = 0, [0xc3] = 0, [0xca] = 4, [0xcb] = 8, [0xcc] = 1,
  [0xcd] = 2, [0xce] = 4, [0xcf] = 8, [0xd0] = 1, [0xd1] = 2, [0xd2] = 4, [0xd3] = 8,
  [0xd4] = 2, [0xd5] = 3, [0xd6] = 5, [0xd7] = 9, [0xd8] = 17}
local SIZED = {[0xc4] = {1, 0}, [0xc5] = {2, 0}, [0xc6] = {4, 0}, [0xc7] = {1, 1},
  [0xc8] = {2, 1}, [0xc9] = {4, 1}, [0xd9] = {1, 0}, [0xda] = {2, 0}, [0xdb] = {4, 0}}

-- The header at pos: returns the position after it, the number of items that follow it as
-- separate values (containers), and the payload size to jump over (strings, bytes, ext).
local function header(data, pos)
  local b = byte(data, pos)
  if not b then error('truncated') end
  if b <= 0x7f or b >= 0xe0 then return pos + 1, 0, 0 end
  if b <= 0x8f then return pos + 1, 2 * (b - 0x80), 0 end
  if b <= 0x9f then return pos + 1, b - 0x90, 0 end
  if b <= 0xbf then return pos + 1, 0, b - 0xa0 end
  if FIXED[b] then return pos + 1, 0, FIXED[b] end
  local sized = SIZED[b]
  if sized then return pos + 1 + sized[1], 0, be(data, pos + 1, sized[1]) + sized[2] end
  if b == 0xdc then return pos + 3, be(data, pos + 1, 2), 0 end
  if b == 0xdd then return pos + 5, be(data, pos + 1, 4), 0 end
  if b == 0xde then return pos + 3, 2 * be(data, pos + 1, 2), 0 end
  if b == 0xdf then return pos + 5, 2 * be(data, pos + 1, 4), 0 end
  error('never used byte')  -- 0xc1
end

local function skip(data, pos)
  local pending = 1
  while pending > 0 do
    local after, items, size = header(data, pos)
    pos = after + size
    if pos > #data + 1 then error('truncated') end
    pending = pending - 1 + items
  end
  return pos
end

-- The string at pos (or nil when the value there is not a str), and the position after it.
local function read_str(data, pos)
  local b = byte(data, pos)
  if b and ((b >= 0xa0 and b <= 0xbf) or b == 0xd9 or b == 0xda or b == 0xdb) then
    local after, _, size = header(data, pos)
    if after + size > #data + 1 then error('truncated') end
    return sub(data, after, after + size - 1), after + size
  end
  return nil, skip(data, pos)
end

-- Iterates a map at pos, calling visit(key, value_pos) (key nil when not a str); visit returns
-- the position after the value. Returns the position after the map, or nil when not a map.
local function each_pair(data, pos, visit)
  local b = byte(data, pos)
  if not b or not ((b >= 0x80 and b <= 0x8f) or b == 0xde or b == 0xdf) then return nil end
  local after, items = header(data, pos)
  pos = after
  for _ = 1, items / 2 do
    local key
    key, pos = read_str(data, pos)
    pos = visit(key, pos)
  end
  return pos
end

local function envelope_fields(data)
  local platform, event, channel
  local after = each_pair(data, 1, function(key, pos)
    if key == 'platform' or key == 'event_id' then
      local value, next_pos = read_str(data, pos)
      if key == 'platform' then platform = value else event = value end
      return next_pos
    elseif key == 'message' then
      channel = nil
      local next_pos = each_pair(data, pos, function(inner, inner_pos)
        if inner ~= 'channel_id' then return skip(data, inner_pos) end
        local value, value_end = read_str(data, inner_pos)
        channel = value
        return value_end
      end)
      return next_pos or skip(data, pos)
    end
    return skip(data, pos)
  end)
  if after ~= #data + 1 then error('not exactly one map') end
  return platform, event, channel
end

-- The channel key and event id of an entry, as far as this script can tell; the worker's decoder
-- gives the exact dead-letter reason for anything that lands in '!undecodable'.
local function classify(fields)
  local payload
  for i = 1, #fields, 2 do
    if fields[i] == 'payload' then payload = fields[i + 1]; break end
  end
  if not payload or #payload > max_payload then return '!undecodable', nil end
  local ok, platform, event, channel = pcall(envelope_fields, payload)
  if not ok or type(platform) ~= 'string' or type(channel) ~= 'string' or #platform > 32
      or not string.match(platform, '^[a-z0-9_]+$') then
    return '!undecodable', nil
  end
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
