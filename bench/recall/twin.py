#!/usr/bin/python3
"""PyTorch twin of Lineage's RecallModel on MQAR: the same 2-layer decoder (embedding std 0.02 + 0.1 x sinusoids,
pre-norm blocks of attention + 4C GELU MLP, final LayerNorm, tied head; AdamW with weight decay 0.1, 10 % linear
warm-up then half a cosine, clip 1), on MQAR drawn as Zoology draws it (zoology/data/multiquery_ar.py, target at the
query key's own position). It tells whether the C# model learns slower than the same model in PyTorch, and lets a
recipe be searched without a .NET rebuild. Variants (one flag each): --pos learned (Zoology's learned positions),
--conv K (a short causal depthwise convolution before each mixer, the Based/Zoology BaseConv idea), --no-mlp
(Zoology's figure-2 attention: identity state mixer), --dropout.

usage: nice -n 10 /usr/bin/python3 bench/recall/twin.py --n 64 --k 4 --vocab 512 --width 64 --steps 600 --batch 32 --lr 3e-3
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


class Block(nn.Module):
    def __init__(self, dim, heads, conv, mlp, dropout):
        super().__init__()
        self.ln1, self.mix = nn.LayerNorm(dim), Attention(dim, heads, conv, dropout)
        self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)) if mlp else None

    def forward(self, x):
        x = x + self.mix(self.ln1(x))
        return x + self.mlp(x) if self.mlp is not None else x


class Model(nn.Module):
    def __init__(self, vocab, n, dim, layers, heads, pos, conv, mlp, dropout):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        nn.init.normal_(self.wte.weight, 0, 0.02)
        self.pos = pos
        if pos == "learned":
            self.wpe = nn.Embedding(n, dim)
            nn.init.normal_(self.wpe.weight, 0, 0.02)
        else:
            self.register_buffer("sin", sinusoids(n, dim) * 0.1)
        self.blocks = nn.ModuleList(Block(dim, heads, conv, mlp, dropout) for _ in range(layers))
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
                                ("conv", int, 0), ("dropout", float, 0.0), ("eval", int, 256), ("seed", int, 1), ("threads", int, 1)]:
        ap.add_argument("--" + name, type=kind, default=default)
    ap.add_argument("--pos", choices=["sin", "learned"], default="sin")
    ap.add_argument("--no-mlp", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    model = Model(a.vocab, a.n, a.width, a.layers, a.heads, a.pos, a.conv, not a.no_mlp, a.dropout)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    warm = max(1, a.steps // 10)
    xe, ye = mqar(np.random.default_rng(10_000 + a.seed), a.eval, a.n, a.k, a.vocab)
    start, losses = time.time(), []
    for step in range(a.steps):
        rate = a.lr * (step + 1) / warm if step < warm else a.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, a.steps - warm)))
        for g in opt.param_groups:
            g["lr"] = rate
        x, y = mqar(rng, a.batch, a.n, a.k, a.vocab)
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
