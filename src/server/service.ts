/**
 * Language features for mapping YAML, independent of the connection (the server wires them; tests and the
 * benchmark call them directly). Everything is computed from `parseMappingDocument` and the folder analysis,
 * so the editor shows exactly what HEroBM/CGmap will do.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeAction, CodeActionKind, CompletionItem, CompletionItemKind, Diagnostic, DiagnosticSeverity, DocumentSymbol, Hover,
  Location, MarkupKind, Range, SymbolKind, TextEdit, WorkspaceEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Structure } from '../core/structure/types';
import { analyzeMappingFolder, bundledMappingsRoot, parseBeadTypes, type FolderAnalysis } from '../core/mapping/load';
import { CODES, decodeRule, parseMappingDocument, type MappingDiagnostic, type MappingEntry, type ParsedMapping, type Token } from '../core/mapping/parse';

export const LANGUAGE_ID = 'backmap-mapping';
export const SOURCE = 'backmap-mapping';

export const uriToPath = (uri: string): string | null => {
  try { return uri.startsWith('file:') ? fileURLToPath(uri) : null; } catch { return null; }
};
export const pathToUri = (p: string): string => pathToFileURL(p).toString();

/** A mapping file by content (`molecule:` and `atoms:` at top level). */
export function looksLikeMapping(text: string): boolean {
  return /^molecule\s*:/m.test(text) && /^atoms\s*:/m.test(text);
}
export const isBeadTypesFile = (path: string) => basename(path).startsWith('bead_types');

interface FolderCacheEntry { signature: string; analysis: FolderAnalysis }

/** Documents, folder analyses and templates, with caches keyed by content so repeated pulls are cheap. */
export class MappingWorkspace {
  readonly docs = new Map<string, TextDocument>();
  private parsedCache = new Map<string, { version: number; maxSlots: number | undefined; parsed: ParsedMapping }>();
  private folderCache = new Map<string, FolderCacheEntry>();
  private folderParses = new Map<string, ParsedMapping>();
  private templateCache = new Map<string, { sig: string; names: Map<string, string[]> }>();
  reference: Structure | null = null;
  referenceKey = '';

  open(doc: TextDocument) { this.docs.set(doc.uri, doc); }
  close(uri: string) { this.docs.delete(uri); this.parsedCache.delete(uri); }

  /** Disk texts keyed by path, valid while mtime and size are unchanged (analysis then reads nothing). */
  private diskTexts = new Map<string, { key: string; text: string }>();
  /** Folder analysis (null when the folder cannot be read); cached on file stats + open-document versions. */
  folder(folder: string): FolderAnalysis | null {
    return this.computeFolder(folder);
  }

  private computeFolder(folder: string): FolderAnalysis | null {
    let names: string[];
    try { names = readdirSync(folder).sort(); } catch { return null; }
    const open = new Map<string, TextDocument>();
    for (const d of this.docs.values()) {
      const p = uriToPath(d.uri);
      if (p && dirname(p) === folder) open.set(p, d);
    }
    const sig: string[] = [this.referenceKey];
    const overrides = new Map<string, string>();
    for (const n of names) {
      const path = join(folder, n);
      try {
        const st = statSync(path);
        const key = `${st.mtimeMs}:${st.size}:${st.isDirectory() ? 'd' : 'f'}`;
        sig.push(`${n}:${key}`);
        const doc = open.get(path);
        if (doc) { overrides.set(path, doc.getText()); sig.push(`@${doc.version}`); continue; }
        if (st.isDirectory() || !/\.ya?ml$/i.test(n)) continue;
        let c = this.diskTexts.get(path);
        if (!c || c.key !== key) { c = { key, text: readFileSync(path, 'utf8') }; this.diskTexts.set(path, c); }
        overrides.set(path, c.text);
      } catch { /* vanished */ }
    }
    const signature = sig.join('|');
    const hit = this.folderCache.get(folder);
    if (hit && hit.signature === signature) return hit.analysis;
    try {
      const analysis = analyzeMappingFolder(folder, { overrides, reference: this.reference ?? undefined, parseCache: this.folderParses, skipHash: true });
      this.folderCache.set(folder, { signature, analysis });
      return analysis;
    } catch {
      return null;
    }
  }

  /** Parsed form of an open document (folder R when the document lives in a mapping folder). */
  parsed(uri: string, folderAnalysis?: FolderAnalysis | null): ParsedMapping | null {
    const doc = this.docs.get(uri);
    if (!doc) return null;
    const path = uriToPath(uri);
    if (path && isBeadTypesFile(path)) return null;
    if (path) {
      const an = folderAnalysis !== undefined ? folderAnalysis : this.folder(dirname(path));
      const hit = an?.parsed.find((x) => x.file === path);
      if (hit && hit.text === doc.getText()) return hit;
    }
    const c = this.parsedCache.get(uri);
    if (c && c.version === doc.version) return c.parsed;
    const parsed = parseMappingDocument(doc.getText(), path ?? uri);
    this.parsedCache.set(uri, { version: doc.version, maxSlots: undefined, parsed });
    return parsed;
  }

  /** All diagnostics for one document (file-level + folder-level that point into it). */
  diagnostics(uri: string): Diagnostic[] {
    const doc = this.docs.get(uri);
    if (!doc) return [];
    const path = uriToPath(uri);
    const out: MappingDiagnostic[] = [];
    if (path && isBeadTypesFile(path)) {
      out.push(...parseBeadTypes(doc.getText(), path).diagnostics);
      const an = this.folder(dirname(path));
      if (an) out.push(...an.report.folderDiagnostics.filter((d) => d.span.file === path && !['X1', 'X8', 'W15'].includes(d.code)));
      return out.map((d) => toLspDiagnostic(doc, d));
    }
    if (!looksLikeMapping(doc.getText()) && path && !/\.ya?ml$/i.test(path)) return [];
    const an = path ? this.folder(dirname(path)) : null;
    const p = this.parsed(uri, an);
    if (p) out.push(...p.diagnostics);
    if (path && an) out.push(...an.report.folderDiagnostics.filter((d) => d.span.file === path));
    return out.map((d) => toLspDiagnostic(doc, d));
  }

  /** Signature of the folder analysis last computed (changes whenever any input of the analysis changes). */
  folderSignature(folder: string): string | undefined {
    return this.folderCache.get(folder)?.signature;
  }

  /** Diagnostics of a (closed) file straight from a folder analysis (workspace diagnostics). */
  fileDiagnostics(an: FolderAnalysis, file: string, text: string): Diagnostic[] {
    const doc = TextDocument.create(pathToUri(file), LANGUAGE_ID, 0, text);
    const own = an.parsed.find((x) => x.file === file)?.diagnostics ?? [];
    return [...own, ...an.report.folderDiagnostics.filter((d) => d.span.file === file)].map((d) => toLspDiagnostic(doc, d));
  }

  /** Atom names per molecule from the other files of the folder and the bundled martini3 set. */
  templates(folder: string | null): Map<string, string[]> {
    const dirs = [folder, join(bundledMappingsRoot(), 'martini3')].filter((x): x is string => !!x && existsSync(x));
    const sigParts: string[] = [];
    const files: string[] = [];
    for (const d of dirs) {
      try {
        for (const n of readdirSync(d).sort()) {
          if (!/\.ya?ml$/i.test(n) || n.startsWith('bead_types')) continue;
          const f = join(d, n);
          files.push(f);
          sigParts.push(`${f}:${statSync(f).mtimeMs}`);
        }
      } catch { /* ignore */ }
    }
    const key = dirs.join('|');
    const sig = sigParts.join('|');
    const hit = this.templateCache.get(key);
    if (hit && hit.sig === sig) return hit.names;
    const names = new Map<string, string[]>();
    for (const f of files) {
      try {
        const text = readFileSync(f, 'utf8');
        const mol = /^molecule\s*:\s*["']?([^"'\s#]+)/m.exec(text)?.[1];
        if (!mol) continue;
        const list = names.get(mol) ?? [];
        for (const m of text.matchAll(/^\s+["']?([^"':#\s][^"':#]*?)["']?\s*:/gm)) {
          for (const alt of m[1].split(',')) if (alt && !list.includes(alt)) list.push(alt);
        }
        names.set(mol, list);
      } catch { /* ignore */ }
    }
    this.templateCache.set(key, { sig, names });
    return names;
  }
}

export function toLspDiagnostic(doc: TextDocument, d: MappingDiagnostic): Diagnostic {
  const range = Range.create(doc.positionAt(d.span.start), doc.positionAt(Math.max(d.span.end, d.span.start)));
  return {
    range,
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    code: d.code,
    source: SOURCE,
    message: d.message,
    data: d.fixes ? { fixes: d.fixes } : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Locating the token under the cursor.

export type Hit =
  | { kind: 'molecule'; token: Token }
  | { kind: 'name'; entry: MappingEntry; index: number; token: Token }
  | { kind: 'bead'; entry: MappingEntry; index: number; token: Token }
  | { kind: 'part'; entry: MappingEntry; field: number; index: number; token: Token };

const inTok = (t: Token, off: number) => off >= t.start && off <= t.end;

export function locate(p: ParsedMapping, off: number): Hit | null {
  if (p.moleculeToken && inTok(p.moleculeToken, off)) return { kind: 'molecule', token: p.moleculeToken };
  for (const e of p.entries) {
    if (off < e.start || off > e.end) continue;
    for (const [i, t] of e.names.entries()) if (inTok(t, off)) return { kind: 'name', entry: e, index: i, token: t };
    for (const [i, t] of e.beads.entries()) if (inTok(t, off)) return { kind: 'bead', entry: e, index: i, token: t };
    for (const [fi, f] of e.fields.entries()) for (const [i, t] of f.parts.entries()) if (inTok(t, off) && t.text !== '') return { kind: 'part', entry: e, field: fi, index: i, token: t };
  }
  return null;
}

const fmt = (x: number) => (Number.isFinite(x) ? (+x.toPrecision(4)).toString() : 'NaN');

// ---------------------------------------------------------------------------------------------------------------
// Hover

export function hover(p: ParsedMapping, doc: TextDocument, off: number, an: FolderAnalysis | null): Hover | null {
  const h = locate(p, off);
  const mol = p.molecule;
  if (!h || !mol) return null;
  const range = Range.create(doc.positionAt(h.token.start), doc.positionAt(h.token.end));
  const md = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });
  const typeId = (bead: string) => an?.beadTypes.get(`${mol.name}_${bead}`);
  if (h.kind === 'molecule') {
    const beads = mol.beads.map((b) => `\`${b.name}\` (${b.members.length} atoms, ${b.slots.length} reconstructed${typeId(b.name) !== undefined ? `, type ${typeId(b.name)}` : ''})`);
    return md(`**Molecule ${mol.name}** — residue name matched case-sensitively.\n\nBeads: ${beads.join(', ') || 'none'}${an ? `\n\nSet R (slots per bead) = ${an.maxSlots}` : ''}`);
  }
  const atom = h.entry.atom >= 0 ? mol.atoms[h.entry.atom] : null;
  if (h.kind === 'name') {
    if (!atom) return md(`Atom key \`${h.token.text}\` (entry not compiled: see diagnostics)`);
    const lines = [`**Atom ${atom.names[0]}**${atom.names.length > 1 ? ` (alternatives: ${atom.names.slice(1).map((n) => `\`${n}\``).join(', ')})` : ''}`,
      '', `Element ${atom.element || "—"} (mass ${Number.isFinite(atom.mass) ? atom.mass.toFixed(3) : "lookup fails: KeyError"}), taken from the first upper-case letter of \`${atom.names[0]}\` as CGmap does.`];
    if (h.index > 0) lines.push('', `\`${h.token.text}\` is an alternative name: matched against structure atom names, never written on output.`);
    for (const m of atom.membership) {
      const bi = mol.beadIndex.get(m.bead);
      const b = bi !== undefined ? mol.beads[bi] : undefined;
      const k = b ? b.members.indexOf(h.entry.atom) : -1;
      lines.push(`- bead \`${m.bead}\`: CM weight ${b && k >= 0 ? fmt(b.weights[k]) : '?'} (relative ${fmt(m.relWeight)}${m.cm ? ', CM' : ''}${m.excluded ? ', !' : ''})${m.rule ? `, rule P${m.rule.level}${m.rule.anchor}${m.rule.id}` : ', not reconstructed'}`);
    }
    return md(lines.join('\n'));
  }
  if (h.kind === 'bead') {
    const bi = mol.beadIndex.get(h.token.text);
    if (bi === undefined) return null;
    const b = mol.beads[bi];
    const k = atom ? b.members.indexOf(h.entry.atom) : -1;
    const m = atom?.membership[h.index];
    const lines = [`**Bead ${b.name}** (\`${b.idname}\`${typeId(b.name) !== undefined ? `, type id ${typeId(b.name)}` : ''})`, '',
      `${b.members.length} atoms, ${b.slots.length} reconstructed (model channels), max level ${b.maxLevel}.`];
    if (atom && k >= 0 && m) lines.push('', `\`${atom.names[0]}\` in this bead: effective CM weight **${fmt(b.weights[k])}** (relative ${fmt(m.relWeight)}${m.cm ? ', CM' : ''}${m.excluded ? ', excluded !' : ''}).`);
    return md(lines.join('\n'));
  }
  // part: rule / flag / weight
  const s = h.token.text;
  const bead = h.entry.beads[h.index]?.text;
  if (h.index >= h.entry.beads.length) return md(`Part ${h.index + 1} of this field is ignored: the atom has only ${h.entry.beads.length} bead(s).`);
  const r = decodeRule(s);
  const lines: string[] = [];
  if (r) {
    lines.push(`**${s}** → level ${r.level}, anchor ${r.anchor}, ID ${r.id} in bead \`${bead}\`${r.canonical ? '' : ` (read as \`P${r.level}${r.anchor}${r.id}\`)`}`);
    const b = bead !== undefined ? mol.beads[mol.beadIndex.get(bead) ?? -1] : undefined;
    const slotIdx = b ? b.slots.findIndex((x) => x.atom === h.entry.atom) : -1;
    const used = h.entry.ruleParts[h.index];
    if (b && slotIdx >= 0 && used && used.start === h.token.start) {
      const slot = b.slots[slotIdx];
      const anchorAtom = mol.atoms[b.slots[slot.anchor].atom].names[0];
      lines.push('', `Model channel ${slotIdx} of the bead; local index ${slot.local} (anchor index ${slot.anchorLocal}).`);
      if (slot.level === 0) lines.push('', 'Level 0: placed on the bead and never moved.');
      else if (slot.anchor === slotIdx && slot.resolved) lines.push('', 'Root of the bead (local index 0): anchored on itself, sits on the bead before recentring.');
      else if (slot.resolved) lines.push('', `Anchor atom: **${anchorAtom}** — built as ${anchorAtom} + predicted vector.`);
      else lines.push('', `⚠ Anchor not resolved: HEroBM silently anchors ${mol.atoms[slot.atom].names[0]} on itself (collapses toward the bead).`);
      if (slot.placed === false) lines.push('', '⚠ Level above R: never placed.');
      lines.push('', `Recentring weight ${fmt(slot.recenterWeight)}.`);
    } else if (used && used.start !== h.token.start) lines.push('', 'Overridden by a later rule for the same bead.');
  } else if (s === 'CM') lines.push(`**CM** in bead \`${bead}\`: the bead position uses only CM atoms (relative weights), ignoring mass and \`!\`.`);
  else if (s === '!') lines.push(`**!** in bead \`${bead}\`: excluded from the bead position (unless the bead has a CM atom).`);
  else if (/\d/.test(s)) {
    const m = atom?.membership[h.index];
    lines.push(`Weight for bead \`${bead}\`: relative weight ${m ? fmt(m.relWeight) : '?'} (a multiplier of the atom mass).`);
  } else lines.push(`\`${s}\` is not a setting CGmap or HEroBM reads; it is ignored.`);
  return md(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------------------------
// Completion

export function completion(p: ParsedMapping | null, doc: TextDocument, off: number, templates: Map<string, string[]>): CompletionItem[] {
  const text = doc.getText();
  const lineStart = text.lastIndexOf('\n', off - 1) + 1;
  const before = text.slice(lineStart, off);
  const items: CompletionItem[] = [];
  if (/^\S*$/.test(before) && !/:/.test(before)) {
    for (const k of ['molecule: ', 'atoms:']) items.push({ label: k.replace(/:\s*$/, ''), kind: CompletionItemKind.Keyword, insertText: k });
    return items;
  }
  const mol = p?.molecule ?? null;
  const colon = before.indexOf(':');
  const quotedKeyColon = /^\s+(["'])[^"']*\1\s*:/.exec(before);
  const keyPart = colon < 0 && !quotedKeyColon;
  if (keyPart) {
    // Typing an atom key: template names not yet used in this file.
    const used = new Set(mol?.atoms.flatMap((a) => a.names) ?? []);
    const list = (p?.moleculeName && templates.get(p.moleculeName)) || [];
    for (const n of list) if (!used.has(n)) items.push({ label: n, kind: CompletionItemKind.Field, detail: `atom of ${p!.moleculeName} (from templates)`, insertText: `${n}: ` });
    return items;
  }
  const valueText = before.slice(quotedKeyColon ? quotedKeyColon[0].length : colon + 1).replace(/^(\s*)["']/, '$1 ');
  const tokens = valueText.split(/\s+/).filter(Boolean);
  const typingFirst = tokens.length === 0 || (tokens.length === 1 && !/\s$/.test(valueText));
  const beadNames = mol?.beads.map((b) => b.name) ?? [];
  if (typingFirst) {
    for (const b of beadNames) items.push({ label: b, kind: CompletionItemKind.Class, detail: 'bead of this file' });
    return items;
  }
  // Settings: next free rule per bead of this entry, flags, fractions.
  const beadsOfEntry = tokens[0].split(',');
  const rules = beadsOfEntry.map((b) => nextRules(p, b));
  if (beadsOfEntry.length === 1) {
    rules[0].forEach((r, i) => items.push({ label: r.label, kind: CompletionItemKind.Value, detail: r.detail, sortText: `0${i}` }));
  } else {
    const joined = rules.map((r) => r[0]?.label ?? '').join(',');
    items.push({ label: joined, kind: CompletionItemKind.Value, detail: `next free rule per bead (${beadsOfEntry.join(', ')})`, sortText: '00' });
  }
  const n = beadsOfEntry.length;
  const rep = (s: string) => Array.from({ length: n }, () => s).join(',');
  items.push({ label: rep('CM'), kind: CompletionItemKind.Keyword, detail: 'centre of mass: only CM atoms define the bead position', sortText: '10' });
  items.push({ label: rep('!'), kind: CompletionItemKind.Keyword, detail: 'exclude from the bead position', sortText: '11' });
  const fr = n === 2 ? ['1/2,1/2', '1/3,2/3', '2/3,1/3', '1/4,3/4', '3/4,1/4'] : n === 3 ? ['1/3,1/3,1/3'] : n === 1 ? ['1/2', '1/3', '2/3'] : [];
  fr.forEach((f, i) => items.push({ label: f, kind: CompletionItemKind.Constant, detail: 'relative weights (multipliers of the mass)', sortText: `2${i}` }));
  return items;
}

/** Next free IDs per level of a bead: `P{L}{anchor}{id}` for each existing level and one deeper. */
export function nextRules(p: ParsedMapping | null, bead: string): { label: string; detail: string }[] {
  const mol = p?.molecule;
  const b = mol && mol.beadIndex.has(bead) ? mol.beads[mol.beadIndex.get(bead)!] : null;
  if (!b || !b.slots.length) return [{ label: 'P1A', detail: 'root of the bead (level 1, ID A)' }];
  const byLevel = new Map<number, { ids: Set<string>; last: string }>();
  for (const s of b.slots) {
    const r = mol!.atoms[s.atom].membership.find((m) => m.bead === bead)!.rule!;
    const e = byLevel.get(r.level) ?? { ids: new Set<string>(), last: r.id };
    e.ids.add(r.id);
    e.last = r.id;
    byLevel.set(r.level, e);
  }
  const out: { label: string; detail: string }[] = [];
  const levels = [...byLevel.keys()].sort((x, y) => x - y);
  const maxL = levels[levels.length - 1];
  for (let L = Math.max(levels[0] + 1, 1); L <= maxL + 1; L++) {
    const used = byLevel.get(L)?.ids ?? new Set<string>();
    let id = '';
    for (let i = 0; i < 26; i++) { const c = String.fromCharCode(65 + i); if (!used.has(c)) { id = c; break; } }
    if (!id) continue;
    const parent = byLevel.get(L - 1);
    const anchor = parent ? parent.last : 'A';
    out.push({ label: `P${L}${anchor}${id}`, detail: `level ${L}, next free ID ${id}, anchored on ${anchor} of level ${L - 1}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Definition / references

export function definition(p: ParsedMapping, doc: TextDocument, off: number): Location[] {
  const h = locate(p, off);
  const mol = p.molecule;
  if (!h || !mol) return [];
  const loc = (t: Token) => Location.create(doc.uri, Range.create(doc.positionAt(t.start), doc.positionAt(t.end)));
  if (h.kind === 'part') {
    const bead = h.entry.beads[h.index]?.text;
    const b = bead !== undefined ? mol.beads[mol.beadIndex.get(bead) ?? -1] : undefined;
    const si = b ? b.slots.findIndex((s) => s.atom === h.entry.atom) : -1;
    if (!b || si < 0 || !decodeRule(h.token.text)) return [];
    const anchorAtom = b.slots[b.slots[si].anchor].atom;
    const e = p.entries.find((x) => x.atom === anchorAtom);
    return e ? [loc(e.names[0] ?? e.key)] : [];
  }
  if (h.kind === 'bead') {
    const first = p.entries.flatMap((e) => e.beads).find((t) => t.text === h.token.text);
    return first ? [loc(first)] : [];
  }
  return [];
}

export function references(p: ParsedMapping, doc: TextDocument, off: number, includeDeclaration: boolean): Location[] {
  const h = locate(p, off);
  const mol = p.molecule;
  if (!h || !mol) return [];
  const loc = (t: Token) => Location.create(doc.uri, Range.create(doc.positionAt(t.start), doc.positionAt(t.end)));
  if (h.kind === 'bead') {
    const all = p.entries.flatMap((e) => e.beads).filter((t) => t.text === h.token.text);
    return (includeDeclaration ? all : all.slice(1)).map(loc);
  }
  if (h.kind === 'name' && h.entry.atom >= 0) {
    // Rules anchored on this atom.
    const out: Location[] = includeDeclaration ? [loc(h.token)] : [];
    for (const b of mol.beads) {
      const si = b.slots.findIndex((s) => s.atom === h.entry.atom);
      if (si < 0) continue;
      b.slots.forEach((s, j) => {
        if (j === si || s.anchor !== si) return;
        const e = p.entries.find((x) => x.atom === s.atom);
        const bi = e?.beads.findIndex((t) => t.text === b.name) ?? -1;
        const part = e && bi >= 0 ? e.ruleParts[bi] : null;
        if (part) out.push(loc(part));
      });
    }
    return out;
  }
  if (h.kind === 'part') {
    const defs = definition(p, doc, off);
    return defs;
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// Symbols

export function documentSymbols(p: ParsedMapping, doc: TextDocument): DocumentSymbol[] {
  const mol = p.molecule;
  if (!mol) return [];
  const r = (s: number, e: number) => Range.create(doc.positionAt(s), doc.positionAt(e));
  return mol.beads.map((b) => {
    const entries = b.members.map((a) => p.entries.find((e) => e.atom === a)!).filter(Boolean);
    const start = Math.min(...entries.map((e) => e.start));
    const end = Math.max(...entries.map((e) => e.end));
    const sel = b.span ? r(b.span.start, b.span.end) : r(start, start);
    return {
      name: b.name,
      detail: `${b.members.length} atoms, ${b.slots.length} reconstructed`,
      kind: SymbolKind.Class,
      range: r(Math.min(start, b.span?.start ?? start), Math.max(end, b.span?.end ?? end)),
      selectionRange: sel,
      children: entries.map((e) => {
        const at = mol.atoms[e.atom];
        const m = at.membership.find((x) => x.bead === b.name);
        return {
          name: at.names[0] || e.key.text,
          detail: m?.rule ? `P${m.rule.level}${m.rule.anchor}${m.rule.id}` : 'no rule',
          kind: SymbolKind.Field,
          range: r(e.start, e.end),
          selectionRange: r(e.key.start, e.key.end),
        };
      }),
    } satisfies DocumentSymbol;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Rename (beads)

export function prepareRename(p: ParsedMapping, doc: TextDocument, off: number): Range | null {
  const h = locate(p, off);
  if (!h || h.kind !== 'bead' || h.token.text === '') return null;
  return Range.create(doc.positionAt(h.token.start), doc.positionAt(h.token.end));
}

export function renameBead(p: ParsedMapping, doc: TextDocument, off: number, newName: string, beadTypes?: { uri: string; text: string }): WorkspaceEdit | null {
  const h = locate(p, off);
  if (!h || h.kind !== 'bead') return null;
  if (!/^[A-Za-z0-9]+$/.test(newName)) throw new Error(`bead names must be letters/digits only (no '_', ',', spaces): '${newName}'`);
  const old = h.token.text;
  const edits = p.entries.flatMap((e) => e.beads).filter((t) => t.text === old)
    .map((t) => TextEdit.replace(Range.create(doc.positionAt(t.start), doc.positionAt(t.end)), newName));
  const changes: Record<string, TextEdit[]> = { [doc.uri]: edits };
  if (beadTypes && p.moleculeName) {
    const bt = TextDocument.create(beadTypes.uri, 'yaml', 0, beadTypes.text);
    const key = `${p.moleculeName}_${old}`;
    const re = new RegExp(`^(\\s*["']?)${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(["']?\\s*:)`, 'gm');
    const btEdits: TextEdit[] = [];
    for (const m of beadTypes.text.matchAll(re)) {
      const s = m.index! + m[1].length;
      btEdits.push(TextEdit.replace(Range.create(bt.positionAt(s), bt.positionAt(s + key.length)), `${p.moleculeName}_${newName}`));
    }
    if (btEdits.length) changes[beadTypes.uri] = btEdits;
  }
  return { changes };
}

// ---------------------------------------------------------------------------------------------------------------
// Code actions

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

// ---------------------------------------------------------------------------------------------------------------
// Formatting: align key and value columns inside `atoms:`; never reorder or join lines (I1).

export function format(p: ParsedMapping, doc: TextDocument, opts: { tabSize: number } = { tabSize: 2 }): TextEdit[] {
  const text = doc.getText();
  type Row = { lineStart: number; lineEnd: number; indent: string; key: string; tokens: string[] | null; rawValue: string; comment: string };
  const rows: Row[] = [];
  for (const e of p.entries) {
    const ls = text.lastIndexOf('\n', e.start - 1) + 1;
    let le = text.indexOf('\n', e.start);
    if (le < 0) le = text.length;
    if (e.end > le) continue; // multi-line entry: leave untouched
    const line = text.slice(ls, le).replace(/\r$/, '');
    const lineEnd = ls + line.length;
    const indent = /^\s*/.exec(line)![0];
    const m = /^(\s*)((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s:#][^:#]*?))\s*:(?:\s+|$)(.*)$/.exec(line);
    if (!m || indent.length === 0 || indent.includes('\t')) continue;
    let rest = m[3];
    let comment = '';
    const quoted = /^(["'])/.test(rest);
    if (quoted) {
      const q = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')(\s*(#.*)?)$/.exec(rest);
      if (!q) continue;
      rest = q[1];
      comment = q[3] ?? '';
    } else {
      const ci = rest.search(/\s#/);
      if (ci >= 0) { comment = rest.slice(ci).trim(); rest = rest.slice(0, ci); }
      if (rest.startsWith('#')) { comment = rest; rest = ''; }
    }
    rest = rest.trim();
    rows.push({ lineStart: ls, lineEnd, indent, key: m[2], tokens: quoted || rest === '' ? null : rest.split(/\s+/), rawValue: rest, comment });
  }
  if (!rows.length) return [];
  void opts;
  if (p.diagnostics.some((d) => d.code === 'X1')) return []; // never reformat what YAML cannot parse
  const keyW = Math.max(...rows.map((r) => r.key.length + 1));
  const colW: number[] = [];
  for (const r of rows) r.tokens?.forEach((t, i) => { colW[i] = Math.max(colW[i] ?? 0, t.length); });
  const edits: TextEdit[] = [];
  const lines = rows.map((r) => {
    let v = r.tokens ? r.tokens.map((t, i) => (i === r.tokens!.length - 1 ? t : t.padEnd(colW[i]))).join('  ') : r.rawValue;
    v = v.replace(/\s+$/, '');
    return `${r.indent}${(r.key + ':').padEnd(keyW)} ${v}`.replace(/\s+$/, '');
  });
  const commentCol = Math.max(...lines.map((l) => l.length)) + 2;
  rows.forEach((r, i) => {
    const nl = r.comment ? `${lines[i].padEnd(commentCol)}${r.comment}` : lines[i];
    const old = text.slice(r.lineStart, r.lineEnd);
    if (nl !== old) edits.push(TextEdit.replace(Range.create(doc.positionAt(r.lineStart), doc.positionAt(r.lineEnd)), nl));
  });
  return edits;
}

export { CODES };
