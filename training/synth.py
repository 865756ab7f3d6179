"""Synthetic BMDS0001 dataset (random-walk chains with an equivariant, chiral atom rule) for smoke-testing the
training, export and runtime machinery without the shared data. Not used for any shipped model.

  /usr/bin/python3 training/synth.py --out training/data/synth.bmds [--chains 40]
"""
import argparse
import json

import numpy as np

from dataset import write_bmds

def chain(rng, n):
    steps = rng.normal(size=(n, 3))
    steps /= np.linalg.norm(steps, axis=1, keepdims=True)
    pos = np.cumsum(steps * 3.8, 0)
    types = rng.integers(0, 4, n)
    atoms = []
    for i in range(n):
        a = pos[max(i - 1, 0)]
        c = pos[min(i + 1, n - 1)]
        t = c - a
        t /= np.linalg.norm(t) + 1e-9
        u = np.cross(pos[i] - a + 1e-3, c - pos[i])
        u /= np.linalg.norm(u) + 1e-9
        l1 = 1.0 + 0.2 * types[i]
        x1 = pos[i] + l1 * t
        x2 = x1 + 1.5 * u  # chiral: depends on the sign of the cross product
        atoms.append([pos[i], x1, x2])
    return pos, types, np.array(atoms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--chains', type=int, default=40)
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    R = 3
    P, T, RI, CI, PB, BI, TG, SA, AP, BO, AO = [], [], [], [], [], [], [], [], [], [0], [0]
    bonds = []
    for _ in range(args.chains):
        n = int(rng.integers(15, 60))
        pos, types, atoms = chain(rng, n)
        a0 = AO[-1]
        for i in range(n):
            P.append(pos[i])
            T.append(types[i])
            RI.append(i)
            SA.append([a0 + 3 * i, a0 + 3 * i + 1, a0 + 3 * i + 2])
            AP.extend(atoms[i])
            TG.append([atoms[i][0] - atoms[i][0], atoms[i][1] - atoms[i][0], atoms[i][2] - atoms[i][1]])
            bonds.append([a0 + 3 * i, a0 + 3 * i + 1])
            bonds.append([a0 + 3 * i + 1, a0 + 3 * i + 2])
        CI.extend([0] * n)
        PB.extend([-1] * n)
        BI.extend([0] * n)
        BO.append(BO[-1] + n)
        AO.append(a0 + 3 * n)
    B = len(P)
    A = len(AP)
    bonds = np.array(bonds, np.int32)
    angles = np.stack([bonds[0::2, 0], bonds[0::2, 1], bonds[1::2, 1]], 1).astype(np.int32)
    arrays = {
        'sample_bead_offset': np.array(BO, np.int64),
        'sample_atom_offset': np.array(AO, np.int64),
        'pos': np.array(P, np.float32),
        'bead_type': np.array(T, np.int64),
        'res_index': np.array(RI, np.int32),
        'chain_index': np.array(CI, np.int32),
        'parent_bead': np.array(PB, np.int32),
        'bead_in_res': np.array(BI, np.int32),
        'target': np.array(TG, np.float32),
        'slot_mask': np.ones((B, R), np.uint8),
        'slot_exists': np.ones((B, R), np.uint8),
        'slot_anchor': np.tile(np.array([0, 0, 1], np.int32), (B, 1)),
        'slot_level': np.tile(np.array([1, 2, 3], np.int32), (B, 1)),
        'slot_weight': np.tile(np.array([1, 0, 0], np.float32), (B, 1)),
        'slot_atom': np.array(SA, np.int32),
        'atom_pos': np.array(AP, np.float32),
        'atom_backbone': np.tile(np.array([1, 0, 0], np.uint8), B),
        'atom_residue': np.repeat(np.array(RI, np.int32), 3),
        'bonds': bonds,
        'angles': angles,
        'torsions': np.tile(np.array([1, 0, 1, 0], np.float32), (B, 1)),
        'torsion_mask': np.zeros((B, 2), np.uint8),
    }
    meta = {'mapping': 'synthetic', 'mappingHash': 'synthetic', 'R': R, 'numTypes': 4, 'typeNames': ['T0', 'T1', 'T2', 'T3'],
            'maxLevel': 3, 'list': 'synthetic', 'chains': [], 'createdBy': 'training/synth.py'}
    write_bmds(args.out, arrays, meta)
    print(f'{args.out}: {args.chains} chains, {B} beads, {A} atoms')


if __name__ == '__main__':
    main()
