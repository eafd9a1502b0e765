-- TRIM: drop acknowledged entries below the oldest one any group has not finished (MINID, never a
-- blind MAXLEN, which could drop unread entries). Approximate trimming only removes whole
-- internal nodes below the threshold, so it never removes more than asked.
-- ARGV: group, consumer. Returns the threshold used, or '' when there was nothing to do.
local function id_less(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  ams, aseq, bms, bseq = tonumber(ams), tonumber(aseq), tonumber(bms), tonumber(bseq)
  return ams < bms or (ams == bms and aseq < bseq)
end
if redis.call('EXISTS', STREAM) == 0 then return '' end
local groups = redis.call('XINFO', 'GROUPS', STREAM)
if #groups == 0 then return '' end
local threshold = nil
for _, group in ipairs(groups) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  local oldest = info['last-delivered-id']
  local pending = redis.call('XPENDING', STREAM, info['name'])
  if pending[1] > 0 then oldest = pending[2] end
  if threshold == nil or id_less(oldest, threshold) then threshold = oldest end
end
if threshold == '0-0' then return '' end
redis.call('XTRIM', STREAM, 'MINID', '~', threshold)
return threshold
