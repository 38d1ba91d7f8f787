#!/usr/bin/python3
# vkattn-test: host
"""The built-in demo model (models/demo.gguf), checked from Python, independently of vkattn's C code:
  * read with scripts/gguf_reader.py: llama.cpp's `llama` metadata keys and tensor names (tied output),
    and `vkattn inspect --json` lists the same metadata and tensors (two readers agree);
  * its tokenizer in `vkattn tokenize` gives exactly the ids of a Python GPT-2 BPE encoder on fortune-like
    text (contractions, digits, punctuation, underscores, newlines, tabs, non-ASCII) and decodes back;
  * a PyTorch llama forward pass from the GGUF weights (scripts/sample_demo.py) scores an English
    paragraph well below uniform (trained weights in the right layout), and its greedy continuation
    consists of words.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gguf_reader import read_gguf  # noqa: E402
from sample_demo import GGUFLlama, decode, encode  # noqa: E402

MODEL = os.path.join(ROOT, "models", "demo.gguf")
LLAMA_KEYS = ["general.architecture", "llama.context_length", "llama.embedding_length", "llama.block_count",
              "llama.feed_forward_length", "llama.rope.dimension_count", "llama.attention.head_count",
              "llama.attention.head_count_kv", "llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base",
              "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
              "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"]
TEXTS = [
    "A fool and his money are soon parted.",
    "You will be successful in your work.  Don't worry; it'll be fine -- we're sure you've got it.",
    "If at first you don't succeed, try, try again.\n\t\t-- W. C. Fields",
    "There are 10 kinds of people: those who understand binary (0b10), and those who don't.",
    "my_variable = __init__(x_1) + 2**32;  # comment\n\n\nend",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 -- \u201cquotes\u201d \u2026 \u00a9 2024",
    "   leading spaces, trailing spaces   ",
    "ALL CAPS SHOUTING!!! What?!? ... I'M DONE.",
]
PARAGRAPH = ("The only thing we have to fear is fear itself. A man who does not read good books has no "
             "advantage over the man who cannot read them. Never put off until tomorrow what you can do today.")
FAILS = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILS.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    if not os.path.exists(MODEL):
        print("skipped: models/demo.gguf is missing")
        return 77
    os.makedirs(a.workdir, exist_ok=True)
    work = tempfile.mkdtemp(dir=a.workdir)
    torch.set_num_threads(1)

    # ---- file layout ----
    meta, tensors = read_gguf(MODEL)
    check(meta["__version__"] == 3, f"GGUF version {meta['__version__']}")
    missing = [k for k in LLAMA_KEYS if k not in meta]
    check(not missing, f"llama.cpp metadata keys present (missing: {missing})")
    check(meta["general.architecture"] == "llama" and meta["tokenizer.ggml.model"] == "gpt2" and
          meta["tokenizer.ggml.pre"] == "gpt-2", "architecture llama, tokenizer gpt2 / pre gpt-2")
    L = meta["llama.block_count"]
    want = {"token_embd.weight", "output_norm.weight"} | {
        f"blk.{i}.{n}.weight" for i in range(L) for n in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                                          "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")}
    check(set(tensors) == want, f"tensor names exactly llama.cpp's, tied output ({len(tensors)} tensors)")
    n_params = sum(v.size for v, _ in tensors.values())
    size = os.path.getsize(MODEL)
    check(size < 10_000_000, f"{size / 1e6:.2f} MB < 10 MB, {n_params / 1e6:.2f} M parameters")
    insp = json.loads(subprocess.run([a.vkattn, "inspect", "--json", MODEL], check=True, capture_output=True,
                                     text=True).stdout)
    names = {t["name"]: t for t in insp["tensors"]}
    check(set(names) == set(tensors) and all(
        names[k]["type"] == tensors[k][1] and list(names[k]["shape"]) == list(tensors[k][0].shape) for k in tensors),
        "vkattn inspect lists the same tensors, types and shapes")
    keys = {m["key"] for m in insp["metadata"]}
    check(keys == set(meta) - {"__version__"}, "vkattn inspect lists the same metadata keys")

    # ---- tokenizer: vkattn vs a Python BPE encoder ----
    model = GGUFLlama(MODEL)
    vocab = {"model": "gpt2", "pre": meta["tokenizer.ggml.pre"], "tokens": meta["tokenizer.ggml.tokens"],
             "token_type": meta["tokenizer.ggml.token_type"], "merges": meta["tokenizer.ggml.merges"],
             "bos_id": meta["tokenizer.ggml.bos_token_id"], "eos_id": meta["tokenizer.ggml.eos_token_id"],
             "add_bos": False}
    vpath, spath = os.path.join(work, "vocab.json"), os.path.join(work, "strings.json")
    json.dump(vocab, open(vpath, "w"))
    json.dump(TEXTS + [PARAGRAPH], open(spath, "w"))
    got = json.loads(subprocess.run([a.vkattn, "tokenize", "--vocab", vpath, "--batch", spath], check=True,
                                    capture_output=True, text=True).stdout)
    for text, g in zip(TEXTS + [PARAGRAPH], got):
        ids = encode(model, text)
        check(g["ids"] == ids and decode(model, ids) == text and g["text"] == text,
              f"tokenize {text[:40]!r}: {len(ids)} tokens" + ("" if g["ids"] == ids else f" vkattn {g['ids'][:12]} "
                                                                                       f"python {ids[:12]}"))

    # ---- the weights: PyTorch forward pass from the GGUF ----
    ids = [model.bos] + encode(model, PARAGRAPH)
    with torch.no_grad():
        logits = model.logits(ids)
    nll = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:])).item()
    uniform = math.log(len(model.tokens))
    # untrained or mislaid weights (e.g. RoPE pairs or Q/K rows permuted) score near or above uniform
    check(nll < uniform - 2, f"paragraph loss {nll:.2f} nats/token < uniform ({uniform:.2f}) - 2")
    ids = [model.bos] + encode(model, "The meaning of life")
    with torch.no_grad():
        for _ in range(24):
            ids.append(int(model.logits(ids)[-1].argmax()))
            if ids[-1] == model.eos:
                ids.pop()
                break
    text = decode(model, ids[1:])
    letters = sum(c.isalpha() or c.isspace() for c in text) / max(1, len(text))
    print(f"greedy: {text!r}")
    check(letters > 0.8, f"greedy continuation is mostly letters and spaces ({letters:.2f})")
    print(f"{len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
