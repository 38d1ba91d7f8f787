#!/usr/bin/python3
"""The synthetic llama-architecture benchmark model of issue 5: 12 layers, dim 1024, 16 heads,
4 KV heads, ff 2816, vocab 32000 (201M parameters, untied output), seeded random weights, in F16
or Q8_0, with a byte-level BPE tokenizer llama.cpp accepts (256 byte tokens, then tokens made by
deterministic merges, then <|endoftext|> as BOS/EOS).

    /usr/bin/python3 bench/peer-llamacpp/make_model.py OUT.gguf [--type F16|Q8_0] [--seed 5]"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from gguf_writer import GGUFWriter  # noqa: E402
from llama_gguf import (TOKEN_CONTROL, TOKEN_NORMAL, add_bpe_tokenizer, add_llama_metadata,  # noqa: E402
                        add_llama_tensors, bytes_to_unicode)

SHAPE = dict(n_vocab=32000, dim=1024, n_layers=12, n_heads=16, n_kv_heads=4, ff=2816, ctx=4096)


def dummy_vocab(n_vocab):
    """256 byte tokens, then merges of existing tokens (pairs of printable bytes, then those pairs
    extended by one more byte) until n_vocab - 1, then <|endoftext|>: a valid, unique BPE vocabulary."""
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    known = set(tokens)
    merges = []
    printable = [b2u[b] for b in range(ord("a"), ord("z") + 1)] + [b2u[b] for b in range(33, 127)
                                                                  if not ord("a") <= b <= ord("z")]
    printable = [b2u[ord(" ")]] + printable
    frontier = list(printable)
    while len(tokens) < n_vocab - 1:
        nxt = []
        for left in frontier:
            for right in printable:
                t = left + right
                if t in known:
                    continue
                tokens.append(t)
                known.add(t)
                merges.append(f"{left} {right}")
                nxt.append(t)
                if len(tokens) == n_vocab - 1:
                    break
            if len(tokens) == n_vocab - 1:
                break
        frontier = nxt
    tokens.append("<|endoftext|>")
    types = [TOKEN_NORMAL] * (n_vocab - 1) + [TOKEN_CONTROL]
    return tokens, merges, types


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--type", default="F16", choices=["F16", "Q8_0", "F32"])
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    s = SHAPE
    rng = np.random.default_rng(a.seed)
    hd = s["dim"] // s["n_heads"]

    def mat(o, i):  # std 1/sqrt(in): activations stay O(1) through the stack
        return rng.standard_normal((o, i), dtype=np.float32) * np.float32(1 / np.sqrt(i))

    w = GGUFWriter()
    add_llama_metadata(w, "vkattn synthetic llama 201M", s["n_vocab"], s["dim"], s["n_layers"], s["n_heads"],
                       s["n_kv_heads"], s["ff"], s["ctx"], ftype=a.type)
    tokens, merges, types = dummy_vocab(s["n_vocab"])
    eot = len(tokens) - 1
    add_bpe_tokenizer(w, tokens, merges, types, bos=eot, eos=eot)
    layers = []
    for _ in range(s["n_layers"]):
        d, kv = s["dim"], s["n_kv_heads"] * hd
        layers.append(dict(attn_norm=np.ones(d, np.float32), attn_q=mat(d, d), attn_k=mat(kv, d), attn_v=mat(kv, d),
                           attn_output=mat(d, d), ffn_norm=np.ones(d, np.float32), ffn_gate=mat(s["ff"], d),
                           ffn_up=mat(s["ff"], d), ffn_down=mat(d, s["ff"])))
    embed = rng.standard_normal((s["n_vocab"], s["dim"]), dtype=np.float32) * np.float32(0.02)
    add_llama_tensors(w, embed, layers, np.ones(s["dim"], np.float32), mat(s["n_vocab"], s["dim"]), a.type)
    w.write(a.out)


if __name__ == "__main__":
    main()
