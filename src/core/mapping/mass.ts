/**
 * CGmap's mass lookup (docs/mapping-format.md, "Masses"; `cgmap/utils/atomType.get_mass_from_name`): the element is the FIRST upper-case
 * letter of the atom's first alternative name, looked up as a one-letter symbol in molmass. Only these one-letter
 * symbols exist, so `CL` weighs as carbon and `MG` crashes. Standard atomic weights (IUPAC abridged).
 */
export const ONE_LETTER_MASS: Readonly<Record<string, number>> = {
  H: 1.008, B: 10.81, C: 12.011, N: 14.007, O: 15.999, F: 18.998, P: 30.974, S: 32.06, K: 39.098,
  V: 50.942, Y: 88.906, I: 126.904, W: 183.84, U: 238.029,
};

export interface MassLookup {
  /** The letter CGmap uses (null: no upper-case letter, KeyError None). */
  letter: string | null;
  /** Offset of that letter in the name (-1 when none). */
  index: number;
  element: string; // '' when the lookup crashes
  mass: number; // NaN when the lookup crashes
}

export function massFromName(name: string): MassLookup {
  const m = /[A-Z]/.exec(name);
  if (!m) return { letter: null, index: -1, element: '', mass: NaN };
  const mass = ONE_LETTER_MASS[m[0]];
  return mass === undefined
    ? { letter: m[0], index: m.index, element: '', mass: NaN }
    : { letter: m[0], index: m.index, element: m[0], mass };
}

/** Names that are most likely a two-letter element that CGmap weighs as its first letter (CL → C). */
export function likelyTwoLetterElement(name: string): string | null {
  const m = /^(CL|Cl|BR|Br|NA|Na|SI|Si|SE|Se|CU|Cu|NI|Ni|FE|Fe|ZN|Zn|MG|Mg)\d*$/.exec(name);
  if (!m) return null;
  const sym = m[1][0] + m[1][1].toLowerCase();
  return sym;
}
