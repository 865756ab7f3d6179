/**
 * The `atoms:` section: a mapping of `ATOM: BEADS [settings]` entries whose keys and values YAML 1.1 must read as
 * strings (E2). Duplicate keys follow PyYAML's dict: the last value wins at the FIRST key's position (W15), which
 * matters because the entry order is the model interface (docs/mapping-format.md, "File layout").
 */
import { isMap, isScalar, isSeq, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { pythonType } from '../yaml11';
import type { ParseContext } from './context';
import type { MappingEntry } from './parsed';
import { scalarBase, scalarKind } from './tokens';

/** An entry as read from YAML: its key and value strings, null when unusable (already reported). */
export interface RawEntry {
  entry: MappingEntry;
  keyStr: string | null;
  valueStr: string | null;
  /** Offset of value character 0 in the file, null when the scalar is not a verbatim copy of the source. */
  valueBase: number | null;
}

/** The `atoms` mapping, or null (after reporting why) when it is missing or not a mapping. */
export function readAtomsMapping(ctx: ParseContext, pair: Pair | null): YAMLMap | null {
  if (!pair) {
    const [s, e] = ctx.firstLine();
    ctx.report('E2', s, e, '`atoms:` is missing; a mapping file must map atoms to beads.');
    return null;
  }
  const node = pair.value;
  if (!isMap(node)) {
    const kr = (pair.key as Scalar).range!;
    ctx.report('E2', kr[0], kr[1], isSeq(node)
      ? '`atoms` is a list; it must be a mapping `ATOM: BEADS [settings]`. CGmap crashes at load with AttributeError (.items()).'
      : '`atoms` is empty or not a mapping; CGmap crashes at load with AttributeError.');
    return null;
  }
  return node;
}

/**
 * Every entry as written (into `result.entries`), and the effective ones in dict order: a duplicate key replaces
 * the earlier value but keeps the earlier position.
 */
export function collectEntries(ctx: ParseContext, atomsNode: YAMLMap): RawEntry[] {
  const byKey = new Map<string, number>(); // key string -> index into `effective` (first occurrence)
  const effective: RawEntry[] = [];
  let order = 0;
  for (const p of atomsNode.items as Pair[]) {
    const raw = readEntry(ctx, p, order++);
    ctx.result.entries.push(raw.entry);
    if (raw.keyStr !== null) {
      const at = byKey.get(raw.keyStr);
      if (at !== undefined) {
        reportDuplicateKey(ctx, effective[at].entry, raw);
        effective[at] = raw;
        continue;
      }
      byKey.set(raw.keyStr, effective.length);
    }
    effective.push(raw);
  }
  return effective;
}

function readEntry(ctx: ParseContext, p: Pair, order: number): RawEntry {
  const kNode = p.key;
  const vNode = p.value;
  const kr = (kNode as { range?: number[] } | null)?.range ?? [(vNode as Scalar | null)?.range?.[0] ?? 0, (vNode as Scalar | null)?.range?.[0] ?? 0];
  const vr = (vNode as { range?: number[] } | null)?.range;
  const entryEnd = vr ? vr[1] : kr[1];
  const entry: MappingEntry = {
    order, key: { text: '', start: kr[0], end: kr[1] }, value: null, start: kr[0], end: entryEnd,
    line: ctx.lineCounter.linePos(kr[0]).line, names: [], beads: [], fields: [], ruleParts: [], atom: -1, overridden: false,
  };
  const raw: RawEntry = { entry, keyStr: null, valueStr: null, valueBase: null };
  readEntryKey(ctx, raw, kNode, kr);
  readEntryValue(ctx, raw, vNode, kr, vr);
  return raw;
}

/** The key must be a string scalar (`ON`, `yes`, `1` are not). */
function readEntryKey(ctx: ParseContext, raw: RawEntry, kNode: unknown, kr: number[]): void {
  if (!isScalar(kNode)) {
    ctx.report('E2', kr[0], Math.max(kr[1], kr[0] + 1), 'Atom key is not a plain string; CGmap crashes at load with AttributeError (.strip()).');
    return;
  }
  const kind = scalarKind(kNode);
  const ks = String(kNode.value ?? '');
  const base = scalarBase(kNode, ctx.text);
  raw.entry.key = { text: ks, start: base ?? kr[0], end: (base ?? kr[0]) + (base !== null ? ks.length : kr[1] - kr[0]) };
  if (kind !== 'str') {
    const shown = ks === '' ? '(empty key)' : ks;
    ctx.report('E2', kr[0], Math.max(kr[1], kr[0] + 1),
      `Key \`${shown}\` is read by YAML 1.1 as ${pythonType(kind)}, not an atom name; CGmap crashes at load with AttributeError: '${pythonType(kind)}' object has no attribute 'strip'. Quote it.`,
      ks === '' ? undefined : [{ title: `Quote "${ks}"`, edits: [{ start: kr[0], end: kr[1], newText: JSON.stringify(ks) }], preferred: true }]);
  } else {
    raw.keyStr = ks;
  }
}

/** The value must be a non-empty string scalar (`BEADS [settings]`). */
function readEntryValue(ctx: ParseContext, raw: RawEntry, vNode: unknown, kr: number[], vr: number[] | undefined): void {
  if (!isScalar(vNode)) {
    if (vNode == null) {
      ctx.report('E2', kr[0], kr[1], `Atom \`${raw.keyStr ?? '?'}\` has no value (null); CGmap crashes at load with AttributeError: 'NoneType' object has no attribute 'split'.`);
    } else {
      ctx.report('E2', vr![0], vr![1], `The value of \`${raw.keyStr ?? '?'}\` is a ${isSeq(vNode) ? 'list' : 'mapping'}; it must be a string "BEADS [settings]". CGmap crashes at load with AttributeError.`);
    }
    return;
  }
  const kind = scalarKind(vNode);
  const vs = String(vNode.value ?? '');
  const base = scalarBase(vNode, ctx.text);
  raw.entry.value = { text: vs, start: base ?? vr![0], end: base !== null ? base + vs.length : vr![1] };
  if (kind !== 'str') {
    const nullish = kind === 'null';
    ctx.report('E2', nullish ? kr[0] : vr![0], nullish ? kr[1] : Math.max(vr![1], vr![0] + 1),
      nullish
        ? `Atom \`${raw.keyStr ?? '?'}\` has no beads (the value is null); CGmap crashes at load with AttributeError: 'NoneType' object has no attribute 'split'.`
        : `Value \`${vs}\` is read by YAML 1.1 as ${pythonType(kind)}, not a bead list; CGmap crashes at load with AttributeError: '${pythonType(kind)}' object has no attribute 'split'.`);
  } else if (vs.trim() === '') {
    ctx.report('E2', vr![0], Math.max(vr![1], vr![0] + 1), `Atom \`${raw.keyStr ?? '?'}\` has an empty bead list; CGmap crashes at load with IndexError.`);
  } else {
    raw.valueStr = vs;
    raw.valueBase = base;
  }
}

function reportDuplicateKey(ctx: ParseContext, prev: MappingEntry, raw: RawEntry): void {
  const entry = raw.entry;
  prev.overridden = true;
  ctx.report('W15', entry.key.start, entry.key.end,
    `Duplicate key \`${raw.keyStr}\` (also at line ${prev.line}): PyYAML keeps only this last value, at the FIRST key's position in the atom order (the model interface).`);
  ctx.report('W15', prev.key.start, prev.key.end, `Key \`${raw.keyStr}\` is repeated at line ${entry.line}; this value is silently ignored (last wins).`);
}
