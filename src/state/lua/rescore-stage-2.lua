--[[
  rescore-stage: build a partition's re-score list for a model version, in pages,
  if the caller still owns the partition. The list only counts once complete:
  meta rsv (the version) and rst (its length) are written by the last page, and
  the first page removes them and empties the list, so a staging cut short (a
  crash, a lost partition) is simply started again and a half-built list is
  never worked on. The commit script trims the list as chunks are re-scored.

  KEYS[1]  meta hash      (<prefix>:{p<n>}:meta)
  KEYS[2]  re-score list  (<prefix>:{p<n>}:rescore)

  ARGV     epoch, version, first ('1': start afresh), last ('1': complete it),
           then customer ids to append (each once over all pages: the caller
           removes the repeats a SCAN returns)

  Returns  {0, length}     appended; length of the list now
           {1, currentEpoch}  FENCED: another owner claimed the partition
           {2}             NOT_CLAIMED
           {3, reason}     BAD_ARGUMENTS
           {4, which}      WRONG_TYPE
  Every reply but {0, ...} means nothing was written.
]]
--- @include "replies"
--- @include "partition"
local CHUNK = 200 -- ids per RPUSH: far below Lua's unpack limit

local meta, list = KEYS[1], KEYS[2]
local n = #ARGV

if tag_of(meta) == nil or tag_of(list) ~= tag_of(meta) then return {BAD_ARGUMENTS, 'KEYS do not share one hash tag'} end
if n < 4 then return {BAD_ARGUMENTS, 'missing epoch, version, first or last'} end
local epoch, version, first, last = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if version == '' then return {BAD_ARGUMENTS, 'empty version'} end
if (first ~= '0' and first ~= '1') or (last ~= '0' and last ~= '1') then return {BAD_ARGUMENTS, 'first and last are 0 or 1'} end

local refusal = meta_refusal(meta)
if refusal then return refusal end
local kind = redis.call('TYPE', list).ok
if kind ~= 'list' and kind ~= 'none' then return {WRONG_TYPE, 'rescore'} end
refusal = epoch_refusal(meta, epoch)
if refusal then return refusal end

if first == '1' then
  redis.call('HDEL', meta, 'rsv', 'rst')
  redis.call('DEL', list)
end
local j = 5
while j <= n do
  local stop = math.min(j + CHUNK - 1, n)
  redis.call('RPUSH', list, unpack(ARGV, j, stop))
  j = stop + 1
end
local length = redis.call('LLEN', list)
if last == '1' then
  redis.call('HSET', meta, 'rsv', version, 'rst', length)
end
return {OK, length}
