"""Reader and batcher for BMDS0001 datasets written by src/core/dataset/build.ts (see format.ts for the layout)."""
import json
import math

import numpy as np
import torch

MAGIC = b'BMDS0001'
DTYPES = {'float32': '<f4', 'int32': '<i4', 'int64': '<i8', 'uint8': 'u1'}


def read_bmds(path):
    with open(path, 'rb') as fh:
        buf = fh.read()
    if buf[:8] != MAGIC:
        raise ValueError(f'{path}: not a BMDS0001 dataset')
    hlen = int.from_bytes(buf[8:12], 'little')
    header = json.loads(buf[12:12 + hlen].decode('utf-8'))
    arrays = {}
    for name, e in header['arrays'].items():
        count = int(np.prod(e['shape'])) if e['shape'] else 1
        a = np.frombuffer(buf, dtype=DTYPES[e['dtype']], count=count, offset=e['offset'])
        arrays[name] = a.reshape(e['shape'])
    return header['meta'], arrays


DT = {np.dtype('float32'): 'float32', np.dtype('int32'): 'int32', np.dtype('int64'): 'int64', np.dtype('uint8'): 'uint8'}


def write_bmds(path, arrays, meta):
    names = list(arrays)
    hlen = 0
    for _ in range(8):
        off = (12 + hlen + 7) & ~7
        entries = {}
        for n in names:
            a = np.ascontiguousarray(arrays[n])
            entries[n] = {'dtype': DT[a.dtype], 'shape': list(a.shape), 'offset': off}
            off = (off + a.nbytes + 7) & ~7
        js = json.dumps({'format': 'BMDS0001', 'arrays': entries, 'meta': meta}).encode()
        if len(js) == hlen:
            break
        hlen = len(js)
    buf = bytearray(off)
    buf[:8] = b'BMDS0001'
    buf[8:12] = hlen.to_bytes(4, 'little')
    buf[12:12 + hlen] = js
    for n in names:
        a = np.ascontiguousarray(arrays[n])
        o = entries[n]['offset']
        buf[o:o + a.nbytes] = a.tobytes()
    with open(path, 'wb') as fh:
        fh.write(buf)


def random_rotation(rng):
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    a, b, c, d = q
    return np.array([
        [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
        [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
        [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d],
    ])


def neighbours(pos, res_index, chain_index, cutoff, k_max):
    """The runtime's neighbour contract: nearest first within cutoff, at most k_max, padded with the own index."""
    n = pos.shape[0]
    d2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    k = max(1, min(k_max, n - 1)) if n > 1 else 1
    if n > 1:
        idx = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < n - 1 else np.argsort(d2, axis=1)[:, :k]
        dd = np.take_along_axis(d2, idx, 1)
        order = np.lexsort((idx, dd), axis=1)  # nearest first, ties by lower index (as cellListNeighbors)
        idx = np.take_along_axis(idx, order, 1)
        dd = np.take_along_axis(dd, order, 1)
        mask = dd < cutoff * cutoff
    else:
        idx = np.zeros((1, 1), dtype=np.int64)
        mask = np.zeros((1, 1), dtype=bool)
    kk = max(1, int(mask.sum(1).max()))
    idx, mask = idx[:, :kk], mask[:, :kk]
    own = np.arange(n)[:, None]
    nbr = np.where(mask, idx, own)
    dres = np.clip(res_index[nbr] - res_index[:, None], -3, 3) + 3
    dres = np.where(chain_index[nbr] != chain_index[:, None], 7, dres)
    return nbr.astype(np.int64), mask.astype(np.float32), dres.astype(np.int64)


class Dataset:
    def __init__(self, path):
        self.meta, a = read_bmds(path)
        self.a = a
        self.R = int(self.meta['R'])
        self.num_types = int(self.meta['numTypes'])
        self.max_level = int(self.meta['maxLevel'])
        bo = a['sample_bead_offset'].astype(np.int64)
        ao = a['sample_atom_offset'].astype(np.int64)
        self.n = len(bo) - 1
        # bonds/angles grouped by sample via their first atom
        bsample = np.searchsorted(ao, a['bonds'][:, 0], side='right') - 1 if len(a['bonds']) else np.zeros(0, np.int64)
        asample = np.searchsorted(ao, a['angles'][:, 0], side='right') - 1 if len(a['angles']) else np.zeros(0, np.int64)
        self.samples = []
        for i in range(self.n):
            b0, b1, a0, a1 = bo[i], bo[i + 1], ao[i], ao[i + 1]
            sa = a['slot_atom'][b0:b1].astype(np.int64)
            pb = a['parent_bead'][b0:b1].astype(np.int64)
            self.samples.append(dict(
                pos=a['pos'][b0:b1].astype(np.float64),
                bead_type=a['bead_type'][b0:b1].astype(np.int64),
                res_index=a['res_index'][b0:b1].astype(np.int64),
                chain_index=a['chain_index'][b0:b1].astype(np.int64),
                parent=np.where(pb >= 0, pb - b0, -1),
                bead_in_res=a['bead_in_res'][b0:b1].astype(np.int64),
                slot_exists=a['slot_exists'][b0:b1],
                slot_anchor=a['slot_anchor'][b0:b1].astype(np.int64),
                slot_level=a['slot_level'][b0:b1].astype(np.int64),
                slot_weight=a['slot_weight'][b0:b1].astype(np.float32),
                slot_atom=np.where(sa >= 0, sa - a0, -1),
                atom_pos=a['atom_pos'][a0:a1].astype(np.float64),
                atom_bb=a['atom_backbone'][a0:a1],
                atom_res=a['atom_residue'][a0:a1].astype(np.int64),
                bonds=a['bonds'][bsample == i].astype(np.int64) - a0,
                angles=a['angles'][asample == i].astype(np.int64) - a0,
                torsions=a['torsions'][b0:b1].astype(np.float32),
                torsion_mask=a['torsion_mask'][b0:b1].astype(np.float32),
                n_beads=int(b1 - b0),
                n_atoms=int(a1 - a0),
            ))

    def batch(self, ids, rng, cutoff, k_max, noise=0.0, outward=0.0, rotate=True, split_chain=0.0, device='cpu'):
        """Concatenates samples into one disconnected graph with augmentation.
        noise: max Gaussian sigma (Å), drawn per sample in [0, noise]; outward: probability of the real-Martini-like
        outward shift of side-chain beads (BB-SC1 +0.23 Å, SC1-SC2 +0.6 Å on average, ../shared/data/cgsim)."""
        parts = {k: [] for k in ['pos', 'bead_type', 'slot_exists', 'slot_anchor',
                                 'slot_level', 'slot_weight', 'slot_atom', 'atom_pos', 'atom_bb', 'bonds', 'angles',
                                 'torsions', 'torsion_mask', 'bead_sample', 'atom_sample']}
        kk = 1
        nbrs = []
        b_off = a_off = 0
        for j, i in enumerate(ids):
            s = self.samples[i]
            pos = s['pos'].copy()
            atom = s['atom_pos'].copy()
            if outward > 0 and rng.random() < outward:
                shift = np.zeros_like(pos)
                scale = rng.uniform(0.0, 2.0)
                for b in range(s['n_beads']):  # parents come before children within a residue
                    p = s['parent'][b]
                    if p < 0:
                        continue
                    dvec = pos[b] - pos[p]
                    dn = np.linalg.norm(dvec)
                    if dn < 1e-3:
                        continue
                    mag = 0.23 if s['bead_in_res'][b] == 1 else 0.6
                    shift[b] = shift[p] + scale * mag * dvec / dn
                pos = pos + shift
            if noise > 0:
                pos = pos + rng.normal(size=pos.shape) * rng.uniform(0.0, noise)
            if rotate:
                c = pos.mean(0)
                rot = random_rotation(rng)
                pos = (pos - c) @ rot.T
                atom = (atom - c) @ rot.T
            chain = s['chain_index']
            if split_chain > 0 and rng.random() < split_chain and s['n_beads'] > 20:
                cut = s['res_index'][rng.integers(5, s['n_beads'] - 5)]
                chain = chain + (s['res_index'] >= cut)
            nbr, mask, dres = neighbours(pos, s['res_index'], chain, cutoff, k_max)
            kk = max(kk, nbr.shape[1])
            nbrs.append((nbr + b_off, mask, dres))
            parts['pos'].append(pos)
            parts['bead_type'].append(s['bead_type'])
            for k in ['slot_exists', 'slot_anchor', 'slot_level', 'slot_weight', 'torsions', 'torsion_mask']:
                parts[k].append(s[k])
            parts['slot_atom'].append(np.where(s['slot_atom'] >= 0, s['slot_atom'] + a_off, -1))
            parts['atom_pos'].append(atom)
            parts['atom_bb'].append(s['atom_bb'])
            parts['bonds'].append(s['bonds'] + a_off)
            parts['angles'].append(s['angles'] + a_off)
            parts['bead_sample'].append(np.full(s['n_beads'], j))
            parts['atom_sample'].append(np.full(s['n_atoms'], j))
            b_off += s['n_beads']
            a_off += s['n_atoms']
        nb, nm, nr = [], [], []
        for nbr, mask, dres in nbrs:
            pad = kk - nbr.shape[1]
            if pad:  # padded columns become the bead's own index below (mask 0)
                own = np.zeros((nbr.shape[0], pad), np.int64)
                nbr = np.concatenate([nbr, own], 1)
                mask = np.concatenate([mask, np.zeros((mask.shape[0], pad), np.float32)], 1)
                dres = np.concatenate([dres, np.full((dres.shape[0], pad), 3, np.int64)], 1)
            nb.append(nbr)
            nm.append(mask)
            nr.append(dres)
        nbr = np.concatenate(nb)
        own = np.arange(nbr.shape[0])[:, None]
        mask = np.concatenate(nm)
        nbr = np.where(mask > 0, nbr, own)
        out = {k: np.concatenate(v) for k, v in parts.items()}
        out['nbr'], out['nbr_mask'], out['res_offset'] = nbr, mask, np.concatenate(nr)
        t = {}
        for k, v in out.items():
            if v.dtype == np.float64:
                v = v.astype(np.float32)
            t[k] = torch.from_numpy(np.ascontiguousarray(v)).to(device)
        t['n_atoms'] = a_off
        t['n_samples'] = len(ids)
        return t


def batches(sizes, target_beads, rng, weights=None):
    """Shuffled groups of sample indices of about target_beads beads each. With `weights`, an epoch is as many draws
    (with replacement) as there are samples, each sample drawn in proportion to its weight."""
    if weights is None:
        order = rng.permutation(len(sizes))
    else:
        w = np.asarray(weights, dtype=np.float64)
        order = rng.choice(len(sizes), size=len(sizes), replace=True, p=w / w.sum())
    out, cur, tot = [], [], 0
    for i in order:
        cur.append(int(i))
        tot += sizes[i]
        if tot >= target_beads:
            out.append(cur)
            cur, tot = [], 0
    if cur:
        out.append(cur)
    return out
