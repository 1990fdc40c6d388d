#!/usr/bin/python3
"""PyTorch twin of Lineage's RecallModel on MQAR: the same 2-layer decoder (embedding std 0.02 + 0.1 x sinusoids,
pre-norm blocks of attention + 4C GELU MLP, final LayerNorm, tied head; AdamW with weight decay 0.1, 10 % linear
warm-up then half a cosine, clip 1), on MQAR drawn as Zoology draws it (zoology/data/multiquery_ar.py, target at the
query key's own position). It tells whether the C# model learns slower than the same model in PyTorch, and lets a
recipe be searched without a .NET rebuild. Variants (one flag each): --pos learned (Zoology's learned positions),
--conv K (a short causal depthwise convolution before each mixer, the Based/Zoology BaseConv idea), --no-mlp
(Zoology's figure-2 attention: identity state mixer), --dropout, --pos none (no positions: the Mamba paper's blocks),
--mixer mamba (Mamba's selective SSM as Mamba.cs and johnma2006/mamba-minimal write it, a sequential scan; state 16,
expansion 2, convolution 4) and --task selective-copy (Mamba §4.1.1, a port of Lineage's SelectiveCopy.cs: --n tokens,
--copy-tokens data tokens among noise, then as many markers; vocabulary --vocab, 0 noise, V-1 the marker).

usage: nice -n 10 /usr/bin/python3 bench/recall/twin.py --n 64 --k 4 --vocab 512 --width 64 --steps 600 --batch 32 --lr 3e-3
       nice -n 10 /usr/bin/python3 bench/recall/twin.py --mixer mamba --task selective-copy --n 64 --vocab 16 --steps 400
"""
import argparse, json, math, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def mqar(rng, count, n, k, vocab, power_a=0.01):
    """Zoology's multiquery_ar (random_non_queries=False) with the label at the query key's own position."""
    context = 2 * k
    keys = np.stack([rng.choice(np.arange(1, vocab // 2), k, replace=False) for _ in range(count)])
    values = np.stack([rng.choice(np.arange(vocab // 2, vocab), k, replace=False) for _ in range(count)])
    space = (n - context) // 2
    p = power_a * np.arange(1, space + 1) ** (power_a - 1)
    p = p / p.sum()
    gaps = np.stack([rng.choice(space, k, replace=False, p=p) for _ in range(count)])
    x = np.zeros((count, n), dtype=np.int64)
    y = np.full((count, n), -100, dtype=np.int64)
    x[:, 0:context:2], x[:, 1:context:2] = keys, values
    rows = np.arange(count)[:, None]
    x[rows, context + 2 * gaps] = keys
    y[rows, context + 2 * gaps] = values
    return torch.from_numpy(x), torch.from_numpy(y)


def selective_copy(rng, count, n, m, vocab):
    """Lineage's SelectiveCopy.cs: m sorted random places in the first n - m positions hold data tokens in [1, V-1),
    the rest is noise (0); m markers (V-1) follow, the i-th scored with the i-th data token."""
    region, marker = n - m, vocab - 1
    x = np.zeros((count, n), dtype=np.int64)
    y = np.full((count, n), -100, dtype=np.int64)
    for r in range(count):
        places = np.sort(rng.choice(region, m, replace=False))
        tokens = rng.integers(1, vocab - 1, m)
        x[r, places] = tokens
        x[r, region:] = marker
        y[r, region:] = tokens
    return torch.from_numpy(x), torch.from_numpy(y)


def sinusoids(n, dim):
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    ang = pos * freq
    return torch.stack([ang.sin(), ang.cos()], dim=2).reshape(n, dim)


class Attention(nn.Module):
    def __init__(self, dim, heads, conv, dropout):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.conv = nn.Conv1d(dim, dim, conv, groups=dim, padding=conv - 1) if conv > 0 else None

    def forward(self, x):
        b, t, c = x.shape
        if self.conv is not None:
            x = self.conv(x.transpose(1, 2))[..., :t].transpose(1, 2)
        h = lambda z: z.reshape(b, t, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = h(self.q(x)), h(self.k(x)), h(self.v(x))
        s = q @ k.transpose(-1, -2) / math.sqrt(c // self.heads)
        s = s.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
        a = F.dropout(s.softmax(-1), self.dropout, self.training)
        return self.o((a @ v).transpose(1, 2).reshape(b, t, c))


def scan(a, b):
    """Inclusive scan of h_t = a_t h_{t-1} + b_t along dim 1 from h_{-1} = 0 (Hillis-Steele)."""
    shift, t = 1, a.shape[1]
    while shift < t:
        b = torch.cat([b[:, :shift], b[:, shift:] + a[:, shift:] * b[:, :-shift]], 1)
        a = torch.cat([a[:, :shift], a[:, shift:] * a[:, :-shift]], 1)
        shift *= 2
    return b


def check_scan():
    a, b = torch.rand(2, 37, 3, 4), torch.randn(2, 37, 3, 4)
    h, ref = torch.zeros(2, 3, 4), []
    for i in range(37):
        h = a[:, i] * h + b[:, i]
        ref.append(h)
    err = (scan(a, b) - torch.stack(ref, 1)).abs().max().item()
    print(json.dumps({"scan_max_abs_error": err}))
    assert err < 1e-5


class Mamba(nn.Module):
    """Mamba's selective SSM (Gu & Dao 2023), as Mamba.cs: in_proj to x and z, causal depthwise conv + SiLU, Δ B C from
    x (Δ low rank, softplus), Ā = exp(ΔA), B̄x = ΔBx, h_t = Ā_t h_{t-1} + B̄_t x_t, y = hC + Dx, out_proj(y SiLU(z))."""

    def __init__(self, dim, conv, state=16, expand=2, kernel=4):
        super().__init__()
        e, self.rank, self.state = expand * dim, (dim + 15) // 16, state
        self.pre = nn.Conv1d(dim, dim, conv, groups=dim, padding=conv - 1) if conv > 0 else None
        self.in_proj = nn.Linear(dim, 2 * e)
        self.conv1d = nn.Conv1d(e, e, kernel, groups=e, padding=kernel - 1)
        self.x_proj = nn.Linear(e, self.rank + 2 * state, bias=False)
        self.dt_proj = nn.Linear(self.rank, e)
        self.A_log = nn.Parameter(torch.arange(1, state + 1, dtype=torch.float32).repeat(e, 1).log())
        self.D = nn.Parameter(torch.ones(e))
        self.out_proj = nn.Linear(e, dim)
        with torch.no_grad():
            dt = torch.exp(torch.rand(e) * (math.log(0.1) - math.log(0.001)) + math.log(0.001))
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))

    def forward(self, u):
        b, t, _ = u.shape
        if self.pre is not None:
            u = self.pre(u.transpose(1, 2))[..., :t].transpose(1, 2)
        x, z = self.in_proj(u).chunk(2, -1)
        x = F.silu(self.conv1d(x.transpose(1, 2))[..., :t].transpose(1, 2))
        dbc = self.x_proj(x)
        delta = F.softplus(self.dt_proj(dbc[..., :self.rank]))
        bm, cm = dbc[..., self.rank:self.rank + self.state], dbc[..., self.rank + self.state:]
        a = -self.A_log.exp()
        da = torch.exp(delta.unsqueeze(-1) * a)
        dbx = delta.unsqueeze(-1) * bm.unsqueeze(2) * x.unsqueeze(-1)
        # h_t = Ā_t h_{t-1} + B̄_t x_t by a Hillis-Steele scan over t ((a1, b1) then (a2, b2) = (a2 a1, a2 b1 + b2)):
        # log2 t parallel steps, the same numbers as the loop (checked to 1e-6 by --check-scan)
        h = scan(da, dbx)
        y = (h * cm.unsqueeze(2)).sum(-1) + x * self.D
        return self.out_proj(y * F.silu(z))


class Block(nn.Module):
    def __init__(self, dim, heads, conv, mlp, dropout, mixer="attention"):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.mix = Mamba(dim, conv) if mixer == "mamba" else Attention(dim, heads, conv, dropout)
        self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)) if mlp else None

    def forward(self, x):
        x = x + self.mix(self.ln1(x))
        return x + self.mlp(x) if self.mlp is not None else x


class Model(nn.Module):
    def __init__(self, vocab, n, dim, layers, heads, pos, conv, mlp, dropout, mixer="attention"):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        nn.init.normal_(self.wte.weight, 0, 0.02)
        self.pos = pos
        if pos == "learned":
            self.wpe = nn.Embedding(n, dim)
            nn.init.normal_(self.wpe.weight, 0, 0.02)
        else:
            self.register_buffer("sin", sinusoids(n, dim) * (0.1 if pos == "sin" else 0.0))
        self.blocks = nn.ModuleList(Block(dim, heads, conv, mlp, dropout, mixer) for _ in range(layers))
        self.ln = nn.LayerNorm(dim)

    def forward(self, x):
        t = x.shape[1]
        h = self.wte(x) + (self.wpe.weight[:t] if self.pos == "learned" else self.sin[:t])
        for blk in self.blocks:
            h = blk(h)
        return self.ln(h) @ self.wte.weight.T


def main():
    ap = argparse.ArgumentParser()
    for name, kind, default in [("n", int, 64), ("k", int, 4), ("vocab", int, 512), ("width", int, 64), ("steps", int, 600),
                                ("batch", int, 32), ("lr", float, 3e-3), ("wd", float, 0.1), ("layers", int, 2), ("heads", int, 1),
                                ("conv", int, 0), ("dropout", float, 0.0), ("eval", int, 256), ("seed", int, 1), ("threads", int, 1),
                                ("copy_tokens", int, 16)]:
        ap.add_argument("--" + name, type=kind, default=default)
    ap.add_argument("--pos", choices=["sin", "learned", "none"], default="sin")
    ap.add_argument("--mixer", choices=["attention", "mamba"], default="attention")
    ap.add_argument("--task", choices=["mqar", "selective-copy"], default="mqar")
    ap.add_argument("--no-mlp", action="store_true")
    ap.add_argument("--check-scan", action="store_true")
    a = ap.parse_args()
    if a.check_scan:
        return check_scan()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    model = Model(a.vocab, a.n, a.width, a.layers, a.heads, a.pos, a.conv, not a.no_mlp, a.dropout, a.mixer)
    draw = (lambda r, count: mqar(r, count, a.n, a.k, a.vocab)) if a.task == "mqar" else \
           (lambda r, count: selective_copy(r, count, a.n, a.copy_tokens, a.vocab))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    warm = max(1, a.steps // 10)
    xe, ye = draw(np.random.default_rng(10_000 + a.seed), a.eval)
    start, losses = time.time(), []
    for step in range(a.steps):
        rate = a.lr * (step + 1) / warm if step < warm else a.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, a.steps - warm)))
        for g in opt.param_groups:
            g["lr"] = rate
        x, y = draw(rng, a.batch)
        model.train()
        loss = F.cross_entropy(model(x).reshape(-1, a.vocab), y.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        pred = model(xe).argmax(-1)
    m = ye != -100
    acc = (pred[m] == ye[m]).float().mean().item()
    tail = losses[-max(1, len(losses) // 10):]
    print(json.dumps({**vars(a), "accuracy": round(acc, 4), "final_loss": round(sum(tail) / len(tail), 4), "seconds": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
