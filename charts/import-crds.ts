/**
 * Re-import recipe for `imports/`: runs `cdk8s import` on Istio's CRD bundle
 * and keeps the two API groups the charts use (networking.istio.io and
 * security.istio.io). Usage: `npx tsx charts/import-crds.ts [crd file or URL]`;
 * without an argument it reads the URL pinned in cdk8s.yaml (needs network).
 * `--check [crd file or URL]` (`npm run imports:check`) compares instead of writing.
 *
 * The one rewrite: `cdk8s import` emits `import { ApiObject, ApiObjectMetadata,
 * GroupVersionKind } from 'cdk8s'`, which names two types as values. Under the
 * project's `verbatimModuleSyntax` that fails `tsc` and, at run time, Node's ESM
 * loader (cdk8s exports no such values). Marking them `type` is the only change;
 * `--check` proves imports/ equals this recipe's output.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/** API groups whose generated modules are kept in imports/. */
export const KEPT_MODULES = ["networking.istio.io", "security.istio.io"] as const;

const GENERATED_IMPORT = "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';";
const TYPED_IMPORT =
  "import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';";

/** Marks the type-only names of cdk8s's generated import line as `type` (pure). */
export function markTypeOnlyImports(source: string): string {
  if (!source.includes(GENERATED_IMPORT)) {
    throw new Error(`generated import line not found; cdk8s import changed its output`);
  }
  return source.replace(GENERATED_IMPORT, TYPED_IMPORT);
}

/** The CRD source pinned in cdk8s.yaml's `imports:`. */
export function pinnedCrdSource(repoRoot: string): string {
  const config = parse(readFileSync(join(repoRoot, "cdk8s.yaml"), "utf8")) as {
    imports?: string[];
  };
  const source = config.imports?.[0];
  if (!source) throw new Error("cdk8s.yaml has no imports entry");
  return source;
}

/** Runs `cdk8s import` on `source` and writes the kept, fixed-up modules into `outdir`. */
export function importCrds(source: string, outdir: string, repoRoot: string): string[] {
  const work = mkdtempSync(join(tmpdir(), "userapi-import-"));
  try {
    const cli = join(repoRoot, "node_modules", ".bin", "cdk8s");
    execFileSync(
      cli,
      [
        "import",
        source,
        "--language",
        "typescript",
        "--output",
        work,
        "--no-save",
        "--no-check-upgrade",
      ],
      {
        cwd: repoRoot,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    const written: string[] = [];
    for (const module of KEPT_MODULES) {
      const file = `${module}.ts`;
      const text = markTypeOnlyImports(readFileSync(join(work, file), "utf8"));
      writeFileSync(join(outdir, file), text);
      written.push(file);
    }
    return written;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const isEntry =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const check = process.argv[2] === "--check";
  const source = process.argv[check ? 3 : 2] ?? pinnedCrdSource(repoRoot);
  if (!check) {
    importCrds(source, join(repoRoot, "imports"), repoRoot);
  } else {
    // Proves imports/ is exactly this recipe's output for `source`, without touching it.
    const out = mkdtempSync(join(tmpdir(), "userapi-imports-check-"));
    try {
      const differing = importCrds(source, out, repoRoot).filter(
        (file) =>
          readFileSync(join(out, file), "utf8") !==
          readFileSync(join(repoRoot, "imports", file), "utf8"),
      );
      if (differing.length > 0) {
        console.error(`imports/ differs from a fresh import of ${source}: ${differing.join(", ")}`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`imports/ equals a fresh import of ${source}\n`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}
