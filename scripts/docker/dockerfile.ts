/**
 * The Dockerfile as data: its stages, build arguments and final-stage
 * settings, parsed with dockerfile-ast. Pure: takes the file's text. The base
 * image script reads the Node.js version from it, and the tests read the
 * numeric USER, the CMD and the pinned base from it, so nothing is copied by hand.
 */
import {
  Arg,
  DockerfileParser,
  From,
  Healthcheck,
  type Instruction,
  type Dockerfile as ParsedDockerfile,
} from "dockerfile-ast";

/** One `FROM … AS name` block of the Dockerfile. */
export interface Stage {
  readonly index: number;
  readonly name: string;
  /** The FROM argument with build arguments replaced by their defaults. */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

/** The Dockerfile split into stages; the last stage is the image. */
export interface DockerfileModel {
  readonly parsed: ParsedDockerfile;
  /** Build arguments declared before the first FROM, with their defaults. */
  readonly args: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
  readonly final: Stage;
}

/** Replaces `$NAME` and `${NAME}` with the given values (unknown names are kept). */
export function expandArgs(text: string, args: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\{(\w+)\}|(\w+))/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? "";
    return Object.hasOwn(args, name) ? (args[name] as string) : whole;
  });
}

export function parseDockerfile(text: string): DockerfileModel {
  const parsed = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  let current: { from: From; instructions: Instruction[] } | undefined;
  const close = () => {
    if (!current) return;
    const index = stages.length;
    stages.push({
      index,
      name: current.from.getBuildStage() ?? String(index),
      from: expandArgs(current.from.getImage() ?? "", args),
      instructions: current.instructions,
    });
  };
  for (const instruction of parsed.getInstructions()) {
    if (instruction instanceof From) {
      close();
      current = { from: instruction, instructions: [] };
    } else if (current) {
      current.instructions.push(instruction);
    } else if (instruction instanceof Arg) {
      // Only an ARG before the first FROM can parameterise a FROM line.
      const property = instruction.getProperty();
      if (property) args[property.getName()] = property.getValue() ?? "";
    } else {
      throw new Error(`${instruction.getKeyword()} before the first FROM is not supported`);
    }
  }
  close();
  const final = stages.at(-1);
  if (!final) throw new Error("the Dockerfile has no FROM");
  return { parsed, args, stages, final };
}

/** The external image a stage ultimately starts from (following stage names). */
export function baseImageOf(model: DockerfileModel, stage: Stage = model.final): string {
  let from = stage.from;
  for (;;) {
    const parent = model.stages.find((s) => s.name === from && s.index < stage.index);
    if (!parent) return from;
    from = parent.from;
  }
}

/** The base image's parts: `node:24.12.0-bookworm-slim@sha256:…` → version 24.12.0, suite bookworm. */
export interface NodeBase {
  readonly reference: string;
  readonly tag: string;
  readonly nodeVersion: string;
  readonly debianSuite: string;
  readonly digest: string | undefined;
}

export function nodeBaseOf(model: DockerfileModel): NodeBase {
  const reference = baseImageOf(model);
  const match = /^node:((\d+\.\d+\.\d+)-([a-z]+)(?:-slim)?)(?:@(sha256:[a-f0-9]{64}))?$/.exec(
    reference,
  );
  if (!match) {
    throw new Error(
      `the Dockerfile's base image ${reference} is not node:<x.y.z>-<debian suite>[-slim][@sha256:…]`,
    );
  }
  return {
    reference,
    tag: match[1] as string,
    nodeVersion: match[2] as string,
    debianSuite: match[3] as string,
    digest: match[4],
  };
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

/** The last USER of the final stage (`10001:10001`), or undefined when it runs as root. */
export function finalUser(model: DockerfileModel): string | undefined {
  return model.final.instructions
    .filter((i) => i.getKeyword() === "USER")
    .at(-1)
    ?.getArgumentsContent()
    ?.trim();
}
