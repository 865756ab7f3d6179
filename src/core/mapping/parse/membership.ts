/**
 * Per bead of an atom entry: its relative weight, `CM`, `!` and hierarchy rule, read from the comma part of every
 * field for that bead (a later setting of the same kind wins). Settings the tools read differently than they look
 * are reported with their actual reading (docs/mapping-format.md, "Settings" and "Weights").
 */
import type { BeadMembership, HierarchyRule } from '../types';
import type { ParseContext } from './context';
import type { MappingEntry, Token } from './parsed';
import {
  CANONICAL_DECIMAL, RULE_RE, canonicalRuleText, decodeCgmapSetting, decodeRule, formatWeight, isCanonicalSetting, isHydrogenName,
  type CgmapSetting,
} from './settings';

/** One membership per bead of the entry (sets `entry.ruleParts`). */
export function decodeMemberships(ctx: ParseContext, entry: MappingEntry, names: Token[]): BeadMembership[] {
  const beads = entry.beads;
  const n = beads.length;
  const membership: BeadMembership[] = [];
  entry.ruleParts = [];
  // ignore_hydrogens: entries whose alternatives all start with H lose their rule.
  const rulesIgnored = !!ctx.opts.ignoreHydrogens && names.every((x) => isHydrogenName(x.text));
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
          ctx.report('E7', p.start, p.end, `Fraction \`${cg.match}\` has denominator 0; CGmap crashes at load with ZeroDivisionError.`);
        } else relWeight = cg.weight!;
      }
      const r = decodeRule(s);
      if (r && !rulesIgnored) { rule = r; rulePart = p; }
      if (!isCanonicalSetting(s)) reportLooseSetting(ctx, p, cg, r, beads[bi].text);
    }
    membership.push({ bead: beads[bi].text, relWeight, cm, excluded, rule });
    entry.ruleParts.push(rulePart);
  }
  return membership;
}

/** A setting not spelled canonically: what the tools actually read from it (W6, W7, W9) or that it is ignored (W8). */
function reportLooseSetting(ctx: ParseContext, p: Token, cg: CgmapSetting, r: HierarchyRule | null, bead: string): void {
  const s = p.text;
  const reads: string[] = [];
  if (cg.kind === 'weight' && !cg.divZero) reads.push(`weight ${formatWeight(cg.weight!)} (from \`${cg.match}\`)`);
  if (r) reads.push(`rule P${r.level}${r.anchor}${r.id} (level ${r.level}, anchor ${r.anchor}, ID ${r.id})`);
  const canonRule = r ? canonicalRuleText(s) : '';
  if (r && /P\d+[A-Z]{3,}/.test(s)) {
    const m = RULE_RE.exec(s)!;
    ctx.report('W6', p.start, p.end, `Rule \`${s}\` has ${m[0].length - 1 - m[1].length} letters; HEroBM keeps the first as anchor and the last as ID and discards the middle: read as ${reads.join(' and ')}. IDs are one letter (≤ 26 atoms per level and bead).`,
      [{ title: `Replace with ${canonRule}`, edits: [{ start: p.start, end: p.end, newText: canonRule }] }]);
  } else if (r) {
    ctx.report('W7', p.start, p.end, `\`${s}\` is not a canonical rule (P<level><anchor?><ID>); HEroBM silently reads it as ${reads.join(' and ')}.`,
      [{ title: `Replace with ${canonRule}`, edits: [{ start: p.start, end: p.end, newText: canonRule }], preferred: cg.kind !== 'weight' }]);
  } else if (cg.kind === 'weight') {
    const hint = /^\.\d/.test(s) ? ' (a decimal needs a leading digit: `0.5`)' : /\d\d\/|\/\d\d/.test(s) ? ' (fractions use single digits only)' : '';
    // No fix that writes NaN/Infinity (a zero denominator): only a finite weight is a replacement.
    const canonW = CANONICAL_DECIMAL.test(cg.match!) && !/^\./.test(s) ? cg.match! : formatWeight(cg.weight!);
    ctx.report('W9', p.start, p.end, `Weight \`${s}\` is read by CGmap as ${formatWeight(cg.weight!)} (match \`${cg.match}\`)${hint}; the bead position is silently mis-weighted.`,
      /^\.\d+$/.test(s) ? [{ title: `Replace with 0${s}`, edits: [{ start: p.start, end: p.end, newText: `0${s}` }], preferred: true }] : canonW !== s && Number.isFinite(cg.weight!) ? [{ title: `Replace with ${canonW}`, edits: [{ start: p.start, end: p.end, newText: canonW }] }] : undefined);
  } else if (/^p\d/i.test(s) || /^P[A-Za-z]*\d/.test(s) || /^P\d/i.test(s)) {
    const m = /^[Pp](\d+)([A-Za-z]{1,2})$/.exec(s);
    const fix = m ? `P${parseInt(m[1], 10)}${m[2].toUpperCase()}` : null;
    ctx.report('W7', p.start, p.end, `\`${s}\` looks like a hierarchy rule but HEroBM's pattern P(\\d+)([A-Z])([A-Z])* does not match it (upper case only, digits right after P): the rule is dropped and the atom is not reconstructed in bead ${bead}.`,
      fix ? [{ title: `Replace with ${fix}`, edits: [{ start: p.start, end: p.end, newText: fix }], preferred: true }] : undefined);
  } else if (s.toUpperCase() === 'CM') {
    ctx.report('W8', p.start, p.end, `\`${s}\` is ignored: flags are case-sensitive, write \`CM\`.`, [{ title: 'Replace with CM', edits: [{ start: p.start, end: p.end, newText: 'CM' }], preferred: true }]);
  } else if (s.includes('!')) {
    ctx.report('W8', p.start, p.end, `\`${s}\` is ignored: only a part that is exactly \`!\` excludes the atom from the bead position.`, [{ title: 'Replace with !', edits: [{ start: p.start, end: p.end, newText: '!' }] }]);
  } else {
    ctx.report('W8', p.start, p.end, `Unknown setting \`${s}\` is silently ignored (expected P<level><anchor><ID>, CM, !, a fraction like 1/2 or a decimal).`);
  }
}

/** Weights of an atom shared by several beads should sum to 1 (a convention; W10). */
export function checkSharedWeights(ctx: ParseContext, membership: BeadMembership[], beadList: Token): void {
  if (membership.length < 2) return;
  const sum = membership.reduce((a, m) => a + m.relWeight, 0);
  if (Math.abs(sum - 1) > 1e-6 && Number.isFinite(sum)) {
    ctx.report('W10', beadList.start, beadList.end, `Shared atom weights sum to ${formatWeight(sum)}, not 1 (${membership.map((m) => formatWeight(m.relWeight)).join(' + ')}); CGmap uses them as independent per-bead multipliers, so the atom counts ${formatWeight(sum)} times in total.`);
  }
}
