/**
 * Redis durability flags, shared by the Kubernetes StatefulSet, compose.yaml
 * and the durability fault test: every acknowledged write is in the
 * append-only file within a second (`appendfsync everysec`).
 */
export const REDIS_PERSISTENCE_ARGS: readonly string[] = Object.freeze([
  "--appendonly",
  "yes",
  "--appendfsync",
  "everysec",
]);
