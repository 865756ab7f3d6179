/**
 * Compiling one bead: member weights for the bead position (CGmap) and the reconstructed atoms with their anchors
 * (HEroBM local indices), exactly as the tools compute them (docs/mapping-format.md, "Weights", "Hierarchy rules").
 */
import type { BeadMembership, CompiledBead, MappingAtom } from '../types';
import type { ParseContext } from './context';
import type { MappingEntry, Token } from './parsed';

/** An atom of a bead, with the entry and bead index it came from. */
export interface BeadMember {
  atom: number;
  m: BeadMembership;
  entry: MappingEntry;
  bi: number;
}

/** Beads in order of first appearance, with the token of that appearance and their members in YAML order. */
export interface BeadGroups {
  order: string[];
  first: Map<string, Token>;
  members: Map<string, BeadMember[]>;
}

export const emptyBeadGroups = (): BeadGroups => ({ order: [], first: new Map(), members: new Map() });

/** Adds the atom to every bead of its entry (a bead listed twice keeps the first: E6 is already reported). */
export function addToBeads(groups: BeadGroups, atom: number, entry: MappingEntry, membership: BeadMembership[]): void {
  const beads = entry.beads;
  for (let bi = 0; bi < beads.length; bi++) {
    const b = beads[bi].text;
    if (!groups.members.has(b)) { groups.members.set(b, []); groups.order.push(b); groups.first.set(b, beads[bi]); }
    if (groups.members.get(b)!.some((x) => x.atom === atom)) continue;
    groups.members.get(b)!.push({ atom, m: membership[bi], entry, bi });
  }
}

export const letterPos = (c: string) => c.charCodeAt(0) - 65;

/** A reconstructed member (one with a rule for this bead) and its raw position weight. */
export interface RuledMember extends BeadMember {
  w: number;
}

/** A compiled bead and the intermediate quantities its checks need. */
export interface BeadCompilation {
  bead: CompiledBead;
  name: string;
  /** Token where the bead name first appears. */
  token: Token;
  members: BeadMember[];
  /** Raw position weight per member (before normalisation) and their sum. */
  raw: number[];
  sum: number;
  anyCm: boolean;
  ruled: RuledMember[];
  /** Sum of the raw weights of the reconstructed members (recentring). */
  ruledSum: number;
  /** Levels present, ascending; local index per ruled member; number of level-0 members. */
  levels: number[];
  locals: number[];
  level0: number;
}

/** Member weights: CM overrides mass and `!`; otherwise `!` weighs 0, others mass (or 1) × relative weight. */
function rawWeights(members: BeadMember[], atoms: MappingAtom[], anyCm: boolean, weightBasedOn: 'mass' | 'same' | undefined): number[] {
  return members.map((x) => {
    const a = atoms[x.atom];
    if (anyCm) return x.m.cm ? x.m.relWeight : 0;
    if (x.m.excluded) return 0;
    return (weightBasedOn === 'same' ? 1 : a.mass) * x.m.relWeight;
  });
}

export function compileBead(ctx: ParseContext, name: string, groups: BeadGroups, atoms: MappingAtom[]): BeadCompilation {
  const members = groups.members.get(name)!;
  const anyCm = members.some((x) => x.m.cm);
  const raw = rawWeights(members, atoms, anyCm, ctx.opts.weightBasedOn);
  const sum = raw.reduce((s, w) => s + w, 0);
  const weights = raw.map((w) => w / sum); // NaN when sum is 0, as in CGmap (W12)
  const token = groups.first.get(name)!;
  const bead: CompiledBead = {
    name, idname: `${ctx.result.moleculeName ?? ''}_${name}`, typeId: -1, members: members.map((x) => x.atom), weights, slots: [], maxLevel: -1,
    span: ctx.span(token.start, token.end),
  };
  // Slots: atoms with a rule for this bead, in member (YAML) order.
  const ruled: RuledMember[] = members.map((x, i) => ({ ...x, w: raw[i] })).filter((x) => x.m.rule);
  const maxPos = new Map<number, number>();
  for (const x of ruled) {
    const r = x.m.rule!;
    maxPos.set(r.level, Math.max(maxPos.get(r.level) ?? -1, letterPos(r.id)));
  }
  const levels = [...maxPos.keys()].sort((a, c) => a - c);
  // HEroBM's offset of a level: Σ over the levels present below it of (max ID position + 1).
  const offset = (L: number) => levels.filter((l) => l < L).reduce((s, l) => s + maxPos.get(l)! + 1, 0);
  const locals = ruled.map((x) => offset(x.m.rule!.level) + letterPos(x.m.rule!.id));
  const level0 = ruled.filter((x) => x.m.rule!.level === 0).length;
  const ruledSum = ruled.reduce((s, x) => s + x.w, 0);
  ruled.forEach((x, si) => {
    const r = x.m.rule!;
    let anchor = si;
    let resolved: boolean;
    let anchorLocal = locals[si];
    if (r.level === 0) {
      resolved = level0 === 1;
    } else {
      // The anchor is whatever atom sits at offset(L−1) + anchor letter; no match or several → the atom itself.
      anchorLocal = offset(r.level - 1) + letterPos(r.anchor);
      let nHits = 0;
      let hit = -1;
      for (let j = 0; j < locals.length; j++) if (locals[j] === anchorLocal) { nHits++; hit = j; }
      if (nHits === 1) {
        anchor = hit;
        resolved = anchor !== si || locals[si] === 0;
      } else resolved = false;
    }
    bead.slots.push({ atom: x.atom, level: r.level, anchor, resolved, recenterWeight: x.w / ruledSum, local: locals[si], anchorLocal, placed: true });
    bead.maxLevel = Math.max(bead.maxLevel, r.level);
  });
  return { bead, name, token, members, raw, sum, anyCm, ruled, ruledSum, levels, locals, level0 };
}
