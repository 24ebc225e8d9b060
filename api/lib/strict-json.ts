/**
 * JSON bodies read exactly: what the server acknowledges is what it stores.
 * `JSON.parse` alone would replace invalid UTF-8 with U+FFFD (when the body
 * is decoded), keep the last of two equal keys, and accept `"\udfff"`,
 * which Redis, logs and other parsers turn into something else. This
 * decoder refuses all three.
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A UTF-16 surrogate that is not part of a pair (the `u` flag matches pairs as one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export type StrictJsonResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly detail: string };

/** Decodes UTF-8 bytes into a JSON value, or says precisely why it will not. */
export function parseStrictJson(bytes: Uint8Array): StrictJsonResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, detail: "the request body is not valid UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, detail: "the request body is not valid JSON" };
  }
  const problem = findAmbiguity(text);
  return problem === undefined ? { ok: true, value } : { ok: false, detail: problem };
}

const isJsonWhitespace = (code: number) =>
  code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/**
 * Scans text that `JSON.parse` already accepted (so its syntax is known to
 * be valid) for a key that appears twice in one object, or a string whose
 * escapes produce a lone surrogate. Only strings with a backslash are
 * decoded; every other string is taken as written.
 */
export function findAmbiguity(text: string): string | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      const start = i;
      let escaped = false;
      i++;
      for (;;) {
        const c = text.charCodeAt(i);
        if (c === 0x5c) {
          escaped = true;
          i += 2;
        } else if (c === 0x22) {
          break;
        } else {
          i++;
        }
      }
      i++;
      const value = escaped
        ? (JSON.parse(text.slice(start, i)) as string)
        : text.slice(start + 1, i - 1);
      if (escaped && LONE_SURROGATE.test(value)) {
        return "the request body has a string with a lone UTF-16 surrogate escape (e.g. \\udfff), which is not Unicode text";
      }
      const keys = open[open.length - 1];
      if (keys) {
        let j = i;
        while (isJsonWhitespace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x3a) {
          if (keys.has(value)) {
            return `the request body has the key ${JSON.stringify(value).slice(0, 80)} twice in one object`;
          }
          keys.add(value);
        }
      }
      continue;
    }
    if (code === 0x7b) open.push(new Set());
    else if (code === 0x5b) open.push(null);
    else if (code === 0x7d || code === 0x5d) open.pop();
    i++;
  }
  return undefined;
}
