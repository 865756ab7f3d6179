/**
 * Element symbols: read from PDB columns 77-78 when present, otherwise guessed from the atom name the way
 * most MD tools do (leading digits skipped; ions named after their residue; otherwise the first letter
 * among the organic elements). CG bead names (BB, SC1, …) are not atoms: callers must not rely on the guess.
 */
import { AMINO_ACID_NAMES } from '../chemistry/variants';

/** Residues whose single atom is a monatomic ion named like the element (NA, CL, ZN, …). */
const ION_ELEMENTS = new Set([
  'LI', 'NA', 'K', 'RB', 'CS', 'MG', 'CA', 'SR', 'BA', 'ZN', 'FE', 'MN', 'CO', 'NI', 'CU', 'CD', 'HG',
  'CL', 'BR', 'I', 'F', 'AL', 'PT', 'AU', 'AG', 'PB',
]);

/**
 * Standard polymer residues: their atom names always start with a one-letter element. The amino acids come from
 * the chemistry table; phosphorylated residues, caps, nucleotides and water are listed here.
 */
const POLYMER = new Set([
  ...AMINO_ACID_NAMES,
  'SEP', 'TPO', 'PTR', 'ACE', 'NME', 'NMA', 'DA', 'DC', 'DG', 'DT', 'A', 'C', 'G', 'U', 'T',
  'HOH', 'WAT', 'SOL', 'TIP3', 'TIP4', 'SPC',
]);

/** Two-letter elements that appear in ligands/cofactors with names starting with the symbol (e.g. FE1, CL2). */
const TWO_LETTER_IN_HET = new Set(['CL', 'BR', 'FE', 'ZN', 'MG', 'MN', 'CU', 'CO', 'NI', 'SE', 'NA', 'CA', 'HG', 'CD', 'PT', 'AU', 'AG', 'AL', 'SI', 'LI', 'MO', 'RU', 'RH', 'PD', 'IR', 'OS', 'GA', 'AS']);

const ONE_LETTER = new Set(['H', 'C', 'N', 'O', 'S', 'P', 'F', 'I', 'K']);

const cache = new Map<string, string>();

export function guessElement(atomName: string, resName: string): string {
  const key = atomName + '\u0001' + resName;
  let e = cache.get(key);
  if (e === undefined) {
    e = guess(atomName.trim().toUpperCase(), resName.trim().toUpperCase());
    if (cache.size < 100000) cache.set(key, e);
  }
  return e;
}

/** Martini bead names (BB, SC1…SC9): never atom names in a standard residue, so they get no element. */
const BEAD_NAME = /^(BB|SC[0-9])$/;

function guess(name: string, res: string): string {
  if (!name) return '';
  if (POLYMER.has(res) && BEAD_NAME.test(name)) return '';
  if (name === res && ION_ELEMENTS.has(name)) return name;
  // Ions written with a charge suffix (NA+, CL-) or a number (ZN2).
  const letters = name.replace(/[^A-Z]/g, '');
  if (res === letters && ION_ELEMENTS.has(letters)) return letters;
  let i = 0;
  while (i < name.length && ((name.charCodeAt(i) >= 48 && name.charCodeAt(i) <= 57) || name[i] === "'" || name[i] === '*')) i++;
  const s = name.slice(i);
  if (!s) return '';
  if (!POLYMER.has(res) && s.length >= 2 && TWO_LETTER_IN_HET.has(s.slice(0, 2))) {
    // "CA"/"NA"/"CD" etc. in a ligand are usually carbon/nitrogen; only take the metal when the name is
    // just the symbol (plus digits), as in FE, FE1, ZN2, or the symbol cannot be organic (CL, BR, FE …).
    const two = s.slice(0, 2);
    const rest = s.slice(2);
    const organicAmbiguous = two === 'CA' || two === 'NA' || two === 'CD' || two === 'CO' || two === 'HG' || two === 'NI' || two === 'CU' || two === 'PD' || two === 'AS' || two === 'OS' || two === 'SI';
    if (!organicAmbiguous || /^[0-9]*[+-]?$/.test(rest)) return two;
  }
  const c = s[0];
  if (c === 'D') return 'H'; // deuterium in neutron structures is usually named D*
  if (ONE_LETTER.has(c)) return c;
  return '';
}

/** Normalises an element field read from a file (e.g. " C", "Fe", "C1-" charge suffix removed). */
export function normalizeElement(raw: string): string {
  let s = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) s += raw[i];
  }
  return s.toUpperCase();
}
