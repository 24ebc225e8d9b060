/**
 * The benchmark's baseline: bare node:http + ioredis doing the same Redis
 * work as the service (HGETALL for a read, the same create Lua script for a
 * write), with no framework, validation library, logging or metrics. The
 * service is measured against this in the same run.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { Redis } from "ioredis";
import { USERNAME_PATTERN } from "../../api/lib/username.js";
import { redisKeys } from "../../api/store/redis-keys.js";

const port = Number(process.env.PORT ?? 8090);
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const keys = redisKeys();
const createLua = readFileSync(
  new URL("../../api/store/lua/create-user-2.lua", import.meta.url),
  "utf8",
);
redis.defineCommand("benchCreateUser", { numberOfKeys: 2, lua: createLua });

type BenchRedis = Redis & {
  benchCreateUser(...args: string[]): Promise<number>;
};

function send(res: import("node:http").ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === "/ready") {
    redis.ping().then(
      () => send(res, 200, { status: "ok" }),
      () => send(res, 503, { status: "unavailable" }),
    );
    return;
  }
  if (req.method === "GET" && url.startsWith("/user/")) {
    const username = url.slice(6);
    if (!USERNAME_PATTERN.test(username)) return send(res, 400, { status: 400 });
    redis.hgetall(keys.user(username)).then(
      (hash) => {
        if (Object.keys(hash).length === 0) return send(res, 404, { status: 404 });
        send(res, 200, {
          username: hash.username,
          firstname: hash.firstname,
          lastname: hash.lastname,
          ...(hash.email === undefined ? {} : { email: hash.email }),
          createdAt: new Date(Number(hash.createdAt)).toISOString(),
          updatedAt: new Date(Number(hash.updatedAt)).toISOString(),
        });
      },
      () => send(res, 503, { status: 503 }),
    );
    return;
  }
  if (req.method === "POST" && url === "/user") {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body: { username?: string; firstname?: string; lastname?: string; email?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return send(res, 400, { status: 400 });
      }
      const { username = "", firstname = "", lastname = "", email = "" } = body;
      if (!USERNAME_PATTERN.test(username)) return send(res, 400, { status: 400 });
      const now = Date.now();
      (redis as BenchRedis)
        .benchCreateUser(
          keys.user(username),
          keys.index,
          username,
          firstname,
          lastname,
          email,
          String(now),
        )
        .then(
          (created) => {
            if (created !== 1) return send(res, 409, { status: 409 });
            const iso = new Date(now).toISOString();
            res.setHeader("location", `/user/${username}`);
            send(res, 201, {
              username,
              firstname,
              lastname,
              ...(email ? { email } : {}),
              createdAt: iso,
              updatedAt: iso,
            });
          },
          () => send(res, 503, { status: 503 }),
        );
    });
    return;
  }
  send(res, 404, { status: 404 });
}).listen(port, "127.0.0.1");

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
