/**
 * Shipped models (`<repo>/models/<id>.onnx` + `<id>.json`), models in folders of the user's (`<name>.onnx` +
 * `<name>.json`, e.g. trained with `backmap train`) and models given by path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors';
import { cardHydrogensProblem, type ModelCard } from './contract';

/** Walks up from this file (src/core/model or dist/) to the folder that holds `models/`. */
export function modelsRoot(from: string = __dirname): string | null {
  const env = process.env.BACKMAP_MODELS_DIR;
  if (env) return existsSync(env) ? resolve(env) : null;
  let d = resolve(from);
  for (;;) {
    const m = join(d, 'models');
    if (existsSync(m) && statSync(m).isDirectory() && existsSync(join(d, 'package.json'))) return m;
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

function readCard(path: string): ModelCard {
  let card: ModelCard;
  try {
    card = JSON.parse(readFileSync(path, 'utf8')) as ModelCard;
  } catch (e) {
    throw new InputError(`model card is not valid JSON: ${(e as Error).message}`, path);
  }
  if (!card || typeof card !== 'object' || Array.isArray(card)) throw new InputError('model card is not a JSON object', path);
  for (const k of ['id', 'mapping', 'beadTypes', 'R', 'cutoff', 'K'] as const)
    if (card[k] === undefined || card[k] === null) throw new InputError(`model card lacks "${k}"`, path);
  if (typeof card.id !== 'string' || !card.id) throw new InputError('model card: "id" is not a name', path);
  if (typeof card.mapping !== 'object' || typeof card.mapping.id !== 'string') throw new InputError('model card lacks mapping.id', path);
  if (!card.mapping.hash) throw new InputError('model card lacks mapping.hash', path);
  if (!Array.isArray(card.beadTypes) || card.beadTypes.some((t) => typeof t !== 'string')) throw new InputError('model card: "beadTypes" is not a list of names', path);
  if (card.molecules !== undefined && (!Array.isArray(card.molecules) || card.molecules.some((m) => typeof m !== 'string')))
    throw new InputError('model card: "molecules" is not a list of residue names', path);
  const hydrogens = cardHydrogensProblem(card);
  if (hydrogens) throw new InputError(`model card: ${hydrogens}`, path);
  return card;
}

/** A model found on disk: its card, its files and where it came from. */
export interface ModelEntry {
  card: ModelCard;
  onnxPath: string;
  cardPath: string;
  /** `models/` of the installation, or a folder of the user's (`modelDirs`, BACKMAP_MODEL_PATH). */
  source: 'shipped' | 'folder';
}

/** A model file in a folder of the user's that could not be taken (a broken card, a card without its network). */
export interface ModelProblem {
  file: string;
  message: string;
}

/**
 * The user's model folders: `dirs` (the editor's workspace `.backmap/models/` and setting, the CLI's `--models`)
 * then BACKMAP_MODEL_PATH (path-delimiter separated), resolved, each once, the shipped folder left out.
 */
export function modelFolders(dirs: readonly string[] = [], env: string | undefined = process.env.BACKMAP_MODEL_PATH): string[] {
  const root = modelsRoot();
  const out: string[] = [];
  for (const d of [...dirs, ...(env ? env.split(delimiter) : [])]) {
    if (!d.trim()) continue;
    const abs = resolve(d);
    if (abs !== root && !out.includes(abs)) out.push(abs);
  }
  return out;
}

function shippedEntries(): ModelEntry[] {
  const root = modelsRoot();
  if (!root) return [];
  const out: ModelEntry[] = [];
  for (const f of readdirSync(root).sort()) {
    if (!f.endsWith('.json')) continue;
    const onnxPath = join(root, f.replace(/\.json$/, '.onnx'));
    if (!existsSync(onnxPath)) continue;
    const cardPath = join(root, f);
    try {
      out.push({ card: readCard(cardPath), onnxPath, cardPath, source: 'shipped' });
    } catch {
      // a broken shipped card is reported by resolveModel when that model is asked for
    }
  }
  return out;
}

/**
 * Models of one folder of the user's: every `<name>.onnx` with its `<name>.json` card, sorted by file name. A card
 * that does not read, a card without its `.onnx` and a `.onnx` without its card go to `problems`, never silently
 * away. A folder that does not exist holds no models (the editor passes its workspace folder whether or not it
 * exists); a path that is not a folder is a problem.
 */
function folderEntries(dir: string, problems: ModelProblem[]): ModelEntry[] {
  if (!existsSync(dir)) return [];
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      problems.push({ file: dir, message: 'model folder is not a folder' });
      return [];
    }
    names = readdirSync(dir).sort();
  } catch (e) {
    problems.push({ file: dir, message: `model folder cannot be read: ${(e as Error).message}` });
    return [];
  }
  const out: ModelEntry[] = [];
  for (const f of names) {
    if (f.endsWith('.onnx') && !names.includes(f.replace(/\.onnx$/, '.json'))) {
      problems.push({ file: join(dir, f), message: `model has no card (${f.replace(/\.onnx$/, '.json')} missing beside it): not used` });
      continue;
    }
    if (!f.endsWith('.json')) continue;
    const cardPath = join(dir, f);
    const onnxPath = join(dir, f.replace(/\.json$/, '.onnx'));
    if (!names.includes(basename(onnxPath))) {
      problems.push({ file: cardPath, message: `model card without its network (${basename(onnxPath)} missing beside it): not used` });
      continue;
    }
    try {
      out.push({ card: readCard(cardPath), onnxPath, cardPath, source: 'folder' });
    } catch (e) {
      problems.push({ file: cardPath, message: `${e instanceof InputError ? e.detail : (e as Error).message}: model not used` });
    }
  }
  return out;
}

/**
 * Every model available: the shipped ones (sorted by id) first, then those of the user's folders (`modelFolders`)
 * in folder order. Problems with the user's files are pushed to `problems` when given (chooseModel warns them).
 */
export function listModelEntries(dirs?: readonly string[], problems: ModelProblem[] = []): ModelEntry[] {
  const out = shippedEntries();
  for (const d of modelFolders(dirs)) out.push(...folderEntries(d, problems));
  return out;
}

/** Cards of every shipped model (sorted by id); `listModelEntries` adds the user's folders. */
export function listModels(): ModelCard[] {
  return shippedEntries().map((e) => e.card);
}

/** A shipped model id, or a path to a `.onnx` with its `.json` card beside it. */
export function resolveModel(idOrPath: string): { onnxPath: string; card: ModelCard; cardPath: string } {
  if (idOrPath.endsWith('.onnx') || idOrPath.includes('/') || idOrPath.includes('\\')) {
    const onnxPath = resolve(idOrPath.endsWith('.onnx') ? idOrPath : `${idOrPath}.onnx`);
    if (!existsSync(onnxPath)) throw new InputError('model file not found', onnxPath);
    const cardPath = onnxPath.replace(/\.onnx$/, '.json');
    if (!existsSync(cardPath)) throw new InputError(`model card ${basename(cardPath)} not found beside the model`, onnxPath);
    return { onnxPath, card: readCard(cardPath), cardPath };
  }
  const root = modelsRoot();
  const known = listModels().map((c) => c.id);
  if (!root) throw new InputError(`unknown model "${idOrPath}": no models folder found`, idOrPath);
  const onnxPath = join(root, `${idOrPath}.onnx`);
  const cardPath = join(root, `${idOrPath}.json`);
  if (!existsSync(onnxPath) || !existsSync(cardPath))
    throw new InputError(`unknown model "${idOrPath}" (shipped: ${known.join(', ') || 'none'})`, idOrPath);
  return { onnxPath, card: readCard(cardPath), cardPath };
}

/** One benchmark route of a card's measured accuracy (medians over held-out structures, Å). */
export interface AccuracySummary {
  route: string;
  structures: number;
  bb: number;
  sc: number;
  all: number;
}

/**
 * The model's own rows of the card's `accuracy` (written by `bench:accuracy -- --update-cards`): raw network
 * output, one per benchmark route, in the card's order. Template and "+refine" rows are left out; so are rows
 * whose figures are missing. Empty when the card has never been benchmarked.
 */
export function accuracySummary(card: ModelCard): AccuracySummary[] {
  const rows = (card.accuracy as { rows?: unknown } | null | undefined)?.rows;
  if (!Array.isArray(rows)) return [];
  const med = (v: unknown) => (v && typeof (v as { median?: unknown }).median === 'number' ? (v as { median: number }).median : NaN);
  const out: AccuracySummary[] = [];
  for (const r of rows as Record<string, unknown>[]) {
    if (r.method !== card.id || typeof r.route !== 'string') continue;
    const a = { route: r.route, structures: Number(r.structures), bb: med(r.rmsd_bb), sc: med(r.rmsd_sc), all: med(r.rmsd_all) };
    if ([a.bb, a.sc, a.all].every(Number.isFinite)) out.push(a);
  }
  return out;
}

/** "martini3 0.102/0.515/0.373 Å (73)" per route, joined: the CLI's and the model picker's line. */
export function formatAccuracy(summary: AccuracySummary[]): string {
  return summary.map((a) => `${a.route} ${a.bb.toFixed(3)}/${a.sc.toFixed(3)}/${a.all.toFixed(3)} Å (${a.structures})`).join(', ');
}
