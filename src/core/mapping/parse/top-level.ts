/**
 * The document and its top-level keys: YAML syntax (X1), the file being a mapping (E1), duplicate (W15) and ignored
 * (X4) top-level keys. Only `molecule` and `atoms` are read (docs/mapping-format.md, "File layout").
 */
import { isMap, isScalar, parseDocument, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { ParseContext } from './context';

/** The top-level mapping, or null (after reporting why) when there is none to read. */
export function parseYamlDocument(ctx: ParseContext): YAMLMap | null {
  let doc;
  try {
    doc = parseDocument(ctx.text, { schema: 'failsafe', uniqueKeys: false, lineCounter: ctx.lineCounter, prettyErrors: false, strict: false });
  } catch (e) {
    ctx.report('X1', 0, Math.min(ctx.text.length, 1), `YAML cannot be parsed (${(e as Error).message}); PyYAML's safe_load raises and CGmap stops loading the folder.`);
    return null;
  }
  for (const err of doc.errors) {
    const [s, e] = err.pos;
    ctx.report('X1', s, Math.max(e, s + 1), `YAML syntax error: ${err.message.split('\n')[0]}. PyYAML's safe_load raises and CGmap stops loading the folder.`);
  }
  const top = doc.contents;
  if (!isMap(top)) {
    const [s, e] = ctx.firstLine();
    ctx.report('E1', s, e, 'The file is not a YAML mapping with `molecule:` and `atoms:`; CGmap crashes at load (TypeError) reading `molecule`.');
    return null;
  }
  return top;
}

export interface TopLevelKeys {
  molecule: Pair | null;
  atoms: Pair | null;
}

/** The `molecule` and `atoms` pairs with PyYAML dict semantics (duplicate keys: the last value wins). */
export function readTopLevelKeys(ctx: ParseContext, top: YAMLMap): TopLevelKeys {
  const keys: TopLevelKeys = { molecule: null, atoms: null };
  const seen = new Map<string, Pair>();
  for (const p of top.items as Pair[]) {
    const k = isScalar(p.key) ? String(p.key.value ?? '') : null;
    const kr = (p.key as { range?: number[] } | null)?.range;
    if (k !== null && kr) {
      const prev = seen.get(k);
      if (prev) ctx.report('W15', kr[0], kr[1], `Duplicate top-level key \`${k}\`: PyYAML keeps only this last value and silently drops line ${ctx.lineCounter.linePos((prev.key as Scalar).range![0]).line}'s.`);
      seen.set(k, p);
    }
    if (k === 'molecule') keys.molecule = p;
    else if (k === 'atoms') keys.atoms = p;
    else if (kr) ctx.report('X4', kr[0], kr[1], `Top-level key \`${k ?? '?'}\` is ignored by CGmap/HEroBM (only \`molecule\` and \`atoms\` are read).`);
  }
  return keys;
}
