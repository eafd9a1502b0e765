-- Prelude shared by the channel-queue scripts (prepended to each script's body).
--
-- Every inbound entry that a consumer reads is appended, in the same script as the XREADGROUP,
-- to the queue of its channel; the holder of the channel's lock processes that queue from its
-- head and releases the lock only when the queue is empty, in the same script that pops the
-- last entry. So per-channel order is the stream's order, whoever read the entries.
--
-- Keys (<ck> is "<platform>:<channel_id>", or "!undecodable" for entries whose channel cannot
-- be read; a platform never contains '!' or ':', so the two never collide):
--   sg:chq:<ck>        list of "<entry-id>[ <event_id>]", in stream order
--   sg:chlock:<ck>     the channel lock: a per-acquisition token, PX lease
--   sg:chq:active      set of channel keys whose queue may be non-empty
--   sg:chq:orphans     set of channel keys with a non-empty queue and no holder yet
--   sg:chq:attempts    hash entry-id -> processing attempts (deliveries)
--   sg:done:<event_id> marker of a completed event (PX consumer.max_age_s)
-- KEYS[1] is the inbound stream and KEYS[2] the dead-letter stream; ARGV[1] is the group and
-- ARGV[2] the calling consumer. Keys built here are not declared in KEYS: Redis Cluster is not
-- supported (one primary, optionally with replicas/Sentinel).
local STREAM, DEAD = KEYS[1], KEYS[2]
local GROUP, CONSUMER = ARGV[1], ARGV[2]
local ACTIVE, ORPHANS, ATTEMPTS = 'sg:chq:active', 'sg:chq:orphans', 'sg:chq:attempts'

local function queue_key(ck) return 'sg:chq:' .. ck end
local function lock_key(ck) return 'sg:chlock:' .. ck end

-- "<entry-id> <event_id>" -> entry-id, event_id (or nil)
local function split_item(item)
  local space = string.find(item, ' ', 1, true)
  if space then return string.sub(item, 1, space - 1), string.sub(item, space + 1) end
  return item, nil
end

local function holds(ck, token)
  return redis.call('GET', lock_key(ck)) == token
end

-- The head entry is finished (processed, dead-lettered, duplicate or gone): forget it.
local function settle_head(ck, id)
  redis.call('XACK', STREAM, GROUP, id)
  redis.call('LPOP', queue_key(ck))
  redis.call('HDEL', ATTEMPTS, id)
end

-- At most this many of an entry's own fields are kept beside a missing_payload dead letter (Lua's
-- unpack has a limit of a few thousand values; a Gateway bug must not wedge the channel).
local MAX_KEPT_FIELDS = 64

local function dead_letter(id, fields, reason, deliveries, now)
  local entry = {'payload', ''}
  for i = 1, #fields, 2 do
    if fields[i] == 'payload' then entry[2] = fields[i + 1] end
  end
  table.insert(entry, 'reason'); table.insert(entry, reason)
  table.insert(entry, 'source_id'); table.insert(entry, id)
  table.insert(entry, 'consumer'); table.insert(entry, CONSUMER)
  table.insert(entry, 'deliveries'); table.insert(entry, tostring(deliveries))
  table.insert(entry, 'failed_at'); table.insert(entry, now)
  if reason == 'missing_payload' then
    -- Nothing is dropped silently: keep the entry's own fields beside ours (the first ones).
    local kept = math.min(#fields / 2, MAX_KEPT_FIELDS)
    for i = 1, 2 * kept, 2 do
      table.insert(entry, 'orig:' .. fields[i]); table.insert(entry, fields[i + 1])
    end
    if kept < #fields / 2 then
      table.insert(entry, 'orig_fields'); table.insert(entry, tostring(#fields / 2))
    end
  end
  redis.call('XADD', DEAD, '*', unpack(entry))
end

-- Moves the held channel on to its next entry to process. Skips (and settles) entries that are
-- gone from the stream, duplicates of completed events, and entries past max_deliveries (dead
-- letter). Returns {'entry', id, fields, attempts, dups, gone, dead} with the lock renewed, or
-- {'empty', '', {}, 0, dups, gone, dead} after releasing the lock because the queue is empty.
local function begin_next(ck, lease, max_deliveries, now)
  local dups, gone, dead = 0, 0, 0
  while true do
    local item = redis.call('LINDEX', queue_key(ck), 0)
    if not item then
      redis.call('DEL', lock_key(ck))
      redis.call('SREM', ACTIVE, ck)
      return {'empty', '', {}, 0, dups, gone, dead}
    end
    local id, event = split_item(item)
    local found = redis.call('XRANGE', STREAM, id, id)
    if #found == 0 then
      settle_head(ck, id); gone = gone + 1
    elseif event and redis.call('EXISTS', 'sg:done:' .. event) == 1 then
      settle_head(ck, id); dups = dups + 1
    else
      local attempts = redis.call('HINCRBY', ATTEMPTS, id, 1)
      if attempts > max_deliveries then
        dead_letter(id, found[1][2], 'max_deliveries', attempts - 1, now)
        settle_head(ck, id); dead = dead + 1
      else
        -- Take the entry over from whichever consumer read it, without XCLAIM's own count:
        -- RETRYCOUNT makes XPENDING show our attempts.
        redis.call('XCLAIM', STREAM, GROUP, CONSUMER, 0, id, 'RETRYCOUNT', attempts, 'JUSTID')
        redis.call('PEXPIRE', lock_key(ck), lease)
        return {'entry', id, found[1][2], attempts, dups, gone, dead}
      end
    end
  end
end

-- After an entry is settled: go on to the next one, or (keep_going ~= '1': the worker is
-- draining) release the lock, leaving a non-empty queue as an orphan for another consumer.
local function next_or_release(ck, keep_going, lease, max_deliveries, now)
  if keep_going == '1' then return begin_next(ck, lease, max_deliveries, now) end
  redis.call('DEL', lock_key(ck))
  if redis.call('LLEN', queue_key(ck)) > 0 then
    redis.call('SADD', ORPHANS, ck)
  else
    redis.call('SREM', ACTIVE, ck)
  end
  return {'released', '', {}, 0, 0, 0, 0}
end

local LOST = {'lost', '', {}, 0, 0, 0, 0}
-- The lock is still ours but the queue's head is another entry (a retried call that had
-- already run): the caller goes on with BEGIN.
local MOVED = {'moved', '', {}, 0, 0, 0, 0}

-- Takes the lock of a channel nobody holds; returns the token or nil.
local function try_lock(ck, token, lease)
  if redis.call('SET', lock_key(ck), token, 'NX', 'PX', lease) then return token end
  return nil
end
