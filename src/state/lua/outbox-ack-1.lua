--[[
  outbox-ack: remove outbox entries the relay has delivered (the broker acked them).

  KEYS[1]  outbox stream of the partition (<prefix>:{p<n>}:outbox)
  ARGV     stream entry ids (as returned by XRANGE), any number

  Returns  {0, deleted}  how many of the ids were still present
           {3, reason}   BAD_ARGUMENTS: an id is not a stream id (nothing deleted)
           {4, 'outbox'} WRONG_TYPE: KEYS[1] is not a stream

  Not fenced, on purpose: deleting an entry that the broker acknowledged is right
  whoever delivered it. Acking twice deletes nothing the second time, and a relay
  that lost the partition can only delete entries it delivered itself. Stream ids
  are never reused (the stream keeps its last id even when empty; the key is never
  deleted), so a late ack cannot hit a newer entry.
]]
local OK, BAD_ARGUMENTS, WRONG_TYPE = 0, 3, 4
local CHUNK = 500

for i = 1, #ARGV do
  if not string.match(ARGV[i], '^%d+%-%d+$') then
    return {BAD_ARGUMENTS, 'not a stream id: ' .. ARGV[i]}
  end
end

local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then
  return {OK, 0}
end
if kind ~= 'stream' then
  return {WRONG_TYPE, 'outbox'}
end

local deleted = 0
local i = 1
while i <= #ARGV do
  local last = math.min(i + CHUNK - 1, #ARGV)
  deleted = deleted + redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
  i = last + 1
end
return {OK, deleted}
