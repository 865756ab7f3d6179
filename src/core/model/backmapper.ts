/**
 * The one Backmapper interface: what turns a CG system's bead coordinates into the per-bead hierarchical vectors
 * that `reconstruct` builds atoms from. Two kinds: a trained ONNX model (`ModelRunner`, runner.ts) and the
 * model-free template (template.ts). The pipeline, the inference worker and the benchmarks all backmap through it,
 * so what is measured is what the product runs.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CgSystem } from '../cg';
import { templateVectors } from '../template';
import type { ModelCard } from './contract';
import type { Device, ProviderAttempt } from './providers';
import { modelsRoot } from './registry';
import { ModelRunner } from './runner';

export interface Prediction {
  /** N × R × 3 (R = the mapping set's slots per bead). */
  vectors: Float32Array;
  /** N × 4 (cos φ, sin φ, cos ψ, sin ψ of the bead's residue) from a trained model; null for the template. */
  torsions: Float32Array | null;
  /**
   * N × 3: where each bead's atoms are to be centred when they are not to be centred on the input bead (the
   * template's sterol rings, placed whole: `TemplateOptions.centres`); absent: on the input beads.
   */
  centres?: Float64Array;
}

/** What a bead's output depends on (see `Backmapper.reach`). */
export interface Reach {
  spatial: number;
  sequence: number;
  /**
   * A model that reads other beads only through the contract's neighbour lists (the `maxNeighbors` nearest within
   * `cutoff`, contract.ts), `hops` message-passing steps deep: a bead's output then depends exactly on the beads
   * within `hops` steps along those lists, fewer than the spatial reach holds in a dense system.
   */
  graph?: { cutoff: number; maxNeighbors: number; hops: number };
}

export interface Backmapper {
  readonly kind: 'model' | 'template';
  /** Model id, or 'template'. */
  readonly id: string;
  /** Execution provider ('cpu', 'cuda', 'webgpu', …); 'js' for the template. */
  readonly provider: string;
  /** Providers tried or skipped before `provider`, each with its reason. */
  readonly attempts: ProviderAttempt[];
  readonly card: ModelCard | null;
  /**
   * How far a bead's output depends on other beads: `spatial` Å around it and `sequence` residues along its chain;
   * for a message-passing model also `graph`, the neighbour lists it reads and how many times. Inference chunks
   * carry this much halo (chunking.ts).
   */
  readonly reach: Reach;
  /** Predicts every bead of `system`; `timings` gets 'graph' / 'inference' milliseconds added. */
  predict(system: CgSystem, timings?: Record<string, number>): Promise<Prediction>;
  release(): Promise<void>;
}

/**
 * Reach of the template backmapper (src/core/template.ts): a residue's vectors depend on its own beads and the
 * backbone beads of up to two residues on either side in the same chain segment (plus whether the next residue
 * exists, for the C-terminus): sequence neighbours, not a spatial neighbourhood.
 */
export const TEMPLATE_SEQUENCE_REACH = 2;
export const TEMPLATE_SPATIAL_REACH = 0;

/** The model-free kind: ideal residue templates placed on the beads, in JavaScript. */
export class TemplateBackmapper implements Backmapper {
  readonly kind = 'template' as const;
  readonly id = 'template';
  readonly provider = 'js';
  readonly attempts: ProviderAttempt[] = [];
  readonly card = null;
  readonly reach: Reach = { spatial: TEMPLATE_SPATIAL_REACH, sequence: TEMPLATE_SEQUENCE_REACH };

  async predict(system: CgSystem, timings: Record<string, number> = {}): Promise<Prediction> {
    const t = performance.now();
    const centres = new Float64Array(system.coords.length);
    const vectors = templateVectors(system, { centres });
    timings.inference = (timings.inference ?? 0) + performance.now() - t;
    return { vectors, torsions: null, centres };
  }

  async release(): Promise<void> {}
}

export interface OpenOptions {
  device?: Device;
  /** An explicit device that cannot run throws ProviderUnavailableError instead of falling back to CPU. */
  strict?: boolean;
  /** intra-op threads for the CPU provider. */
  threads?: number;
  /** Keep the model session open for later calls (one per model + device); `release()` is then a no-op. */
  cache?: boolean;
  log?: (message: string) => void;
}

/**
 * Opens a backmapper: 'template', or a model id / .onnx path. `device: 'auto'` tries the platform's providers in
 * order (providers.ts); an explicit device that cannot run falls back to CPU with the reason recorded, or throws
 * `ProviderUnavailableError` with `strict`.
 */
export async function openBackmapper(model: string, opts: OpenOptions = {}): Promise<Backmapper> {
  if (model === 'template') return new TemplateBackmapper();
  const device = opts.device ?? 'auto';
  if (!opts.cache) return loadModel(model, device, opts);
  const key = `${model}\u0000${device}\u0000${opts.strict ? 1 : 0}`;
  const stamp = filesStamp(model);
  const cached = sessionCache.get(key);
  let runner = cached?.runner;
  if (cached && cached.stamp !== stamp) {
    // The model was written again since (`backmap train --force` into the same file): the old session goes.
    sessionCache.delete(key);
    await cached.runner.release();
    runner = undefined;
  }
  if (!runner) {
    runner = await loadModel(model, device, opts);
    sessionCache.set(key, { runner, stamp });
  } else opts.log?.(`reusing the ${runner.provider} session of ${runner.id}`);
  return keptOpen(runner);
}

/** Size and modification time of a model's network and card (found as `resolveModel` finds them; '-' for a missing one). */
function filesStamp(model: string): string {
  const byPath = model.endsWith('.onnx') || model.includes('/') || model.includes('\\');
  const path = byPath ? resolve(model.endsWith('.onnx') ? model : `${model}.onnx`) : join(modelsRoot() ?? '', `${model}.onnx`);
  const parts: string[] = [];
  for (const p of [path, path.replace(/\.onnx$/, '.json')]) {
    try {
      const st = statSync(p);
      parts.push(`${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push('-');
    }
  }
  return parts.join('|');
}

async function loadModel(model: string, device: Device, opts: OpenOptions): Promise<ModelRunner> {
  const runner = await ModelRunner.load(model, { device, strict: opts.strict, threads: opts.threads });
  const skipped = runner.attempts.filter((a) => !a.ok).map((a) => `${a.device}: ${a.reason}`);
  opts.log?.(`model ${model} runs on ${runner.provider}${skipped.length ? ` (not used: ${skipped.join('; ')})` : ''}`);
  return runner;
}

const sessionCache = new Map<string, { runner: ModelRunner; stamp: string }>();

/**
 * A backmapper seen through the interface with a release that leaves it open for the next call (cached sessions; a
 * trajectory's backmappers, released by the run after its last frame).
 */
export function keptOpen(bm: Backmapper): Backmapper {
  return {
    kind: bm.kind,
    id: bm.id,
    provider: bm.provider,
    attempts: bm.attempts,
    card: bm.card,
    reach: bm.reach,
    predict: (system, timings) => bm.predict(system, timings),
    release: async () => {},
  };
}

/** Closes every cached model session. */
export async function releaseCachedSessions(): Promise<void> {
  const all = [...sessionCache.values()];
  sessionCache.clear();
  for (const { runner } of all) await runner.release();
}
