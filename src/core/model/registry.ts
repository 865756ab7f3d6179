/** Shipped models (`<repo>/models/<id>.onnx` + `<id>.json`) and models given by path. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors';
import type { ModelCard } from './contract';

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
  for (const k of ['id', 'mapping', 'beadTypes', 'R', 'cutoff', 'K'] as const)
    if (card[k] === undefined || card[k] === null) throw new InputError(`model card lacks "${k}"`, path);
  if (!card.mapping.hash) throw new InputError('model card lacks mapping.hash', path);
  return card;
}

/** Cards of every model in the models folder (sorted by id). */
export function listModels(): ModelCard[] {
  const root = modelsRoot();
  if (!root) return [];
  const out: ModelCard[] = [];
  for (const f of readdirSync(root).sort()) {
    if (!f.endsWith('.json')) continue;
    const onnx = join(root, f.replace(/\.json$/, '.onnx'));
    if (!existsSync(onnx)) continue;
    try {
      out.push(readCard(join(root, f)));
    } catch {
      // a broken card is reported by resolveModel when that model is asked for
    }
  }
  return out;
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
