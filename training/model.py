"""HEroBM-style local SO(3)-equivariant backmapping network (PaiNN-style message passing).

ONNX contract (src/core/model/contract.ts):
  inputs  pos float32 [N,3] (Å), bead_type int64 [N], nbr int64 [N,K] (nearest first, padded with own index),
          nbr_mask float32 [N,K], res_offset int64 [N,K] (clamp(dres,-3,3)+3, 7 = other chain)
  outputs vectors float32 [N,R,3] (slot vectors for the hierarchical reconstruction of docs/mapping-format.md), torsions float32 [N,4]

Design notes (see ../shared/notes/model-probe.md):
- padded neighbour matrix and sums over the K axis: no scatter ops, fast in onnxruntime;
- vectors are stored as [N,3,F] so channel mixing is a plain Linear on the last axis;
- the cross product of two vector features is written out explicitly: it is rotation-equivariant but not
  reflection-equivariant, which lets the network learn the handedness of L-amino acids;
- index_select instead of fancy indexing (faster training, clean Gather in ONNX).
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

NUM_RES_OFFSETS = 8  # 0..6 = clamp(dres,-3,3)+3, 7 = other chain
EPS = 1e-8


def cross3(a, b):
    """Cross product over axis 1 of [N,3,F] tensors, written out (exports to plain Mul/Sub)."""
    a0, a1, a2 = a[:, 0], a[:, 1], a[:, 2]
    b0, b1, b2 = b[:, 0], b[:, 1], b[:, 2]
    return torch.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=1)


def gather_rows(x, idx):
    """x[idx] for idx [N,K] -> [N,K,...] via index_select (Gather in ONNX)."""
    n, k = idx.shape
    out = torch.index_select(x, 0, idx.reshape(-1))
    return out.reshape((n, k) + tuple(x.shape[1:]))


class Interaction(nn.Module):
    def __init__(self, f, n_rbf):
        super().__init__()
        self.f = f
        self.phi = nn.Sequential(nn.Linear(f, f), nn.SiLU(), nn.Linear(f, 3 * f))
        self.w = nn.Linear(n_rbf, 3 * f)
        # Residue-offset class enters the filter as a learned 3F-vector per class: a lookup, not a GEMM over edges.
        self.res = nn.Embedding(NUM_RES_OFFSETS, 3 * f)

    def forward(self, s, v, nbr, rbf, res_offset, fcut, unit):
        # s [N,F], v [N,3,F], rbf [N,K,B], fcut [N,K,1] (cosine cutoff x mask: pads contribute exactly 0), unit [N,K,3]
        f = self.f
        x = gather_rows(self.phi(s), nbr) * ((self.w(rbf) + self.res(res_offset)) * fcut)  # [N,K,3F]
        # split (not slicing): its backward concatenates instead of zero-filling three [N,K,3F] gradients
        ds, dvv, dvs = torch.split(x, f, dim=-1)
        vj = gather_rows(v, nbr)  # [N,K,3,F]
        dv = dvv.unsqueeze(2) * vj + dvs.unsqueeze(2) * unit.unsqueeze(3)
        return s + ds.sum(1), v + dv.sum(1)

    def fuse_filters(self, lean=True):
        """The lean form's filter weights, one [B+8,F] matrix per head (scalar message, vector gate, direction gate):
        the radial map's weights, then per residue-offset class its embedding plus the radial bias. With the edge
        features [rbf, one-hot offset] x envelope (`BackmapNet.edge_features`) one MatMul gives a head's filter:
        (W rbf + b + E[o]) fcut = [rbf fcut, onehot(o) fcut] [W^T; E + b], since a one-hot row sums to 1. Buffers
        named inter.<l>.filt<h> so that the ONNX file keeps their names (training/onnx_weights.py reads them back)."""
        for i in range(3):
            if hasattr(self, f'filt{i}'):
                delattr(self, f'filt{i}')
        if lean:
            w = torch.cat([self.w.weight.t(), self.res.weight + self.w.bias], 0).detach()
            for i, wi in enumerate(torch.split(w, self.f, dim=1)):
                self.register_buffer(f'filt{i}', wi.contiguous())

    def forward_lean(self, s, v, nbr, edge, unit):
        """The same arithmetic in the exported (inference) form: edge [N,K,B+8] from `BackmapNet.edge_features`; per
        head one MatMul for the filter (no bias, embedding lookup or envelope pass over [N,K,F]); the vector gate's
        neighbour values gathered as (h1 * v_c) per component, and the direction gate summed over neighbours as one
        batched product unit^T [N,3,K] x m [N,K,F]. The widest tensor is [N,K,F]; about half the passes over edge
        tensors of the per-head form it replaces and 30 % less peak memory in onnxruntime (docs/experiments.md)."""
        f = self.f
        h0, h1, h2 = torch.split(self.phi(s), f, dim=-1)
        s = s + (gather_rows(h0, nbr) * torch.matmul(edge, self.filt0)).sum(1)
        dvs = torch.matmul(unit.transpose(1, 2), gather_rows(h2, nbr) * torch.matmul(edge, self.filt2))  # [N,3,F]
        f1 = torch.matmul(edge, self.filt1)
        dvv = torch.stack([(f1 * gather_rows(h1 * vc, nbr)).sum(1) for vc in torch.unbind(v, dim=1)], dim=1)
        return s, v + dvv + dvs


class Update(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f
        self.U = nn.Linear(f, f, bias=False)
        self.V = nn.Linear(f, f, bias=False)
        self.mlp = nn.Sequential(nn.Linear(2 * f, f), nn.SiLU(), nn.Linear(f, 4 * f))

    def forward(self, s, v):
        f = self.f
        uv = self.U(v)
        vv = self.V(v)
        vn = torch.sqrt((vv * vv).sum(1) + EPS)
        a = self.mlp(torch.cat([s, vn], dim=-1))
        avv, asv, ass, acr = torch.split(a, f, dim=-1)
        v = v + avv.unsqueeze(1) * uv + acr.unsqueeze(1) * cross3(uv, vv)
        s = s + asv * (uv * vv).sum(1) + ass
        return s, v


class GatedOut(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f
        self.W1 = nn.Linear(f, f, bias=False)
        self.W2 = nn.Linear(f, f, bias=False)
        self.mlp = nn.Sequential(nn.Linear(2 * f, f), nn.SiLU(), nn.Linear(f, 2 * f))

    def forward(self, s, v):
        w1 = self.W1(v)
        w2 = self.W2(v)
        n2 = torch.sqrt((w2 * w2).sum(1) + EPS)
        a = self.mlp(torch.cat([s, n2], dim=-1))
        a_s, a_v = torch.split(a, self.f, dim=-1)
        return a_s, a_v.unsqueeze(1) * w1


class BackmapNet(nn.Module):
    def __init__(self, num_types, R, features=64, layers=3, n_rbf=16, cutoff=8.0):
        super().__init__()
        self.num_types = num_types
        self.R = R
        self.f = features
        self.cutoff = float(cutoff)
        self.n_rbf = n_rbf
        self.embed = nn.Embedding(num_types, features)
        self.inter = nn.ModuleList([Interaction(features, n_rbf) for _ in range(layers)])
        self.update = nn.ModuleList([Update(features) for _ in range(layers)])
        self.out = GatedOut(features)
        # Per-bead-type linear map from vector channels to the R slot vectors (each type has its own slots).
        self.slot_w = nn.Parameter(torch.randn(num_types, R, features) / math.sqrt(features))
        self.tors = nn.Sequential(nn.Linear(features, features), nn.SiLU(), nn.Linear(features, 4))
        self.register_buffer('freqs', torch.arange(1, n_rbf + 1, dtype=torch.float32) * math.pi / self.cutoff)
        self.lean = False  # set_lean(): the inference form of the interactions (not a weight)

    def set_lean(self, lean=True):
        """Switches to the lean (inference) form of the interactions: same outputs, export uses it. Fuses the filter
        weights as they are now: call it after the weights are loaded, and again after they change."""
        self.lean = lean
        for m in self.inter:
            m.fuse_filters(lean)
        return self

    def edge_features(self, rbf, res_offset, fcut):
        """[rbf, one-hot residue offset] x envelope [N,K,B+8]: the lean form's edge input, shared by every layer."""
        onehot = gather_rows(torch.eye(NUM_RES_OFFSETS, dtype=rbf.dtype, device=rbf.device), res_offset)
        return torch.cat([rbf, onehot], dim=-1) * fcut

    def forward(self, pos, bead_type, nbr, nbr_mask, res_offset):
        n = pos.shape[0]
        rij = gather_rows(pos, nbr) - pos.unsqueeze(1)  # [N,K,3]
        d = torch.sqrt((rij * rij).sum(-1) + EPS)  # [N,K]; padded (self) edges give ~0 and are masked
        unit = rij / d.unsqueeze(-1)
        fcut = 0.5 * (torch.cos(d * (math.pi / self.cutoff)) + 1.0) * (d < self.cutoff).to(pos.dtype) * nbr_mask
        rbf = torch.sin(d.unsqueeze(-1) * self.freqs) / d.unsqueeze(-1)
        fc = fcut.unsqueeze(-1)
        s = self.embed(bead_type)
        v = torch.zeros_like(s).unsqueeze(1).repeat(1, 3, 1)  # [N,3,F]; zeros_like keeps N symbolic in ONNX
        edge = self.edge_features(rbf, res_offset, fc) if self.lean else None
        for inter, upd in zip(self.inter, self.update):
            s, v = inter.forward_lean(s, v, nbr, edge, unit) if self.lean else inter(s, v, nbr, rbf, res_offset, fc, unit)
            s, v = upd(s, v)
        s_out, v_out = self.out(s, v)
        w = torch.index_select(self.slot_w, 0, bead_type)  # [N,R,F]
        vectors = torch.matmul(w, v_out.transpose(1, 2))  # [N,R,3]
        t = self.tors(s_out).reshape(n, 2, 2)
        t = t / torch.sqrt((t * t).sum(-1, keepdim=True) + 1e-6)
        return vectors, t.reshape(n, 4)


def reconstruct(bead_pos, vectors, slot_exists, slot_anchor, slot_level, slot_weight, slot_atom, n_atoms, max_level):
    """Hierarchical reconstruction (docs/mapping-format.md "Hierarchy rules") from the dataset's slot tables: every slot starts on its bead; level by level each slot of that
    level moves to (its anchor's position before this level) + vector; level-0 slots never move; then the bead's
    reconstructed atoms are shifted so their weighted centre is the bead; shared atoms are averaged."""
    b, r = slot_anchor.shape
    p = bead_pos.unsqueeze(1).expand(b, r, 3)
    anchor = slot_anchor.clamp(min=0)
    exists = slot_exists.bool()
    for level in range(1, min(max_level, r) + 1):  # levels > R are never placed (docs/mapping-format.md)
        sel = (exists & (slot_level == level)).unsqueeze(-1)
        anchor_pos = torch.gather(p, 1, anchor.unsqueeze(-1).expand(b, r, 3))
        p = torch.where(sel, anchor_pos + vectors, p)
    w = slot_weight * exists.to(p.dtype)
    cm = (w.unsqueeze(-1) * p).sum(1) / w.sum(1, keepdim=True).clamp(min=1e-12)  # renormalised over placed slots
    p = p + (bead_pos - cm).unsqueeze(1)
    flat = exists.reshape(-1)
    idx = slot_atom.reshape(-1)[flat].long()
    vals = p.reshape(-1, 3)[flat]
    out = torch.zeros(n_atoms, 3, dtype=p.dtype, device=p.device).index_add(0, idx, vals)
    cnt = torch.zeros(n_atoms, dtype=p.dtype, device=p.device).index_add(0, idx, torch.ones_like(idx, dtype=p.dtype))
    return out / cnt.clamp(min=1).unsqueeze(-1)
