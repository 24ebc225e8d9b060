/**
 * Finds private key material in text: PEM private key blocks (PKCS#1, SEC1,
 * PKCS#8, encrypted PKCS#8, OpenSSH) and JWKs that hold a private or
 * symmetric member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`) with a value long
 * enough to be a key, in JSON, JSON inside a string (escaped quotes), YAML
 * flow style or a JavaScript object literal. Pure: text in, findings out.
 */

export interface KeyFinding {
  readonly kind: "PEM private key" | "private JWK";
  /** 1-based line of the finding's start. */
  readonly line: number;
}

const PEM =
  /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----\s+[A-Za-z0-9+/=:,\- \r\n]{32,}?-----END \1PRIVATE KEY-----/g;
/** One object without nested objects: a JWK is flat. */
const FLAT_OBJECT = /\{[^{}]{0,20000}\}/g;
const QUOTE = String.raw`\\?["']?`;
const KTY = new RegExp(String.raw`(?:^|[{,\s])${QUOTE}kty${QUOTE}\s*:`);
const PRIVATE_MEMBER = new RegExp(
  String.raw`(?:^|[{,\s])${QUOTE}(?:d|p|q|dp|dq|qi|k)${QUOTE}\s*:\s*${QUOTE}[A-Za-z0-9_-]{16,}`,
);

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Every private key found in `text`, in order. */
export function findPrivateKeys(text: string): KeyFinding[] {
  const findings: KeyFinding[] = [];
  for (const match of text.matchAll(PEM)) {
    findings.push({ kind: "PEM private key", line: lineAt(text, match.index) });
  }
  for (const match of text.matchAll(FLAT_OBJECT)) {
    if (KTY.test(match[0]) && PRIVATE_MEMBER.test(match[0])) {
      findings.push({ kind: "private JWK", line: lineAt(text, match.index) });
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}
