/**
 * The UCG mapping format (`backmap-ucg/1`, docs/ucg-mapping.md): ultra-coarse-grained beads that each hold a run of
 * whole residues, written as residue ranges. A format of its own because the HEroBM/CGmap dialect maps atoms of one
 * residue to beads, while a UCG bead spans several residues. Pure core: one parser for the CLI, the language server,
 * training and backmapping; problems are diagnostics with exact spans (codes U1…U12, `UCG_CODES`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Lexer, LineCounter, isMap, isScalar, parseDocument, type Node as YamlNode, type Pair, type Scalar } from 'yaml';
import { InputError } from '../errors';
import { readFileHead } from '../io/text';
import type { MappingDiagnostic, MappingFix, MappingSeverity, SourceSpan } from '../mapping/types';

export const UCG_FORMAT = 'backmap-ucg/1';

/** Every diagnostic code of a UCG mapping, with its severity and a one-line summary (docs/ucg-mapping.md explains each). */
export const UCG_CODES: Record<string, { severity: MappingSeverity; summary: string }> = {
  U1: { severity: 'error', summary: 'not YAML, an empty file, a top level that is not a map, or a top-level key written twice' },
  U2: { severity: 'error', summary: '`format` missing, or not a version this release reads (backmap-ucg/1)' },
  U3: { severity: 'error', summary: '`beads` missing, empty or not a map' },
  U4: { severity: 'error', summary: 'a residue list entry that does not parse (CHAIN:NUM[ICODE][-NUM[ICODE]])' },
  U5: { severity: 'error', summary: 'a reversed range (end before start)' },
  U6: { severity: 'error', summary: 'a residue in two beads (overlapping ranges within a chain)' },
  U7: { severity: 'error', summary: 'a bead name that is not 1–4 letters/digits, or a bead defined twice' },
  U8: { severity: 'error', summary: 'a bead with no residues' },
  U9: { severity: 'warning', summary: 'unknown top-level key (ignored)' },
  U10: { severity: 'error', summary: '`site` other than ca-centroid' },
  U11: { severity: 'error', summary: '`sequence` not a map of chain id → one-letter codes A–Z' },
  U12: { severity: 'warning', summary: '`name` or `method` not a plain string, or a `method` other than segments, spatial, manual' },
};

export const UCG_METHODS: readonly string[] = ['segments', 'spatial', 'manual'];

/** A residue: chain id ('' for a blank one, written `_`), number and insertion code ('' when none). */
export interface UcgResidueRef { chainId: string; resSeq: number; iCode: string }
/** Every residue of `chainId` whose (number, insertion code) lies between `start` and `end` (both included). */
export interface UcgRange { chainId: string; start: UcgResidueRef; end: UcgResidueRef; span: SourceSpan }
export interface UcgBead { name: string; ranges: UcgRange[]; span: SourceSpan /* the bead's key */; line: number /* 1-based */ }
export interface UcgMapping {
  file: string;
  text: string;
  /** `name:` (free text, e.g. the protein), '' when absent. */
  name: string;
  /** `method:` as written ('' when absent): segments | spatial | manual. */
  method: string;
  /** Bead position = mean of the member residues' CA atoms (the only value accepted). */
  site: 'ca-centroid';
  /** `sequence:` chain id → one-letter codes of the residues the beads cover, in structure order ({} when absent). */
  sequence: Record<string, string>;
  /** In file order. */
  beads: UcgBead[];
  /** sha256 of the text without comments, trailing spaces and blank lines, line ends normalised (content pin). */
  hash: string;
  diagnostics: MappingDiagnostic[];
}

const FORMAT_LINE = /^format[ \t]*:[ \t]*["']?backmap-ucg\b/m;
const FORMAT_VALUE = /^backmap-ucg\/(\d+)$/;
const CHAIN_RE = /^(?:_|[A-Za-z0-9]{1,4})$/;
const BEAD_NAME_RE = /^[A-Za-z0-9]{1,4}$/;
const REF_RE = /^(_|[A-Za-z0-9]{1,4}):(-?\d+)([A-Za-z]?)(?:-(-?\d+)([A-Za-z]?))?$/;
const CROSS_CHAIN_RE = /^(_|[A-Za-z0-9]{1,4}):-?\d+[A-Za-z]?-(_|[A-Za-z0-9]{1,4}):-?\d+[A-Za-z]?$/;
const TOP_KEYS = ['format', 'name', 'site', 'method', 'sequence', 'beads'];

/** A top-level `format: backmap-ucg…` line (any version: an unsupported one is reported by the parser, U2). */
export function isUcgMappingText(text: string): boolean {
  return FORMAT_LINE.test(text);
}

/** The file exists and its first 64 KB hold a top-level `format: backmap-ucg…` line. */
export function isUcgMappingPath(path: string): boolean {
  const head = readFileHead(path);
  return !!head && isUcgMappingText(head.toString('utf8'));
}

const chainText = (chainId: string) => (chainId === '' ? '_' : chainId);
const chainOf = (written: string) => (written === '_' ? '' : written);

/** Orders residues of one chain by number, then insertion code ('' < 'A' < 'B'). */
export function compareResidues(a: Pick<UcgResidueRef, 'resSeq' | 'iCode'>, b: Pick<UcgResidueRef, 'resSeq' | 'iCode'>): number {
  return a.resSeq - b.resSeq || (a.iCode < b.iCode ? -1 : a.iCode > b.iCode ? 1 : 0);
}

export function residueInRange(r: UcgResidueRef, range: UcgRange): boolean {
  return r.chainId === range.chainId && compareResidues(range.start, r) <= 0 && compareResidues(r, range.end) <= 0;
}

/** `A:12`, `_:7`, `B:52A`. */
export function formatResidueRef(r: UcgResidueRef): string {
  return `${chainText(r.chainId)}:${r.resSeq}${r.iCode}`;
}

/** `A:1-9`, or `A:12` for a one-residue range. */
export function formatUcgRange(r: Pick<UcgRange, 'start' | 'end'>): string {
  const same = compareResidues(r.start, r.end) === 0;
  return same ? formatResidueRef(r.start) : `${formatResidueRef(r.start)}-${r.end.resSeq}${r.end.iCode}`;
}

/** Text with comments, trailing spaces and blank lines removed and line ends normalised (what the hash pins). */
export function ucgHashedText(text: string): string {
  let out = '';
  for (const token of new Lexer().lex(text)) {
    if (token.startsWith('#')) continue;
    if (token.length === 1 && token.charCodeAt(0) < 0x20 && token !== '\n' && token !== '\t' && token !== '\r') continue; // lexer markers
    out += token;
  }
  const lines = out.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/\s+$/, '')).filter((l) => l !== '');
  return lines.join('\n') + '\n';
}

export function ucgHash(text: string): string {
  return createHash('sha256').update(ucgHashedText(text)).digest('hex');
}

/** One comma-separated entry of a bead's residue list, with its offsets in the file. */
interface ListToken { text: string; start: number; end: number; exact: boolean }

/**
 * The entries of a residue list. Offsets are exact for plain scalars and for quoted ones without escapes; otherwise
 * (escapes, block scalars) every entry points at the whole value.
 */
function listTokens(text: string, node: Scalar): ListToken[] | null {
  const [vs, ve] = node.range ?? [0, 0, 0];
  let raw: string, base: number, exact = true;
  if (node.type === 'PLAIN') { raw = text.slice(vs, ve); base = vs; }
  else if ((node.type === 'QUOTE_DOUBLE' && !/[\\\n]/.test(text.slice(vs, ve))) || (node.type === 'QUOTE_SINGLE' && !/''|\n/.test(text.slice(vs + 1, ve - 1)))) {
    raw = text.slice(vs + 1, ve - 1); base = vs + 1;
  } else if (typeof node.value === 'string') { raw = node.value; base = vs; exact = false; }
  else return null;
  const out: ListToken[] = [];
  let from = 0;
  for (;;) {
    const comma = raw.indexOf(',', from);
    const piece = raw.slice(from, comma < 0 ? raw.length : comma);
    const lead = piece.length - piece.trimStart().length;
    const t = piece.trim();
    if (exact) {
      // An empty entry points at its comma (a stray comma is what the user has to delete).
      const s = t ? base + from + lead : base + (comma < 0 ? Math.max(from - 1, 0) : comma);
      out.push({ text: t, start: s, end: t ? s + t.length : s + 1, exact });
    } else out.push({ text: t, start: vs, end: ve, exact });
    if (comma < 0) break;
    from = comma + 1;
  }
  return out;
}

/** The written key of a pair: plain scalars exactly as typed (`1e3` stays `1e3`), others as their string value. */
function keyText(text: string, key: unknown): string | null {
  if (!isScalar(key)) return null;
  if (key.type === 'PLAIN' && key.range) return text.slice(key.range[0], key.range[1]);
  return key.value === null || key.value === undefined ? null : String(key.value);
}

const rangeOf = (n: unknown): [number, number] => {
  const r = (n as YamlNode | null)?.range;
  return r ? [r[0], r[1]] : [0, 0];
};

/** Reads a UCG mapping; never throws: every problem is a diagnostic (UCG_CODES). */
export function parseUcgMapping(text: string, file: string): UcgMapping {
  const lineCounter = new LineCounter();
  const diagnostics: MappingDiagnostic[] = [];
  const span = (start: number, end: number): SourceSpan => ({ file, start, end: Math.max(start, end), line: lineCounter.linePos(start).line });
  const report = (code: string, start: number, end: number, message: string, fixes?: MappingFix[]) => {
    const d: MappingDiagnostic = { code, severity: UCG_CODES[code].severity, message, span: span(start, end) };
    if (fixes?.length) d.fixes = fixes;
    diagnostics.push(d);
  };
  const result: UcgMapping = { file, text, name: '', method: '', site: 'ca-centroid', sequence: {}, beads: [], hash: ucgHash(text), diagnostics };
  const firstLine = (): [number, number] => {
    const nl = text.indexOf('\n');
    return [0, Math.min(text.length, Math.max(1, nl < 0 ? text.length : nl))];
  };
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length) {
    const content = text.trimEnd().length;
    for (const e of doc.errors) {
      // An error found at the end of the input (an unclosed bracket or quote) points at the last line, not past it.
      const [s, end] = e.pos[0] >= content ? [text.lastIndexOf('\n', content - 1) + 1, content] : [e.pos[0], Math.max(e.pos[1], e.pos[0] + 1)];
      report('U1', s, end, `Not valid YAML: ${e.message.split('\n')[0]}`);
    }
    return done(result);
  }
  const top = doc.contents;
  if (top === null || top === undefined) {
    report('U1', ...firstLine(), 'The file is empty: a UCG mapping needs `format: backmap-ucg/1` and a `beads:` map (docs/ucg-mapping.md).');
    return done(result);
  }
  if (!isMap(top)) {
    report('U1', ...rangeOf(top), 'The top level of a UCG mapping must be a map of keys (format, name, site, method, sequence, beads).');
    return done(result);
  }
  const pairs = new Map<string, Pair>();
  for (const pair of top.items) {
    const key = keyText(text, pair.key);
    const [ks, ke] = rangeOf(pair.key);
    if (key === null) { report('U9', ks, ke, 'A top-level key that is not a plain name is ignored.'); continue; }
    const first = pairs.get(key);
    if (first) {
      report('U1', ks, ke, `\`${key}\` is written twice (first on line ${lineCounter.linePos(rangeOf(first.key)[0]).line}); YAML keys must be unique, so the file is ambiguous.`);
      continue;
    }
    pairs.set(key, pair);
    if (!TOP_KEYS.includes(key)) report('U9', ks, ke, `Unknown top-level key \`${key}\` is ignored (known: ${TOP_KEYS.join(', ')}).`);
  }

  // format
  const formatPair = pairs.get('format');
  if (!formatPair) {
    const at = top.items.length ? rangeOf(top.items[0].key)[0] : 0;
    report('U2', ...firstLine(), `\`format: ${UCG_FORMAT}\` is missing: it tells every reader which format (and version) this file is.`,
      [{ title: `Insert \`format: ${UCG_FORMAT}\``, edits: [{ start: at, end: at, newText: `format: ${UCG_FORMAT}\n` }], preferred: true }]);
  } else {
    const v = formatPair.value;
    const [vs, ve] = pair0(formatPair);
    const value = isScalar(v) && v.value !== null ? String(v.value) : null;
    const m = value !== null ? FORMAT_VALUE.exec(value) : null;
    if (!m) report('U2', vs, ve, `\`format\` must be \`${UCG_FORMAT}\`${value !== null ? `, not \`${value}\`` : ''}.`);
    else if (m[1] !== '1') report('U2', vs, ve, `\`${value}\` is a version of the UCG mapping format this release does not read (it reads ${UCG_FORMAT}); update Backmap Studio.`);
  }

  // name, method
  for (const key of ['name', 'method'] as const) {
    const pair = pairs.get(key);
    if (!pair) continue;
    const v = pair.value;
    const [vs, ve] = pair0(pair);
    if (v === null || (isScalar(v) && v.value === null)) continue;
    if (!isScalar(v) || typeof v.value === 'object') { report('U12', vs, ve, `\`${key}\` should be plain text; it is ignored.`); continue; }
    const s = isScalar(v) && v.type === 'PLAIN' && v.range ? text.slice(v.range[0], v.range[1]) : String(v.value);
    result[key] = s;
    if (key === 'method' && !UCG_METHODS.includes(s)) report('U12', vs, ve, `Method \`${s}\` is not one of ${UCG_METHODS.join(', ')}; it is only a note, kept as written.`);
  }

  // site
  const sitePair = pairs.get('site');
  if (sitePair) {
    const v = sitePair.value;
    const [vs, ve] = pair0(sitePair);
    const s = isScalar(v) && v.value !== null ? String(v.value) : null;
    if (s !== 'ca-centroid') report('U10', vs, ve, `\`site\` must be \`ca-centroid\` (a bead sits at the mean of its residues' CA atoms)${s !== null ? `, not \`${s}\`` : ''}.`);
  }

  // sequence
  const seqPair = pairs.get('sequence');
  if (seqPair) {
    const v = seqPair.value;
    if (!isMap(v)) report('U11', ...pair0(seqPair), '`sequence` must be a map of chain id → one-letter codes, e.g. `A: MKVLAAG…` (`_` for a blank chain id).');
    else {
      for (const item of v.items) {
        const chain = keyText(text, item.key);
        const [ks, ke] = rangeOf(item.key);
        if (chain === null || !CHAIN_RE.test(chain)) { report('U11', ks, ke, `\`${chain ?? ''}\` is not a chain id (1–4 letters or digits, \`_\` for a blank one).`); continue; }
        const id = chainOf(chain);
        if (id in result.sequence) { report('U11', ks, ke, `Chain \`${chain}\` is listed twice in \`sequence\`.`); continue; }
        const val = item.value;
        const [vs, ve] = val ? rangeOf(val) : [ke, ke];
        const raw = isScalar(val) && val.value !== null ? (val.type === 'PLAIN' && val.range ? text.slice(val.range[0], val.range[1]) : String(val.value)) : '';
        const letters = raw.replace(/\s+/g, '');
        if (!/^[A-Z]+$/.test(letters)) {
          const fixes: MappingFix[] = /^[A-Za-z]+$/.test(letters) && isScalar(val) && val.type === 'PLAIN' && !/\s/.test(raw)
            ? [{ title: 'Upper-case the sequence', edits: [{ start: vs, end: ve, newText: letters.toUpperCase() }], preferred: true }] : [];
          report('U11', letters ? vs : ks, letters ? ve : ke, `The sequence of chain \`${chain}\` must be one-letter codes A–Z (X for an unknown residue)${letters ? '' : ', and not empty'}.`, fixes);
          continue;
        }
        result.sequence[id] = letters;
      }
    }
  }

  // beads
  const beadsPair = pairs.get('beads');
  if (!beadsPair) report('U3', ...firstLine(), '`beads:` is missing: a map of bead name → residues, e.g. `U1: A:1-9, A:12`.');
  else {
    const v = beadsPair.value;
    const [ks, ke] = rangeOf(beadsPair.key);
    if (!isMap(v)) report('U3', ks, ke, '`beads` must be a map of bead name → residues, e.g. `U1: A:1-9, A:12`.');
    else if (!v.items.length) report('U3', ks, ke, '`beads` is empty: a UCG mapping needs at least one bead.');
    else readBeads(text, v.items, result, report, span, lineCounter);
  }
  return done(result);
}

/** Where a top-level value is reported: the value, or the key when the value is empty. */
function pair0(pair: Pair): [number, number] {
  const [s, e] = rangeOf(pair.value);
  return e > s ? [s, e] : rangeOf(pair.key);
}

function done(m: UcgMapping): UcgMapping {
  m.diagnostics.sort((a, b) => a.span.start - b.span.start || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return m;
}

type Report = (code: string, start: number, end: number, message: string, fixes?: MappingFix[]) => void;

function readBeads(text: string, items: Pair[], result: UcgMapping, report: Report, span: (s: number, e: number) => SourceSpan, lc: LineCounter): void {
  const seen = new Map<string, number>();
  for (const item of items) {
    const name = keyText(text, item.key);
    const [ks, ke] = rangeOf(item.key);
    if (name === null || !BEAD_NAME_RE.test(name)) {
      report('U7', ks, ke, `\`${name ?? ''}\` is not a bead name: 1–4 letters or digits (bead names are written as PDB atom names).`);
      continue;
    }
    const firstLine = seen.get(name);
    if (firstLine !== undefined) {
      report('U7', ks, ke, `Bead \`${name}\` is defined twice (first on line ${firstLine}); its second definition is ignored.`);
      continue;
    }
    const line = lc.linePos(ks).line;
    seen.set(name, line);
    const bead: UcgBead = { name, ranges: [], span: span(ks, ke), line };
    result.beads.push(bead);
    const v = item.value;
    if (v === null || v === undefined || (isScalar(v) && (v.value === null || v.value === ''))) {
      report('U8', ks, ke, `Bead \`${name}\` has no residues: list them, e.g. \`${name}: A:1-9, A:12\`.`);
      continue;
    }
    const tokens = isScalar(v) ? listTokens(text, v) : null;
    if (!tokens) {
      report('U4', ...rangeOf(v), `The residues of bead \`${name}\` must be one comma-separated list, e.g. \`A:1-9, A:12\`.`);
      continue;
    }
    for (const t of tokens) {
      const range = readRange(t, report, span);
      if (range) bead.ranges.push(range);
    }
  }
  reportOverlaps(result.beads, report);
}

function readRange(t: ListToken, report: Report, span: (s: number, e: number) => SourceSpan): UcgRange | null {
  if (!t.text) {
    report('U4', t.start, t.end, 'Empty entry in the residue list (a stray comma).',
      t.exact ? [{ title: 'Remove the stray comma', edits: [{ start: t.start, end: t.end, newText: '' }], preferred: true }] : undefined);
    return null;
  }
  const m = REF_RE.exec(t.text);
  if (!m) {
    const why = CROSS_CHAIN_RE.test(t.text) ? 'a range stays within one chain: write one entry per chain, e.g. `A:1-9, B:1-5`'
      : /^-?\d+[A-Za-z]?(-\d+[A-Za-z]?)?$/.test(t.text) ? `each entry names its chain: e.g. \`A:${t.text}\` (\`_\` for a blank chain id)`
      : 'expected CHAIN:NUM[ICODE][-NUM[ICODE]], e.g. `A:12`, `A:1-9`, `B:52A-60`, `_:7`';
    report('U4', t.start, t.end, `\`${t.text}\` is not a residue or range: ${why}.`);
    return null;
  }
  const chainId = chainOf(m[1]);
  const start: UcgResidueRef = { chainId, resSeq: Number(m[2]), iCode: m[3] };
  const end: UcgResidueRef = m[4] !== undefined ? { chainId, resSeq: Number(m[4]), iCode: m[5] } : { ...start };
  if (compareResidues(start, end) > 0) {
    const swapped = `${m[1]}:${m[4]}${m[5]}-${m[2]}${m[3]}`;
    report('U5', t.start, t.end, `\`${t.text}\` is reversed: its end comes before its start, so it holds no residue. Did you mean \`${swapped}\`?`,
      t.exact ? [{ title: `Swap the ends: ${swapped}`, edits: [{ start: t.start, end: t.end, newText: swapped }], preferred: true }] : undefined);
    return null;
  }
  return { chainId, start, end, span: span(t.start, t.end) };
}

/** U6: ranges of different beads that overlap within a chain (one diagnostic per overlapping pair, on the later range). */
function reportOverlaps(beads: UcgBead[], report: Report): void {
  const byChain = new Map<string, { bead: string; r: UcgRange }[]>();
  for (const b of beads) for (const r of b.ranges) {
    const l = byChain.get(r.chainId) ?? [];
    l.push({ bead: b.name, r });
    byChain.set(r.chainId, l);
  }
  for (const list of byChain.values()) {
    list.sort((a, b) => compareResidues(a.r.start, b.r.start) || a.r.span.start - b.r.span.start);
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      for (let j = i + 1; j < list.length && compareResidues(list[j].r.start, a.r.end) <= 0; j++) {
        const b = list[j];
        if (a.bead === b.bead) continue;
        const [first, later] = a.r.span.start < b.r.span.start ? [a, b] : [b, a];
        const from = compareResidues(a.r.start, b.r.start) >= 0 ? a.r.start : b.r.start;
        const to = compareResidues(a.r.end, b.r.end) <= 0 ? a.r.end : b.r.end;
        report('U6', later.r.span.start, later.r.span.end,
          `${formatUcgRange(later.r)} of bead \`${later.bead}\` overlaps ${formatUcgRange(first.r)} of bead \`${first.bead}\` (line ${first.r.span.line}): ${compareResidues(from, to) === 0 ? 'residue' : 'residues'} ${formatUcgRange({ start: from, end: to })} would be in both beads.`);
      }
    }
  }
}

/** Reads and checks a UCG mapping file; the first error becomes an InputError naming its line. */
export function loadUcgMapping(path: string): UcgMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    throw new InputError(code === 'ENOENT' ? 'UCG mapping file not found' : `cannot read the UCG mapping file (${code ?? (e as Error).message})`, path);
  }
  const m = parseUcgMapping(text, path);
  const errors = m.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const d = errors[0];
    throw new InputError(`${d.code} ${d.message}${errors.length > 1 ? ` (${errors.length} errors in total)` : ''}`, path, d.span.line);
  }
  return m;
}

const PLAIN_SAFE = /^[A-Za-z0-9][A-Za-z0-9 ._()/+-]*$/;
/** A scalar as YAML reads it back as the same string: plain when unambiguous, else double-quoted (JSON is valid YAML). */
function yamlString(s: string): string {
  const plainOk = PLAIN_SAFE.test(s) && !/\s$/.test(s) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s) && !/^[-+]?(\d[\d_]*\.?\d*([eE][-+]?\d+)?|\.\d+|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i.test(s);
  return plainOk ? s : JSON.stringify(s);
}

/**
 * Residues as ranges of consecutive residue numbers, per chain in order of first appearance (`A:1-9`, `A:12`). With
 * `all` (every residue of the structure), a run also stops where a residue of another bead sorts between two of
 * these (insertion codes), so that each range covers exactly the listed residues.
 */
export function compressResidues(residues: UcgResidueRef[], all?: UcgResidueRef[]): string[] {
  if (!residues.length) return [];
  const chains: string[] = [];
  const byChain = new Map<string, UcgResidueRef[]>();
  for (const r of residues) {
    if (!byChain.has(r.chainId)) { byChain.set(r.chainId, []); chains.push(r.chainId); }
    byChain.get(r.chainId)!.push(r);
  }
  const key = (r: UcgResidueRef) => `${r.resSeq}\u0000${r.iCode}`;
  const out: string[] = [];
  for (const chain of chains) {
    const list = [...byChain.get(chain)!].sort(compareResidues);
    const mine = new Set(list.map(key));
    const others = all ? all.filter((r) => r.chainId === chain && !mine.has(key(r))).sort(compareResidues) : [];
    let o = 0;
    let start = list[0], prev = list[0];
    const flush = () => out.push(formatUcgRange({ start, end: prev }));
    for (let i = 1; i < list.length; i++) {
      const r = list[i];
      if (compareResidues(r, prev) === 0) continue;
      const consecutive = r.resSeq === prev.resSeq + 1 || (r.resSeq === prev.resSeq && r.iCode > prev.iCode);
      while (o < others.length && compareResidues(others[o], prev) <= 0) o++;
      const foreignBetween = o < others.length && compareResidues(others[o], r) < 0;
      if (!consecutive || foreignBetween) { flush(); start = r; }
      prev = r;
    }
    flush();
  }
  return out;
}

export interface UcgWriteInput {
  name: string;
  method: string;
  sequence: Record<string, string>;
  beads: { name: string; residues: UcgResidueRef[] }[];
  /** Comment lines at the top (without `# `). */
  header?: string[];
  /** Every residue of the structure: lets ranges stop at residues of other beads between insertion codes. */
  residues?: UcgResidueRef[];
}

/** The text of a UCG mapping: header comments, then format, name, site, method, sequence and beads. */
export function writeUcgMapping(m: UcgWriteInput): string {
  const lines: string[] = [];
  for (const h of m.header ?? []) for (const l of h.split('\n')) lines.push(l ? `# ${l}` : '#');
  lines.push(`format: ${UCG_FORMAT}`, `name: ${yamlString(m.name)}`, 'site: ca-centroid', `method: ${yamlString(m.method)}`);
  const chains = Object.keys(m.sequence);
  if (!chains.length) lines.push('sequence: {}');
  else {
    lines.push('sequence:');
    for (const c of chains) lines.push(`  ${chainText(c)}: ${m.sequence[c]}`);
  }
  lines.push('beads:');
  for (const b of m.beads) lines.push(`  ${b.name}: ${compressResidues(b.residues, m.residues).join(', ')}`);
  return lines.join('\n') + '\n';
}
