/** Content-Security-Policy for JSON and text responses: nothing may load or frame them. */
export const API_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/** `x-app-version` plus the usual security headers, the same on every response. */
export function standardHeaders(version: string): HeaderList {
  return [
    ["x-app-version", version],
    ["content-security-policy", API_CSP],
    ["cross-origin-opener-policy", "same-origin"],
    ["cross-origin-resource-policy", "same-origin"],
    ["origin-agent-cluster", "?1"],
    ["referrer-policy", "no-referrer"],
    ["strict-transport-security", "max-age=15552000; includeSubDomains"],
    ["x-content-type-options", "nosniff"],
    ["x-dns-prefetch-control", "off"],
    ["x-frame-options", "DENY"],
    ["x-permitted-cross-domain-policies", "none"],
    ["x-xss-protection", "0"],
  ];
}
