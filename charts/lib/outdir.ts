/**
 * What synth may delete in its output folder: only what it writes itself.
 * Pure, so the rule is unit-tested without touching a disk; charts/main.ts
 * lists the folder, asks `outdirPlan`, and refuses or clears accordingly.
 */

/** Every file synth writes: `<chart id>.k8s.yaml`, chart ids being `NN-name` (charts/userapi-app.ts). */
export const OWN_MANIFEST = /^\d\d-[a-z0-9]+(?:-[a-z0-9]+)*\.k8s\.yaml$/;

/** One entry of the output folder. */
export interface OutdirEntry {
  readonly name: string;
  readonly isFile: boolean;
}

/** Manifests synth wrote before (to delete), and anything else (a reason to refuse). */
export interface OutdirPlan {
  readonly remove: readonly string[];
  readonly foreign: readonly string[];
}

export function outdirPlan(entries: readonly OutdirEntry[]): OutdirPlan {
  const own = (entry: OutdirEntry) => entry.isFile && OWN_MANIFEST.test(entry.name);
  return {
    remove: entries.filter(own).map((entry) => entry.name),
    foreign: entries.filter((entry) => !own(entry)).map((entry) => entry.name),
  };
}

/** Thrown when the output folder holds files synth did not write; nothing was deleted. */
export class OutdirError extends Error {
  override readonly name = "OutdirError";
  constructor(
    readonly outdir: string,
    readonly foreign: readonly string[],
  ) {
    const shown = foreign.slice(0, 8).join(", ") + (foreign.length > 8 ? ", ..." : "");
    super(
      `refusing to synth into ${outdir}: it holds ${foreign.length} file(s) synth did not write (${shown}).\n` +
        "  Synth replaces only the NN-name.k8s.yaml files it writes and never deletes anything else:\n" +
        "  set USERAPI_OUTDIR to dist, a new folder, or an empty one. Nothing was deleted.",
    );
  }
}
