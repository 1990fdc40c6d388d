#!/usr/bin/env python3
"""PyTorch twins of the tour's GPT byte-LM, LSTM byte-LM, ViT and CLIP training steps (bench/pytorch/compare.sh).

    python3 bench/pytorch/twins.py MODEL DIR
    python3 bench/pytorch/twins.py ops [REPEATS] [THREADS]     the GPT and ViT steps' ops one by one

Reads what Lineage.Twins.Benchmarks wrote into DIR for MODEL: the settings (MODEL.json), our initial weights
(MODEL.init.safetensors, our parameter names) and the batches (MODEL.batches.safetensors). Builds the same network as
a PyTorch user would write it (nanoGPT's GPT, nn.LSTM, a timm-style ViT, a CLIP dual encoder), loads our weights, and
trains the same steps with the same optimiser, hyper-parameters, batches and thread count, reading each step's loss
back to the host as our trainer does. Prints one JSON line in the format of our side.
"""
import json
import math
import os
import resource
import struct
import sys
import time

# Our thread count (the settings'), set before torch loads: OpenMP and a BLAS read theirs when they load.
if len(sys.argv) >= 2 and sys.argv[1] == "ops":
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[3] if len(sys.argv) > 3 else "1"
elif len(sys.argv) == 3:
    with open(f"{sys.argv[2]}/{sys.argv[1]}.json") as settings:
        threads = str(json.load(settings)["threads"])
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = threads

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("PyTorch not installed: apt-get install -t trixie python3-torch", file=sys.stderr)
    sys.exit(0)


def load_safetensors(path):
    """Every tensor of a safetensors file (F32 and I64, as our writer writes them)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    types = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=types[entry["dtype"]]).reshape(entry["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


# --- GPT (nanoGPT's model.py, GPT-2 layout; our Conv1D weights are (in, out), nn.Linear's (out, in)) -----------------

class CausalSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.c_proj = nn.Linear(dim, dim)
        self.heads = heads

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, self.heads, c // self.heads).transpose(1, 2)       # (B, H, T, D)
        k = k.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        v = v.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


class GptMlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.c_proj = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class GptBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = GptMlp(dim)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["VocabSize"], c["Dim"])
        self.wpe = nn.Embedding(c["ContextLength"], c["Dim"])
        self.h = nn.ModuleList([GptBlock(c["Dim"], c["Heads"]) for _ in range(c["Layers"])])
        self.ln_f = nn.LayerNorm(c["Dim"])

    def forward(self, idx):
        pos = torch.arange(idx.shape[1], dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)                     # tied output layer

    def load_ours(self, w):
        w = {k: (v.t().contiguous() if k.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")) else v) for k, v in w.items()}
        self.load_state_dict(w, strict=True)


# --- LSTM byte-LM ------------------------------------------------------------------------------------------------------

class LstmLm(nn.Module):
    def __init__(self, embedding, hidden):
        super().__init__()
        self.embed = nn.Embedding(256, embedding)
        self.rnn = nn.LSTM(embedding, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 256)

    def forward(self, x):
        h, _ = self.rnn(self.embed(x))
        return self.head(h)

    def load_ours(self, w):
        # Our Recurrent registers libtorch's LSTM (rnn._kernel.*) and the same tensors under PyTorch's names (rnn.*).
        self.load_state_dict({k: v for k, v in w.items() if "._kernel." not in k}, strict=True)


# --- ViT (timm-style pre-norm blocks; q, k, v, o projections as ours) --------------------------------------------------

class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.heads = heads

    def forward(self, x, mask=None):
        b, t, c = x.shape
        split = lambda y: y.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask)
        return self.o(y.transpose(1, 2).reshape(b, t, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc_in = nn.Linear(dim, hidden)
        self.fc_out = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc_out(F.gelu(self.fc_in(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Vit(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, n = c["Dim"], (c["ImageSize"] // c["Patch"]) ** 2
        self.patch_embed = nn.Conv2d(c["Channels"], d, c["Patch"], stride=c["Patch"])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(n + 1, d))
        self.blocks = nn.ModuleList([Block(d, c["Heads"], c["MlpRatio"] * d) for _ in range(c["Layers"])])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, c["Classes"]) if c["Classes"] > 0 else None

    def pooled(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)              # (B, N, D)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]

    def forward(self, images):
        return self.head(self.pooled(images))

    def load_ours(self, w, prefix=""):
        mine = {}
        for k, v in w.items():
            if k.startswith(prefix):
                k = k[len(prefix):]
                mine["pos_embed" if k == "pos_embed.wpe.weight" else k] = v
        self.load_state_dict(mine, strict=True)


# --- CLIP --------------------------------------------------------------------------------------------------------------

class TextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["Dim"]
        self.token_embedding = nn.Embedding(c["VocabSize"], d)
        self.position_embedding = nn.Parameter(torch.zeros(c["Context"], d))
        self.layers = nn.ModuleList([Block(d, c["Heads"], 4 * d) for _ in range(c["Layers"])])
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, ids):
        b, t = ids.shape
        x = self.token_embedding(ids) + self.position_embedding[:t]
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        mask = causal & ids.ne(0).view(b, 1, 1, t)                            # (B, 1, T, T): earlier, real tokens
        for block in self.layers:
            x = block(x, mask)
        x = self.final_layer_norm(x)
        return x[torch.arange(b), ids.eq(2).long().argmax(1)]                # the first [EOS]


class Clip(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.vision_model = Vit(c["Vision"])
        self.text_model = TextTransformer(c["Text"])
        self.visual_projection = nn.Linear(c["Vision"]["Dim"], c["EmbedDim"], bias=False)
        self.text_projection = nn.Linear(c["Text"]["Dim"], c["EmbedDim"], bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def loss(self, images, ids):
        u = F.normalize(self.visual_projection(self.vision_model.pooled(images)), dim=-1)
        v = F.normalize(self.text_projection(self.text_model(ids)), dim=-1)
        logits = self.logit_scale.exp().clamp(max=100) * u @ v.t()
        target = torch.arange(u.shape[0])
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))

    def load_ours(self, w):
        self.vision_model.load_ours(w, "vision_model.")
        text = {k[len("text_model."):]: v for k, v in w.items() if k.startswith("text_model.")}
        text["position_embedding"] = text.pop("position_embedding.wpe.weight")
        self.text_model.load_state_dict(text, strict=True)
        rest = {k: v for k, v in w.items() if not k.startswith(("vision_model.", "text_model."))}
        missing, unexpected = self.load_state_dict(rest, strict=False)
        assert not unexpected and all(k.startswith(("vision_model.", "text_model.")) for k in missing), (missing, unexpected)


def blas_library():
    """The BLAS library this process loaded (Debian's torch calls whichever libblas.so.3 the loader finds)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path) and path.startswith("/"):
                return os.path.realpath(path)
    return "unknown"


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def ops(repeats, threads):
    """The tour GPT's and ViT's ops at their shapes, as Lineage.Twins.Benchmarks' ops: forward + backward each, mean ms."""
    torch.set_num_threads(threads)
    b, t, c, h = 16, 192, 64, 4
    g = torch.Generator().manual_seed(1337)
    r = lambda *shape: torch.randn(*shape, generator=g).requires_grad_()
    x, w_qkv, b_qkv, w_fc, b_fc = r(b * t, c), r(c, 3 * c), r(3 * c), r(c, 4 * c), r(4 * c)
    x4, w_proj, b_proj = r(b * t, 4 * c), r(4 * c, c), r(c)
    x3, ln_w, ln_b, u = r(b, t, c), r(c), r(c), r(b, t, 4 * c)
    qkv, wte = r(b, t, 3 * c), r(256, c)
    targets = torch.randint(0, 256, (b * t,), generator=g)
    images, patch_w, patch_b = torch.randn(128, 1, 28, 28, generator=g), r(64, 1, 4, 4), r(64)
    vx, vw, vb, vu, vq = r(128 * 50, 64), r(64, 64), r(64), r(128, 50, 128), r(128, 50, 3 * 64)

    def vit_sdpa():
        parts = vq.reshape(128, 50, 3, 4, 16).permute(2, 0, 3, 1, 4)
        return F.scaled_dot_product_attention(parts[0], parts[1], parts[2])

    def sdpa():
        parts = qkv.reshape(b, t, 3, h, c // h).permute(2, 0, 3, 1, 4)
        return F.scaled_dot_product_attention(parts[0], parts[1], parts[2], is_causal=True).transpose(1, 2).reshape(b, t, c)

    def mm10(a, w):                                                           # ten products, no autograd
        with torch.no_grad():
            for _ in range(10):
                torch.mm(a, w)
        return torch.zeros(1, requires_grad=True)

    table = [
        ("mm only 3072x64 . 64x192", lambda: mm10(x, w_qkv)),
        ("mm only 3072x256 . 256x64", lambda: mm10(x4, w_proj)),
        ("mm only 64x3072 . 3072x256", lambda: mm10(x.t(), x4)),
        ("addmm 3072x64 . 64x192", lambda: torch.addmm(b_qkv, x, w_qkv)),
        ("addmm 3072x64 . 64x256", lambda: torch.addmm(b_fc, x, w_fc)),
        ("addmm 3072x256 . 256x64", lambda: torch.addmm(b_proj, x4, w_proj)),
        ("layer_norm 16x192x64", lambda: F.layer_norm(x3, [c], ln_w, ln_b)),
        ("gelu tanh 16x192x256", lambda: F.gelu(u, approximate="tanh")),
        ("sdpa causal 16x4x192x16", sdpa),
        ("tied logits + cross_entropy", lambda: F.cross_entropy(F.linear(x, wte), targets)),
        ("vit conv2d patch 128x1x28x28 -> 64", lambda: F.conv2d(images, patch_w, patch_b, stride=4)),
        ("vit linear 6400x64 . 64x64", lambda: F.linear(vx, vw, vb)),
        ("vit gelu 128x50x128", lambda: F.gelu(vu)),
        ("vit sdpa 128x4x50x16", vit_sdpa),
    ]
    result = {}
    for name, run in table:
        total = 0.0
        for i in range(repeats + 3):
            start = time.perf_counter()
            y = run()
            (y * torch.ones_like(y)).sum().backward()
            if i >= 3:
                total += 1000 * (time.perf_counter() - start)
        result[name] = total / repeats
    print(json.dumps({"impl": "pytorch", "ops_ms": result}))


def main():
    if sys.argv[1] == "ops":
        return ops(int(sys.argv[2]) if len(sys.argv) > 2 else 20, int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    model_name, folder = sys.argv[1], sys.argv[2]
    spec = json.load(open(f"{folder}/{model_name}.json"))
    weights = load_safetensors(f"{folder}/{model_name}.init.safetensors")
    batches = load_safetensors(f"{folder}/{model_name}.batches.safetensors")
    torch.set_num_threads(spec["threads"])
    steps, warmup = spec["steps"], spec["warmup"]
    if model_name in ("gpt", "lstm"):
        net = Gpt(spec["config"]) if model_name == "gpt" else LstmLm(spec["config"]["embedding"], spec["config"]["hidden"])
        x, y = batches["x"], batches["y"]
        loss_of = lambda s: F.cross_entropy(net(x[s]).reshape(-1, 256), y[s].reshape(-1))
        per_step, unit = spec["batch"] * spec["length"], "tokens"
    elif model_name == "vit":
        net = Vit(spec["config"])
        images, labels, order, b = batches["images"], batches["labels"], batches["order"], spec["batch"]

        def loss_of(s):
            index = order[s * b:(s + 1) * b]
            return F.cross_entropy(net(images.index_select(0, index)), labels.index_select(0, index))
        per_step, unit = b, "images"
    else:
        net = Clip(spec["config"])
        images, ids = batches["images"], batches["ids"]
        loss_of = lambda s: net.loss(images[s], ids[s])
        per_step, unit = spec["batch"], "images"
    net.load_ours(weights)
    net.train()
    if model_name == "vit":
        optimizer = torch.optim.AdamW(net.parameters(), lr=spec["lr"], weight_decay=spec["weight_decay"])
    else:
        optimizer = torch.optim.Adam(net.parameters(), lr=spec["lr"])

    # TWINS_PHASES=1: each phase of the step timed (as our side's), mean milliseconds after the warm-up.
    phased = os.environ.get("TWINS_PHASES") == "1"
    names = ["zero_grad", "forward", "backward", "clip", "step", "item"]
    totals = [0.0] * len(names)
    losses, stamps, cpu = [], [], []
    start = time.perf_counter()
    for s in range(steps):
        if model_name == "vit":                                               # ScheduledTrainer's linear warm-up (then cosine)
            for group in optimizer.param_groups:
                group["lr"] = spec["lr"] * (s + 1) / spec["warmup_steps"] if s < spec["warmup_steps"] else spec["lr"]
        marks = [time.perf_counter()]
        optimizer.zero_grad()
        marks.append(time.perf_counter())
        loss = loss_of(s)
        marks.append(time.perf_counter())
        loss.backward()
        marks.append(time.perf_counter())
        if spec.get("clip", 0) > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), spec["clip"])
        marks.append(time.perf_counter())
        optimizer.step()
        marks.append(time.perf_counter())
        losses.append(loss.item())
        marks.append(time.perf_counter())
        stamps.append(time.perf_counter() - start)
        cpu.append(time.process_time())
        if s >= warmup:
            totals = [t + 1000 * (marks[i + 1] - marks[i]) for i, t in enumerate(totals)]
    seconds = stamps[-1] - stamps[warmup - 1]
    extra = {"phases_ms": {n: t / (steps - warmup) for n, t in zip(names, totals)}} if phased else {}
    print(json.dumps({
        "impl": "pytorch", "model": model_name, "threads": torch.get_num_threads(), "steps": steps, "unit": unit,
        "per_second": (steps - warmup) * per_step / seconds, "ms_per_step": 1000 * seconds / (steps - warmup),
        "cpu_ms_per_step": 1000 * (cpu[-1] - cpu[warmup - 1]) / (steps - warmup),
        "loss_first": losses[0], "loss_last": losses[-1], "peak_rss_mib": peak_rss_mib(), "torch": torch.__version__,
        "blas": blas_library(), **extra,
    }))


if __name__ == "__main__":
    main()
