#!/usr/bin/python3
"""Exports the checkpoint of scripts/train_demo.py as GGUF v3 (llama.cpp's `llama` architecture,
byte-level BPE tokenizer "gpt2") with scripts/gguf_writer.py: vkattn's built-in demo model.

    /usr/bin/python3 scripts/export_demo.py build/demo-ckpt models/demo.gguf [--type F16|Q8_0|F32]

Tensor names are llama.cpp's (token_embd, blk.N.attn_norm/attn_q/attn_k/attn_v/attn_output/ffn_norm/
ffn_gate/ffn_up/ffn_down, output_norm); the output projection is tied to token_embd, so there is no
output.weight (llama.cpp then uses token_embd for the logits). Q/K are written as trained: the trainer
already uses llama.cpp's interleaved-pair RoPE."""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import GGUFWriter  # noqa: E402
from llama_gguf import TOKEN_CONTROL, TOKEN_NORMAL, add_bpe_tokenizer, add_llama_metadata, add_llama_tensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ckpt", help="directory with model.pt and tokenizer.json")
    ap.add_argument("out")
    ap.add_argument("--type", default="F16", choices=["F16", "Q8_0", "F32"])
    a = ap.parse_args()
    ck = torch.load(os.path.join(a.ckpt, "model.pt"), map_location="cpu")
    with open(os.path.join(a.ckpt, "tokenizer.json")) as f:
        tok = json.load(f)
    c, sd = ck["config"], {k: v.float().numpy() for k, v in ck["state"].items()}
    stats = ck.get("stats", {})

    w = GGUFWriter()
    add_llama_metadata(w, "vkattn demo (fortunes)", c["vocab"], c["dim"], c["n_layers"], c["n_heads"],
                       c["n_kv_heads"], c["ff"], c["ctx"], eps=c["eps"], theta=c["theta"], ftype=a.type)
    w.add_string("general.description", "vkattn's built-in demo model: a tiny llama trained on Debian's fortunes "
                 f"by scripts/train_demo.py ({stats.get('steps', '?')} steps, held-out loss "
                 f"{stats.get('val_loss', float('nan')):.3f})")
    w.add_string("general.license", "the fortunes texts' licences (Debian package fortunes); code: vkattn's")
    tokens = tok["tokens"]
    types = [TOKEN_CONTROL if t == "<|endoftext|>" else TOKEN_NORMAL for t in tokens]
    add_bpe_tokenizer(w, tokens, tok["merges"], types, bos=tok["bos"], eos=tok["eos"], pre="gpt-2", add_bos=True)
    layers = []
    for i in range(c["n_layers"]):
        p = f"blocks.{i}."
        layers.append(dict(attn_norm=sd[p + "attn_norm"], attn_q=sd[p + "wq.weight"], attn_k=sd[p + "wk.weight"],
                           attn_v=sd[p + "wv.weight"], attn_output=sd[p + "wo.weight"], ffn_norm=sd[p + "ffn_norm"],
                           ffn_gate=sd[p + "w_gate.weight"], ffn_up=sd[p + "w_up.weight"],
                           ffn_down=sd[p + "w_down.weight"]))
    add_llama_tensors(w, sd["embed.weight"], layers, sd["norm"], None, a.type)
    w.write(a.out)
    n = sum(v.size for v in sd.values())
    print(f"{a.out}: {os.path.getsize(a.out) / 1e6:.2f} MB, {n / 1e6:.2f} M parameters, {a.type}")


if __name__ == "__main__":
    main()
