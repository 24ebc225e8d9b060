--[[
  Creates a user and indexes it, or does nothing when the username is taken.

  Input:
    KEYS[1] user hash
    KEYS[2] username index (zset)
    ARGV[1] username
    ARGV[2] firstname
    ARGV[3] lastname
    ARGV[4] email, or "" for none
    ARGV[5] now, epoch milliseconds

  Output:
    1 created
    0 the username exists (nothing written)
]]
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
redis.call("HSET", KEYS[1],
  "username", ARGV[1],
  "firstname", ARGV[2],
  "lastname", ARGV[3],
  "createdAt", ARGV[5],
  "updatedAt", ARGV[5])
if ARGV[4] ~= "" then
  redis.call("HSET", KEYS[1], "email", ARGV[4])
end
redis.call("ZADD", KEYS[2], 0, ARGV[1])
return 1
