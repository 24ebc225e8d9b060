--[[
  Changes fields of an existing user if its preconditions hold; updatedAt
  always moves forward.

  Input:
    KEYS[1] user hash
    ARGV[1] now, epoch milliseconds
    ARGV[2] If-Match: "" absent, "*" any representation, "list" the tags in ARGV[3]
    ARGV[3] the strong entity tags of If-Match, quoted, space-separated
    ARGV[4] If-None-Match: "" absent, "*", or "list" the tags in ARGV[5]
    ARGV[5] the entity tags of If-None-Match, quoted, W/ removed, space-separated
    ARGV[6] n, the number of field/value pairs that follow
    ARGV[7 .. 6+2n] field, value, field, value ...
    ARGV[7+2n ..] fields to remove

  Output:
    the user hash after the change as a flat field/value array
    false when the user does not exist (nothing written)
    0 when a precondition does not hold (nothing written)

  The entity tag is the one api/lib/entity-tag.ts computes: SHA-1 (hex) of
  username, firstname, lastname, email ("" when none), createdAt, updatedAt
  joined by "\n", in double quotes. delete-user-2.lua has the same two functions.
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
  return false
end
if ARGV[2] ~= "" or ARGV[4] ~= "" then
  local tag = entity_tag(KEYS[1])
  if ARGV[2] ~= "" and not matches(ARGV[2], ARGV[3], tag) then
    return 0
  end
  if ARGV[4] ~= "" and matches(ARGV[4], ARGV[5], tag) then
    return 0
  end
end
local previous = tonumber(redis.call("HGET", KEYS[1], "updatedAt")) or 0
local now = math.max(tonumber(ARGV[1]), previous + 1)
local pairs_count = tonumber(ARGV[6])
local last_pair_index = 6 + 2 * pairs_count
for i = 7, last_pair_index, 2 do
  redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
end
for i = last_pair_index + 1, #ARGV do
  redis.call("HDEL", KEYS[1], ARGV[i])
end
redis.call("HSET", KEYS[1], "updatedAt", string.format("%d", now))
return redis.call("HGETALL", KEYS[1])
