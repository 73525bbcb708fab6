--[[
  commit: apply one processed batch of a partition atomically, if the caller still
  owns the partition (its epoch is the current one). All or nothing: every argument
  and key type is checked before the first write, because Redis does not roll a
  script back when it fails halfway.

  KEYS[1]  meta hash      (<prefix>:{p<n>}:meta)    epoch, off:<topic>, wm, ob
  KEYS[2]  outbox stream  (<prefix>:{p<n>}:outbox)
  KEYS[3]  timers zset    (<prefix>:{p<n>}:timers)
  Customer keys travel in ARGV (a batch has thousands); they must carry the same
  hash tag as KEYS[1] (checked), so in Redis Cluster they live in the same slot.

  ARGV, in order (every count is a decimal integer, then that many groups):
    epoch                      the caller's epoch (from claim)
    watermark                  watermark day, or '' to leave it; only moves forward
    nOffsets, nOffsets  x (field, firstOffset, nextOffset)
                               field = off:<topic>; decimal offsets: the batch's
                               first record of the topic ('' when not known) and
                               the one after its last; stored only if it moves forward
    nStates,  nStates   x (customerKey, packed state | '' to delete the key)
    nOutbox,  nOutbox   x (topic, count, packed)  one entry per topic, appended with
                               XADD * as fields t, n, r: `count` records packed
                               by src/state/outbox-codec.ts (not parsed here);
                               the meta field ob grows by every count
    nTimerSet, nTimerSet x (customerId, day)        ZADD timers day customerId
    nTimerDel, nTimerDel x customerId                ZREM timers customerId
    optionally, last: rescoreKey, version, firstId, count
                               a re-score chunk (src/service/rescore.ts): applied
                               only if meta rsv is `version` and the list at
                               rescoreKey (<prefix>:{p<n>}:rescore) starts with
                               `firstId`; then its first `count` ids are dropped

  Returns  {0, 1}                 applied
           {0, 0, staleField...}  not applied: the batch carries offsets and none of
                                  them moves forward, i.e. it was committed already
                                  (a retry after a lost reply); nothing written
           {0, 3}                 not applied: the re-score list is no longer at the
                                  chunk (another version staged, or the chunk was
                                  committed already: a retry after a lost reply);
                                  nothing written
           {0, 2, field, stored...}  not applied: part of the batch is stored already
                                  (a topic's stored offset is past its first record,
                                  while another topic is new); applying it would count
                                  those records twice. Lists each such field with its
                                  stored offset; nothing written
           {1, currentEpoch}      FENCED: another owner claimed the partition
           {2}                    NOT_CLAIMED: the partition has no epoch
           {3, reason}            BAD_ARGUMENTS
           {4, which}             WRONG_TYPE: a partition key has the wrong type
  Every reply but {0, 1} means nothing was written.
]]
--- @include "replies"
--- @include "partition"
local CHUNK = 200 -- pairs per ZADD/ZREM call: far below Lua's unpack limit

local meta, outbox, timers = KEYS[1], KEYS[2], KEYS[3]
local n = #ARGV

local function is_count(s)
  return s ~= nil and string.match(s, '^%d+$') ~= nil and #s <= 9
end

local function is_offset(s)
  return s == '0' or string.match(s, '^[1-9]%d*$') ~= nil
end

local function is_int(s)
  return string.match(s, '^%-?%d+$') ~= nil and #s <= 16
end

-- a > b for canonical non-negative decimals of any length (no precision loss).
local function ahead(a, b)
  if #a ~= #b then return #a > #b end
  for k = 1, #a do
    local x, y = string.byte(a, k), string.byte(b, k)
    if x ~= y then return x > y end
  end
  return false
end

-- 1. Parse and validate (no writes) ---------------------------------------------
local tag = tag_of(meta)
if tag == nil or tag_of(outbox) ~= tag or tag_of(timers) ~= tag then
  return bad('KEYS do not share one hash tag')
end
if n < 3 then return bad('missing epoch, watermark or counts') end
local epoch, watermark = ARGV[1], ARGV[2]
if watermark ~= '' and not is_int(watermark) then return bad('watermark is not an integer') end

local i = 3
-- Reads the count at i and returns the index of the section's first argument
-- and the count; nil when the count is malformed or the section runs past ARGV.
local function section(width)
  if not is_count(ARGV[i]) then return nil end
  local count = tonumber(ARGV[i])
  local first = i + 1
  i = first + width * count
  if i - 1 > n then return nil end
  return first, count
end

local offsetsAt, nOffsets = section(3)
if offsetsAt == nil then return bad('offsets section') end
for j = offsetsAt, offsetsAt + 3 * nOffsets - 1, 3 do
  local first, after = ARGV[j + 1], ARGV[j + 2]
  if first ~= '' and not is_offset(first) then return bad('not an offset: ' .. first) end
  if not is_offset(after) then return bad('not an offset: ' .. after) end
  if first ~= '' and not ahead(after, first) then return bad('first offset ' .. first .. ' not before next offset ' .. after) end
end

local statesAt, nStates = section(2)
if statesAt == nil then return bad('states section') end
for j = statesAt, statesAt + 2 * nStates - 1, 2 do
  if tag_of(ARGV[j]) ~= tag then return bad('customer key outside the partition: ' .. ARGV[j]) end
end

local outboxAt, nOutbox = section(3)
if outboxAt == nil then return bad('outbox section') end
local outboxRecords = 0
for j = outboxAt, outboxAt + 3 * nOutbox - 1, 3 do
  if not is_count(ARGV[j + 1]) then return bad('not a record count: ' .. ARGV[j + 1]) end
  outboxRecords = outboxRecords + tonumber(ARGV[j + 1])
end

local setAt, nSet = section(2)
if setAt == nil then return bad('timer set section') end
for j = setAt, setAt + 2 * nSet - 1, 2 do
  if not is_int(ARGV[j + 1]) then return bad('timer day is not an integer: ' .. ARGV[j + 1]) end
end

local delAt, nDel = section(1)
if delAt == nil then return bad('timer delete section') end
local rescoreAt = nil
if i - 1 ~= n then
  rescoreAt = i
  i = i + 4
  if i - 1 ~= n then return bad('expected ' .. (rescoreAt - 1) .. ' or ' .. (i - 1) .. ' arguments, got ' .. n) end
  if tag_of(ARGV[rescoreAt]) ~= tag then return bad('re-score key outside the partition: ' .. ARGV[rescoreAt]) end
  if not is_count(ARGV[rescoreAt + 3]) or ARGV[rescoreAt + 3] == '0' then return bad('re-score count: ' .. ARGV[rescoreAt + 3]) end
end

-- 2. Key types and the fence (no writes) ----------------------------------------
local refusal = meta_refusal(meta)
if refusal then return refusal end
local kind = redis.call('TYPE', outbox).ok
if kind ~= 'stream' and kind ~= 'none' then return {WRONG_TYPE, 'outbox'} end
kind = redis.call('TYPE', timers).ok
if kind ~= 'zset' and kind ~= 'none' then return {WRONG_TYPE, 'timers'} end

refusal = epoch_refusal(meta, epoch)
if refusal then return refusal end

if rescoreAt ~= nil then
  kind = redis.call('TYPE', ARGV[rescoreAt]).ok
  if kind ~= 'list' and kind ~= 'none' then return {WRONG_TYPE, 'rescore'} end
  if redis.call('HGET', meta, 'rsv') ~= ARGV[rescoreAt + 1]
    or redis.call('LINDEX', ARGV[rescoreAt], 0) ~= ARGV[rescoreAt + 2] then
    return {OK, RESCORE_MOVED}
  end
end

-- Per topic: fresh (nothing stored at or past its first record), stale (all of
-- it stored) or overlapping (stored part of the way). All stale is a retry of a
-- committed batch; any other mix would re-apply stored records.
local advance, stale, covered = {}, {}, {}
for j = offsetsAt, offsetsAt + 3 * nOffsets - 1, 3 do
  local field, first, after = ARGV[j], ARGV[j + 1], ARGV[j + 2]
  local stored = redis.call('HGET', meta, field)
  if not stored or ahead(after, stored) then
    advance[#advance + 1] = j
    if stored and first ~= '' and ahead(stored, first) then
      covered[#covered + 1] = field
      covered[#covered + 1] = stored
    end
  else
    stale[#stale + 1] = field
    covered[#covered + 1] = field
    covered[#covered + 1] = stored
  end
end
-- {OK, outcome, values...}
local function not_applied(outcome, values)
  local reply = {OK, outcome}
  for _, v in ipairs(values) do
    reply[#reply + 1] = v
  end
  return reply
end
if nOffsets > 0 and #advance == 0 then return not_applied(ALREADY_COMMITTED, stale) end
if #covered > 0 then return not_applied(OVERLAP, covered) end

-- 3. Write ----------------------------------------------------------------------
for _, j in ipairs(advance) do
  redis.call('HSET', meta, ARGV[j], ARGV[j + 2])
end

if watermark ~= '' then
  local stored = redis.call('HGET', meta, 'wm')
  if not stored or tonumber(watermark) > tonumber(stored) then
    redis.call('HSET', meta, 'wm', watermark)
  end
end

for j = statesAt, statesAt + 2 * nStates - 1, 2 do
  if ARGV[j + 1] == '' then
    redis.call('DEL', ARGV[j])
  else
    redis.call('SET', ARGV[j], ARGV[j + 1])
  end
end

for j = outboxAt, outboxAt + 3 * nOutbox - 1, 3 do
  redis.call('XADD', outbox, '*', 't', ARGV[j], 'n', ARGV[j + 1], 'r', ARGV[j + 2])
end
if outboxRecords > 0 then
  redis.call('HINCRBY', meta, 'ob', outboxRecords)
end

local j = setAt
local setEnd = setAt + 2 * nSet - 1
while j <= setEnd do
  local args = {}
  local last = math.min(j + 2 * CHUNK - 1, setEnd)
  for k = j, last, 2 do
    args[#args + 1] = ARGV[k + 1]
    args[#args + 1] = ARGV[k]
  end
  redis.call('ZADD', timers, unpack(args))
  j = last + 1
end

j = delAt
local delEnd = delAt + nDel - 1
while j <= delEnd do
  local last = math.min(j + CHUNK - 1, delEnd)
  redis.call('ZREM', timers, unpack(ARGV, j, last))
  j = last + 1
end

if rescoreAt ~= nil then
  redis.call('LTRIM', ARGV[rescoreAt], tonumber(ARGV[rescoreAt + 3]), -1)
end

return {OK, APPLIED}
