--[[
  Changes fields of an existing user; updatedAt always moves forward.

  Input:
    KEYS[1] user hash
    ARGV[1] now, epoch milliseconds
    ARGV[2] n, the number of field/value pairs that follow
    ARGV[3 .. 2+2n] field, value, field, value ...
    ARGV[3+2n ..] fields to remove

  Output:
    the user hash after the change as a flat field/value array
    false when the user does not exist (nothing written)
]]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return false
end
local previous = tonumber(redis.call("HGET", KEYS[1], "updatedAt")) or 0
local now = math.max(tonumber(ARGV[1]), previous + 1)
local pairs_count = tonumber(ARGV[2])
local last_pair_index = 2 + 2 * pairs_count
for i = 3, last_pair_index, 2 do
  redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
end
for i = last_pair_index + 1, #ARGV do
  redis.call("HDEL", KEYS[1], ARGV[i])
end
redis.call("HSET", KEYS[1], "updatedAt", string.format("%d", now))
return redis.call("HGETALL", KEYS[1])
