#!/usr/bin/python3
"""Starting coordinates of a flat, mixed Martini 3 bilayer in water (an insane-like grid builder).

Reads each molecule's bead names (in topology order) from the Martini 3 .itp files given with --itp (read where they
lie, never copied), puts the lipids on a square grid per leaflet in a random order, each lipid straight along the
membrane normal and turned by a random angle about it, and fills the two water slabs with W beads on a jittered
lattice. Writes:
  <out>.gro         lipids grouped by molecule type (both leaflets), then W
  <out>.molecules   the [ molecules ] lines, in the order of the .gro
Energy minimisation and equilibration (bilayer.sh) take it from there.
"""
import argparse
import re
import sys

import numpy as np

from itp import section_lines

# Height above the bilayer centre (nm) of a phospholipid's beads in the upper leaflet, and the x offset of its two
# chains; each further tail bead sits DZ lower. A sterol stands with ROH at the glycerol level.
Z_HEAD, Z_PO4, Z_GLY, DZ, DX = 2.25, 1.95, 1.60, 0.40, 0.22
# Cholesterol's three real beads R1, R2, C1 (constraints 0.348, 0.785, 0.750 nm in the Martini 3 sterol itp) in its
# own frame; GROMACS builds the virtual sites (ROH, R3-R6) from them. C2 hangs 0.44 nm below C1.
CHOL_FRAME = {'ROH': (0.0, 0.0, 1.75), 'R1': (0.0, 0.0, 1.30), 'R2': (0.330, 0.0, 1.19), 'R3': (0.15, 0.0, 0.95),
              'R4': (0.15, 0.0, 0.80), 'R5': (0.30, 0.15, 0.90), 'R6': (0.0, 0.15, 1.10), 'C1': (0.0, 0.0, 0.515),
              'C2': (0.0, 0.0, 0.075)}
W_PER_NM3 = 8.36  # 33.4 waters per nm³, four per W bead


def read_moleculetypes(paths):
    """{name: [(atom name, residue name), ...]} of every moleculetype, atoms in topology order."""
    out = {}
    for path in paths:
        try:
            text = open(path, encoding='utf-8', errors='replace').read()
        except OSError as e:
            sys.exit(f'build_bilayer: cannot read {path}: {e.strerror}')
        # Split at each [ moleculetype ] header (case and spacing as the Martini files write them).
        parts = re.split(r'(?im)^\s*\[\s*moleculetype\s*\]', text)
        for part in parts[1:]:
            lines = part.split('\n')
            name = next(l.split()[0] for l in lines if l.strip() and not l.strip().startswith(';'))
            out[name] = [(f[4], f[3]) for section, f in section_lines(lines) if section == 'atoms']
    return out


def lipid_coords(atoms):
    """Upper-leaflet bead coordinates of one lipid in its own frame (x, y about its axis, z above the centre)."""
    names = [a for a, _ in atoms]
    if 'ROH' in names:
        return np.array([CHOL_FRAME[n] for n in names])
    xyz = []
    tail_index = {'A': 0, 'B': 0}
    for k, n in enumerate(names):
        if n == 'PO4':
            xyz.append((0.0, 0.0, Z_PO4))
        elif n == 'GL1':
            xyz.append((DX, 0.0, Z_GLY))
        elif n == 'GL2':
            xyz.append((-DX, 0.0, Z_GLY))
        elif re.match(r'^[CD]\d[AB]$', n):
            side = n[2]
            tail_index[side] += 1
            xyz.append((DX if side == 'A' else -DX, 0.0, Z_GLY - DZ * tail_index[side]))
        elif k == 0:
            xyz.append((0.0, 0.0, Z_HEAD))
        else:
            sys.exit(f'build_bilayer: do not know where to put bead {n} of {atoms[0][1]}')
    return np.array(xyz)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--itp', action='append', required=True, help='Martini 3 .itp with the moleculetypes (repeat)')
    p.add_argument('--leaflet', required=True, help='per-leaflet composition, e.g. POPC:40,POPE:10,CHOL:15')
    p.add_argument('--apl', type=float, default=0.62, help='starting area per lipid, nm² (default 0.62)')
    p.add_argument('--wpl', type=float, default=15, help='W beads per lipid (default 15)')
    p.add_argument('--seed', type=int, default=31)
    p.add_argument('--out', required=True, help='output prefix')
    a = p.parse_args()

    rng = np.random.default_rng(a.seed)
    mols = read_moleculetypes(a.itp)
    comp = []
    for item in a.leaflet.split(','):
        name, n = item.split(':')
        if name not in mols:
            sys.exit(f'build_bilayer: no moleculetype {name} in {", ".join(a.itp)}')
        comp.append((name, int(n)))
    if 'W' not in mols:
        sys.exit('build_bilayer: no moleculetype W (give the Martini 3 solvents itp with --itp)')
    per_leaflet = sum(n for _, n in comp)
    side = int(np.ceil(np.sqrt(per_leaflet)))
    cell = np.sqrt(a.apl)
    lx = ly = side * cell

    # Lipid positions: each leaflet's grid cells in random order; the lower grid shifted by half a cell so the tails
    # of the two leaflets do not start on top of each other.
    placed = {name: [] for name, _ in comp}
    for leaflet in (1, -1):
        order = [name for name, n in comp for _ in range(n)]
        cells = rng.permutation(side * side)[:per_leaflet]
        for name, c in zip(order, cells):
            shift = 0.0 if leaflet == 1 else 0.5
            cx, cy = ((c % side) + 0.5 + shift) * cell, ((c // side) + 0.5 + shift) * cell
            t = rng.uniform(0, 2 * np.pi)
            rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
            local = lipid_coords(mols[name]) @ rot.T
            local[:, 2] *= leaflet
            placed[name].append(local + np.array([cx, cy, 0.0]))

    # Water slabs above and below: the W count asked for, on a jittered lattice.
    n_lipids = 2 * per_leaflet
    n_w = int(round(a.wpl * n_lipids))
    slab = n_w / W_PER_NM3 / (lx * ly) / 2
    z_top = Z_HEAD + 0.35
    lz = 2 * (z_top + slab)
    spacing = (1 / W_PER_NM3) ** (1 / 3)
    nx, ny = int(lx / spacing), int(ly / spacing)
    nz = int(np.ceil(n_w / (2 * nx * ny)))
    grid = [(i, j, k) for k in range(nz) for j in range(ny) for i in range(nx)]
    w = []
    for sign in (1, -1):
        for i, j, k in grid[: (n_w + (1 if sign == 1 else 0)) // 2]:
            x, y = (i + 0.5) * lx / nx, (j + 0.5) * ly / ny
            z = sign * (z_top + (k + 0.5) * slab / nz)
            w.append(np.array([x, y, z]) + rng.uniform(-0.05, 0.05, 3))

    lines, molecules, resnr, atomnr = [], [], 0, 0
    centre = np.array([0.0, 0.0, lz / 2])

    def add(name, xyz):
        nonlocal resnr, atomnr
        resnr += 1
        for (atom, res), r in zip(mols[name], xyz):
            atomnr += 1
            x, y, z = r + centre
            lines.append(f'{resnr % 100000:5d}{res:<5.5}{atom:>5.5}{atomnr % 100000:5d}{x:8.3f}{y:8.3f}{z:8.3f}')

    for name, _ in comp:
        for xyz in placed[name]:
            add(name, xyz)
        molecules.append(f'{name} {len(placed[name])}')
    for r in w:
        add('W', [r])
    molecules.append(f'W {len(w)}')

    with open(a.out + '.gro', 'w') as f:
        f.write(f'Martini 3 bilayer start ({a.leaflet} per leaflet)\n{len(lines)}\n')
        f.write('\n'.join(lines) + '\n')
        f.write(f'{lx:10.5f}{ly:10.5f}{lz:10.5f}\n')
    with open(a.out + '.molecules', 'w') as f:
        f.write('\n'.join(molecules) + '\n')
    print(f'build_bilayer: {n_lipids} lipids, {len(w)} W, box {lx:.2f} x {ly:.2f} x {lz:.2f} nm')


if __name__ == '__main__':
    main()
