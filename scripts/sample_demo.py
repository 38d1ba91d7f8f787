#!/usr/bin/python3
"""Samples text from the demo model with PyTorch, independently of vkattn: from the GGUF file
(weights by llama.cpp's tensor names, RoPE by complex rotation of interleaved pairs as Meta's
reference llama does) or from scripts/train_demo.py's checkpoint (its own model class).
Comparing the two checks the export; reading the samples checks the training.

    /usr/bin/python3 scripts/sample_demo.py --gguf models/demo.gguf [-p PROMPT] [-n 80] [--samples 3]
    /usr/bin/python3 scripts/sample_demo.py --ckpt build/demo-ckpt ..."""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_reader import read_gguf  # noqa: E402
from llama_gguf import bytes_to_unicode  # noqa: E402
from train_demo import PRETOKENIZE  # noqa: E402  (GPT-2 pre-tokenization in Python's re)


class GGUFLlama:
    """llama as llama.cpp computes it, from GGUF tensors."""

    def __init__(self, path):
        meta, t = read_gguf(path)
        self.meta = meta
        g = lambda k: meta["llama." + k]  # noqa: E731
        self.n_layers, self.n_heads, self.n_kv = g("block_count"), g("attention.head_count"), g("attention.head_count_kv")
        self.eps, self.theta = g("attention.layer_norm_rms_epsilon"), g("rope.freq_base")
        self.w = {k: torch.from_numpy(v.copy()) for k, (v, _) in t.items()}
        self.out = self.w.get("output.weight", self.w["token_embd.weight"])  # tied when absent
        self.tokens = meta["tokenizer.ggml.tokens"]
        self.merges = meta["tokenizer.ggml.merges"]
        self.bos, self.eos = meta["tokenizer.ggml.bos_token_id"], meta["tokenizer.ggml.eos_token_id"]

    def rms(self, x, w):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps) * w

    def rope(self, x):  # x [L, H, hd]: pairs (2i, 2i+1) rotated by pos * theta^(-2i/hd)
        L, _, hd = x.shape
        freqs = self.theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        rot = torch.polar(torch.ones(L, hd // 2, dtype=torch.float64), torch.arange(L, dtype=torch.float64)[:, None] * freqs)
        xc = torch.view_as_complex(x.double().reshape(L, -1, hd // 2, 2).contiguous())
        return torch.view_as_real(xc * rot[:, None, :]).reshape(L, -1, hd).float()

    def logits(self, ids):
        x = self.w["token_embd.weight"][torch.tensor(ids)]
        L = len(ids)
        mask = torch.full((L, L), float("-inf")).triu(1)
        for i in range(self.n_layers):
            w = lambda n: self.w[f"blk.{i}.{n}.weight"]  # noqa: E731
            h = self.rms(x, w("attn_norm"))
            q, k, v = h @ w("attn_q").T, h @ w("attn_k").T, h @ w("attn_v").T
            hd = q.shape[1] // self.n_heads
            q, k, v = self.rope(q.view(L, -1, hd)), self.rope(k.view(L, -1, hd)), v.view(L, -1, hd)
            grp = self.n_heads // self.n_kv
            heads = []
            for hh in range(self.n_heads):
                s = q[:, hh] @ k[:, hh // grp].T / hd ** 0.5 + mask
                heads.append(torch.softmax(s, -1) @ v[:, hh // grp])
            x = x + torch.cat(heads, 1) @ w("attn_output").T
            h = self.rms(x, w("ffn_norm"))
            x = x + (torch.nn.functional.silu(h @ w("ffn_gate").T) * (h @ w("ffn_up").T)) @ w("ffn_down").T
        return self.rms(x, self.w["output_norm.weight"]) @ self.out.T


class CkptLlama:
    def __init__(self, d):
        import json
        from train_demo import Config, Model
        ck = torch.load(os.path.join(d, "model.pt"), map_location="cpu")
        self.m = Model(Config(**ck["config"]))
        self.m.load_state_dict(ck["state"])
        self.m.eval()
        tok = json.load(open(os.path.join(d, "tokenizer.json")))
        self.tokens, self.merges, self.bos, self.eos = tok["tokens"], tok["merges"], tok["bos"], tok["eos"]

    def logits(self, ids):
        return self.m(torch.tensor([ids]))[0]


def encode(model, text):
    b2u = bytes_to_unicode()
    index = {t: i for i, t in enumerate(model.tokens)}
    ranks = {tuple(m.split(" ")): r for r, m in enumerate(model.merges)}
    ids = []
    for word in PRETOKENIZE.findall(text):
        parts = [b2u[b] for b in word.encode("utf-8")]
        while len(parts) > 1:
            r, i = min((ranks.get((parts[i], parts[i + 1]), 1 << 30), i) for i in range(len(parts) - 1))
            if r == 1 << 30:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        ids += [index[p] for p in parts]
    return ids


def decode(model, ids):
    u2b = {v: k for k, v in bytes_to_unicode().items()}
    return bytes(u2b[ch] for i in ids for ch in model.tokens[i]).decode("utf-8", errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--gguf")
    src.add_argument("--ckpt")
    ap.add_argument("-p", "--prompt", default="")
    ap.add_argument("-n", type=int, default=80)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--temp", type=float, default=0.8, help="0 = greedy")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = GGUFLlama(a.gguf) if a.gguf else CkptLlama(a.ckpt)
    g = torch.Generator().manual_seed(a.seed)
    with torch.no_grad():
        for s in range(a.samples):
            ids = [model.bos] + encode(model, a.prompt)
            start = len(ids)
            for _ in range(a.n):
                z = model.logits(ids)[-1]
                nxt = int(z.argmax()) if a.temp == 0 else int(torch.multinomial(torch.softmax(z / a.temp, -1), 1,
                                                                                generator=g))
                if nxt == model.eos:
                    break
                ids.append(nxt)
            print(f"--- sample {s + 1}: {a.prompt}{decode(model, ids[start:])}")


if __name__ == "__main__":
    main()
