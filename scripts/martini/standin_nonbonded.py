#!/usr/bin/python3
"""A STAND-IN for martini_v3.0.0.itp ([ defaults ], [ atomtypes ], [ nonbond_params ]) when the official file is absent.

../shared holds the Martini 3 molecule topologies (phospholipids, solvents, ions, sterols) but not the main file with
the bead-bead Lennard-Jones matrix. This writes a coarse substitute for the bead types the given .itp files use, so
the build and the run can be exercised end to end; the result is NOT Martini 3 thermodynamics and every output of a
run with it says so. Bonded terms, bead names, masses of the molecule files, electrostatics (reaction field, eps_r 15)
stay the official ones.

Rules (project choices, not upstream values):
  - size from the type prefix: regular 0.47 nm, S 0.41, T 0.34 (Martini 3's three sizes); sigma of a pair is the
    arithmetic mean; mass 72 / 54 / 36;
  - polarity class from the letter after the prefix: Q, P, D (divalent ions), W and U polar; N intermediate; C, X apolar (the Martini
    building-block families);
  - epsilon (kJ/mol) by class pair: polar-polar 4.5, apolar-apolar 3.5, intermediate-anything 3.3 (apolar 3.0),
    polar-apolar 2.0 (the hydrophobic contrast that keeps a bilayer together); a pair of two small or two tiny beads
    is scaled by 0.75 / 0.55.
"""
import re
import sys

from itp import section_lines

SIZE = {'': (0.47, 72.0), 'S': (0.41, 54.0), 'T': (0.34, 36.0)}
SCALE = {'': 1.0, 'S': 0.75, 'T': 0.55}


def parse_type(t):
    if t in ('W', 'SW', 'TW', 'U'):
        return (t[:-1] if len(t) > 1 else ''), 'polar'
    m = re.match(r'^(S|T)?([QPNCXD])(\d)?', t)
    if not m:
        sys.exit(f'standin_nonbonded: cannot classify bead type {t}')
    letter = m.group(2)
    return (m.group(1) or ''), {'Q': 'polar', 'P': 'polar', 'D': 'polar', 'N': 'mid', 'C': 'apolar', 'X': 'apolar'}[letter]


def epsilon(c1, c2):
    pair = {c1, c2}
    if pair == {'polar'}:
        return 4.5
    if pair == {'apolar'}:
        return 3.5
    if 'mid' in pair:
        return 3.0 if 'apolar' in pair else 3.3
    return 2.0


def main():
    types = []
    for path in sys.argv[1:]:
        with open(path, encoding='utf-8', errors='replace') as f:
            for section, fields in section_lines(f):
                if section == 'atoms' and fields[1] not in types:
                    types.append(fields[1])
    out = ['; STAND-IN nonbonded parameters (scripts/martini/standin_nonbonded.py), NOT martini_v3.0.0.itp:',
           '; the official Martini 3 bead-bead matrix was not available where this ran.', '',
           '[ defaults ]', '1 2', '', '[ atomtypes ]']
    info = {t: parse_type(t) for t in types}
    for t in types:
        out.append(f'{t:6s} {SIZE[info[t][0]][1]:5.1f} 0.000 A 0.0 0.0')
    out += ['', '[ nonbond_params ]']
    for i, a in enumerate(types):
        for b in types[i:]:
            (za, ca), (zb, cb) = info[a], info[b]
            sigma = (SIZE[za][0] + SIZE[zb][0]) / 2
            eps = epsilon(ca, cb) * (SCALE[za] if za == zb else 1.0)
            out.append(f'{a:6s} {b:6s} 1 {sigma:.6e} {eps:.6e}')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
