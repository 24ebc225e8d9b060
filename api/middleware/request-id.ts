import { randomUUID } from "node:crypto";

/** Client ids are echoed only when they are short and harmless in logs and headers. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** The client's `x-request-id` when well-formed, otherwise a fresh UUID. */
export function resolveRequestId(sent: string | undefined): string {
  return sent !== undefined && REQUEST_ID_PATTERN.test(sent) ? sent : randomUUID();
}
