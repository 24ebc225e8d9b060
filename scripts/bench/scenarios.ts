/** The load shapes of `npm run bench`, as autocannon request sequences. */
import type { Request } from "autocannon";

/** The scenario whose GETs carry a bearer JWT, against the service with authentication on. */
export const AUTHENTICATED_GET = "GET (JWT)";

export interface Scenario {
  readonly name: string;
  /** Sent to the service with authentication on, each request with the bench's token. */
  readonly authenticated?: boolean;
  /** The request sequence each autocannon connection cycles through. */
  requests(server: string): Request[];
}

const JSON_HEADERS = { "content-type": "application/json" };

/** Unique per process, so repeated runs never collide with earlier users. */
const runId = Date.now().toString(36);

/**
 * `token` is a users:read JWT for the authenticated GET scenario (A7: sent
 * as `Authorization: Bearer`); the other scenarios send none and run
 * against the service with authentication off, so their numbers stay
 * comparable with earlier runs.
 */
export function scenarios(seedUsers: number, token: string): Scenario[] {
  let created = 0;
  const read = (headers: Record<string, string> = {}): Request => ({
    method: "GET",
    headers,
    setupRequest: (request) => ({
      ...request,
      path: `/user/seed${Math.floor(Math.random() * seedUsers)}`,
    }),
  });
  const write = (server: string): Request => ({
    method: "POST",
    path: "/user",
    headers: JSON_HEADERS,
    setupRequest: (request) => ({
      ...request,
      body: JSON.stringify({
        username: `${server.slice(0, 1)}${runId}-${created++}`,
        firstname: "Bench",
        lastname: "Mark",
        email: "bench@example.com",
      }),
    }),
  });
  return [
    { name: "GET user", requests: () => [read()] },
    {
      name: AUTHENTICATED_GET,
      authenticated: true,
      requests: () => [read({ authorization: `Bearer ${token}` })],
    },
    { name: "POST user", requests: (server) => [write(server)] },
    {
      name: "mixed 80/20",
      requests: (server) => [read(), read(), read(), read(), write(server)],
    },
  ];
}
