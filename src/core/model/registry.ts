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
