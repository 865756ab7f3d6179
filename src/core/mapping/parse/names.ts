/**
 * The key of an atom entry: alternative names of one atom, `.strip().split(',')` without stripping the parts.
 * The first name is canonical: it sets the element (by its first upper-case letter) and is written on output
 * (docs/mapping-format.md, "Names" and "Masses").
 */
import { likelyTwoLetterElement, massFromName } from '../mass';
import type { ParseContext } from './context';
import type { MappingEntry, Token } from './parsed';
import { splitComma } from './tokens';

/** Splits the key into names (W16, X7, E5, X2), checks the element of the first one (E4, X3); sets `entry.names`. */
export function decodeAtomNames(ctx: ParseContext, entry: MappingEntry, key: string): Token[] {
  const lead = key.length - key.trimStart().length;
  const stripped = key.trim();
  const names = splitComma({ text: stripped, start: entry.key.start + lead, end: entry.key.start + lead + stripped.length });
  entry.names = names;
  for (const [i, n] of names.entries()) {
    checkNameSpelling(ctx, entry, key, n);
    if (i === 0) checkElement(ctx, n);
  }
  return names;
}

function checkNameSpelling(ctx: ParseContext, entry: MappingEntry, key: string, n: Token): void {
  if (/\s/.test(n.text)) {
    ctx.report('W16', n.start, n.end, `Alternative name \`${n.text}\` contains whitespace; CGmap does not strip comma parts, so \`${n.text}\` never matches an atom.`,
      [{ title: 'Remove whitespace in the name list', edits: [{ start: entry.key.start, end: entry.key.end, newText: key.replace(/\s*,\s*/g, ',').trim() }], preferred: true }]);
  }
  if (n.text === '') ctx.report('X7', Math.max(n.start - 1, entry.key.start), n.end + 1, 'Empty alternative name (stray comma); it never matches an atom.');
  if (n.text.includes('_')) {
    ctx.report('E5', n.start, n.end, `Atom name \`${n.text}\` contains \`_\`; idnames are split on \`_\`, so CGmap crashes while mapping (ValueError: too many values to unpack).`,
      [{ title: `Rename to ${n.text.replace(/_/g, '')}`, edits: [{ start: n.start, end: n.end, newText: n.text.replace(/_/g, '') }] }]);
  }
  const t = n.text.trim();
  if (/^\d/.test(t)) {
    const fixed = t.replace(/^(\d+)(.*)$/, '$2$1');
    ctx.report('X2', n.start, n.end, `Atom name \`${t}\` starts with a digit; CGmap moves leading digits to the end of structure atom names (1HB → HB1) before matching, so this name never matches. Write \`${fixed}\`.`,
      [{ title: `Rename to ${fixed}`, edits: [{ start: n.start, end: n.end, newText: n.text.replace(t, fixed) }], preferred: true }]);
  }
}

/** CGmap weighs an atom by the one-letter element at the first upper-case letter of its first name. */
function checkElement(ctx: ParseContext, n: Token): void {
  const mass = massFromName(n.text);
  if (Number.isNaN(mass.mass)) {
    ctx.report('E4', n.start, n.end, mass.letter === null
      ? `Atom name \`${n.text}\` has no upper-case letter; CGmap takes the element from the first upper-case letter and crashes at load with KeyError: None.`
      : `Atom name \`${n.text}\`: CGmap takes the element from the first upper-case letter \`${mass.letter}\`, which is not a one-letter element symbol; it crashes at load with KeyError '${mass.letter}'.`);
  } else {
    const two = likelyTwoLetterElement(n.text);
    if (two) ctx.report('X3', n.start, n.end, `Atom \`${n.text}\` is weighed as ${mass.element} (${mass.mass}) — CGmap reads only the first upper-case letter — not as ${two}; the bead position is silently mis-weighted. Use \`CM\`/explicit weights if this matters.`);
  }
}
