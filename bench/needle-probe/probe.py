# Learnability probe for needle recall in a tiny byte-level decoder: a PyTorch copy of Lineage's MixerLm with full
# causal attention (byte embeddings N(0, 0.02^2), fixed sinusoidal positions times PS, pre-norm blocks with 4 heads and a
# 4x GELU MLP, final LayerNorm, logits tied to the embedding), trained with Adam, warm-up and cosine decay on 256-byte
# windows of a text file with needle/query pairs planted in them. Prints one JSON line: loss and recall (both value
# digits right, 100 held-out windows) at distances 16, 64, 160, 240 at four points of training.
# It exists to ask "what would it take to learn recall?" many times over on a GPU (docs/long-context.md, "Not done");
# the tour's chapter is long-context.lm. Needs PyTorch (and CUDA, or set DEVICE=cpu).
# usage: TEXT=file PS=0.1 python3 probe.py name pair|ctrl pairs valueWeight steps lr layers dim batch
#   pair: {KK:VV} needles (two capital letters, two digits); ctrl: a control byte never in text, then two digits
#   valueWeight: extra weight of the value digits' loss (0: plain language-model loss)
# configs.txt holds the 24 runs of 2026-12-04 (those named ps1-* with PS=1, the rest PS=0.1); the three with batch 64
# did not finish in 400 s (the Python batch builder is slow) and are not counted in the docs.
import math, os, random, sys, time, json
import torch, torch.nn as nn, torch.nn.functional as F

name, key, pairs, vw, steps, lr, layers, dim, B = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
heads = 4
PS = float(os.environ.get('PS', '0.1'))
L = 256
dev = os.environ.get('DEVICE', 'cuda')
torch.manual_seed(1); random.seed(1)
text = open(os.environ.get('TEXT', 'text.txt'), 'rb').read()
cut = len(text) * 9 // 10
train, held = text[:cut], text[cut:]
ctrl = [b for b in range(1, 32) if b not in (9, 10, 13)]

def needle(r):
    if key == 'ctrl':
        return bytes([r.choice(ctrl), 48 + r.randrange(10), 48 + r.randrange(10)]), 1
    k = bytes([65 + r.randrange(26), 65 + r.randrange(26)])
    return b'{' + k + b':' + bytes([48 + r.randrange(10), 48 + r.randrange(10)]) + b'}', 4

def plant(w, r, count, fixed=-1):
    vals, used, keys = [], [False] * len(w), set()
    for _ in range(count):
        for _t in range(50):
            n, q = needle(r)
            if n[:q] in keys: continue
            ln = len(n)
            d = fixed if fixed > 0 else r.randrange(ln + 1, L - ln - 1)
            s = (L - ln - 1) - d if fixed > 0 else r.randrange(0, L - d - ln)
            if s < 0: break
            if any(used[i] for i in range(s, s + ln)) or any(used[i] for i in range(s + d, s + d + ln)): continue
            w[s:s + ln] = n; w[s + d:s + d + ln] = n
            for i in range(s, s + ln): used[i] = True
            for i in range(s + d, s + d + ln): used[i] = True
            keys.add(n[:q]); vals.append(s + d + q); break
    return vals

def sinus(T, C):
    pos = torch.arange(T, dtype=torch.float32)[:, None]
    i = torch.arange(0, C, 2, dtype=torch.float32)
    ang = pos / torch.pow(10000.0, i / C)
    pe = torch.zeros(T, C); pe[:, 0::2] = torch.sin(ang); pe[:, 1::2] = torch.cos(ang)
    return pe

class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        s.q, s.k, s.v, s.o = (nn.Linear(dim, dim) for _ in range(4))
        s.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
    def forward(s, x):
        Bn, T, C = x.shape
        h = s.ln1(x)
        sp = lambda t: t.view(Bn, T, heads, C // heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(sp(s.q(h)), sp(s.k(h)), sp(s.v(h)), is_causal=True)
        x = x + s.o(y.transpose(1, 2).reshape(Bn, T, C))
        return x + s.mlp(s.ln2(x))

class LM(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte = nn.Embedding(256, dim); nn.init.normal_(s.wte.weight, 0, 0.02)
        s.h = nn.ModuleList(Block() for _ in range(layers)); s.lnf = nn.LayerNorm(dim)
        s.register_buffer('pe', sinus(L, dim) * PS)
    def forward(s, idx):
        x = s.wte(idx) + s.pe[:idx.shape[1]]
        for b in s.h: x = b(x)
        return s.lnf(x) @ s.wte.weight.t()

m = LM().to(dev)
opt = torch.optim.Adam(m.parameters(), lr)
rng = random.Random(7)
warm = min(50, steps // 10)
def acc(d, trials=100):
    m.eval(); r = random.Random(1000 + d); ok = 0; n = 0
    with torch.no_grad():
        for _ in range(trials):
            s = r.randrange(len(held) - L); w = bytearray(held[s:s + L])
            v = plant(w, r, 1, d)
            if not v: continue
            at = v[0]; n += 1
            lg = m(torch.tensor(list(w), device=dev)[None])[0]
            ok += int(lg[at - 1].argmax().item() == w[at] and lg[at].argmax().item() == w[at + 1])
    m.train(); return ok / max(1, n)

t0 = time.time(); out = []
for step in range(steps):
    cur = lr * (step + 1) / warm if step < warm else lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))
    for g in opt.param_groups: g['lr'] = cur
    X = torch.empty(B, L, dtype=torch.long); Y = torch.empty(B, L, dtype=torch.long); W = torch.ones(B, L)
    for b in range(B):
        s = rng.randrange(len(train) - L - 1); w = bytearray(train[s:s + L + 1])
        vals = plant(w, rng, pairs)
        t = torch.tensor(list(w)); X[b] = t[:L]; Y[b] = t[1:]
        for at in vals: W[b, at - 1] += vw; W[b, at] += vw
    X, Y, W = X.to(dev), Y.to(dev), W.to(dev)
    ce = F.cross_entropy(m(X).reshape(-1, 256), Y.reshape(-1), reduction='none')
    loss = (ce * W.reshape(-1)).sum() / W.sum()
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    if (step + 1) % max(1, steps // 4) == 0:
        rec = {d: acc(d) for d in (16, 64, 160, 240)}
        out.append((step + 1, round(loss.item(), 3), rec))
print(json.dumps({'name': name, 'args': sys.argv[2:], 'sec': round(time.time() - t0, 1), 'curve': out}), flush=True)
