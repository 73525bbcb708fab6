--[[
  outbox-ack: remove outbox entries the relay has delivered (the broker acked all
  of their records), and take their records off the partition's outbox count.

  KEYS[1]  outbox stream of the partition (<prefix>:{p<n>}:outbox)
  KEYS[2]  meta hash of the partition     (<prefix>:{p<n>}:meta), field ob
  ARGV     pairs (stream entry id, its record count) as the relay's read listed them,
           any number. The count comes from the caller because reading it here
           would copy the whole entry into Lua, and Redis' Lua hashes every byte
           of every string it creates (the packed records: kilobytes per entry).

  Returns  {0, entries, records}  how many of the entries were still present, and
                                  how many records they held
           {3, reason}   BAD_ARGUMENTS: an id is not a stream id or a count not a
                         count (nothing deleted)
           {4, which}    WRONG_TYPE: KEYS[1] is not a stream or KEYS[2] not a hash

  Not fenced, on purpose: deleting an entry that the broker acknowledged is right
  whoever delivered it. Acking twice deletes nothing the second time, and a relay
  that lost the partition can only delete entries it delivered itself. Stream ids
  are never reused (the stream keeps its last id even when empty; the key is never
  deleted), so a late ack cannot hit a newer entry.
]]
--- @include "replies"
local outbox, meta = KEYS[1], KEYS[2]

if #ARGV % 2 ~= 0 then
  return {BAD_ARGUMENTS, 'expected (id, count) pairs'}
end
for i = 1, #ARGV, 2 do
  if not string.match(ARGV[i], '^%d+%-%d+$') then
    return {BAD_ARGUMENTS, 'not a stream id: ' .. ARGV[i]}
  end
  if not string.match(ARGV[i + 1], '^%d+$') or #ARGV[i + 1] > 9 then
    return {BAD_ARGUMENTS, 'not a record count: ' .. ARGV[i + 1]}
  end
end

local kind = redis.call('TYPE', outbox).ok
if kind == 'none' then
  return {OK, 0, 0}
end
if kind ~= 'stream' then
  return {WRONG_TYPE, 'outbox'}
end
kind = redis.call('TYPE', meta).ok
if kind ~= 'hash' and kind ~= 'none' then
  return {WRONG_TYPE, 'meta'}
end

local entries, records = 0, 0
for i = 1, #ARGV, 2 do
  if redis.call('XDEL', outbox, ARGV[i]) == 1 then
    entries = entries + 1
    records = records + tonumber(ARGV[i + 1])
  end
end

-- The count only moves when the partition has been claimed (meta exists), and
-- never below zero (an outbox edited by hand must not make the gauge negative).
if records > 0 and kind == 'hash' then
  local left = redis.call('HINCRBY', meta, 'ob', -records)
  if left < 0 then
    redis.call('HSET', meta, 'ob', 0)
  end
end
return {OK, entries, records}
