/**
 * Entity tags and the conditional headers of RFC 9110 §13 (If-Match,
 * If-None-Match). A user's tag is a SHA-1 over every field of its
 * representation, so it changes whenever the representation does
 * (`updatedAt` moves on every write) and two equal tags mean equal bytes.
 * The Redis scripts compute the same hash (`redis.sha1hex`) to check
 * If-Match inside the write; `entity-tag.test.ts` pins the byte layout.
 */
import { hash } from "node:crypto";
import type { StoredUser } from "../store/user-store.js";

/** `etagc` (RFC 9110 §8.8.3): any visible ASCII but DQUOTE, plus obs-text. */
const ETAGC = "[\\x21\\x23-\\x7E\\x80-\\xFF]";
const ENTITY_TAG = `(?:W/)?"${ETAGC}*"`;
const OWS = "[ \\t]*";

/**
 * `"*" / #entity-tag`, with the empty list elements recipients must accept
 * (RFC 9110 §5.6.1.2). Leading and trailing whitespace never reaches the
 * app: the HTTP parser strips it.
 */
export const ENTITY_TAG_CONDITION_PATTERN = new RegExp(
  `^(?:\\*|(?:,${OWS})*${ENTITY_TAG}(?:${OWS},(?:${OWS}${ENTITY_TAG})?)*)$`,
);

const EACH_ENTITY_TAG = /(W\/)?("[^"]*")/g;

export interface EntityTag {
  /** The quoted opaque tag, e.g. `"abc"`. */
  readonly opaque: string;
  readonly weak: boolean;
}

/** A parsed If-Match or If-None-Match value: `*`, or a list of tags. */
export type EntityTagCondition =
  | { readonly any: true }
  | { readonly any: false; readonly tags: readonly EntityTag[] };

/** The preconditions of one write; absent headers are undefined. */
export interface Preconditions {
  readonly ifMatch?: EntityTagCondition | undefined;
  readonly ifNoneMatch?: EntityTagCondition | undefined;
}

/** Parses a value that matches `ENTITY_TAG_CONDITION_PATTERN`. */
export function parseEntityTagCondition(value: string): EntityTagCondition {
  if (value === "*") return { any: true };
  const tags = [...value.matchAll(EACH_ENTITY_TAG)].map(([, weak, opaque = '""']) => ({
    opaque,
    weak: weak !== undefined,
  }));
  return { any: false, tags };
}

/** The strong entity tag of a stored user's representation. */
export function entityTagOf(user: StoredUser): string {
  const fields = [
    user.username,
    user.firstname,
    user.lastname,
    user.email ?? "",
    String(user.createdAt),
    String(user.updatedAt),
  ];
  // No field can hold a newline (names reject control characters), so the join is unambiguous.
  return `"${hash("sha1", fields.join("\n"), "hex")}"`;
}

/** If-Match uses the strong comparison: a weak tag never matches. */
export function ifMatchHolds(condition: EntityTagCondition, current: string): boolean {
  return condition.any || condition.tags.some((tag) => !tag.weak && tag.opaque === current);
}

/** If-None-Match uses the weak comparison: `W/"x"` matches `"x"`. */
export function ifNoneMatchHolds(condition: EntityTagCondition, current: string): boolean {
  return !(condition.any || condition.tags.some((tag) => tag.opaque === current));
}

/** Both conditions of a write against the current tag (RFC 9110 §13.2.2, steps 1 and 3). */
export function preconditionsHold(preconditions: Preconditions, current: string): boolean {
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch !== undefined && !ifMatchHolds(ifMatch, current)) return false;
  return ifNoneMatch === undefined || ifNoneMatchHolds(ifNoneMatch, current);
}
