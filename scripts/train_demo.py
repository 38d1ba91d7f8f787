#!/usr/bin/python3
"""Trains vkattn's built-in demo model: a tiny llama-architecture language model
on the fortunes of Debian's `fortunes` package, with a byte-level BPE vocabulary
trained here too. CPU only (python3-torch). Writes a checkpoint + tokenizer that
scripts/export_demo.py turns into GGUF.

    apt-get install fortunes python3-torch
    /usr/bin/python3 scripts/train_demo.py --minutes 20 --out demo-ckpt

Everything is seeded; the architecture follows llama.cpp's `llama` (RMSNorm,
interleaved RoPE as in GGUF files, SwiGLU, grouped-query attention, tied
embeddings), so the weights go into GGUF without permutation."""
import argparse, collections, json, math, os, re, time

import torch
import torch.nn as nn
import torch.nn.functional as F

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

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+|_+""")


def train_bpe(texts, n_merges):
    b2u = bytes_to_unicode()
    words = collections.Counter()
    for t in texts:
        for w in PRETOKENIZE.findall(t):
            words[tuple(b2u[b] for b in w.encode("utf-8"))] += 1
    words = {w: c for w, c in words.items()}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        new = {}
        for w, c in words.items():
            if len(w) < 2:
                new[w] = new.get(w, 0) + c
                continue
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == best[0] and w[i + 1] == best[1]:
                    out.append(joined)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            out = tuple(out)
            new[out] = new.get(out, 0) + c
        words = new
    vocab = [b2u[b] for b in range(256)] + [a + b for a, b in merges]
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
        rep = c.n_heads // c.n_kv_heads
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="demo-ckpt")
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--merges", type=int, default=1536)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
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
    stream = []
    for t in texts:
        stream.append(eot)
        stream.extend(encode(t, index, ranks, b2u, cache))
    data = torch.tensor(stream, dtype=torch.long)
    print(f"tokens: {len(data) / 1e6:.2f} M")

    c = Config(vocab=len(vocab), dim=256, n_layers=4, n_heads=8, n_kv_heads=4, ff=704, eps=1e-5, theta=10000.0, ctx=256)
    model = Model(c)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f} M parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.95), weight_decay=0.05)
    L, B = 128, 16
    deadline = time.time() + a.minutes * 60
    step, t_start = 0, time.time()
    total_est = None
    while time.time() < deadline:
        frac = (time.time() - t_start) / (deadline - t_start)
        lr = 2e-3 * (min(1.0, step / 200) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        for g in opt.param_groups:
            g["lr"] = lr
        ix = torch.randint(0, len(data) - L - 1, (B,))
        x = torch.stack([data[i:i + L] for i in ix])
        y = torch.stack([data[i + 1:i + L + 1] for i in ix])
        loss = F.cross_entropy(model(x).view(-1, c.vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0:
            print(f"step {step:6d}  loss {loss.item():.3f}  lr {lr:.2e}  {time.time() - t_start:.0f} s", flush=True)
        step += 1
    torch.save({"config": c.__dict__, "state": model.state_dict()}, os.path.join(a.out, "model.pt"))
    with open(os.path.join(a.out, "tokenizer.json"), "w") as f:
        json.dump({"tokens": vocab, "merges": [" ".join(m) for m in merges], "eos": eot, "bos": eot}, f)
    # a sample, greedy-ish, so a person can judge the result right away
    model.eval()
    ids = [eot]
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
    print(f"done: {step} steps, final loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
