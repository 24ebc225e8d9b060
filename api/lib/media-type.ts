/**
 * Media types as RFC 9110 §8.3.1 writes them: `type "/" subtype *( OWS ";" OWS [ parameter ] )`.
 * So `application/json ; charset=utf-8`, `application/json;` and
 * `Application/JSON;;charset="UTF-8"` are all JSON with a UTF-8 charset.
 */

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED_STRING =
  '"(?:[\\t \\x21\\x23-\\x5B\\x5D-\\x7E\\x80-\\xFF]|\\\\[\\t \\x21-\\x7E\\x80-\\xFF])*"';
const PARAMETER = `${TOKEN}=(?:${TOKEN}|${QUOTED_STRING})`;
const MEDIA_TYPE = new RegExp(
  `^(${TOKEN})/(${TOKEN})((?:[ \\t]*;[ \\t]*(?:${PARAMETER})?)*)[ \\t]*$`,
);
const EACH_PARAMETER = new RegExp(`(${TOKEN})=(${TOKEN}|${QUOTED_STRING})`, "g");

export interface MediaType {
  /** `type/subtype`, lower-cased (both are case-insensitive). */
  readonly essence: string;
  /** Parameters in order; names lower-cased, quoted values unquoted. */
  readonly parameters: readonly (readonly [name: string, value: string])[];
}

/** Parses a Content-Type field value; undefined when it is not a media type. */
export function parseMediaType(value: string): MediaType | undefined {
  const match = MEDIA_TYPE.exec(value.trim());
  if (match === null) return undefined;
  const [, type = "", subtype = "", rest = ""] = match;
  const parameters: [string, string][] = [];
  for (const [, name = "", raw = ""] of rest.matchAll(EACH_PARAMETER)) {
    const unquoted = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    parameters.push([name.toLowerCase(), unquoted]);
  }
  return { essence: `${type}/${subtype}`.toLowerCase(), parameters };
}

/**
 * The charsets a media type declares (usually none or one). JSON is UTF-8
 * by definition (RFC 8259 §8.1), so the only acceptable declaration is utf-8.
 */
export function declaredCharsets(mediaType: MediaType): string[] {
  return mediaType.parameters.filter(([name]) => name === "charset").map(([, value]) => value);
}
