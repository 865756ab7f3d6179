/**
 * The mapping set a model reads, from its card: a bundled set (`cachedSet(card.mapping.id)`), or, for a model
 * trained on a mapping folder of the user's (`backmap train`), the set's files embedded in the card
 * (`mapping.files`). Those are written once into a cache folder named by the set's hash and loaded from there, so
 * that a model carries its mapping wherever its card goes; the hash the loader computes must equal the card's.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors';
import { loadMappingSet } from '../mapping/load';
import type { MappingSet } from '../mapping/types';
import type { ModelCard } from './contract';

const bundledCache = new Map<string, MappingSet>();

/** A bundled set (validated by the project's tests) or a folder, loaded once per process. */
export function cachedSet(id: string): MappingSet {
  let s = bundledCache.get(id);
  if (!s) {
    s = loadMappingSet(id);
    bundledCache.set(id, s);
  }
  return s;
}

/** Where embedded mapping sets are written: `<tmp>/backmap-studio/mappings/<hash>/`. */
export function cardMappingCacheRoot(): string {
  return join(tmpdir(), 'backmap-studio', 'mappings');
}

/** A card and where it was read from (error messages name the file). */
export interface CardRef {
  card: ModelCard;
  /** The card's `.json`; absent for a card made in memory (messages then name the card id). */
  cardPath?: string;
}

// Keyed by cache folder (root + hash): one load per process.
const embeddedCache = new Map<string, MappingSet>();

/**
 * Checks the embedded files of a card: plain file names (no folder part, no `..`: they are written into a folder
 * of ours and must not land anywhere else), text contents, at least one mapping file.
 */
function checkEmbedded(files: unknown, where: string): Record<string, string> {
  if (!files || typeof files !== 'object' || Array.isArray(files)) throw new InputError('model card: mapping.files must map file names to their text', where);
  const out = files as Record<string, unknown>;
  const names = Object.keys(out);
  if (!names.length) throw new InputError('model card: mapping.files is empty (the model carries no mapping)', where);
  for (const name of names) {
    if (!name || name === '.' || name.includes('..') || /[\\/:\0]/.test(name))
      throw new InputError(`model card: mapping.files has the file name "${name}" (a plain file name is expected: no folders, no "..")`, where);
    if (typeof out[name] !== 'string') throw new InputError(`model card: mapping.files["${name}"] is not text`, where);
  }
  if (!names.some((n) => !n.startsWith('bead_types'))) throw new InputError('model card: mapping.files holds no mapping file (only bead types)', where);
  return out as Record<string, string>;
}

function writeFolder(folder: string, files: Record<string, string>): void {
  mkdirSync(folder, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
}

/**
 * The mapping set of a card. With `mapping.files`: the set built from those files, written once (atomically: a
 * private folder renamed into place) into `<cacheRoot>/<hash>/`; its hash must equal `card.mapping.hash`, else an
 * `InputError` naming the card file. Without: the bundled set `card.mapping.id`.
 */
export function mappingSetOfCard(ref: CardRef, cacheRoot: string = cardMappingCacheRoot()): MappingSet {
  const { card } = ref;
  const where = ref.cardPath ?? `model card ${card.id}`;
  if (card.mapping?.files === undefined) return cachedSet(card.mapping.id);
  const files = checkEmbedded(card.mapping.files, where);
  const hash = card.mapping.hash;
  // The hash names a folder: only a sha256 in hex is taken.
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw new InputError(`model card: mapping.hash "${String(hash)}" is not a sha256 in hex`, where);
  const folder = join(cacheRoot, hash);
  const cached = embeddedCache.get(folder);
  if (cached) return named(cached, card);
  if (existsSync(folder)) {
    // Written before (by this or another process): used when its content still has the hash.
    try {
      const set = loadMappingSet(folder);
      if (set.hash === hash) return remember(folder, set, card);
    } catch {
      // a folder left half-written or edited: rebuilt below
    }
  }
  // Built in a private folder, checked, then renamed into place: a reader never sees a half-written set.
  const tmp = join(cacheRoot, `.${hash}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    writeFolder(tmp, files);
    let set: MappingSet;
    try {
      set = loadMappingSet(tmp);
    } catch (e) {
      const detail = e instanceof InputError ? e.detail : (e as Error).message;
      throw new InputError(`the mapping embedded in the model card does not load: ${detail}`, where);
    }
    if (set.hash !== hash)
      throw new InputError(
        `the mapping embedded in the model card has hash ${set.hash.slice(0, 12)}…, but the card says ${hash.slice(0, 12)}… (the card was edited or damaged; export the model again)`,
        where,
      );
    if (existsSync(folder)) rmSync(folder, { recursive: true, force: true });
    try {
      renameSync(tmp, folder);
    } catch (e) {
      // Another process put the same set in place first: theirs is used.
      if (!existsSync(folder)) throw e;
    }
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
  return remember(folder, loadMappingSet(folder), card);
}

function remember(folder: string, set: MappingSet, card: ModelCard): MappingSet {
  embeddedCache.set(folder, set);
  return named(set, card);
}

/** The set under the card's mapping id (the loader names it after its folder, the hash). */
function named(set: MappingSet, card: ModelCard): MappingSet {
  if (card.mapping.id) set.id = card.mapping.id;
  return set;
}
