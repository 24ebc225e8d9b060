/** The load shapes of `npm run bench`, as autocannon request sequences. */
import type { Request } from "autocannon";

export interface Scenario {
  readonly name: string;
  /** The request sequence each autocannon connection cycles through. */
  requests(server: string): Request[];
}

const JSON_HEADERS = { "content-type": "application/json" };

/** Unique per process, so repeated runs never collide with earlier users. */
const runId = Date.now().toString(36);

export function scenarios(seedUsers: number): Scenario[] {
  let created = 0;
  const read = (): Request => ({
    method: "GET",
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
    { name: "POST user", requests: (server) => [write(server)] },
    {
      name: "mixed 80/20",
      requests: (server) => [read(), read(), read(), read(), write(server)],
    },
  ];
}
