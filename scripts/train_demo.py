#!/usr/bin/python3
"""Trains vkattn's built-in demo model: a tiny llama-architecture language model
on the fortunes of Debian's `fortunes` package, with a byte-level BPE vocabulary
trained here too. CPU only (python3-torch). Writes a checkpoint + tokenizer that
scripts/export_demo.py turns into GGUF.

    apt-get install -y fortunes python3-torch       # training only; the tests never need them
    nice -n 10 /usr/bin/python3 scripts/train_demo.py --out build/demo-ckpt
    /usr/bin/python3 scripts/export_demo.py build/demo-ckpt models/demo.gguf

Everything is seeded; the architecture follows llama.cpp's `llama` (RMSNorm,
interleaved RoPE as in GGUF files, SwiGLU, grouped-query attention, tied
embeddings), so the weights go into GGUF without permutation."""
import argparse, collections, json, math, os, re, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_gguf import bytes_to_unicode  # noqa: E402  (GPT-2's byte -> printable code point map)

CORPUS_DIR = "/usr/share/games/fortunes"
SKIP = {"art", "ascii-art"}  # pictures, not text


def read_corpus():
    texts = []
    for name in sorted(os.listdir(CORPUS_DIR)):
        path = os.path.join(CORPUS_DIR, name)
        if "." in name or name in SKIP or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for fortune in f.read().split("\n%\n"):
                fortune = fortune.strip("\n%")
                if 10 <= len(fortune) <= 1200:
                    texts.append(fortune)
    return texts


# ---- byte-level BPE (GPT-2 byte-to-unicode mapping, GPT-2 pre-tokenization) ----

# GPT-2's regex ('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+) in Python's re,
# which has no \p{..}: letters = [^\W\d_]; "_" belongs to the punctuation class, as in the C pre-tokenizer
PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def train_bpe(texts, n_merges):
    """GPT-2-style BPE training: repeatedly merge the most frequent adjacent pair (ties: the larger
    pair), with pair counts updated incrementally over the words that contain the merged pair."""
    b2u = bytes_to_unicode()
    counter = collections.Counter()
    for t in texts:
        counter.update(PRETOKENIZE.findall(t))
    words = [[b2u[b] for b in w.encode("utf-8")] for w in counter]
    freq = list(counter.values())
    pairs = collections.Counter()
    where = collections.defaultdict(set)  # pair -> indices of words containing it
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pairs[p] += freq[i]
            where[p].add(i)
    merges, vocab = [], [b2u[b] for b in range(256)]
    known = set(vocab)
    while len(merges) < n_merges and pairs:
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        if joined not in known:  # two merges can spell the same string: one token for it
            known.add(joined)
            vocab.append(joined)
        for i in where.pop(best):
            w, c = words[i], freq[i]
            for p in zip(w, w[1:]):
                pairs[p] -= c
                if pairs[p] <= 0:
                    del pairs[p]
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == best[0] and w[j + 1] == best[1]:
                    out.append(joined)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for p in zip(out, out[1:]):
                pairs[p] += c
                where[p].add(i)
    return vocab, merges


def encode(text, vocab_index, ranks, b2u, cache):
    ids = []
    for w in PRETOKENIZE.findall(text):
        if w in cache:
            ids.extend(cache[w])
            continue
        parts = [b2u[b] for b in w.encode("utf-8")]
        while len(parts) > 1:
            best, bi = None, -1
            for i in range(len(parts) - 1):
                r = ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            parts[bi:bi + 2] = [parts[bi] + parts[bi + 1]]
        cache[w] = [vocab_index[p] for p in parts]
        ids.extend(cache[w])
    return ids


# ---- model: llama as llama.cpp computes it ----

class Config:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def rope(x, pos, theta):
    # interleaved pairs (x[2i], x[2i+1]): llama.cpp's LLAMA_ROPE_TYPE_NORM
    d = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    ang = pos[:, None].float() * inv[None, :]
    cos, sin = ang.cos()[:, None, :], ang.sin()[:, None, :]  # broadcast over heads ([L, H, d/2])
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        hd = c.dim // c.n_heads
        self.attn_norm = nn.Parameter(torch.ones(c.dim))
        self.wq = nn.Linear(c.dim, c.n_heads * hd, bias=False)
        self.wk = nn.Linear(c.dim, c.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(c.dim, c.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(c.n_heads * hd, c.dim, bias=False)
        self.ffn_norm = nn.Parameter(torch.ones(c.dim))
        self.w_gate = nn.Linear(c.dim, c.ff, bias=False)
        self.w_up = nn.Linear(c.dim, c.ff, bias=False)
        self.w_down = nn.Linear(c.ff, c.dim, bias=False)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c.eps) * w

    def forward(self, x, pos):
        c = self.c
        B, L, _ = x.shape
        hd = c.dim // c.n_heads
        h = self.rms(x, self.attn_norm)
        q = rope(self.wq(h).view(B, L, c.n_heads, hd), pos, c.theta).transpose(1, 2)
        k = rope(self.wk(h).view(B, L, c.n_kv_heads, hd), pos, c.theta).transpose(1, 2)
        v = self.wv(h).view(B, L, c.n_kv_heads, hd).transpose(1, 2)
        rep = c.n_heads // c.n_kv_heads  # query head h uses KV head h // rep, as llama.cpp
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(torch.triu(torch.ones(L, L, dtype=torch.bool), 1), float("-inf")).softmax(-1)
        x = x + self.wo((att @ v).transpose(1, 2).reshape(B, L, -1))
        h = self.rms(x, self.ffn_norm)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c.vocab, c.dim)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layers))
        self.norm = nn.Parameter(torch.ones(c.dim))
        nn.init.normal_(self.embed.weight, std=0.02)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        x = self.embed(ids)
        for b in self.blocks:
            x = b(x, pos)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c.eps) * self.norm
        return x @ self.embed.weight.t()  # tied output


def batch(data, L, B, gen):
    ix = torch.randint(0, len(data) - L - 1, (B,), generator=gen)
    return torch.stack([data[i:i + L] for i in ix]), torch.stack([data[i + 1:i + L + 1] for i in ix])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="demo-ckpt")
    ap.add_argument("--minutes", type=float, default=18, help="wall-time budget (the cosine schedule follows it)")
    ap.add_argument("--steps", type=int, default=0, help="train exactly this many steps instead (reproducible)")
    ap.add_argument("--merges", type=int, default=1536)
    # one thread: on a shared, oversubscribed machine two threads ran 20x slower than one (barrier waits)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dim", type=int, default=192, help="model width (heads of 32, a third as many KV heads)")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--ff", type=int, default=512)
    ap.add_argument("--batch", type=int, default=4, help="sequences of 256 tokens per step")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--no-bf16", action="store_true", help="f32 matmuls (bf16 autocast is ~1.5x faster on AVX512-BF16)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)

    texts = read_corpus()
    print(f"corpus: {len(texts)} fortunes, {sum(map(len, texts)) / 1e6:.1f} M characters")
    t0 = time.time()
    vocab, merges = train_bpe(texts, a.merges)
    specials = ["<|endoftext|>"]
    vocab = vocab + specials
    eot = len(vocab) - 1
    print(f"bpe: {len(vocab)} tokens in {time.time() - t0:.0f} s")
    b2u = bytes_to_unicode()
    index = {t: i for i, t in enumerate(vocab)}
    ranks = {m: i for i, m in enumerate(merges)}
    cache = {}
    # every 20th fortune is held out; each fortune starts with <|endoftext|>, which is also BOS
    streams = ([], [])
    for i, t in enumerate(texts):
        s = streams[i % 20 == 0]
        s.append(eot)
        s.extend(encode(t, index, ranks, b2u, cache))
    data, val = (torch.tensor(s, dtype=torch.long) for s in streams)
    print(f"tokens: {len(data) / 1e6:.2f} M train, {len(val) / 1e6:.3f} M held out")

    # sized for ~20 minutes of 2 shared CPU cores: more steps on a smaller model read better than few on a big one
    c = Config(vocab=len(vocab), dim=a.dim, n_layers=a.layers, n_heads=a.dim // 32, n_kv_heads=a.dim // 96, ff=a.ff,
               eps=1e-5, theta=10000.0, ctx=256)
    model = Model(c)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f} M parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.05)
    L, B = c.ctx, a.batch
    gen = torch.Generator().manual_seed(a.seed)
    bf16 = not a.no_bf16

    def loss_of(x, y):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        return F.cross_entropy(logits.float().view(-1, c.vocab), y.view(-1))

    deadline = time.time() + a.minutes * 60
    step, t_start = 0, time.time()
    while (step < a.steps) if a.steps else (time.time() < deadline):
        frac = step / a.steps if a.steps else (time.time() - t_start) / (deadline - t_start)
        lr = a.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        for g in opt.param_groups:
            g["lr"] = lr
        loss = loss_of(*batch(data, L, B, gen))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0:
            print(f"step {step:6d}  loss {loss.item():.3f}  lr {lr:.2e}  {time.time() - t_start:.0f} s", flush=True)
        step += 1
    minutes = (time.time() - t_start) / 60
    model.eval()
    eg = torch.Generator().manual_seed(1)
    with torch.no_grad():
        tr = sum(loss_of(*batch(data, L, B, eg)).item() for _ in range(16)) / 16
        va = sum(loss_of(*batch(val, L, B, eg)).item() for _ in range(16)) / 16
    torch.save({"config": c.__dict__, "state": model.state_dict(),
                "stats": {"steps": step, "minutes": minutes, "train_loss": tr, "val_loss": va, "seed": a.seed,
                          "tokens_seen": step * L * B}}, os.path.join(a.out, "model.pt"))
    with open(os.path.join(a.out, "tokenizer.json"), "w") as f:
        json.dump({"tokens": vocab, "merges": [" ".join(m) for m in merges], "eos": eot, "bos": eot}, f)
    ids = [eot]  # a sample so a person can judge the result right away
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _ in range(120):
            logits = model(torch.tensor([ids[-c.ctx:]]))[0, -1] / 0.8
            nxt = int(torch.multinomial(logits.softmax(-1), 1, generator=g))
            if nxt == eot:
                break
            ids.append(nxt)
    u2b = {v: k for k, v in b2u.items()}
    text = bytes(u2b[ch] for t in ids[1:] for ch in vocab[t]).decode("utf-8", errors="replace")
    print("sample:\n" + text)
    print(f"done: {step} steps in {minutes:.1f} min, loss {tr:.3f} train, {va:.3f} held out (mean of 16 batches)")


if __name__ == "__main__":
    main()
