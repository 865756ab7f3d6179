/**
 * Every diagnostic code the mapping parser and the folder loader emit, with its severity and a one-line summary
 * (documentation, tests, the language server). docs/mapping-format.md explains each one in full.
 * E…: the upstream tools crash on the file; W…: they run but read it differently than it looks (or the file breaks a
 * convention); X…: checks beyond the upstream validator table.
 */
import type { MappingSeverity } from './types';

export const CODES: Record<string, { severity: MappingSeverity; summary: string }> = {
  E1: { severity: 'error', summary: '`molecule` missing, not a string, or containing `_`' },
  E2: { severity: 'error', summary: '`atoms` not a mapping, or a key/value that YAML 1.1 does not read as a string' },
  E3: { severity: 'error', summary: 'a field has fewer comma parts than the entry has beads' },
  E4: { severity: 'error', summary: 'first alternative name has no one-letter element at its first upper-case letter' },
  E5: { severity: 'error', summary: '`_` in an atom or bead name' },
  E6: { severity: 'error', summary: 'a bead listed twice in one entry' },
  E7: { severity: 'error', summary: 'fraction with denominator 0' },
  E8: { severity: 'error', summary: 'a file in the mapping folder that is not mapping YAML or bead_types*' },
  E9: { severity: 'error', summary: 'same-molecule files list different numbers of atoms in a bead' },
  E10: { severity: 'error', summary: 'a bead with no rule while the file uses rules' },
  W1: { severity: 'warning', summary: 'anchor does not exist at level L−1 in the bead (self-anchored)' },
  W2: { severity: 'warning', summary: '(level, ID) used twice in a bead' },
  W3: { severity: 'warning', summary: 'levels not contiguous / anchor resolves to an atom outside level L−1' },
  W4: { severity: 'warning', summary: 'level above R (never placed)' },
  W5: { severity: 'warning', summary: 'more than one level-0 atom, or an anchor on level 0' },
  W6: { severity: 'warning', summary: 'rule with 3+ letters (middle letters discarded)' },
  W7: { severity: 'warning', summary: 'rule not exactly P<int><A-Z>{1,2} (junk accepted or rule dropped)' },
  W8: { severity: 'warning', summary: 'unknown or surplus token, ignored' },
  W9: { severity: 'warning', summary: 'weight not canonical (read differently than it looks)' },
  W10: { severity: 'information', summary: 'shared atom weights do not sum to 1' },
  W11: { severity: 'warning', summary: 'CM atom without a rule in a bead with rules (NaN recentring)' },
  W12: { severity: 'warning', summary: 'all atoms / all reconstructed atoms excluded (NaN)' },
  W13: { severity: 'information', summary: 'several CM atoms, or CM atom ≠ level-0 atom' },
  W14: { severity: 'information', summary: 'atom contributes to the bead position but has no rule' },
  W15: { severity: 'warning', summary: 'duplicate YAML key (last wins, at the first position)' },
  W16: { severity: 'warning', summary: 'whitespace inside a comma list' },
  W17: { severity: 'warning', summary: 'bead-types table misses ids or has ids ≥ the number of types' },
  X1: { severity: 'error', summary: 'YAML syntax error' },
  X2: { severity: 'warning', summary: 'atom name starts with a digit (never matches: idnames move digits last)' },
  X3: { severity: 'warning', summary: 'atom weighed as the wrong element (first upper-case letter)' },
  X4: { severity: 'information', summary: 'top-level key other than molecule/atoms (ignored)' },
  X5: { severity: 'warning', summary: 'bead whose rules are all on hydrogens (crashes with ignore_hydrogens)' },
  X6: { severity: 'information', summary: 'file without any hierarchy rule (CG mapping only, cannot backmap)' },
  X7: { severity: 'warning', summary: 'empty atom or bead name (stray comma)' },
  X8: { severity: 'error', summary: 'bead-types file malformed' },
  X9: { severity: 'warning', summary: 'atom of the reference residue missing from the mapping' },
  X10: { severity: 'information', summary: 'several files declare the same molecule (merged as configurations)' },
  X11: { severity: 'information', summary: 'mapping atom absent from the reference residue' },
};
