/** One atom entry `ATOM[,ALT…]: BEAD[,BEAD…] [FIELD…]` decoded into a mapping atom and its bead memberships. */
import { massFromName } from '../mass';
import type { MappingAtom } from '../types';
import type { RawEntry } from './atoms';
import { addToBeads, type BeadGroups } from './compile';
import type { ParseContext } from './context';
import { checkSharedWeights, decodeMemberships } from './membership';
import { decodeAtomNames } from './names';
import { decodeBeadsAndFields } from './value';

/** Appends the atom to `atoms` and to its beads in `groups`; entries whose key or value is unusable are skipped. */
export function decodeEntry(ctx: ParseContext, raw: RawEntry, atoms: MappingAtom[], groups: BeadGroups): void {
  const entry = raw.entry;
  if (raw.keyStr === null || raw.valueStr === null) return;
  const names = decodeAtomNames(ctx, entry, raw.keyStr);
  const toks = decodeBeadsAndFields(ctx, entry, raw.valueStr, raw.valueBase);
  const membership = decodeMemberships(ctx, entry, names);
  checkSharedWeights(ctx, membership, toks[0]);

  const mass = massFromName(names[0]?.text ?? '');
  const atom = atoms.length;
  atoms.push({
    names: names.map((x) => x.text),
    element: mass.element,
    mass: mass.mass,
    membership,
    span: ctx.span(entry.start, entry.end),
  });
  entry.atom = atom;
  addToBeads(groups, atom, entry, membership);
}
