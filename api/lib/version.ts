import { readFileSync } from "node:fs";

/**
 * The `version` of the nearest package.json above this module. Walks up
 * because the module runs both from `api/` (tsx) and from `build/api/`.
 */
export function readPackageVersion(from: URL = new URL(".", import.meta.url)): string {
  let dir = from;
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        version?: unknown;
      };
      if (typeof pkg.version === "string") return pkg.version;
    } catch {
      // Not here; try the parent directory.
    }
    dir = new URL("../", dir);
  }
  return "0.0.0";
}
