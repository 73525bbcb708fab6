--[[
  model-publish: store a new model version and make it the current one, atomically.
  A runtime polling the current version never sees a pointer to a version whose
  hash is not complete. Versions are immutable: publishing a name twice is refused.

  KEYS[1]  current pointer   (<prefix>:{model}:current)   string: version name
  KEYS[2]  version hash      (<prefix>:{model}:v:<version>)
  KEYS[3]  versions zset     (<prefix>:{model}:versions)  member version, score fitted_at
  All three must share one hash tag (checked), so in Redis Cluster they live in one slot.

  ARGV     version, fittedAtMs (integer), then field, value pairs of the version hash
           (at least one pair)

  Returns  {0}                 published: hash written, version added, pointer moved
           {3, reason}         BAD_ARGUMENTS (also: the version exists already)
           {4, which}          WRONG_TYPE: a model key holds another Redis type
  Every reply but {0} means nothing was written.
]]
--- @include "replies"
--- @include "partition"

local current, version_key, versions = KEYS[1], KEYS[2], KEYS[3]
local n = #ARGV

-- 1. Validate (no writes) --------------------------------------------------------
local tag = tag_of(current)
if tag == nil or tag_of(version_key) ~= tag or tag_of(versions) ~= tag then
  return bad('KEYS do not share one hash tag')
end
if n < 4 or n % 2 ~= 0 then return bad('expected version, fittedAtMs and field/value pairs') end
local version, fitted_at = ARGV[1], ARGV[2]
if version == '' then return bad('empty version') end
if string.sub(version_key, -#version - 1) ~= ':' .. version then
  return bad('version key does not end with the version')
end
if not string.match(fitted_at, '^%d+$') or #fitted_at > 16 then return bad('fittedAtMs is not a non-negative integer') end

local kind = redis.call('TYPE', current).ok
if kind ~= 'string' and kind ~= 'none' then return {WRONG_TYPE, 'current'} end
kind = redis.call('TYPE', versions).ok
if kind ~= 'zset' and kind ~= 'none' then return {WRONG_TYPE, 'versions'} end
if redis.call('EXISTS', version_key) == 1 then
  return bad("model version '" .. version .. "' exists already")
end

-- 2. Write -------------------------------------------------------------------------
for j = 3, n, 2 do
  redis.call('HSET', version_key, ARGV[j], ARGV[j + 1])
end
redis.call('ZADD', versions, fitted_at, version)
redis.call('SET', current, version)
return {OK}
