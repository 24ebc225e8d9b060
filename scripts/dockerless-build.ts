/**
 * Reproduces the Dockerfile's build in a plain folder, without Docker: every
 * stage gets its own root directory, COPY honours .dockerignore and
 * `--from=stage`, RUN executes the very commands the Dockerfile lists, and the
 * final stage's ENV, USER, CMD and HEALTHCHECK are returned. The tests use it
 * to prove the image's contents start (the machines that run them have no
 * Docker engine), and because it reads the Dockerfile, the two cannot drift.
 *
 *   npx tsx scripts/dockerless-build.ts OUTDIR    builds into OUTDIR and prints the result
 *
 * Scope: the instructions this project's Dockerfile uses (FROM, WORKDIR, ENV,
 * COPY, RUN, USER, EXPOSE, HEALTHCHECK, CMD, LABEL, ARG-free); anything else
 * is rejected rather than silently skipped.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import {
  Cmd,
  Copy,
  DockerfileParser,
  Env,
  From,
  Healthcheck,
  type Instruction,
  Run,
  User,
  Workdir,
} from "dockerfile-ast";

/** One `FROM … AS name` block of the Dockerfile. */
export interface Stage {
  readonly index: number;
  readonly name: string;
  /** The FROM argument: an image reference or an earlier stage's name. */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

/** The Dockerfile split into stages; the last stage is the image. */
export interface DockerfileModel {
  readonly stages: readonly Stage[];
  readonly final: Stage;
}

export function parseDockerfile(text: string): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  let current: { from: From; instructions: Instruction[] } | undefined;
  const close = () => {
    if (!current) return;
    const index = stages.length;
    stages.push({
      index,
      name: current.from.getBuildStage() ?? String(index),
      from: current.from.getImage() ?? "",
      instructions: current.instructions,
    });
  };
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction instanceof From) {
      close();
      current = { from: instruction, instructions: [] };
    } else if (current) {
      current.instructions.push(instruction);
    } else {
      throw new Error(`${instruction.getKeyword()} before the first FROM is not supported`);
    }
  }
  close();
  const final = stages.at(-1);
  if (!final) throw new Error("the Dockerfile has no FROM");
  return { stages, final };
}

/** The external image a stage ultimately starts from (following stage names). */
export function baseImageOf(model: DockerfileModel, stage: Stage): string {
  let from = stage.from;
  for (;;) {
    const parent = model.stages.find((s) => s.name === from && s.index < stage.index);
    if (!parent) return from;
    from = parent.from;
  }
}

/** The arguments of an exec-form (JSON array) CMD, HEALTHCHECK CMD or RUN. */
export function execForm(instruction: Instruction): string[] | undefined {
  let content = instruction.getArgumentsContent()?.trim() ?? "";
  if (instruction instanceof Healthcheck) {
    content = content.replace(/^(--\S+\s+)*/, "");
    if (!/^CMD\s/i.test(content)) return undefined;
    content = content.replace(/^CMD\s+/i, "");
  }
  if (!content.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(content);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `.dockerignore` semantics: the last matching pattern wins; `!` re-includes. */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      const pattern = posix
        .normalize(negate ? line.slice(1).trim() : line)
        .replace(/^\/+|\/+$/g, "");
      return { negate, regex: globToRegExp(pattern) };
    });
  return (path: string) => {
    let excluded = false;
    for (const rule of rules) if (rule.regex.test(path)) excluded = !rule.negate;
    return excluded;
  };
}

function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === "*" && pattern[i + 1] === "*") {
      // "**/" matches zero or more directories; a trailing "**" matches everything.
      if (pattern[i + 2] === "/") {
        out += "(?:.*/)?";
        i += 2;
      } else {
        out += ".*";
        i += 1;
      }
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A pattern that names a directory also covers everything below it.
  return new RegExp(`^${out}(?:/.*)?$`);
}

export interface BuildResult {
  /** The final stage's working directory on disk (the image's WORKDIR). */
  readonly appDir: string;
  /** ENV of the final stage (inherited ones included). */
  readonly env: Readonly<Record<string, string>>;
  readonly cmd: readonly string[];
  readonly healthcheck: readonly string[] | undefined;
  readonly user: string | undefined;
  /** Every RUN command, per stage, in the order it ran. */
  readonly commands: readonly { readonly stage: string; readonly command: string }[];
}

export interface BuildOptions {
  /** Build context (the repository root). */
  readonly context: string;
  /** Empty or missing folder that receives one root filesystem per stage. */
  readonly outDir: string;
  readonly dockerfile?: string;
  /** Extra environment for RUN (e.g. npm cache settings); never overrides Dockerfile ENV. */
  readonly runEnv?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

interface StageState {
  readonly root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  cmd: string[];
  healthcheck: string[] | undefined;
}

/** Builds every stage of the Dockerfile into `outDir` and describes the final one. */
export function buildWithoutDocker(options: BuildOptions): BuildResult {
  const dockerfilePath = options.dockerfile ?? join(options.context, "Dockerfile");
  const model = parseDockerfile(readFileSync(dockerfilePath, "utf8"));
  const ignorePath = join(options.context, ".dockerignore");
  const ignored = dockerignoreMatcher(
    existsSync(ignorePath) ? readFileSync(ignorePath, "utf8") : "",
  );
  const log = options.log ?? (() => undefined);
  const states = new Map<string, StageState>();
  const commands: { stage: string; command: string }[] = [];

  for (const stage of model.stages) {
    const root = join(options.outDir, `stage-${stage.index}-${stage.name}`);
    const parent = states.get(stage.from);
    mkdirSync(root, { recursive: true });
    if (parent) cpSync(parent.root, root, { recursive: true, verbatimSymlinks: true });
    const state: StageState = {
      root,
      workdir: parent?.workdir ?? "/",
      env: { ...parent?.env },
      user: parent?.user,
      cmd: [...(parent?.cmd ?? [])],
      healthcheck: parent?.healthcheck,
    };
    log(`# stage ${stage.name} (FROM ${stage.from})`);

    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const onDisk = (p: string) => join(root, posix.resolve(state.workdir, p));
      if (instruction instanceof Workdir) {
        state.workdir = posix.resolve(state.workdir, instruction.getArgumentsContent() ?? "/");
        mkdirSync(onDisk("."), { recursive: true });
      } else if (instruction instanceof Env) {
        for (const property of instruction.getProperties()) {
          state.env[property.getName()] = property.getUnescapedValue() ?? "";
        }
      } else if (instruction instanceof Copy) {
        const args = instruction.getArguments().map((a) => a.getValue());
        const dest = args.pop();
        if (!dest || args.length === 0) throw new Error(`COPY needs a source and a destination`);
        const fromStage = instruction.getFromFlag()?.getValue();
        const source = fromStage ? states.get(fromStage) : undefined;
        if (fromStage && !source)
          throw new Error(`COPY --from=${fromStage}: no such earlier stage`);
        const destPath = onDisk(dest);
        const intoDir = dest.endsWith("/") || args.length > 1;
        for (const src of args) {
          if (source) {
            const from = join(source.root, posix.resolve(source.workdir, src));
            const file = !statSync(from).isDirectory();
            copyTree(
              from,
              file && intoDir ? join(destPath, posix.basename(src)) : destPath,
              () => false,
            );
          } else {
            copyFromContext(options.context, src, destPath, intoDir, ignored);
          }
        }
        log(`COPY ${fromStage ? `--from=${fromStage} ` : ""}${args.join(" ")} ${dest}`);
      } else if (instruction instanceof Run) {
        const exec = execForm(instruction);
        const command = instruction.getArgumentsContent() ?? "";
        commands.push({ stage: stage.name, command });
        log(`RUN ${command}`);
        const [file, ...argv] = exec ?? ["sh", "-c", command];
        const result = spawnSync(file ?? "sh", argv, {
          cwd: onDisk("."),
          env: { ...process.env, ...options.runEnv, ...state.env },
          stdio: ["ignore", "pipe", "pipe"],
          encoding: "utf8",
          maxBuffer: 64 * 1024 * 1024,
        });
        if (result.status !== 0) {
          throw new Error(
            `RUN ${command} (stage ${stage.name}) failed with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`,
          );
        }
      } else if (instruction instanceof User) {
        state.user = instruction.getArgumentsContent()?.trim();
      } else if (instruction instanceof Cmd) {
        const exec = execForm(instruction);
        state.cmd = exec ?? ["/bin/sh", "-c", instruction.getArgumentsContent() ?? ""];
      } else if (instruction instanceof Healthcheck) {
        state.healthcheck = execForm(instruction);
      } else if (!["EXPOSE", "LABEL"].includes(keyword)) {
        throw new Error(`${keyword} is not supported by the docker-less build`);
      }
    }
    states.set(stage.name, state);
  }

  const final = states.get(model.final.name) as StageState;
  return {
    appDir: join(final.root, final.workdir),
    env: final.env,
    cmd: final.cmd,
    healthcheck: final.healthcheck,
    user: final.user,
    commands,
  };
}

function copyFromContext(
  context: string,
  src: string,
  dest: string,
  intoDir: boolean,
  ignored: (path: string) => boolean,
): void {
  const from = resolve(context, src);
  const rel = relative(context, from).split(sep).join("/");
  if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`COPY ${src}: outside the context`);
  if (!existsSync(from) || ignored(rel)) {
    throw new Error(`COPY ${src}: not in the build context (missing or excluded by .dockerignore)`);
  }
  const isDir = statSync(from).isDirectory();
  // Docker copies a directory's contents, and a file into a directory when dest ends in "/".
  const target = isDir || !intoDir ? dest : join(dest, posix.basename(rel));
  copyTree(from, target, (path) => ignored(relative(context, path).split(sep).join("/")));
}

/** Copies a file or a directory's contents, keeping symlinks (as COPY does). */
function copyTree(from: string, to: string, skip: (path: string) => boolean): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true, filter: (path) => !skip(path) });
}

const invokedDirectly =
  process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename);
if (invokedDirectly) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error("usage: npx tsx scripts/dockerless-build.ts OUTDIR");
    process.exitCode = 2;
  } else {
    const result = buildWithoutDocker({
      context: resolve(import.meta.dirname, ".."),
      outDir: resolve(outDir),
      log: (line) => console.log(line),
    });
    console.log(JSON.stringify(result, null, 2));
  }
}
