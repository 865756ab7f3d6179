/**
 * The trained-model kind of Backmapper: runs an ONNX model with onnxruntime-node. Builds the contract's neighbour
 * inputs (contract.ts), checks that the model was trained for the system's mapping, and opens its session through
 * the one provider-selection routine (providers.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as OrtNs from 'onnxruntime-node';
import { InputError } from '../errors';
import type { CgSystem } from '../cg';
import { buildGraph, modelInputSystem, modelLayers, receptiveField, MODEL_INPUTS, RES_OFFSET_CLAMP, type ModelCard } from './contract';
import { resolveModel } from './registry';
import { createSession, loadOrt, ProviderUnavailableError, type Device, type ProviderAttempt } from './providers';
import type { Backmapper, Reach } from './backmapper';

export type { Device, ProviderAttempt } from './providers';

export interface LoadOptions {
  device: Device;
  /** intra-op threads for the CPU provider (default: one per physical core, providers.ts `cpuThreads`). */
  threads?: number;
  /** Accept a card whose mapping hash differs from the system's set (bead types are still checked). */
  allowMappingMismatch?: boolean;
  /** An explicit device that cannot run throws ProviderUnavailableError instead of falling back to CPU. */
  strict?: boolean;
  /** Receives one line per skipped or chosen provider. */
  log?: (message: string) => void;
}

/** What a trained model predicts: per bead vectors (N×R×3) and the torsions of its residue (N×4). */
export interface ModelPrediction {
  vectors: Float32Array;
  torsions: Float32Array;
}

const now = () => performance.now();

/** Largest slot-vector component (Å) a sane prediction has; anything beyond means the input broke the model. */
const MAX_SLOT_COMPONENT = 50;

export class ModelRunner implements Backmapper {
  readonly kind = 'model' as const;

  private constructor(
    readonly card: ModelCard,
    readonly onnxPath: string,
    readonly provider: string,
    readonly attempts: ProviderAttempt[],
    private session: OrtNs.InferenceSession | null,
    private readonly opts: LoadOptions,
  ) {}

  get id(): string {
    return this.card.id;
  }

  /**
   * Spatial reach: the receptive field (layers × cutoff); sequence reach: the res_offset clamp; graph reach: the
   * card's neighbour lists, one step per layer (not for a card that sets its own `receptiveField`, or gives no depth).
   */
  get reach(): Reach {
    const layers = modelLayers(this.card);
    const graph = layers !== undefined && this.card.receptiveField === undefined ? { cutoff: this.card.cutoff, maxNeighbors: this.card.K, hops: layers } : undefined;
    return { spatial: receptiveField(this.card), sequence: RES_OFFSET_CLAMP, ...(graph ? { graph } : {}) };
  }

  static async load(idOrPath: string, opts: LoadOptions = { device: 'auto' }): Promise<ModelRunner> {
    const { onnxPath, card, cardPath } = resolveModel(idOrPath);
    if (card.onnx?.sha256) {
      const sha = createHash('sha256').update(readFileSync(onnxPath)).digest('hex');
      if (sha !== card.onnx.sha256) throw new InputError(`model file does not match its card (sha256 ${sha.slice(0, 12)}… vs ${card.onnx.sha256.slice(0, 12)}…)`, onnxPath);
    }
    let opened;
    try {
      opened = await createSession(onnxPath, opts.device, { strict: opts.strict, intraOpNumThreads: opts.threads, log: opts.log });
    } catch (e) {
      if (opts.strict || !(e instanceof ProviderUnavailableError)) throw e;
      throw new InputError(`no execution provider could run the model (${e.reason})`, cardPath);
    }
    const session = opened.session as OrtNs.InferenceSession;
    const names = session.inputNames.join(',');
    if (names !== MODEL_INPUTS.join(',')) {
      await session.release();
      throw new InputError(`model inputs are [${names}], expected [${MODEL_INPUTS.join(',')}]`, onnxPath);
    }
    return new ModelRunner(card, onnxPath, opened.provider, opened.attempts, session, opts);
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

  /** Vectors and torsions for every bead of `system`; `timings` gets the graph and inference times (ms) added. */
  async predict(system: CgSystem, timings: Record<string, number> = {}): Promise<ModelPrediction> {
    this.checkSystem(system);
    system = modelInputSystem(this.card, system);
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
    return this.predictArrays(system.coords.subarray(0, 3 * n), types, res, chain, timings, system.set.folder || system.set.id);
  }

  /** Lower-level entry: positions (Å), type ids, residue and chain index per bead. */
  async predictArrays(
    pos: Float64Array | Float32Array,
    types: Int32Array,
    resIndex: Int32Array,
    chainIndex: Int32Array,
    timings: Record<string, number> = {},
    source = 'coordinates',
  ): Promise<ModelPrediction> {
    if (!this.session) throw new Error('ModelRunner used after release()');
    const n = types.length;
    const R = this.card.R;
    if (n === 0) return { vectors: new Float32Array(0), torsions: new Float32Array(0) };
    let t = now();
    const g = buildGraph(pos, resIndex, chainIndex, this.card.cutoff, this.card.K, source);
    const T = loadOrt().Tensor as typeof OrtNs.Tensor;
    const bt = new BigInt64Array(n);
    for (let i = 0; i < n; i++) bt[i] = BigInt(types[i]);
    const feeds = {
      pos: new T('float32', Float32Array.from(pos), [n, 3]),
      bead_type: new T('int64', bt, [n]),
      nbr: new T('int64', g.nbr, [n, g.k]),
      nbr_mask: new T('float32', g.mask, [n, g.k]),
      res_offset: new T('int64', g.resOffset, [n, g.k]),
    };
    timings.graph = (timings.graph ?? 0) + now() - t;
    t = now();
    const out = await this.session.run(feeds);
    timings.inference = (timings.inference ?? 0) + now() - t;
    const vectors = out.vectors.data as Float32Array;
    const torsions = out.torsions.data as Float32Array;
    if (vectors.length !== n * R * 3) throw new Error(`model returned ${vectors.length} vector values for ${n} beads × ${R} slots`);
    // Beads on top of each other (stacked copies, a broken frame) drive the network far outside what it was trained
    // on (the shipped models then predict ~1e18 Å): refuse rather than write atoms far away. A slot vector spans a bond or
    // a bead radius: a few Å, below 10 Å for the shipped models on real proteins (test/core/model/overlap.test.ts).
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i];
      if (Number.isFinite(v) && Math.abs(v) <= MAX_SLOT_COMPONENT) continue;
      const bead = Math.floor(i / (3 * R));
      throw new InputError(
        `model "${this.card.id}" gave no usable atoms for bead ${bead + 1} of ${n} (residue ${resIndex[bead] + 1} of the input): ` +
          'beads overlap or sit far outside a CG model\'s geometry (check for stacked copies or a corrupted frame)',
        source,
      );
    }
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
