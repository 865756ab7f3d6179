/**
 * The value of an atom entry: `str.split()` on whitespace; the first token is the bead list, every other token is a
 * field whose comma part i applies to bead i (docs/mapping-format.md, "Grammar").
 */
import type { ParseContext } from './context';
import type { MappingEntry, Token } from './parsed';
import { splitComma, splitWs } from './tokens';

/**
 * Splits the value into tokens and sets `entry.beads`/`entry.fields`; reports broken comma lists (W16), bad bead
 * names (X7, E5, E6) and fields with too few (E3) or surplus (W8) parts. Returns the whitespace tokens.
 */
export function decodeBeadsAndFields(ctx: ParseContext, entry: MappingEntry, value: string, valueBase: number | null): Token[] {
  const vBase = valueBase ?? entry.value!.start;
  const exact = valueBase !== null;
  // When the scalar is not a verbatim copy (escapes, folding), every token points at the whole value.
  const toks = splitWs(value, vBase).map((t) => (exact ? t : { ...t, start: entry.value!.start, end: entry.value!.end }));
  entry.beads = splitComma(toks[0]);
  entry.fields = toks.slice(1).map((token) => ({ token, parts: splitComma(token) }));
  checkCommaListsWhitespace(ctx, toks, value, vBase, exact);
  checkBeadNames(ctx, entry.beads, toks[0]);
  checkFieldLengths(ctx, entry);
  return toks;
}

/** A token that ends/starts with a comma next to whitespace: a comma list broken into separate fields. */
function checkCommaListsWhitespace(ctx: ParseContext, toks: Token[], value: string, vBase: number, exact: boolean): void {
  for (let i = 0; i + 1 < toks.length; i++) {
    if (toks[i].text.endsWith(',') || toks[i + 1].text.startsWith(',')) {
      const joined = value.slice(toks[i].start - vBase, toks[i + 1].end - vBase);
      ctx.report('W16', toks[i].start, toks[i + 1].end, `Whitespace inside the comma list \`${joined}\`: the value is split on whitespace first, so the list is broken into separate fields.`,
        exact ? [{ title: 'Remove the whitespace', edits: [{ start: toks[i].end, end: toks[i + 1].start, newText: '' }], preferred: true }] : undefined);
    }
  }
}

function checkBeadNames(ctx: ParseContext, beads: Token[], list: Token): void {
  const seen = new Set<string>();
  for (const b of beads) {
    if (b.text === '') { ctx.report('X7', Math.max(b.start - 1, list.start), Math.min(b.end + 1, list.end), 'Empty bead name (stray comma): CGmap creates a bead with an empty name.'); }
    if (b.text.includes('_')) {
      ctx.report('E5', b.start, b.end, `Bead name \`${b.text}\` contains \`_\`; idnames are split on \`_\`, so HEroBM crashes while mapping (ValueError).`,
        [{ title: `Rename to ${b.text.replace(/_/g, '')}`, edits: [{ start: b.start, end: b.end, newText: b.text.replace(/_/g, '') }] }]);
    }
    if (seen.has(b.text)) {
      ctx.report('E6', b.start, b.end, `Bead \`${b.text}\` is listed twice for this atom; CGmap crashes at load with AssertionError (Duplicate mapping).`);
    }
    seen.add(b.text);
  }
}

/** Every field needs a part per bead; parts beyond the beads are ignored. */
function checkFieldLengths(ctx: ParseContext, entry: MappingEntry): void {
  const n = entry.beads.length;
  for (const f of entry.fields) {
    if (f.parts.length < n) {
      ctx.report('E3', f.token.start, f.token.end, `\`${f.token.text}\` has ${f.parts.length} comma part${f.parts.length === 1 ? '' : 's'} but the atom belongs to ${n} beads; CGmap reads part i for bead i and crashes at load with IndexError.`,
        [{ title: `Pad to ${n} parts`, edits: [{ start: f.token.end, end: f.token.end, newText: ','.repeat(n - f.parts.length) }] }]);
    }
    for (let i = n; i < f.parts.length; i++) {
      const p = f.parts[i];
      if (p.text !== '') ctx.report('W8', p.start, p.end, `\`${p.text}\` is part ${i + 1} of a field but the atom has only ${n} bead${n === 1 ? '' : 's'}; it is ignored.`);
    }
  }
}
