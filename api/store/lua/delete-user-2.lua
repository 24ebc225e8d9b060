--[[
  Deletes a user and removes it from the index, if its preconditions hold.

  Input:
    KEYS[1] user hash
    KEYS[2] username index (zset)
    ARGV[1] username
    ARGV[2] If-Match: "" absent, "*" any representation, "list" the tags in ARGV[3]
    ARGV[3] the strong entity tags of If-Match, quoted, space-separated
    ARGV[4] If-None-Match: "" absent, "*", or "list" the tags in ARGV[5]
    ARGV[5] the entity tags of If-None-Match, quoted, W/ removed, space-separated

  Output:
    1 deleted
    0 the user does not exist (nothing written)
    -1 a precondition does not hold (nothing written)

  entity_tag and matches are the same as in update-user-1.lua.
]]
local function entity_tag(key)
  local u = redis.call("HMGET", key, "username", "firstname", "lastname", "email", "createdAt", "updatedAt")
  return '"' .. redis.sha1hex(table.concat({ u[1], u[2], u[3], u[4] or "", u[5], u[6] }, "\n")) .. '"'
end

local function matches(mode, tags, tag)
  if mode == "*" then
    return true
  end
  for candidate in string.gmatch(tags, "%S+") do
    if candidate == tag then
      return true
    end
  end
  return false
end

if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
if ARGV[2] ~= "" or ARGV[4] ~= "" then
  local tag = entity_tag(KEYS[1])
  if ARGV[2] ~= "" and not matches(ARGV[2], ARGV[3], tag) then
    return -1
  end
  if ARGV[4] ~= "" and matches(ARGV[4], ARGV[5], tag) then
    return -1
  end
end
redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], ARGV[1])
return 1
