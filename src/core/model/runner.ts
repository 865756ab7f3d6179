/**
 * Runs a backmapping model with onnxruntime-node. Builds the contract's neighbour inputs (contract.ts), checks
 * that the model was trained for the system's mapping, and picks an execution provider.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as OrtNs from 'onnxruntime-node';
import { InputError } from '../errors';
import type { CgSystem } from '../cg';
import { buildGraph, type ModelCard } from './contract';
import { resolveModel } from './registry';

export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';

export interface ProviderAttempt {
  provider: string;
  ok: boolean;
  reason?: string;
}

export interface LoadOptions {
  device: Device;
  /** intra-op threads for the CPU provider (default: onnxruntime's choice). */
  threads?: number;
  /** Accept a card whose mapping hash differs from the system's set (bead types are still checked). */
  allowMappingMismatch?: boolean;
}

export interface Prediction {
  vectors: Float32Array; // N*R*3
  torsions: Float32Array; // N*4
}

let ortModule: typeof OrtNs | null = null;
function ort(): typeof OrtNs {
  // Loaded lazily so that importing the core never loads the native binding.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!ortModule) ortModule = require('onnxruntime-node') as typeof OrtNs;
  return ortModule;
}

/** Candidate providers for `auto`, best first, for this platform. */
function autoCandidates(): string[] {
  if (process.platform === 'win32') return ['cuda', 'dml', 'webgpu'];
  if (process.platform === 'darwin') return ['coreml', 'webgpu'];
  return ['cuda', 'webgpu'];
}

/** Why a provider cannot run here, without trying it (null = worth trying). */
function precheck(provider: string): string | null {
  const supported = ort().listSupportedBackends?.() ?? [];
  const entry = supported.find((b) => b.name === provider);
  if (!entry) return `not built into onnxruntime-node for ${process.platform}-${process.arch}`;
  if (provider === 'cuda') {
    // onnxruntime-node ships CUDA as a separate download (skipped by this project's .npmrc unless opted in).
    let bin: string | null = null;
    try {
      bin = dirname(require.resolve('onnxruntime-node/package.json'));
    } catch {
      bin = null;
    }
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    const dir = bin ? join(bin, 'bin', 'napi-v6', process.platform, process.arch) : '';
    if (!bin || !existsSync(join(dir, lib))) return `CUDA provider library ${lib} not installed (opt in with 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js', see README "GPU")`;
  }
  return null;
}

export class ModelRunner {
  private constructor(
    readonly card: ModelCard,
    readonly onnxPath: string,
    readonly provider: string,
    readonly attempts: ProviderAttempt[],
    private session: OrtNs.InferenceSession | null,
    private readonly opts: LoadOptions,
  ) {}

  static async load(idOrPath: string, opts: LoadOptions = { device: 'auto' }): Promise<ModelRunner> {
    const { onnxPath, card, cardPath } = resolveModel(idOrPath);
    if (card.onnx?.sha256) {
      const sha = createHash('sha256').update(readFileSync(onnxPath)).digest('hex');
      if (sha !== card.onnx.sha256) throw new InputError(`model file does not match its card (sha256 ${sha.slice(0, 12)}… vs ${card.onnx.sha256.slice(0, 12)}…)`, onnxPath);
    }
    const wanted = opts.device === 'auto' ? [...autoCandidates(), 'cpu'] : [opts.device];
    const attempts: ProviderAttempt[] = [];
    for (const provider of wanted) {
      const skip = provider === 'cpu' ? null : precheck(provider);
      if (skip) {
        attempts.push({ provider, ok: false, reason: skip });
        continue;
      }
      try {
        const session = await ort().InferenceSession.create(onnxPath, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
        });
        const names = session.inputNames.join(',');
        if (names !== 'pos,bead_type,nbr,nbr_mask,res_offset')
          throw new InputError(`model inputs are [${names}], expected [pos,bead_type,nbr,nbr_mask,res_offset]`, onnxPath);
        attempts.push({ provider, ok: true });
        return new ModelRunner(card, onnxPath, provider, attempts, session, opts);
      } catch (e) {
        if (e instanceof InputError) throw e;
        attempts.push({ provider, ok: false, reason: String((e as Error).message ?? e).split('\n')[0].slice(0, 300) });
      }
    }
    const why = attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ');
    throw new InputError(`no execution provider could run the model (${why})`, cardPath);
  }

  /** Refuses a system whose mapping the model was not trained for (clear message naming both). */
  checkSystem(system: CgSystem): void {
    const set = system.set;
    const where = set.folder || set.id;
    if (set.maxSlots !== this.card.R)
      throw new InputError(`model "${this.card.id}" predicts ${this.card.R} slots per bead but mapping set "${set.id}" needs ${set.maxSlots}`, where);
    if (set.hash !== this.card.mapping.hash && !this.opts.allowMappingMismatch)
      throw new InputError(
        `model "${this.card.id}" was trained for mapping set "${this.card.mapping.id}" (hash ${this.card.mapping.hash.slice(0, 12)}…), ` +
          `but the structure is mapped with "${set.id}" (hash ${set.hash.slice(0, 12)}…); choose a model for this mapping or the template backmapper`,
        where,
      );
    const seen = new Set<string>();
    for (const b of system.beads) {
      const cb = b.molecule.beads[b.bead];
      const key = `${b.typeId}:${cb.idname}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const names = b.typeId >= 0 && b.typeId < this.card.beadTypes.length ? this.card.beadTypes[b.typeId].split('|') : [];
      if (!names.includes(cb.idname))
        throw new InputError(`bead type ${cb.idname} (id ${b.typeId}) is unknown to model "${this.card.id}"`, b.molecule.file || where);
    }
  }

  async predict(system: CgSystem): Promise<Prediction> {
    this.checkSystem(system);
    const n = system.beads.length;
    const types = new Int32Array(n);
    const res = new Int32Array(n);
    const chain = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const b = system.beads[i];
      types[i] = b.typeId;
      res[i] = b.residue;
      chain[i] = system.residues[b.residue].chainIndex;
    }
    return this.predictArrays(system.coords.subarray(0, 3 * n), types, res, chain);
  }

  /** Lower-level entry: positions (Å), type ids, residue and chain index per bead. */
  async predictArrays(pos: Float64Array | Float32Array, types: Int32Array, resIndex: Int32Array, chainIndex: Int32Array): Promise<Prediction> {
    if (!this.session) throw new Error('ModelRunner used after release()');
    const n = types.length;
    const R = this.card.R;
    if (n === 0) return { vectors: new Float32Array(0), torsions: new Float32Array(0) };
    const g = buildGraph(pos, resIndex, chainIndex, this.card.cutoff, this.card.K);
    const T = ort().Tensor;
    const bt = new BigInt64Array(n);
    for (let i = 0; i < n; i++) bt[i] = BigInt(types[i]);
    const feeds = {
      pos: new T('float32', Float32Array.from(pos), [n, 3]),
      bead_type: new T('int64', bt, [n]),
      nbr: new T('int64', g.nbr, [n, g.k]),
      nbr_mask: new T('float32', g.mask, [n, g.k]),
      res_offset: new T('int64', g.resOffset, [n, g.k]),
    };
    const out = await this.session.run(feeds);
    const vectors = out.vectors.data as Float32Array;
    const torsions = out.torsions.data as Float32Array;
    if (vectors.length !== n * R * 3) throw new Error(`model returned ${vectors.length} vector values for ${n} beads × ${R} slots`);
    return { vectors, torsions };
  }

  /** Runs the raw contract inputs (used by the reference test). */
  async runRaw(feeds: Record<string, OrtNs.Tensor>): Promise<Record<string, OrtNs.Tensor>> {
    if (!this.session) throw new Error('ModelRunner used after release()');
    return this.session.run(feeds);
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}
