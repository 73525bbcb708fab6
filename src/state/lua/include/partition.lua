-- The text between the first '{' and the next '}' (what Redis Cluster hashes).
local function tag_of(key)
  local open = string.find(key, '{', 1, true)
  if not open then return nil end
  local close = string.find(key, '}', open + 1, true)
  if not close or close == open + 1 then return nil end
  return string.sub(key, open + 1, close - 1)
end

-- nil when the meta hash exists; else the reply that refuses the call.
local function meta_refusal(meta)
  local kind = redis.call('TYPE', meta).ok
  if kind == 'none' then return {NOT_CLAIMED} end
  if kind ~= 'hash' then return {WRONG_TYPE, 'meta'} end
  return nil
end

-- nil when `epoch` is the partition's current epoch; else the reply that fences the caller.
local function epoch_refusal(meta, epoch)
  local current = redis.call('HGET', meta, 'epoch')
  if not current then return {NOT_CLAIMED} end
  if current ~= epoch then return {FENCED, current} end
  return nil
end
