--[[
  Deletes a user and removes it from the index.

  Input:
    KEYS[1] user hash
    KEYS[2] username index (zset)
    ARGV[1] username

  Output:
    1 deleted
    0 the user does not exist (nothing written)
]]
if redis.call("DEL", KEYS[1]) == 0 then
  return 0
end
redis.call("ZREM", KEYS[2], ARGV[1])
return 1
