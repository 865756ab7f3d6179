/**
 * Checks of a bead's hierarchy rules against what HEroBM does with them: beads without any rule (E10), rules only on
 * hydrogens (X5), duplicate IDs (W2), level gaps (W3), several level-0 atoms or an anchor on level 0 (W5), anchors
 * that do not exist or resolve elsewhere (W1, W3), levels above R (W4) and files without rules (X6)
 * (docs/mapping-format.md, "Hierarchy rules").
 */
import type { CompiledBead, MappingAtom } from '../types';
import type { BeadCompilation } from './compile';
import { letterPos } from './compile';
import type { ParseContext } from './context';
import type { Token } from './parsed';
import { RULE_RE, isHydrogenName } from './settings';

export function checkBeadHierarchy(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[], fileHasRules: boolean): void {
  const { name: b, token: bt, ruled } = c;
  if (fileHasRules && ruled.length === 0) {
    ctx.report('E10', bt.start, bt.end, `Bead \`${b}\` has no atom with a hierarchy rule; HEroBM crashes while mapping (ValueError: need at least one array to concatenate). Give one atom a rule, e.g. \`P1A\` on the atom nearest the bead centre.`);
  }
  if (ruled.length > 0 && ruled.every((x) => isHydrogenName(atoms[x.atom].names[0]))) {
    ctx.report('X5', bt.start, bt.end, `Every reconstructed atom of bead \`${b}\` is a hydrogen; with ignore_hydrogens (dataset/deploy/backmap option) they lose their rules and HEroBM crashes (need at least one array to concatenate).`);
  }
  checkDuplicateIds(ctx, c, atoms);
  checkLevelGaps(ctx, c);
  checkLevelZero(ctx, c, atoms);
  checkAnchors(ctx, c, atoms);
}

/** The token that supplied the rule of a ruled member (its key when unknown). */
const rulePartOf = (c: BeadCompilation, si: number): Token => { const x = c.ruled[si]; return x.entry.ruleParts[x.bi] ?? x.entry.key; };
const nameOf = (c: BeadCompilation, atoms: MappingAtom[], si: number) => atoms[c.ruled[si].atom].names[0];

/** W2: a (level, ID) pair used twice makes the local index ambiguous. */
function checkDuplicateIds(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[]): void {
  const seen = new Map<string, number>();
  c.ruled.forEach((x, si) => {
    const key = `${x.m.rule!.level}${x.m.rule!.id}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      const t = rulePartOf(c, si);
      ctx.report('W2', t.start, t.end, `Level ${x.m.rule!.level} ID ${x.m.rule!.id} is already used by \`${nameOf(c, atoms, prev)}\` in bead ${c.name}; the local index is ambiguous, so every atom anchored on it is silently self-anchored (collapses toward the bead).`);
    } else seen.set(key, si);
  });
}

/** W3: levels must start at 0 or 1 and be contiguous. */
function checkLevelGaps(ctx: ParseContext, c: BeadCompilation): void {
  const { levels, ruled, name: b } = c;
  if (!levels.length) return;
  const startL = levels[0];
  if (startL > 1) {
    const t = rulePartOf(c, ruled.findIndex((x) => x.m.rule!.level === startL));
    ctx.report('W3', t.start, t.end, `Levels of bead ${b} start at ${startL}; they must start at 0 or 1 (the root is local index 0).`);
  }
  for (let i = 1; i < levels.length; i++) {
    if (levels[i] !== levels[i - 1] + 1) {
      const t = rulePartOf(c, ruled.findIndex((x) => x.m.rule!.level === levels[i]));
      ctx.report('W3', t.start, t.end, `Bead ${b} jumps from level ${levels[i - 1]} to level ${levels[i]}; HEroBM computes anchors at offset(level−1), so atoms of level ${levels[i]} resolve their anchor to the wrong atom or to themselves.`);
    }
  }
}

/** W5: level-0 atoms are never moved, so there should be one. */
function checkLevelZero(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[]): void {
  if (c.level0 <= 1) return;
  c.ruled.forEach((x, si) => {
    if (x.m.rule!.level === 0 && c.locals[si] !== 0) {
      const t = rulePartOf(c, si);
      ctx.report('W5', t.start, t.end, `Bead ${c.name} has ${c.level0} level-0 atoms; level-0 atoms are never moved, so \`${nameOf(c, atoms, si)}\` silently sits on the bead centre.`);
    }
  });
}

/** Per rule: an anchor letter on level 0 (W5), and anchors that are missing (W1) or land elsewhere (W3). */
function checkAnchors(ctx: ParseContext, c: BeadCompilation, atoms: MappingAtom[]): void {
  const { ruled, levels, locals, bead, name: b } = c;
  ruled.forEach((x, si) => {
    const r = x.m.rule!;
    const t = rulePartOf(c, si);
    if (r.level === 0 && /^P0[A-Z][A-Z]/.test(RULE_RE.exec(r.text)?.[0] ?? '')) {
      ctx.report('W5', t.start, t.end, `Level-0 atoms have no anchor; the anchor letter ${r.anchor} in \`${r.text}\` is ignored (ID ${r.id}).`,
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
        ctx.report('W1', t.start, t.end, `Anchor ${r.anchor} of \`${r.text}\` (${want}) is ambiguous in bead ${b} (duplicate level/ID); HEroBM silently anchors \`${nameOf(c, atoms, si)}\` on itself, so it collapses toward the bead.`);
      } else if (!wantExists || hits === 0) {
        ctx.report('W1', t.start, t.end, `Anchor ${r.anchor} of \`${r.text}\` (${want}) does not exist in bead ${b}; HEroBM silently anchors \`${nameOf(c, atoms, si)}\` on itself, so it collapses toward the bead.`);
      } else {
        ctx.report('W3', t.start, t.end, `Anchor of \`${r.text}\` resolves to \`${nameOf(c, atoms, si)}\` itself because of a level gap; it collapses toward the bead.`);
      }
    } else if (slot.resolved && slot.anchor !== si) {
      const al = ruled[slot.anchor].m.rule!.level;
      if (al !== wantLevel) {
        ctx.report(wantExists ? 'W3' : 'W1', t.start, t.end, wantExists
          ? `Anchor of \`${r.text}\` in bead ${b} resolves to \`${nameOf(c, atoms, slot.anchor)}\` (level ${al}), not to ${want}, because of a level gap; HEroBM builds it from the wrong atom.`
          : `Anchor ${r.anchor} of \`${r.text}\` (${want}) does not exist in bead ${b}; HEroBM's local index lands on \`${nameOf(c, atoms, slot.anchor)}\` (level ${al}) instead, so the atom is built from the wrong atom.`);
      }
    }
  });
}

/**
 * W4: HEroBM processes levels 1..R only (R = most reconstructed atoms in any bead of the set, or of this file);
 * slots above R are marked not placed. Returns this file's own maximum.
 */
export function markLevelsAboveR(ctx: ParseContext, beads: CompiledBead[], atoms: MappingAtom[]): number {
  const fileSlots = beads.reduce((m, bd) => Math.max(m, bd.slots.length), 0);
  const R = ctx.opts.maxSlots ?? fileSlots;
  for (const bd of beads) {
    bd.slots.forEach((s) => {
      if (s.level > R) {
        s.placed = false;
        const a = atoms[s.atom];
        const entry = ctx.result.entries.find((e) => e.atom === s.atom)!;
        const bi = entry.beads.findIndex((x) => x.text === bd.name);
        const t = entry.ruleParts[bi] ?? entry.key;
        ctx.report('W4', t.start, t.end, `Level ${s.level} is above R = ${R} (the most reconstructed atoms in any bead of the ${ctx.opts.maxSlots !== undefined ? 'set' : 'file'}); HEroBM processes levels 1..R only, so \`${a.names[0]}\` is never placed.`);
      }
    });
  }
  return fileSlots;
}

/** X6: a file without any rule maps to CG but cannot be backmapped. */
export function checkFileHasRules(ctx: ParseContext, atoms: MappingAtom[]): void {
  const t = ctx.result.moleculeToken;
  if (!ctx.result.hasRules && atoms.length > 0 && t) {
    ctx.report('X6', t.start, t.end, 'No atom has a hierarchy rule (P<level><anchor><ID>): CGmap can map with this file, but HEroBM cannot backmap it.');
  }
}
