-- PUBLISH: under the fence, append transient actions (typing, edits, gateway calls) of the
-- entry being processed to the outbound stream; nothing is written by a holder that lost its lock.
-- ARGV: group, consumer, ck, token, outbound_stream, maxlen, payload_1 .. payload_n
local ck, token = ARGV[3], ARGV[4]
if not holds(ck, token) then return 0 end
local outbound, maxlen = ARGV[5], tonumber(ARGV[6])
for i = 7, #ARGV do
  if maxlen > 0 then
    redis.call('XADD', outbound, 'MAXLEN', '~', maxlen, '*', 'payload', ARGV[i])
  else
    redis.call('XADD', outbound, '*', 'payload', ARGV[i])
  end
end
return 1
