/**
 * Code actions: the parser's machine-applicable fixes as quick fixes, valid replacements for invalid weights (E7,
 * W9), scaling shared weights to sum to 1 (W10), repairing a bead's hierarchy rules (W1/W2/W3) and adding missing
 * bead types to bead_types.yaml (W17).
 *
 * A fix must never make a mapping wrong (docs/mapping-format.md, "Quick fixes"): every candidate is applied to the
 * text and parsed again, and it is dropped when it adds an error or a NaN warning, breaks an anchor that resolved,
 * or anchors an atom on one the chemistry or the reference structure says it is not bonded to. Hierarchy repairs go
 * further: they only change an atom's anchor to the one atom it is known to be bonded to.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  AnnotatedTextEdit, CodeAction, CodeActionKind, Diagnostic, OptionalVersionedTextDocumentIdentifier, Range, TextDocumentEdit, TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { applyEdits } from '../../core/mapping/hierarchy';
import type { FolderAnalysis } from '../../core/mapping/load';
import { decodeCgmapSetting, decodeRule, parseMappingDocument, type MappingEntry, type ParsedMapping } from '../../core/mapping/parse';
import { CANONICAL_DECIMAL, RULE_RE, canonicalRuleText, formatWeight } from '../../core/mapping/parse/settings';
import type { MappingDiagnostic, MappingFix } from '../../core/mapping/types';
import { bondKnowledge, type BondKnowledge } from '../bonds';
import { pathToUri, uriToPath } from '../workspace';
import { toLspDiagnostic } from './diagnostics';

type OffsetEdit = { start: number; end: number; newText: string };

/** A fix before it becomes an LSP CodeAction. `confirm`: several lines change, so VS Code shows the refactor preview. */
interface Candidate {
  title: string;
  kind: string;
  diagnostics: Diagnostic[];
  edits: OffsetEdit[];
  preferred?: boolean;
  confirm?: boolean;
}

export interface CodeActionContext {
  /** What is known about the molecule's bonds; defaults to the chemistry table alone. */
  bonds?: BondKnowledge;
}

export function codeActions(p: ParsedMapping, doc: TextDocument, range: Range, diagnostics: Diagnostic[], ctx: CodeActionContext = {}): CodeAction[] {
  const bonds = ctx.bonds ?? bondKnowledge(p.moleculeName);
  const s = doc.offsetAt(range.start);
  const e = doc.offsetAt(range.end);
  const lineOf = (offset: number) => doc.positionAt(offset).line;
  const lines = { first: range.start.line, last: range.end.line };
  const lspOf = (d: MappingDiagnostic) => diagnostics.find((x) => x.code === d.code && doc.offsetAt(x.range.start) === d.span.start) ?? toLspDiagnostic(doc, d);
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const d of p.diagnostics) {
    if (d.span.end < s || d.span.start > e) continue;
    const fixes = d.code === 'E7' || d.code === 'W9' ? weightFixes(p, d) : d.code === 'W14' ? excludeFixes(p, d) : d.code === 'W6' || d.code === 'W7' ? ruleFixes(p, d) : d.fixes ?? [];
    for (const f of fixes) {
      const k = `${f.title}@${d.span.start}`;
      if (seen.has(k)) continue;
      seen.add(k);
      candidates.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [lspOf(d)], edits: f.edits, preferred: f.preferred });
    }
  }
  // Entry-level actions on the entries touched by the range.
  for (const en of p.entries) {
    if (en.end < s || en.start > e || en.atom < 0) continue;
    const w10 = p.diagnostics.find((d) => d.code === 'W10' && d.span.start >= en.start && d.span.end <= en.end);
    if (w10) {
      const fix = normaliseWeights(p, en);
      if (fix) candidates.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [lspOf(w10)], edits: fix.edits });
    }
    for (const b of en.beads) {
      const k = `repair:${b.text}`;
      if (seen.has(k)) continue;
      const concerned = hierarchyDiagnostics(p, b.text);
      if (!concerned.length) continue;
      const repair = planBeadRepair(p, b.text, bonds);
      if (!repair) continue;
      // Only on the lines it concerns: a problem line or a line the repair changes.
      const touched = [...concerned.map((d) => lineOf(d.span.start)), ...repair.edits.map((x) => lineOf(x.start))];
      if (!touched.some((l) => l >= lines.first && l <= lines.last)) continue;
      seen.add(k);
      candidates.push({
        title: repairTitle(b.text, repair.changes),
        kind: CodeActionKind.QuickFix,
        diagnostics: concerned.map(lspOf),
        edits: repair.edits,
        preferred: repair.changes.length === 1,
        confirm: repair.changes.length > 1,
      });
    }
  }
  const out: CodeAction[] = [];
  const baseline = candidates.length ? harmBaseline(p) : undefined;
  for (const c of candidates) {
    if (fixHarm(p, applyEdits(p.text, c.edits), bonds, c.edits, baseline)) continue;
    out.push({ title: c.title, kind: c.kind, diagnostics: c.diagnostics, isPreferred: c.preferred || undefined, edit: workspaceEdit(doc, c) });
  }
  return out;
}

function workspaceEdit(doc: TextDocument, c: Candidate): WorkspaceEdit {
  const range = (x: OffsetEdit) => Range.create(doc.positionAt(x.start), doc.positionAt(x.end));
  if (!c.confirm) return { changes: { [doc.uri]: c.edits.map((x) => TextEdit.replace(range(x), x.newText)) } };
  const id = 'backmap-mapping.hierarchy';
  return {
    documentChanges: [TextDocumentEdit.create(OptionalVersionedTextDocumentIdentifier.create(doc.uri, doc.version), c.edits.map((x) => AnnotatedTextEdit.replace(range(x), x.newText, id)))],
    changeAnnotations: { [id]: { label: c.title, needsConfirmation: true, description: 'hierarchy rules: anchors follow the bonds' } },
  };
}

// ------------------------------------------------------------------------------------------ the safety net

/** Per (bead, atom): the anchor atom as HEroBM resolves it (null for the root and level 0) and whether it broke. */
interface AnchorState { atom: readonly string[]; anchor: readonly string[] | null; broken: boolean }

export function anchorStates(p: ParsedMapping): Map<string, AnchorState> {
  const out = new Map<string, AnchorState>();
  const mol = p.molecule;
  if (!mol) return out;
  for (const b of mol.beads) {
    b.slots.forEach((slot, si) => {
      const atom = mol.atoms[slot.atom].names;
      const anchor = slot.anchor !== si ? mol.atoms[b.slots[slot.anchor].atom].names : null;
      out.set(`${b.name}\u0000${atom[0]}`, { atom, anchor, broken: !slot.resolved });
    });
  }
  return out;
}

const NAN_WARNINGS = new Set(['W11', 'W12']);

/**
 * Why applying a fix would make the mapping wrong, or null when it does not: a new error or NaN warning, an anchor
 * that resolved and no longer does, an atom newly anchored on one known not to be bonded to it, or a non-finite
 * number written.
 */
export function fixHarm(before: ParsedMapping, afterText: string, bonds: BondKnowledge, edits: OffsetEdit[] = [], baseline = harmBaseline(before)): string | null {
  if (edits.some((x) => /NaN|Infinity/.test(x.newText))) return 'writes a non-finite number';
  const a = parseMappingDocument(afterText, before.file);
  for (const [code, n] of harmCounts(a)) if (n > (baseline.counts.get(code) ?? 0)) return `adds ${code}`;
  for (const [key, x] of anchorStates(a)) {
    const old = baseline.anchors.get(key);
    if (x.broken && old && !old.broken) return `breaks the anchor of ${x.atom[0]}`;
    if (x.anchor && !(old?.anchor && old.anchor[0] === x.anchor[0]) && bonds.bonded(x.atom, x.anchor) === false)
      return `anchors ${x.atom[0]} on ${x.anchor[0]}, which is not bonded to it`;
  }
  return null;
}

/** Errors and NaN warnings per code. */
function harmCounts(p: ParsedMapping): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of p.diagnostics) if (d.severity === 'error' || NAN_WARNINGS.has(d.code)) m.set(d.code, (m.get(d.code) ?? 0) + 1);
  return m;
}

/** What `fixHarm` compares against, parsed with default options like the fixed text (computed once per request). */
export function harmBaseline(before: ParsedMapping): { counts: Map<string, number>; anchors: Map<string, AnchorState> } {
  const b = parseMappingDocument(before.text, before.file);
  return { counts: harmCounts(b), anchors: anchorStates(b) };
}

// ------------------------------------------------------------------------------------------ weights

/** The number a weight setting is evidently meant to be (`.5`, `10/20`, `2.50`), or undefined when unclear. */
function intendedWeight(s: string): number | undefined {
  const f = /^(\d+)\/(\d+)$/.exec(s);
  if (f) return +f[2] > 0 ? +f[1] / +f[2] : undefined;
  if (/^(\d+\.?\d*|\.\d+)$/.test(s)) return Number(s);
  return undefined;
}

/** A weight in the dialect's canonical spelling: a single-digit fraction when exact, else a decimal. */
export function canonicalWeight(w: number): string {
  for (let d = 1; d <= 9; d++) for (let n = 1; n <= 9; n++) if (Math.abs(n / d - w) < 1e-9) return `${n}/${d}`;
  const t = String(+w.toPrecision(6));
  return /^\d+(\.\d+)?$/.test(t) ? t : w.toFixed(6).replace(/0+$/, '').replace(/\.$/, '.0');
}

/** Where a diagnostic's comma part sits: its entry and bead. */
function partAt(p: ParsedMapping, offset: number): { entry: MappingEntry; bead: number } | null {
  for (const entry of p.entries) for (const f of entry.fields) {
    const i = f.parts.findIndex((x) => x.start === offset);
    if (i >= 0) return { entry, bead: i };
  }
  return null;
}

/** The relative weight an entry's bead has in `text` (entry found by its position in `atoms`). */
function weightIn(text: string, file: string, order: number, bead: number): number | undefined {
  const q = parseMappingDocument(text, file);
  const en = q.entries.find((x) => x.order === order);
  return en && en.atom >= 0 ? q.molecule?.atoms[en.atom].membership[bead]?.relWeight : undefined;
}

/**
 * E7 (`1/0`) and W9 (`.5`, `10/20`): only valid replacements. A weight that cannot be a number is removed (the bead
 * then has its default weight, named in the title); a loose spelling is rewritten as the number it evidently means,
 * saying when that differs from what CGmap read. Never NaN or Infinity.
 */
export function weightFixes(p: ParsedMapping, d: MappingDiagnostic): MappingFix[] {
  const s = p.text.slice(d.span.start, d.span.end);
  const cg = decodeCgmapSetting(s);
  if (cg.kind !== 'weight' || cg.match === undefined || cg.matchIndex === undefined) return [];
  const at = partAt(p, d.span.start);
  const beadName = at?.entry.beads[at.bead]?.text;
  if (cg.divZero) {
    const edit = { start: d.span.start + cg.matchIndex, end: d.span.start + cg.matchIndex + cg.match.length, newText: '' };
    const w = at ? weightIn(applyEdits(p.text, [edit]), p.file, at.entry.order, at.bead) : undefined;
    const then = w !== undefined && Number.isFinite(w) && beadName ? ` (bead ${beadName} then weighs ${formatWeight(w)})` : '';
    return [{ title: `Remove the weight ${cg.match}${then}`, edits: [edit], preferred: true }];
  }
  const meant = intendedWeight(s);
  if (meant === undefined || !Number.isFinite(meant)) return [];
  const text = canonicalWeight(meant);
  if (text === s) return [];
  const read = cg.weight!;
  const title = Math.abs(read - meant) < 1e-12 ? `Replace with ${text}` : `Write ${s} as ${text} (CGmap reads ${s} as ${formatWeight(read)})`;
  return [{ title, edits: [{ start: d.span.start, end: d.span.end, newText: text }], preferred: true }];
}

/**
 * W6/W7: the canonical spelling of the rule HEroBM reads. A part that is also read as a weight (`1/2P1A`) keeps
 * that weight in a field of its own right after (same bead, same precedence), instead of losing it.
 */
export function ruleFixes(p: ParsedMapping, d: MappingDiagnostic): MappingFix[] {
  const s = p.text.slice(d.span.start, d.span.end);
  const cg = decodeCgmapSetting(s);
  if (!decodeRule(s) || cg.kind !== 'weight') return d.fixes ?? [];
  if (cg.divZero || !Number.isFinite(cg.weight)) return [];
  const at = partAt(p, d.span.start);
  const field = at?.entry.fields.find((f) => f.parts.some((x) => x.start === d.span.start));
  if (!at || !field) return [];
  const weight = CANONICAL_DECIMAL.test(cg.match!) || /^[1-9]\/[1-9]$/.test(cg.match!) ? cg.match! : canonicalWeight(cg.weight!);
  const rule = canonicalRuleText(s);
  const extra = ' ' + at.entry.beads.map((_, j) => (j === at.bead ? weight : '')).join(',');
  return [{
    title: `Split ${s} into the rule ${rule} and the weight ${weight}`,
    edits: [{ start: d.span.start, end: d.span.end, newText: rule }, { start: field.token.end, end: field.token.end, newText: extra }],
  }];
}

/** W14: excluding the atom changes where the bead sits, so the title says so (never preferred). */
function excludeFixes(p: ParsedMapping, d: MappingDiagnostic): MappingFix[] {
  const bead = /position of bead (\S+)/.exec(d.message)?.[1];
  const atom = /^`([^`]+)`/.exec(d.message)?.[1];
  return (d.fixes ?? []).map((f) => ({ ...f, preferred: false, title: atom && bead ? `Exclude ${atom} from the position of bead ${bead} (!): the bead moves to the centre of its other atoms` : f.title }));
}

/**
 * W10: rewrite a shared atom's weights so they sum to 1 (same proportions). Each bead's weight is replaced where it
 * is set when that part is a plain weight; otherwise one field with all the weights is appended (the last field
 * wins), so rules and flags in the same fields are kept. The title shows the old and new weights: scaling changes
 * how much the atom pulls on each bead.
 */
export function normaliseWeights(p: ParsedMapping, en: MappingEntry): { title: string; edits: OffsetEdit[] } | null {
  const mol = p.molecule;
  if (!mol || en.atom < 0) return null;
  const at = mol.atoms[en.atom];
  const sum = at.membership.reduce((x, m) => x + m.relWeight, 0);
  if (!(sum > 0) || !Number.isFinite(sum)) return null;
  const parts = at.membership.map((m) => canonicalWeight(m.relWeight / sum));
  const old = at.membership.map((m) => canonicalWeight(m.relWeight)).join(',');
  const title = `Scale shared weights to sum to 1 (${old} → ${parts.join(',')})`;
  // The part that sets each bead's weight: the last field with a weight there.
  const setting = en.beads.map((_, bi) => {
    let hit: { start: number; end: number; text: string } | null = null;
    for (const f of en.fields) {
      const part = f.parts[bi];
      if (part && decodeCgmapSetting(part.text).kind === 'weight') hit = part;
    }
    return hit;
  });
  if (setting.every((x) => x && !decodeRule(x.text))) return { title, edits: setting.map((x, bi) => ({ start: x!.start, end: x!.end, newText: parts[bi] })) };
  const end = en.value ? en.value.end : en.end;
  return { title, edits: [{ start: end, end, newText: ` ${parts.join(',')}` }] };
}

// ------------------------------------------------------------------------------------------ hierarchy repair

/** W1/W2/W3 diagnostics on the rule parts of `bead`. */
function hierarchyDiagnostics(p: ParsedMapping, bead: string): MappingDiagnostic[] {
  const starts = new Set<number>();
  for (const en of p.entries) {
    const bi = en.beads.findIndex((t) => t.text === bead);
    if (bi >= 0 && en.ruleParts[bi]) starts.add(en.ruleParts[bi]!.start);
  }
  return p.diagnostics.filter((d) => (d.code === 'W1' || d.code === 'W2' || d.code === 'W3') && starts.has(d.span.start));
}

export interface RuleChange {
  atom: string;
  old: string;
  new: string;
  /** 'anchor', 'ID', 'level' or 'rule' (several). */
  what: string;
  /** Why the anchor is the one chosen ('bonded to C'), when the anchor changed. */
  because?: string;
}

/**
 * A repair of one bead's hierarchy rules that keeps every anchor that resolves and re-anchors the others only on
 * the atom they are known to be bonded to: levels made contiguous, duplicate (level, ID) pairs given the next free
 * letter, anchors rewritten to the anchor atom's ID. Null when nothing changes, or when some anchor would have to
 * change without the chemistry or the reference saying which atom it is bonded to.
 */
export function planBeadRepair(p: ParsedMapping, bead: string, bonds: BondKnowledge): { edits: OffsetEdit[]; changes: RuleChange[] } | null {
  const mol = p.molecule;
  if (!mol || !mol.beadIndex.has(bead)) return null;
  const slots = mol.beads[mol.beadIndex.get(bead)!].slots;
  const items = slots.map((s, si) => {
    const entry = p.entries.find((x) => x.atom === s.atom);
    const bi = entry ? entry.beads.findIndex((t) => t.text === bead) : -1;
    const at = mol.atoms[s.atom];
    return {
      si, names: at.names, part: entry && bi >= 0 ? entry.ruleParts[bi] : null, rule: bi >= 0 ? at.membership[bi]?.rule ?? null : null,
      cm: bi >= 0 && !!at.membership[bi]?.cm, oldAnchor: s.resolved && s.anchor !== si ? s.anchor : -1, level: 0, id: '',
    };
  });
  // Offsets are only trusted where the text still reads as the parser saw it (not inside folded quoted scalars).
  if (!items.length || items.some((x) => !x.part || !x.rule || p.text.slice(x.part.start, x.part.end) !== x.part.text)) return null;
  // Levels: contiguous from 0 (when used) or 1, in the same order.
  const levels = [...new Set(items.map((x) => x.rule!.level))].sort((a, b) => a - b);
  const base = levels[0] === 0 ? 0 : 1;
  for (const x of items) x.level = base + levels.indexOf(x.rule!.level);
  const rootLevel1 = base === 1;
  // IDs: each atom keeps its letter unless an earlier atom has it; duplicates get the next free letter.
  for (const L of new Set(items.map((x) => x.level))) {
    const onLevel = items.filter((x) => x.level === L).sort((a, b) => (a.rule!.id < b.rule!.id ? -1 : a.rule!.id > b.rule!.id ? 1 : a.si - b.si));
    if (onLevel.length > 26) return null;
    const taken = new Set<string>();
    if (L === 1 && rootLevel1 && !onLevel.some((x) => x.rule!.id === 'A')) {
      // No root (local index 0): only a lone atom or the CM atom can be it without guessing.
      const root = onLevel.length === 1 ? onLevel[0] : onLevel.filter((x) => x.cm).length === 1 ? onLevel.find((x) => x.cm)! : null;
      if (!root) return null;
      root.id = 'A';
      taken.add('A');
    }
    for (const x of onLevel) if (!x.id && !taken.has(x.rule!.id)) { x.id = x.rule!.id; taken.add(x.id); }
    for (const x of onLevel) {
      if (x.id) continue;
      let c = 0;
      while (taken.has(String.fromCharCode(65 + c))) c++;
      if (c >= 26) return null;
      x.id = String.fromCharCode(65 + c);
      taken.add(x.id);
    }
  }
  const root = rootLevel1 ? items.find((x) => x.level === 1 && x.id === 'A') : undefined;
  const edits: OffsetEdit[] = [];
  const changes: RuleChange[] = [];
  for (const x of items) {
    const old = x.rule!;
    let anchor: typeof x | undefined;
    let because: string | undefined;
    const isRoot = x.level === 0 || x === root;
    if (!isRoot) {
      const candidates = x.level === 1 && rootLevel1 ? [root!] : items.filter((y) => y.level === x.level - 1);
      const kept = candidates.find((y) => y.si === x.oldAnchor);
      if (kept) anchor = kept;
      else {
        const bonded = candidates.filter((y) => y !== x && bonds.bonded(x.names, y.names) === true);
        const byLetter = bonded.filter((y) => y.rule!.level === old.level - 1 && y.rule!.id === old.anchor);
        anchor = bonded.length === 1 ? bonded[0] : byLetter.length === 1 ? byLetter[0] : undefined;
        if (!anchor) return null; // nobody knows which atom it hangs on: no automatic re-anchoring
        because = `bonded to ${anchor.names[0]}`;
      }
    }
    const text = isRoot ? `P${x.level}${x.id}` : `P${x.level}${anchor!.id}${x.id}`;
    const same = old.level === x.level && old.id === x.id && (isRoot || old.anchor === anchor!.id);
    if (same) continue;
    const m = RULE_RE.exec(x.part!.text)!;
    const start = x.part!.start + m.index;
    edits.push({ start, end: start + m[0].length, newText: text });
    const what = [old.level !== x.level && 'level', old.id !== x.id && 'ID', !isRoot && old.anchor !== anchor!.id && 'anchor'].filter(Boolean) as string[];
    changes.push({ atom: x.names[0], old: m[0], new: text, what: what.length === 1 ? what[0] : 'rule', because });
  }
  return edits.length ? { edits, changes } : null;
}

/** "O: anchor P3CA → P3BA (bonded to C)" or "Renumber bead BB: C ID P2AA → P2AB; O anchor P3AA → P3BA (bonded to C)". */
export function repairTitle(bead: string, changes: RuleChange[]): string {
  const one = (c: RuleChange) => `${c.what} ${c.old} → ${c.new}${c.because ? ` (${c.because})` : ''}`;
  if (changes.length === 1) return `${changes[0].atom}: ${one(changes[0])}`;
  const shown = changes.slice(0, 3).map((c) => `${c.atom} ${one(c)}`).join('; ');
  return `Renumber bead ${bead}: ${shown}${changes.length > 3 ? ` (+${changes.length - 3} more)` : ''}`;
}

/** The edits of `planBeadRepair` (tests and callers that only want the text). */
export function renumberBead(p: ParsedMapping, bead: string, bonds: BondKnowledge = bondKnowledge(p.moleculeName)): OffsetEdit[] | null {
  return planBeadRepair(p, bead, bonds)?.edits ?? null;
}

// ------------------------------------------------------------------------------------------ bead types

/** W17: adds the missing bead types to bead_types.yaml with the id CGmap would assign (max+1 in load order). */
export function addMissingBeadTypesAction(
  p: ParsedMapping, doc: TextDocument, range: Range, an: FolderAnalysis | null, openDocument: (uri: string) => TextDocument | undefined,
): CodeAction | null {
  const path = uriToPath(doc.uri);
  if (!an?.beadTypesPath || !path || !p.molecule) return null;
  const s = doc.offsetAt(range.start);
  const e = doc.offsetAt(range.end);
  const missing = an.report.folderDiagnostics.filter((d) => d.code === 'W17' && d.span.file === path && d.span.end >= s && d.span.start <= e && /missing from/.test(d.message));
  if (!missing.length) return null;
  const btUri = pathToUri(an.beadTypesPath);
  const open = openDocument(btUri);
  const btText = open ? open.getText() : readFileSync(an.beadTypesPath, 'utf8');
  const btDoc = TextDocument.create(btUri, 'yaml', 0, btText);
  const end = btDoc.positionAt(btText.length);
  const lines = missing.map((d) => {
    const bead = doc.getText({ start: doc.positionAt(d.span.start), end: doc.positionAt(d.span.end) });
    const idname = `${p.moleculeName}_${bead}`;
    return `${idname}: ${an.beadTypes.get(idname)}`;
  });
  const newText = (btText.length && !btText.endsWith('\n') ? '\n' : '') + lines.join('\n') + '\n';
  return {
    title: `Add ${lines.map((l) => l.split(':')[0]).join(', ')} to ${basename(an.beadTypesPath)}`,
    kind: CodeActionKind.QuickFix,
    diagnostics: missing.map((d) => toLspDiagnostic(doc, d)),
    edit: { changes: { [btUri]: [{ range: { start: end, end }, newText }] } },
  };
}
