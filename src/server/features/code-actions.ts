/**
 * Code actions: the parser's machine-applicable fixes as quick fixes, scaling shared weights to sum to 1 (W10),
 * renumbering a bead's hierarchy IDs (W1/W2/W3), and adding missing bead types to bead_types.yaml (W17).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CodeAction, CodeActionKind, Diagnostic, Range, TextEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { FolderAnalysis } from '../../core/mapping/load';
import { decodeRule, type MappingEntry, type ParsedMapping } from '../../core/mapping/parse';
import { pathToUri, uriToPath } from '../workspace';
import { toLspDiagnostic } from './diagnostics';

export function codeActions(p: ParsedMapping, doc: TextDocument, range: Range, diagnostics: Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  const s = doc.offsetAt(range.start);
  const e = doc.offsetAt(range.end);
  const toEdit = (x: { start: number; end: number; newText: string }) => TextEdit.replace(Range.create(doc.positionAt(x.start), doc.positionAt(x.end)), x.newText);
  const seen = new Set<string>();
  for (const d of p.diagnostics) {
    if (d.span.end < s || d.span.start > e || !d.fixes) continue;
    const lsp = diagnostics.find((x) => x.code === d.code && doc.offsetAt(x.range.start) === d.span.start) ?? toLspDiagnostic(doc, d);
    for (const f of d.fixes) {
      const k = `${f.title}@${d.span.start}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [lsp], isPreferred: f.preferred, edit: { changes: { [doc.uri]: f.edits.map(toEdit) } } });
    }
  }
  // Entry-level actions on the entries touched by the range.
  for (const en of p.entries) {
    if (en.end < s || en.start > e || en.atom < 0) continue;
    const w10 = p.diagnostics.find((d) => d.code === 'W10' && d.span.start >= en.start && d.span.end <= en.end);
    if (w10) {
      const fix = normaliseWeights(p, en);
      if (fix) out.push({ title: 'Scale shared weights to sum to 1', kind: CodeActionKind.QuickFix, diagnostics: [toLspDiagnostic(doc, w10)], edit: { changes: { [doc.uri]: fix.map(toEdit) } } });
    }
    for (const b of en.beads) {
      const ed = renumberBead(p, b.text);
      if (ed && ed.length) {
        const k = `renumber:${b.text}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const w2 = p.diagnostics.filter((d) => (d.code === 'W2' || d.code === 'W1' || d.code === 'W3') && /bead/.test(d.message) && d.message.includes(` ${b.text}`));
        out.push({ title: `Renumber hierarchy IDs of bead ${b.text}`, kind: w2.length ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite, diagnostics: w2.map((d) => toLspDiagnostic(doc, d)), edit: { changes: { [doc.uri]: ed.map(toEdit) } } });
      }
    }
  }
  return out;
}

/** Rewrite a shared atom's weights as fractions/decimals that sum to 1 (same proportions). */
export function normaliseWeights(p: ParsedMapping, en: MappingEntry): { start: number; end: number; newText: string }[] | null {
  const mol = p.molecule!;
  const at = mol.atoms[en.atom];
  const sum = at.membership.reduce((x, m) => x + m.relWeight, 0);
  if (!(sum > 0)) return null;
  const field = en.fields.find((f) => f.parts.slice(0, en.beads.length).some((x) => /\d/.test(x.text) && !decodeRule(x.text)));
  if (!field) return null;
  const parts = at.membership.map((m) => {
    const w = m.relWeight / sum;
    for (let d = 1; d <= 9; d++) for (let n = 0; n <= d; n++) if (Math.abs(n / d - w) < 1e-9 && n > 0) return `${n}/${d}`;
    return String(+w.toFixed(4));
  });
  return [{ start: field.token.start, end: field.token.end, newText: parts.join(',') }];
}

/**
 * Renumber IDs of one bead: per level, IDs A, B, C… in YAML order, anchors rewritten to the new IDs. Returns the
 * edits, or null when nothing changes. Removes duplicate (level, ID) pairs (W2) and gaps in ID letters.
 */
export function renumberBead(p: ParsedMapping, bead: string): { start: number; end: number; newText: string }[] | null {
  const mol = p.molecule;
  if (!mol || !mol.beadIndex.has(bead)) return null;
  const b = mol.beads[mol.beadIndex.get(bead)!];
  if (b.slots.length > 26 * 40) return null;
  const items = b.slots.map((s) => {
    const e = p.entries.find((x) => x.atom === s.atom)!;
    const bi = e.beads.findIndex((t) => t.text === bead);
    return { s, part: e.ruleParts[bi]!, rule: mol.atoms[s.atom].membership[bi].rule! };
  }).filter((x) => x.part);
  const newId = new Map<number, string>(); // slot index -> new id
  const oldToNew = new Map<string, string>(); // `${level}${oldId}` -> first new id
  const count = new Map<number, number>();
  items.forEach((x, i) => {
    const L = x.rule.level;
    const k = count.get(L) ?? 0;
    if (k >= 26) return;
    count.set(L, k + 1);
    const id = String.fromCharCode(65 + k);
    newId.set(i, id);
    if (!oldToNew.has(`${L}${x.rule.id}`)) oldToNew.set(`${L}${x.rule.id}`, id);
  });
  const edits: { start: number; end: number; newText: string }[] = [];
  const hasL0 = items.some((x) => x.rule.level === 0);
  items.forEach((x, i) => {
    const id = newId.get(i);
    if (!id) return;
    const L = x.rule.level;
    let text: string;
    if (L === 0 || (L === 1 && !hasL0 && id === 'A')) text = `P${L}${id}`;
    else {
      const anchorLevel = L === 1 && !hasL0 ? 1 : L - 1;
      const anchor = oldToNew.get(`${anchorLevel}${L === 1 && !hasL0 ? 'A' : x.rule.anchor}`) ?? 'A';
      text = `P${L}${anchor}${id}`;
    }
    if (text !== x.part.text) edits.push({ start: x.part.start, end: x.part.end, newText: text });
  });
  return edits.length ? edits : null;
}


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
