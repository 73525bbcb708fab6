--[[
  outbox-read: the oldest outbox entries, as many as make up `maxRecords` records
  or `maxBytes` bytes of packed records (at least one entry when any is waiting).
  One entry holds a whole commit's records for one topic, so a count of entries
  alone would not bound what the relay holds in memory.

  KEYS[1]  outbox stream of the partition (<prefix>:{p<n>}:outbox)
  ARGV[1]  start: '-' for the oldest, or '(<stream id>' for after that entry
  ARGV[2]  maxRecords (positive integer)
  ARGV[3]  maxBytes   (positive integer)

  Returns  {0, more, id1, topic1, count1, packed1, id2, ...}
             more: 1 when the read stopped at a limit with entries left to read, 0
             when it reached the end of the stream
           {3, reason}   BAD_ARGUMENTS
           {4, 'outbox'} WRONG_TYPE: KEYS[1] is not a stream
]]
local OK, BAD_ARGUMENTS, WRONG_TYPE = 0, 3, 4
local PAGE = 16

local start = ARGV[1]
local maxRecords, maxBytes = tonumber(ARGV[2]), tonumber(ARGV[3])
if start ~= '-' and not string.match(start or '', '^%(%d+%-%d+$') then
  return {BAD_ARGUMENTS, 'start is neither - nor (<stream id>'}
end
if not maxRecords or maxRecords < 1 or not maxBytes or maxBytes < 1 then
  return {BAD_ARGUMENTS, 'maxRecords and maxBytes must be positive'}
end

local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then return {OK, 0} end
if kind ~= 'stream' then return {WRONG_TYPE, 'outbox'} end

local reply = {OK, 0}
local records, bytes = 0, 0
while true do
  local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', PAGE)
  for k = 1, #page do
    if records >= maxRecords or bytes >= maxBytes then
      reply[2] = 1
      return reply
    end
    local id, fields = page[k][1], page[k][2]
    local topic, count, packed = '', '0', ''
    for f = 1, #fields - 1, 2 do
      local name = fields[f]
      if name == 't' then topic = fields[f + 1]
      elseif name == 'n' then count = fields[f + 1]
      elseif name == 'r' then packed = fields[f + 1]
      end
    end
    reply[#reply + 1] = id
    reply[#reply + 1] = topic
    reply[#reply + 1] = count
    reply[#reply + 1] = packed
    records = records + (tonumber(count) or 0)
    bytes = bytes + #packed
    start = '(' .. id
  end
  if #page < PAGE then return reply end
end
