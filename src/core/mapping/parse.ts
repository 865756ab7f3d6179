/**
 * Parser/compiler for HEroBM/CGmap mapping YAML (../shared/mapping-format/SPEC.md). Decodes every entry exactly as
 * CGmap (`BeadMappingAtomSettings`) and HEroBM (`HEroBMBeadMappingAtomSettings`, `HEroBMBead.update`) do, silent
 * quirks included, and reports each quirk as a `MappingDiagnostic` with the exact token range. One parser serves the
 * loader, the language server and everything downstream.
 */
import { LineCounter, Pair, Scalar, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { BeadMembership, CompiledBead, HierarchyRule, MappingAtom, MoleculeMapping, Slot, SourceSpan } from './types';
import { likelyTwoLetterElement, massFromName } from './mass';
import { pythonType, resolvePlain, type Yaml11Kind } from './yaml11';

export type MappingSeverity = 'error' | 'warning' | 'information';

export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface MappingFix {
  title: string;
  edits: TextEdit[];
  preferred?: boolean;
}

export interface MappingDiagnostic {
  /** Stable code: SPEC §3 ids (E1…E11, W1…W17, I1) or X1… for checks beyond the table (see CODES). */
  code: string;
  severity: MappingSeverity;
  message: string;
  span: SourceSpan;
  /** Machine-applicable repairs (quick fixes in the language server). */
  fixes?: MappingFix[];
}

/** Every code this module emits, with its severity and a one-line summary (documentation and tests). */
export const CODES: Record<string, { severity: MappingSeverity; summary: string }> = {
  E1: { severity: 'error', summary: '`molecule` missing, not a string, or containing `_`' },
  E2: { severity: 'error', summary: '`atoms` not a mapping, or a key/value that YAML 1.1 does not read as a string' },
  E3: { severity: 'error', summary: 'a field has fewer comma parts than the entry has beads' },
  E4: { severity: 'error', summary: 'first alternative name has no one-letter element at its first upper-case letter' },
  E5: { severity: 'error', summary: '`_` in an atom or bead name' },
  E6: { severity: 'error', summary: 'a bead listed twice in one entry' },
  E7: { severity: 'error', summary: 'fraction with denominator 0' },
  E8: { severity: 'error', summary: 'a file in the mapping folder that is not mapping YAML or bead_types*' },
  E9: { severity: 'error', summary: 'same-molecule files list different numbers of atoms in a bead' },
  E10: { severity: 'error', summary: 'a bead with no rule while the file uses rules' },
  W1: { severity: 'warning', summary: 'anchor does not exist at level L−1 in the bead (self-anchored)' },
  W2: { severity: 'warning', summary: '(level, ID) used twice in a bead' },
  W3: { severity: 'warning', summary: 'levels not contiguous / anchor resolves to an atom outside level L−1' },
  W4: { severity: 'warning', summary: 'level above R (never placed)' },
  W5: { severity: 'warning', summary: 'more than one level-0 atom, or an anchor on level 0' },
  W6: { severity: 'warning', summary: 'rule with 3+ letters (middle letters discarded)' },
  W7: { severity: 'warning', summary: 'rule not exactly P<int><A-Z>{1,2} (junk accepted or rule dropped)' },
  W8: { severity: 'warning', summary: 'unknown or surplus token, ignored' },
  W9: { severity: 'warning', summary: 'weight not canonical (read differently than it looks)' },
  W10: { severity: 'information', summary: 'shared atom weights do not sum to 1' },
  W11: { severity: 'warning', summary: 'CM atom without a rule in a bead with rules (NaN recentring)' },
  W12: { severity: 'warning', summary: 'all atoms / all reconstructed atoms excluded (NaN)' },
  W13: { severity: 'information', summary: 'several CM atoms, or CM atom ≠ level-0 atom' },
  W14: { severity: 'information', summary: 'atom contributes to the bead position but has no rule' },
  W15: { severity: 'warning', summary: 'duplicate YAML key (last wins, at the first position)' },
  W16: { severity: 'warning', summary: 'whitespace inside a comma list' },
  W17: { severity: 'warning', summary: 'bead-types table misses ids or has ids ≥ the number of types' },
  X1: { severity: 'error', summary: 'YAML syntax error' },
  X2: { severity: 'warning', summary: 'atom name starts with a digit (never matches: idnames move digits last)' },
  X3: { severity: 'warning', summary: 'atom weighed as the wrong element (first upper-case letter)' },
  X4: { severity: 'information', summary: 'top-level key other than molecule/atoms (ignored)' },
  X5: { severity: 'warning', summary: 'bead whose rules are all on hydrogens (crashes with ignore_hydrogens)' },
  X6: { severity: 'information', summary: 'file without any hierarchy rule (CG mapping only, cannot backmap)' },
  X7: { severity: 'warning', summary: 'empty atom or bead name (stray comma)' },
  X8: { severity: 'error', summary: 'bead-types file malformed' },
  X9: { severity: 'warning', summary: 'atom of the reference residue missing from the mapping' },
  X10: { severity: 'information', summary: 'several files declare the same molecule (merged as configurations)' },
  X11: { severity: 'information', summary: 'mapping atom absent from the reference residue' },
};

export interface Token {
  text: string;
  start: number;
  end: number;
}

export interface MappingEntry {
  /** Position in the `atoms` mapping as written. */
  order: number;
  key: Token;
  value: Token | null;
  /** Start/end of the whole `KEY: VALUE` text. */
  start: number;
  end: number;
  line: number;
  names: Token[];
  beads: Token[];
  fields: { token: Token; parts: Token[] }[];
  /** Per bead: the part that supplied the rule (last match wins), null when none. */
  ruleParts: (Token | null)[];
  /** Index into molecule.atoms; -1 when the entry is invalid or overridden by a later duplicate key. */
  atom: number;
  /** True when a later duplicate key replaces this entry's value. */
  overridden: boolean;
}

export interface ParsedMapping {
  file: string;
  text: string;
  /** Best-effort compiled molecule (also when there are errors, for editor features); null without `atoms`. */
  molecule: MoleculeMapping | null;
  moleculeName: string | null;
  moleculeToken: Token | null;
  entries: MappingEntry[];
  diagnostics: MappingDiagnostic[];
  /** Whether any entry has a rule (HEroBM hierarchy present). */
  hasRules: boolean;
  /** Max reconstructed atoms in any bead of this file. */
  fileSlots: number;
  lineCounter: LineCounter;
}

export interface ParseOptions {
  /** R of the enclosing set (SPEC W4); defaults to this file's own maximum. */
  maxSlots?: number;
  /** CGmap run-time option `weigth_based_on`: 'same' weighs every atom 1 instead of its mass. */
  weightBasedOn?: 'mass' | 'same';
  /** HEroBM `ignore_hydrogens`: entries whose alternatives all start with H lose their rule. */
  ignoreHydrogens?: boolean;
}

const RULE_RE = /P(\d+)([A-Z])([A-Z])*/;
const FRACTION_RE = /(\d)\/(\d)/;
const DECIMAL_RE = /(?<![A-Za-z])(\d+(?:\.\d+)?)(?![A-Za-z])/;
export const CANONICAL_RULE = /^P(0|[1-9][0-9]*)[A-Z]{1,2}$/;
const CANONICAL_FRACTION = /^[1-9]\/[1-9]$/;
const CANONICAL_DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

/** HEroBM's reading of one setting (SPEC §1.2): null when RULE does not match. */
export function decodeRule(setting: string): HierarchyRule | null {
  const m = RULE_RE.exec(setting);
  if (!m) return null;
  // `([A-Z])*` keeps its LAST repetition: two or more letters → anchor = first letter, ID = last letter.
  const first = m[2];
  const last = m[3];
  return {
    level: parseInt(m[1], 10),
    anchor: last === undefined ? 'A' : first,
    id: last === undefined ? first : last,
    text: setting,
    canonical: CANONICAL_RULE.test(setting),
  };
}

export interface CgmapSetting {
  kind: 'exclude' | 'cm' | 'weight' | 'none';
  weight?: number;
  /** Set when the weight came from a fraction with denominator 0 (ZeroDivisionError in CGmap). */
  divZero?: boolean;
  match?: string;
  matchIndex?: number;
}

/** CGmap's reading of one setting (`BeadMappingAtomSettings.__init__`). */
export function decodeCgmapSetting(s: string): CgmapSetting {
  if (s === '!') return { kind: 'exclude' };
  if (s === 'CM') return { kind: 'cm' };
  const f = FRACTION_RE.exec(s);
  if (f) {
    const den = parseInt(f[2], 10);
    return { kind: 'weight', weight: den === 0 ? NaN : parseInt(f[1], 10) / den, divZero: den === 0, match: f[0], matchIndex: f.index };
  }
  const d = DECIMAL_RE.exec(s);
  if (d) return { kind: 'weight', weight: parseFloat(d[1]), match: d[1], matchIndex: d.index };
  return { kind: 'none' };
}

/** Canonical spelling of the rule HEroBM reads from a setting (`P2BAc` → `P2BA`, `P3ABC` → `P3AC`, `P01A` → `P1A`). */
export function canonicalRuleText(setting: string): string {
  const m = RULE_RE.exec(setting);
  if (!m) return setting;
  return `P${parseInt(m[1], 10)}${m[3] === undefined ? m[2] : m[2] + m[3]}`;
}

const letterPos = (c: string) => c.charCodeAt(0) - 65;
const isHydrogenName = (n: string) => n.startsWith('H');

/** Offset of value character 0 in the file text, or null when the scalar's source is not a verbatim copy. */
function scalarBase(node: Scalar, text: string): number | null {
  const r = node.range;
  if (!r) return null;
  const src = text.slice(r[0], r[1]);
  const v = String(node.value ?? '');
  if (node.type === 'PLAIN' || node.type === undefined) return src === v ? r[0] : null;
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return src.length === v.length + 2 && src.slice(1, -1) === v ? r[0] + 1 : null;
  return null;
}

/** Python `str.split()` with offsets. */
function splitWs(s: string, base: number): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push({ text: m[0], start: base + m.index, end: base + m.index + m[0].length });
  return out;
}

/** Python `str.split(',')` with offsets. */
function splitComma(t: Token): Token[] {
  const out: Token[] = [];
  let pos = 0;
  for (const part of t.text.split(',')) {
    out.push({ text: part, start: t.start + pos, end: t.start + pos + part.length });
    pos += part.length + 1;
  }
  return out;
}

function scalarKind(node: Scalar): Yaml11Kind {
  if (node.tag === 'tag:yaml.org,2002:str' || node.tag === '!') return 'str';
  if (node.type === 'PLAIN' || node.type === undefined) return resolvePlain(String(node.value ?? ''));
  return 'str';
}

function fmtNum(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(+x.toPrecision(6));
}

export function parseMappingDocument(text: string, file: string, opts: ParseOptions = {}): ParsedMapping {
  const lineCounter = new LineCounter();
  const diagnostics: MappingDiagnostic[] = [];
  const spanOf = (start: number, end: number): SourceSpan => ({ file, start, end: Math.max(end, start), line: lineCounter.linePos(start).line });
  const diag = (code: string, start: number, end: number, message: string, fixes?: MappingFix[], severity?: MappingSeverity) => {
    const d: MappingDiagnostic = { code, severity: severity ?? CODES[code]?.severity ?? 'warning', message, span: spanOf(start, end) };
    if (fixes?.length) d.fixes = fixes;
    diagnostics.push(d);
  };
  const result: ParsedMapping = {
    file, text, molecule: null, moleculeName: null, moleculeToken: null, entries: [], diagnostics,
    hasRules: false, fileSlots: 0, lineCounter,
  };

  let doc;
  try {
    doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, lineCounter, prettyErrors: false, strict: false });
  } catch (e) {
    diag('X1', 0, Math.min(text.length, 1), `YAML cannot be parsed (${(e as Error).message}); PyYAML's safe_load raises and CGmap stops loading the folder.`);
    return result;
  }
  for (const err of doc.errors) {
    const [s, e] = err.pos;
    diag('X1', s, Math.max(e, s + 1), `YAML syntax error: ${err.message.split('\n')[0]}. PyYAML's safe_load raises and CGmap stops loading the folder.`);
  }
  const top = doc.contents;
  const whole = (): [number, number] => [0, Math.min(text.length, Math.max(1, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')))];
  if (!isMap(top)) {
    const [s, e] = whole();
    diag('E1', s, e, 'The file is not a YAML mapping with `molecule:` and `atoms:`; CGmap crashes at load (TypeError) reading `molecule`.');
    return result;
  }

  // Top level: PyYAML dict semantics (duplicate keys: last value wins).
  let molPair: Pair | null = null;
  let atomsPair: Pair | null = null;
  const seenTop = new Map<string, Pair>();
  for (const p of top.items as Pair[]) {
    const k = isScalar(p.key) ? String(p.key.value ?? '') : null;
    const kr = (p.key as { range?: number[] } | null)?.range;
    if (k !== null && kr) {
      const prev = seenTop.get(k);
      if (prev) diag('W15', kr[0], kr[1], `Duplicate top-level key \`${k}\`: PyYAML keeps only this last value and silently drops line ${lineCounter.linePos((prev.key as Scalar).range![0]).line}'s.`);
      seenTop.set(k, p);
    }
    if (k === 'molecule') molPair = p;
    else if (k === 'atoms') atomsPair = p;
    else if (kr) diag('X4', kr[0], kr[1], `Top-level key \`${k ?? '?'}\` is ignored by CGmap/HEroBM (only \`molecule\` and \`atoms\` are read).`);
  }

  // molecule
  if (!molPair) {
    const [s, e] = whole();
    diag('E1', s, e, '`molecule:` is missing; CGmap crashes at load with TypeError (sequence item 0: expected str instance, NoneType found).');
  } else {
    const v = molPair.value;
    const kr = (molPair.key as Scalar).range!;
    if (!isScalar(v)) {
      diag('E1', kr[0], kr[1], '`molecule` must be a string (the residue name); CGmap crashes at load with TypeError.');
    } else {
      const r = v.range!;
      const kind = scalarKind(v);
      const name = String(v.value ?? '');
      if (kind !== 'str') {
        diag('E1', kind === 'null' ? kr[0] : r[0], kind === 'null' ? kr[1] : r[1],
          kind === 'null'
            ? '`molecule` is empty (null); CGmap crashes at load with TypeError (expected str instance, NoneType found).'
            : `\`molecule: ${name}\` is read by YAML 1.1 as ${pythonType(kind)}, not a string; CGmap crashes at load with TypeError. Quote it.`,
          [{ title: `Quote "${name}"`, edits: [{ start: r[0], end: r[1], newText: JSON.stringify(name) }], preferred: true }]);
      } else {
        const base = scalarBase(v, text) ?? r[0];
        result.moleculeName = name;
        result.moleculeToken = { text: name, start: base, end: base + name.length };
        if (name.includes('_')) {
          diag('E1', base, base + name.length, `Molecule name \`${name}\` contains \`_\`; idnames are MOLECULE_NAME split on \`_\`, so CGmap crashes at load with KeyError '${name.split('_')[0]}'.`,
            [{ title: `Rename to ${name.replace(/_/g, '')}`, edits: [{ start: base, end: base + name.length, newText: name.replace(/_/g, '') }] }]);
        } else if (name === '') {
          diag('E1', kr[0], kr[1], '`molecule` is an empty string; the residue name is required.');
        }
      }
    }
  }

  // atoms
  if (!atomsPair) {
    const [s, e] = whole();
    diag('E2', s, e, '`atoms:` is missing; a mapping file must map atoms to beads.');
    return result;
  }
  const atomsNode = atomsPair.value;
  if (!isMap(atomsNode)) {
    const kr = (atomsPair.key as Scalar).range!;
    diag('E2', kr[0], kr[1], isSeq(atomsNode)
      ? '`atoms` is a list; it must be a mapping `ATOM: BEADS [settings]`. CGmap crashes at load with AttributeError (.items()).'
      : '`atoms` is empty or not a mapping; CGmap crashes at load with AttributeError.');
    return result;
  }

  // Collect entries; PyYAML dict semantics: a duplicate key replaces the value but keeps the FIRST position.
  interface Raw { entry: MappingEntry; keyStr: string | null; valueStr: string | null; valueBase: number | null }
  const raws: Raw[] = [];
  const byKey = new Map<string, number>(); // key string -> index into `effective` (first occurrence)
  const effective: { slot: number; raw: Raw }[] = []; // in dict order
  let order = 0;
  for (const p of atomsNode.items as Pair[]) {
    const kNode = p.key;
    const vNode = p.value;
    const kr = (kNode as { range?: number[] } | null)?.range ?? [(vNode as Scalar | null)?.range?.[0] ?? 0, (vNode as Scalar | null)?.range?.[0] ?? 0];
    const vr = (vNode as { range?: number[] } | null)?.range;
    const entryEnd = vr ? vr[1] : kr[1];
    const entry: MappingEntry = {
      order: order++, key: { text: '', start: kr[0], end: kr[1] }, value: null, start: kr[0], end: entryEnd,
      line: lineCounter.linePos(kr[0]).line, names: [], beads: [], fields: [], ruleParts: [], atom: -1, overridden: false,
    };
    result.entries.push(entry);
    const raw: Raw = { entry, keyStr: null, valueStr: null, valueBase: null };
    // key
    if (!isScalar(kNode)) {
      diag('E2', kr[0], Math.max(kr[1], kr[0] + 1), 'Atom key is not a plain string; CGmap crashes at load with AttributeError (.strip()).');
    } else {
      const kind = scalarKind(kNode);
      const ks = String(kNode.value ?? '');
      entry.key = { text: ks, start: scalarBase(kNode, text) ?? kr[0], end: (scalarBase(kNode, text) ?? kr[0]) + (scalarBase(kNode, text) !== null ? ks.length : kr[1] - kr[0]) };
      if (kind !== 'str') {
        const shown = ks === '' ? '(empty key)' : ks;
        diag('E2', kr[0], Math.max(kr[1], kr[0] + 1),
          `Key \`${shown}\` is read by YAML 1.1 as ${pythonType(kind)}, not an atom name; CGmap crashes at load with AttributeError: '${pythonType(kind)}' object has no attribute 'strip'. Quote it.`,
          ks === '' ? undefined : [{ title: `Quote "${ks}"`, edits: [{ start: kr[0], end: kr[1], newText: JSON.stringify(ks) }], preferred: true }]);
      } else {
        raw.keyStr = ks;
      }
    }
    // value
    if (!isScalar(vNode)) {
      if (vNode == null) {
        diag('E2', kr[0], kr[1], `Atom \`${raw.keyStr ?? '?'}\` has no value (null); CGmap crashes at load with AttributeError: 'NoneType' object has no attribute 'split'.`);
      } else {
        diag('E2', vr![0], vr![1], `The value of \`${raw.keyStr ?? '?'}\` is a ${isSeq(vNode) ? 'list' : 'mapping'}; it must be a string "BEADS [settings]". CGmap crashes at load with AttributeError.`);
      }
    } else {
      const kind = scalarKind(vNode);
      const vs = String(vNode.value ?? '');
      const base = scalarBase(vNode, text);
      entry.value = { text: vs, start: base ?? vr![0], end: base !== null ? base + vs.length : vr![1] };
      if (kind !== 'str') {
        const nullish = kind === 'null';
        diag('E2', nullish ? kr[0] : vr![0], nullish ? kr[1] : Math.max(vr![1], vr![0] + 1),
          nullish
            ? `Atom \`${raw.keyStr ?? '?'}\` has no beads (the value is null); CGmap crashes at load with AttributeError: 'NoneType' object has no attribute 'split'.`
            : `Value \`${vs}\` is read by YAML 1.1 as ${pythonType(kind)}, not a bead list; CGmap crashes at load with AttributeError: '${pythonType(kind)}' object has no attribute 'split'.`);
      } else if (vs.trim() === '') {
        diag('E2', vr![0], Math.max(vr![1], vr![0] + 1), `Atom \`${raw.keyStr ?? '?'}\` has an empty bead list; CGmap crashes at load with IndexError.`);
      } else {
        raw.valueStr = vs;
        raw.valueBase = base;
      }
    }
    raws.push(raw);
    if (raw.keyStr !== null) {
      const at = byKey.get(raw.keyStr);
      if (at !== undefined) {
        const prev = effective[at].raw.entry;
        prev.overridden = true;
        diag('W15', entry.key.start, entry.key.end,
          `Duplicate key \`${raw.keyStr}\` (also at line ${prev.line}): PyYAML keeps only this last value, at the FIRST key's position in the atom order (the model interface).`);
        diag('W15', prev.key.start, prev.key.end, `Key \`${raw.keyStr}\` is repeated at line ${entry.line}; this value is silently ignored (last wins).`);
        effective[at].raw = raw;
        continue;
      }
      byKey.set(raw.keyStr, effective.length);
    }
    effective.push({ slot: effective.length, raw });
  }

  // Decode each effective entry.
  const atoms: MappingAtom[] = [];
  const beadOrder: string[] = [];
  const beadFirst = new Map<string, Token>();
  const beadMembers = new Map<string, { atom: number; m: BeadMembership; entry: MappingEntry; bi: number }[]>();

  for (const { raw } of effective) {
    const entry = raw.entry;
    if (raw.keyStr === null || raw.valueStr === null) continue;
    // Key: `.strip().split(',')`, parts NOT stripped.
    const ks = raw.keyStr;
    const lead = ks.length - ks.trimStart().length;
    const stripped = ks.trim();
    const names = splitComma({ text: stripped, start: entry.key.start + lead, end: entry.key.start + lead + stripped.length });
    entry.names = names;
    for (const [i, n] of names.entries()) {
      if (/\s/.test(n.text)) {
        diag('W16', n.start, n.end, `Alternative name \`${n.text}\` contains whitespace; CGmap does not strip comma parts, so \`${n.text}\` never matches an atom.`,
          [{ title: 'Remove whitespace in the name list', edits: [{ start: entry.key.start, end: entry.key.end, newText: ks.replace(/\s*,\s*/g, ',').trim() }], preferred: true }]);
      }
      if (n.text === '') diag('X7', Math.max(n.start - 1, entry.key.start), n.end + 1, 'Empty alternative name (stray comma); it never matches an atom.');
      if (n.text.includes('_')) {
        diag('E5', n.start, n.end, `Atom name \`${n.text}\` contains \`_\`; idnames are split on \`_\`, so CGmap crashes while mapping (ValueError: too many values to unpack).`,
          [{ title: `Rename to ${n.text.replace(/_/g, '')}`, edits: [{ start: n.start, end: n.end, newText: n.text.replace(/_/g, '') }] }]);
      }
      const t = n.text.trim();
      if (/^\d/.test(t)) {
        const fixed = t.replace(/^(\d+)(.*)$/, '$2$1');
        diag('X2', n.start, n.end, `Atom name \`${t}\` starts with a digit; CGmap moves leading digits to the end of structure atom names (1HB → HB1) before matching, so this name never matches. Write \`${fixed}\`.`,
          [{ title: `Rename to ${fixed}`, edits: [{ start: n.start, end: n.end, newText: n.text.replace(t, fixed) }], preferred: true }]);
      }
      if (i === 0) {
        const mass = massFromName(n.text);
        if (Number.isNaN(mass.mass)) {
          diag('E4', n.start, n.end, mass.letter === null
            ? `Atom name \`${n.text}\` has no upper-case letter; CGmap takes the element from the first upper-case letter and crashes at load with KeyError: None.`
            : `Atom name \`${n.text}\`: CGmap takes the element from the first upper-case letter \`${mass.letter}\`, which is not a one-letter element symbol; it crashes at load with KeyError '${mass.letter}'.`);
        } else {
          const two = likelyTwoLetterElement(n.text);
          if (two) diag('X3', n.start, n.end, `Atom \`${n.text}\` is weighed as ${mass.element} (${mass.mass}) — CGmap reads only the first upper-case letter — not as ${two}; the bead position is silently mis-weighted. Use \`CM\`/explicit weights if this matters.`);
        }
      }
    }

    // Value: `str.split()`; token 0 = bead list, the rest are fields.
    const vBase = raw.valueBase ?? entry.value!.start;
    const exact = raw.valueBase !== null;
    const toks = splitWs(raw.valueStr, vBase).map((t) => (exact ? t : { ...t, start: entry.value!.start, end: entry.value!.end }));
    const beads = splitComma(toks[0]);
    entry.beads = beads;
    const n = beads.length;
    entry.fields = toks.slice(1).map((token) => ({ token, parts: splitComma(token) }));
    // W16 in the value: a token that ends/starts with a comma next to whitespace.
    for (let i = 0; i + 1 < toks.length; i++) {
      if (toks[i].text.endsWith(',') || toks[i + 1].text.startsWith(',')) {
        const joined = raw.valueStr.slice(toks[i].start - vBase, toks[i + 1].end - vBase);
        diag('W16', toks[i].start, toks[i + 1].end, `Whitespace inside the comma list \`${joined}\`: the value is split on whitespace first, so the list is broken into separate fields.`,
          exact ? [{ title: 'Remove the whitespace', edits: [{ start: toks[i].end, end: toks[i + 1].start, newText: '' }], preferred: true }] : undefined);
      }
    }
    const seenBead = new Set<string>();
    for (const b of beads) {
      if (b.text === '') { diag('X7', Math.max(b.start - 1, toks[0].start), Math.min(b.end + 1, toks[0].end), 'Empty bead name (stray comma): CGmap creates a bead with an empty name.'); }
      if (b.text.includes('_')) {
        diag('E5', b.start, b.end, `Bead name \`${b.text}\` contains \`_\`; idnames are split on \`_\`, so HEroBM crashes while mapping (ValueError).`,
          [{ title: `Rename to ${b.text.replace(/_/g, '')}`, edits: [{ start: b.start, end: b.end, newText: b.text.replace(/_/g, '') }] }]);
      }
      if (seenBead.has(b.text)) {
        diag('E6', b.start, b.end, `Bead \`${b.text}\` is listed twice for this atom; CGmap crashes at load with AssertionError (Duplicate mapping).`);
      }
      seenBead.add(b.text);
    }
    for (const f of entry.fields) {
      if (f.parts.length < n) {
        diag('E3', f.token.start, f.token.end, `\`${f.token.text}\` has ${f.parts.length} comma part${f.parts.length === 1 ? '' : 's'} but the atom belongs to ${n} beads; CGmap reads part i for bead i and crashes at load with IndexError.`,
          [{ title: `Pad to ${n} parts`, edits: [{ start: f.token.end, end: f.token.end, newText: ','.repeat(n - f.parts.length) }] }]);
      }
      for (let i = n; i < f.parts.length; i++) {
        const p = f.parts[i];
        if (p.text !== '') diag('W8', p.start, p.end, `\`${p.text}\` is part ${i + 1} of a field but the atom has only ${n} bead${n === 1 ? '' : 's'}; it is ignored.`);
      }
    }

    // Per-bead settings.
    const membership: BeadMembership[] = [];
    entry.ruleParts = [];
    for (let bi = 0; bi < n; bi++) {
      let relWeight = 1 / n;
      let cm = false;
      let excluded = false;
      let rule: HierarchyRule | null = null;
      let rulePart: Token | null = null;
      for (const f of entry.fields) {
        const p = f.parts[bi];
        if (!p || p.text === '') continue;
        const s = p.text;
        const cg = decodeCgmapSetting(s);
        if (cg.kind === 'exclude') excluded = true;
        else if (cg.kind === 'cm') cm = true;
        else if (cg.kind === 'weight') {
          if (cg.divZero) {
            diag('E7', p.start, p.end, `Fraction \`${cg.match}\` has denominator 0; CGmap crashes at load with ZeroDivisionError.`);
          } else relWeight = cg.weight!;
        }
        const r = decodeRule(s);
        if (r && !(opts.ignoreHydrogens && names.every((x) => isHydrogenName(x.text)))) { rule = r; rulePart = p; }
        // Diagnose non-canonical spellings.
        const canonical = s === '!' || s === 'CM' || CANONICAL_RULE.test(s) || CANONICAL_FRACTION.test(s) || CANONICAL_DECIMAL.test(s);
        if (canonical) continue;
        const reads: string[] = [];
        if (cg.kind === 'weight' && !cg.divZero) reads.push(`weight ${fmtNum(cg.weight!)} (from \`${cg.match}\`)`);
        if (r) reads.push(`rule P${r.level}${r.anchor}${r.id} (level ${r.level}, anchor ${r.anchor}, ID ${r.id})`);
        const canonRule = r ? canonicalRuleText(s) : '';
        if (r && /P\d+[A-Z]{3,}/.test(s)) {
          diag('W6', p.start, p.end, `Rule \`${s}\` has ${RULE_RE.exec(s)![0].length - 1 - RULE_RE.exec(s)![1].length} letters; HEroBM keeps the first as anchor and the last as ID and discards the middle: read as ${reads.join(' and ')}. IDs are one letter (≤ 26 atoms per level and bead).`,
            [{ title: `Replace with ${canonRule}`, edits: [{ start: p.start, end: p.end, newText: canonRule }] }]);
        } else if (r) {
          diag('W7', p.start, p.end, `\`${s}\` is not a canonical rule (P<level><anchor?><ID>); HEroBM silently reads it as ${reads.join(' and ')}.`,
            [{ title: `Replace with ${canonRule}`, edits: [{ start: p.start, end: p.end, newText: canonRule }], preferred: cg.kind !== 'weight' }]);
        } else if (cg.kind === 'weight') {
          const hint = /^\.\d/.test(s) ? ' (a decimal needs a leading digit: `0.5`)' : /\d\d\/|\/\d\d/.test(s) ? ' (fractions use single digits only)' : '';
          const canonW = CANONICAL_DECIMAL.test(cg.match!) && !/^\./.test(s) ? cg.match! : fmtNum(cg.weight!);
          diag('W9', p.start, p.end, `Weight \`${s}\` is read by CGmap as ${fmtNum(cg.weight!)} (match \`${cg.match}\`)${hint}; the bead position is silently mis-weighted.`,
            /^\.\d+$/.test(s) ? [{ title: `Replace with 0${s}`, edits: [{ start: p.start, end: p.end, newText: `0${s}` }], preferred: true }] : canonW !== s ? [{ title: `Replace with ${canonW}`, edits: [{ start: p.start, end: p.end, newText: canonW }] }] : undefined);
        } else if (/^p\d/i.test(s) || /^P[A-Za-z]*\d/.test(s) || /^P\d/i.test(s)) {
          const m = /^[Pp](\d+)([A-Za-z]{1,2})$/.exec(s);
          const fix = m ? `P${parseInt(m[1], 10)}${m[2].toUpperCase()}` : null;
          diag('W7', p.start, p.end, `\`${s}\` looks like a hierarchy rule but HEroBM's pattern P(\\d+)([A-Z])([A-Z])* does not match it (upper case only, digits right after P): the rule is dropped and the atom is not reconstructed in bead ${beads[bi].text}.`,
            fix ? [{ title: `Replace with ${fix}`, edits: [{ start: p.start, end: p.end, newText: fix }], preferred: true }] : undefined);
        } else if (s.toUpperCase() === 'CM') {
          diag('W8', p.start, p.end, `\`${s}\` is ignored: flags are case-sensitive, write \`CM\`.`, [{ title: 'Replace with CM', edits: [{ start: p.start, end: p.end, newText: 'CM' }], preferred: true }]);
        } else if (s.includes('!')) {
          diag('W8', p.start, p.end, `\`${s}\` is ignored: only a part that is exactly \`!\` excludes the atom from the bead position.`, [{ title: 'Replace with !', edits: [{ start: p.start, end: p.end, newText: '!' }] }]);
        } else {
          diag('W8', p.start, p.end, `Unknown setting \`${s}\` is silently ignored (expected P<level><anchor><ID>, CM, !, a fraction like 1/2 or a decimal).`);
        }
      }
      membership.push({ bead: beads[bi].text, relWeight, cm, excluded, rule });
      entry.ruleParts.push(rulePart);
    }

    // W10: shared atom weights should sum to 1 (convention only).
    if (n >= 2) {
      const sum = membership.reduce((a, m) => a + m.relWeight, 0);
      if (Math.abs(sum - 1) > 1e-6 && Number.isFinite(sum)) {
        diag('W10', toks[0].start, toks[0].end, `Shared atom weights sum to ${fmtNum(sum)}, not 1 (${membership.map((m) => fmtNum(m.relWeight)).join(' + ')}); CGmap uses them as independent per-bead multipliers, so the atom counts ${fmtNum(sum)} times in total.`);
      }
    }

    const first = names[0]?.text ?? '';
    const mass = massFromName(first);
    const atomIdx = atoms.length;
    atoms.push({
      names: names.map((x) => x.text),
      element: mass.element,
      mass: mass.mass,
      membership,
      span: spanOf(entry.start, entry.end),
    });
    entry.atom = atomIdx;
    for (let bi = 0; bi < n; bi++) {
      const b = beads[bi].text;
      if (!beadMembers.has(b)) { beadMembers.set(b, []); beadOrder.push(b); beadFirst.set(b, beads[bi]); }
      // E6 duplicates: CGmap asserts; keep the first for the best-effort form.
      if (beadMembers.get(b)!.some((x) => x.atom === atomIdx)) continue;
      beadMembers.get(b)!.push({ atom: atomIdx, m: membership[bi], entry, bi });
    }
  }

  // Compile beads.
  const hasRules = atoms.some((a) => a.membership.some((m) => m.rule));
  result.hasRules = hasRules;
  const compiled: CompiledBead[] = [];
  for (const b of beadOrder) {
    const mem = beadMembers.get(b)!;
    const anyCm = mem.some((x) => x.m.cm);
    const raw = mem.map((x) => {
      const a = atoms[x.atom];
      if (anyCm) return x.m.cm ? x.m.relWeight : 0; // CM overrides mass and '!'
      if (x.m.excluded) return 0;
      return (opts.weightBasedOn === 'same' ? 1 : a.mass) * x.m.relWeight;
    });
    const sum = raw.reduce((s, w) => s + w, 0);
    const weights = raw.map((w) => w / sum); // NaN when sum is 0, as in CGmap (W12)
    const bt = beadFirst.get(b)!;
    const bead: CompiledBead = {
      name: b, idname: `${result.moleculeName ?? ''}_${b}`, typeId: -1, members: mem.map((x) => x.atom), weights, slots: [], maxLevel: -1,
      span: spanOf(bt.start, bt.end),
    };
    // Slots: atoms with a rule for this bead, in member (YAML) order.
    const ruled = mem.map((x, i) => ({ ...x, w: raw[i] })).filter((x) => x.m.rule);
    const maxPos = new Map<number, number>();
    for (const x of ruled) {
      const r = x.m.rule!;
      maxPos.set(r.level, Math.max(maxPos.get(r.level) ?? -1, letterPos(r.id)));
    }
    const levels = [...maxPos.keys()].sort((a, c) => a - c);
    const offset = (L: number) => levels.filter((l) => l < L).reduce((s, l) => s + maxPos.get(l)! + 1, 0);
    const locals = ruled.map((x) => offset(x.m.rule!.level) + letterPos(x.m.rule!.id));
    const level0 = ruled.filter((x) => x.m.rule!.level === 0).length;
    const rsum = ruled.reduce((s, x) => s + x.w, 0);
    ruled.forEach((x, si) => {
      const r = x.m.rule!;
      let anchor = si;
      let resolved: boolean;
      let anchorLocal = locals[si];
      if (r.level === 0) {
        resolved = level0 === 1;
      } else {
        anchorLocal = offset(r.level - 1) + letterPos(r.anchor);
        let nHits = 0;
        let hit = -1;
        for (let j = 0; j < locals.length; j++) if (locals[j] === anchorLocal) { nHits++; hit = j; }
        if (nHits === 1) {
          anchor = hit;
          resolved = anchor !== si || locals[si] === 0;
        } else resolved = false;
      }
      bead.slots.push({ atom: x.atom, level: r.level, anchor, resolved, recenterWeight: x.w / rsum, local: locals[si], anchorLocal, placed: true });
      bead.maxLevel = Math.max(bead.maxLevel, r.level);
    });
    compiled.push(bead);

    // Hierarchy diagnostics.
    const rp = (si: number) => { const x = ruled[si]; return x.entry.ruleParts[x.bi] ?? x.entry.key; };
    const nameOf = (si: number) => atoms[ruled[si].atom].names[0];
    if (hasRules && ruled.length === 0) {
      diag('E10', bt.start, bt.end, `Bead \`${b}\` has no atom with a hierarchy rule; HEroBM crashes while mapping (ValueError: need at least one array to concatenate). Give one atom a rule, e.g. \`P1A\` on the atom nearest the bead centre.`);
    }
    if (ruled.length > 0 && ruled.every((x) => isHydrogenName(atoms[x.atom].names[0]))) {
      diag('X5', bt.start, bt.end, `Every reconstructed atom of bead \`${b}\` is a hydrogen; with ignore_hydrogens (dataset/deploy/backmap option) they lose their rules and HEroBM crashes (need at least one array to concatenate).`);
    }
    // W2: duplicate (level, ID).
    const seen = new Map<string, number>();
    ruled.forEach((x, si) => {
      const key = `${x.m.rule!.level}${x.m.rule!.id}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        const t = rp(si);
        diag('W2', t.start, t.end, `Level ${x.m.rule!.level} ID ${x.m.rule!.id} is already used by \`${nameOf(prev)}\` in bead ${b}; the local index is ambiguous, so every atom anchored on it is silently self-anchored (collapses toward the bead).`);
      } else seen.set(key, si);
    });
    // W3: gaps in levels.
    if (levels.length) {
      const startL = levels[0];
      if (startL > 1) {
        const si = ruled.findIndex((x) => x.m.rule!.level === startL);
        const t = rp(si);
        diag('W3', t.start, t.end, `Levels of bead ${b} start at ${startL}; they must start at 0 or 1 (the root is local index 0).`);
      }
      for (let i = 1; i < levels.length; i++) {
        if (levels[i] !== levels[i - 1] + 1) {
          const si = ruled.findIndex((x) => x.m.rule!.level === levels[i]);
          const t = rp(si);
          diag('W3', t.start, t.end, `Bead ${b} jumps from level ${levels[i - 1]} to level ${levels[i]}; HEroBM computes anchors at offset(level−1), so atoms of level ${levels[i]} resolve their anchor to the wrong atom or to themselves.`);
        }
      }
    }
    // W5: level 0.
    if (level0 > 1) {
      ruled.forEach((x, si) => {
        if (x.m.rule!.level === 0 && locals[si] !== 0) {
          const t = rp(si);
          diag('W5', t.start, t.end, `Bead ${b} has ${level0} level-0 atoms; level-0 atoms are never moved, so \`${nameOf(si)}\` silently sits on the bead centre.`);
        }
      });
    }
    ruled.forEach((x, si) => {
      const r = x.m.rule!;
      const t = rp(si);
      if (r.level === 0 && /^P0[A-Z][A-Z]/.test(RULE_RE.exec(r.text)?.[0] ?? '')) {
        diag('W5', t.start, t.end, `Level-0 atoms have no anchor; the anchor letter ${r.anchor} in \`${r.text}\` is ignored (ID ${r.id}).`,
          [{ title: `Replace with P0${r.id}`, edits: [{ start: t.start, end: t.end, newText: `P0${r.id}` }] }]);
      }
      if (r.level === 0) return;
      const slot = bead.slots[si];
      // Without level 0, level-1 atoms are anchored on the level-1 root (local index 0), as in Martini 3 files.
      const rootLevel1 = r.level === 1 && !levels.includes(0);
      const wantLevel = rootLevel1 ? 1 : r.level - 1;
      const want = rootLevel1 ? `the root, local index ${letterPos(r.anchor)}` : `level ${r.level - 1} ID ${r.anchor}`;
      const wantExists = ruled.some((y) => y.m.rule!.level === wantLevel && y.m.rule!.id === (rootLevel1 ? 'A' : r.anchor));
      if (!slot.resolved && locals[si] !== 0) {
        const hits = locals.filter((l) => l === slot.anchorLocal).length;
        if (hits > 1) {
          diag('W1', t.start, t.end, `Anchor ${r.anchor} of \`${r.text}\` (${want}) is ambiguous in bead ${b} (duplicate level/ID); HEroBM silently anchors \`${nameOf(si)}\` on itself, so it collapses toward the bead.`);
        } else if (!wantExists || hits === 0) {
          diag('W1', t.start, t.end, `Anchor ${r.anchor} of \`${r.text}\` (${want}) does not exist in bead ${b}; HEroBM silently anchors \`${nameOf(si)}\` on itself, so it collapses toward the bead.`);
        } else {
          diag('W3', t.start, t.end, `Anchor of \`${r.text}\` resolves to \`${nameOf(si)}\` itself because of a level gap; it collapses toward the bead.`);
        }
      } else if (slot.resolved && slot.anchor !== si) {
        const al = ruled[slot.anchor].m.rule!.level;
        if (al !== wantLevel) {
          diag(wantExists ? 'W3' : 'W1', t.start, t.end, wantExists
            ? `Anchor of \`${r.text}\` in bead ${b} resolves to \`${nameOf(slot.anchor)}\` (level ${al}), not to ${want}, because of a level gap; HEroBM builds it from the wrong atom.`
            : `Anchor ${r.anchor} of \`${r.text}\` (${want}) does not exist in bead ${b}; HEroBM's local index lands on \`${nameOf(slot.anchor)}\` (level ${al}) instead, so the atom is built from the wrong atom.`);
        }
      }
    });
    // Recentring and bead-position NaNs.
    if (mem.length > 0 && !(sum > 0)) {
      diag('W12', bt.start, bt.end, anyCm
        ? `Every CM weight of bead ${b} is 0; the bead position is NaN.`
        : `Every atom of bead ${b} is excluded with \`!\` (or weighs 0); the bead position is NaN (0/0) and everything built from it is NaN.`);
    } else if (ruled.length > 0 && !(rsum > 0)) {
      const cmAtoms = mem.filter((x) => x.m.cm);
      if (anyCm && cmAtoms.every((x) => !x.m.rule)) {
        const c = cmAtoms[0];
        diag('W11', c.entry.key.start, c.entry.key.end, `\`${atoms[c.atom].names[0]}\` is the CM atom of bead ${b} but has no rule; non-CM atoms weigh 0, so the recentring weights of the reconstructed atoms are all 0 → NaN coordinates. Give it a rule (root: P0A/P1A).`);
      } else {
        diag('W12', bt.start, bt.end, `All reconstructed atoms of bead ${b} are excluded (\`!\` or weight 0); the recentring weights are 0/0 → NaN coordinates.`);
      }
    }
    const cmList = mem.filter((x) => x.m.cm);
    if (cmList.length > 1) {
      for (const c of cmList.slice(1)) diag('W13', c.entry.key.start, c.entry.key.end, `Bead ${b} has ${cmList.length} CM atoms; CGmap averages them (legal but unusual).`);
    }
    const l0 = ruled.filter((x) => x.m.rule!.level === 0);
    if (cmList.length >= 1 && l0.length >= 1 && !cmList.some((c) => l0.some((z) => z.atom === c.atom))) {
      const c = cmList[0];
      diag('W13', c.entry.key.start, c.entry.key.end, `\`${atoms[c.atom].names[0]}\` is the CM atom of bead ${b} but the level-0 atom is \`${atoms[l0[0].atom].names[0]}\`; the bead sits on the CM atom while the level-0 atom is pinned to the bead (inconsistent).`);
    }
    if (ruled.length > 0) {
      mem.forEach((x, i) => {
        if (!x.m.rule && raw[i] > 0) {
          diag('W14', x.entry.key.start, x.entry.key.end, `\`${atoms[x.atom].names[0]}\` contributes to the position of bead ${b} but has no rule, so it is not reconstructed; recentring uses the reconstructed atoms only, which offsets them from the true positions. Add \`!\` or a rule.`,
            [{ title: 'Exclude from the bead position (!)', edits: [{ start: x.entry.end, end: x.entry.end, newText: x.entry.beads.length > 1 ? ' ' + x.entry.beads.map((_, j) => (j === x.bi ? '!' : '')).join(',') : ' !' }] }]);
        }
      });
    }
  }

  // W4: level > R.
  const fileSlots = compiled.reduce((m, bd) => Math.max(m, bd.slots.length), 0);
  result.fileSlots = fileSlots;
  const R = opts.maxSlots ?? fileSlots;
  for (const bd of compiled) {
    bd.slots.forEach((s) => {
      if (s.level > R) {
        s.placed = false;
        const a = atoms[s.atom];
        const entry = result.entries.find((e) => e.atom === s.atom)!;
        const bi = entry.beads.findIndex((x) => x.text === bd.name);
        const t = entry.ruleParts[bi] ?? entry.key;
        diag('W4', t.start, t.end, `Level ${s.level} is above R = ${R} (the most reconstructed atoms in any bead of the ${opts.maxSlots !== undefined ? 'set' : 'file'}); HEroBM processes levels 1..R only, so \`${a.names[0]}\` is never placed.`);
      }
    });
  }

  if (!hasRules && atoms.length > 0 && result.moleculeToken) {
    const t = result.moleculeToken;
    diag('X6', t.start, t.end, 'No atom has a hierarchy rule (P<level><anchor><ID>): CGmap can map with this file, but HEroBM cannot backmap it.');
  }

  const beadIndex = new Map(compiled.map((b, i) => [b.name, i] as [string, number]));
  const atomIndex = new Map<string, number>();
  atoms.forEach((a, i) => a.names.forEach((nm) => { if (!atomIndex.has(nm)) atomIndex.set(nm, i); }));
  result.molecule = {
    name: result.moleculeName ?? '', file, atoms, beads: compiled, beadIndex, atomIndex,
    span: result.moleculeToken ? spanOf(result.moleculeToken.start, result.moleculeToken.end) : undefined,
  };
  diagnostics.sort((a, b) => a.span.start - b.span.start || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return result;
}

/**
 * The API-map entry point: compiled molecule plus diagnostics. `molecule` is null when any error-level diagnostic
 * exists (HEroBM/CGmap would crash on the file), so nothing downstream runs on a broken mapping.
 */
export function parseMappingText(text: string, file: string, opts: ParseOptions = {}): { molecule: MoleculeMapping | null; diagnostics: MappingDiagnostic[] } {
  const p = parseMappingDocument(text, file, opts);
  const hasError = p.diagnostics.some((d) => d.severity === 'error');
  return { molecule: hasError || !p.moleculeName ? null : p.molecule, diagnostics: p.diagnostics };
}
