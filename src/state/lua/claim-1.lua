--[[
  claim: take ownership of a partition (on assignment) by bumping its fencing epoch.
  Every commit carries the epoch its owner got here; a commit with an older epoch is
  rejected, so a revoked owner's in-flight batch can never land.

  KEYS[1]  meta hash of the partition   (<prefix>:{p<n>}:meta)
  ARGV     none

  Returns  {0, epoch, field1, value1, field2, value2, ...}
             epoch: the new epoch (integer, 1 on the first claim)
             then every field of the meta hash as HGETALL gives it:
             off:<topic> = next offset to consume, wm = watermark day, epoch
           {4, 'meta'}  WRONG_TYPE: KEYS[1] is not a hash (nothing written)
]]
--- @include "replies"

local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'hash' and kind ~= 'none' then
  return {WRONG_TYPE, 'meta'}
end

local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
local reply = {OK, epoch}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields do
  reply[#reply + 1] = fields[i]
end
return reply
