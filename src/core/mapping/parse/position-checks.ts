/**
 * Checks of a bead's position weights (CGmap) and the recentring of its reconstructed atoms (HEroBM): NaN positions
 * (W12, W11), several or inconsistent CM atoms (W13), and atoms that move the bead but are never rebuilt (W14)
 * (docs/mapping-format.md, "Weights, CM and !").
 */
import type { MappingAtom } from '../types';
import type { BeadCompilation } from './compile';
import type { ParseContext } from './context';

export function checkBeadPosition(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[]): void {
  checkNaNWeights(ctx, c, atoms);
  checkCmAtoms(ctx, c, atoms);
  checkUnreconstructedContributors(ctx, c, atoms);
}

/** W12/W11: a zero weight sum makes the bead position or the recentring 0/0. */
function checkNaNWeights(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[]): void {
  const { members: mem, name: b, token: bt, anyCm } = c;
  if (mem.length > 0 && !(c.sum > 0)) {
    ctx.report('W12', bt.start, bt.end, anyCm
      ? `Every CM weight of bead ${b} is 0; the bead position is NaN.`
      : `Every atom of bead ${b} is excluded with \`!\` (or weighs 0); the bead position is NaN (0/0) and everything built from it is NaN.`);
  } else if (c.ruled.length > 0 && !(c.ruledSum > 0)) {
    const cmAtoms = mem.filter((x) => x.m.cm);
    if (anyCm && cmAtoms.every((x) => !x.m.rule)) {
      const cm = cmAtoms[0];
      ctx.report('W11', cm.entry.key.start, cm.entry.key.end, `\`${atoms[cm.atom].names[0]}\` is the CM atom of bead ${b} but has no rule; non-CM atoms weigh 0, so the recentring weights of the reconstructed atoms are all 0 → NaN coordinates. Give it a rule (root: P0A/P1A).`);
    } else {
      ctx.report('W12', bt.start, bt.end, `All reconstructed atoms of bead ${b} are excluded (\`!\` or weight 0); the recentring weights are 0/0 → NaN coordinates.`);
    }
  }
}

/** W13: several CM atoms are averaged; a CM atom other than the level-0 atom is inconsistent. */
function checkCmAtoms(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[]): void {
  const b = c.name;
  const cmList = c.members.filter((x) => x.m.cm);
  if (cmList.length > 1) {
    for (const cm of cmList.slice(1)) ctx.report('W13', cm.entry.key.start, cm.entry.key.end, `Bead ${b} has ${cmList.length} CM atoms; CGmap averages them (legal but unusual).`);
  }
  const l0 = c.ruled.filter((x) => x.m.rule!.level === 0);
  if (cmList.length >= 1 && l0.length >= 1 && !cmList.some((cm) => l0.some((z) => z.atom === cm.atom))) {
    const cm = cmList[0];
    ctx.report('W13', cm.entry.key.start, cm.entry.key.end, `\`${atoms[cm.atom].names[0]}\` is the CM atom of bead ${b} but the level-0 atom is \`${atoms[l0[0].atom].names[0]}\`; the bead sits on the CM atom while the level-0 atom is pinned to the bead (inconsistent).`);
  }
}

/** W14: recentring uses the reconstructed atoms only, so a weighted atom without a rule offsets them. */
function checkUnreconstructedContributors(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[]): void {
  if (c.ruled.length === 0) return;
  c.members.forEach((x, i) => {
    if (!x.m.rule && c.raw[i] > 0) {
      ctx.report('W14', x.entry.key.start, x.entry.key.end, `\`${atoms[x.atom].names[0]}\` contributes to the position of bead ${c.name} but has no rule, so it is not reconstructed; recentring uses the reconstructed atoms only, which offsets them from the true positions. Add \`!\` or a rule.`,
        [{ title: 'Exclude from the bead position (!)', edits: [{ start: x.entry.end, end: x.entry.end, newText: x.entry.beads.length > 1 ? ' ' + x.entry.beads.map((_, j) => (j === x.bi ? '!' : '')).join(',') : ' !' }] }]);
    }
  });
}
