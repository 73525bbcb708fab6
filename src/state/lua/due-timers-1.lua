--[[
  due-timers: the customers of a partition whose next check is due.

  KEYS[1]  timers zset of the partition (<prefix>:{p<n>}:timers),
           member = customer id, score = next-check day
  ARGV[1]  day: customers whose check day is <= day are due (integer)
  ARGV[2]  limit: at most this many (integer >= 1)

  Returns  {0, customerId1, day1, customerId2, day2, ...}  earliest day first
           {3, reason}  BAD_ARGUMENTS
           {4, 'timers'} WRONG_TYPE: KEYS[1] is not a zset
  Read-only: a due customer stays in the set until a commit moves or removes it.
]]
--- @include "replies"

local day = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if #ARGV ~= 2 or day == nil or limit == nil or limit < 1 or limit ~= math.floor(limit) then
  return {BAD_ARGUMENTS, 'expected day and a positive integer limit'}
end

local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'zset' and kind ~= 'none' then
  return {WRONG_TYPE, 'timers'}
end

local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit)
local reply = {OK}
for i = 1, #due do
  reply[#reply + 1] = due[i]
end
return reply
