#!/usr/bin/python3
"""Writes llama-architecture GGUF files with scripts/gguf_writer.py: llama.cpp's metadata keys and
tensor names (convert_hf_to_gguf.py / gguf-py constants), a byte-level BPE tokenizer
(tokenizer.ggml.model "gpt2"). Used by scripts/export_demo.py (the built-in demo model) and
bench/peer-llamacpp/make_model.py (the synthetic benchmark model).

Weights are numpy arrays in PyTorch's nn.Linear layout [out, in]; gguf_writer reverses the shape,
so ne[0] = in, as llama.cpp expects. Q/K stay in the interleaved-pair (NORM) RoPE layout llama.cpp
uses for the `llama` architecture: a model trained that way needs no permutation."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import GGUFWriter, ValueType  # noqa: E402

# llama.cpp's llama_ftype: the dominant weight type
FILE_TYPE = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7, "BF16": 32}
# llama.cpp's llama_token_type
TOKEN_NORMAL, TOKEN_CONTROL = 1, 3


def bytes_to_unicode():
    """GPT-2's byte -> printable code point map (byte-level BPE token spelling)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def add_llama_metadata(w, name, n_vocab, dim, n_layers, n_heads, n_kv_heads, ff, ctx, eps=1e-5, theta=10000.0,
                       ftype="F16"):
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", name)
    w.add_uint32("general.file_type", FILE_TYPE[ftype])
    w.add_uint32("llama.vocab_size", n_vocab)
    w.add_uint32("llama.context_length", ctx)
    w.add_uint32("llama.embedding_length", dim)
    w.add_uint32("llama.block_count", n_layers)
    w.add_uint32("llama.feed_forward_length", ff)
    w.add_uint32("llama.rope.dimension_count", dim // n_heads)
    w.add_uint32("llama.attention.head_count", n_heads)
    w.add_uint32("llama.attention.head_count_kv", n_kv_heads)
    w.add_float32("llama.attention.layer_norm_rms_epsilon", eps)
    w.add_float32("llama.rope.freq_base", theta)


def add_bpe_tokenizer(w, tokens, merges, token_types, bos, eos, pre="gpt-2", add_bos=True):
    """tokens: GPT-2 byte-unicode spellings; merges: "a b" strings; token_types: llama_token_type per token.
    pre: llama.cpp knows GPT-2's pre-tokenizer as "gpt-2" (it refuses "gpt2"); vkattn takes both."""
    if len(set(tokens)) != len(tokens):
        raise ValueError("tokens must be unique")
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", pre)
    w.add_array("tokenizer.ggml.tokens", list(tokens), ValueType.STRING)
    w.add_array("tokenizer.ggml.token_type", list(token_types), ValueType.INT32)
    w.add_array("tokenizer.ggml.merges", list(merges), ValueType.STRING)
    w.add_uint32("tokenizer.ggml.bos_token_id", bos)
    w.add_uint32("tokenizer.ggml.eos_token_id", eos)
    w.add_bool("tokenizer.ggml.add_bos_token", add_bos)
    w.add_bool("tokenizer.ggml.add_eos_token", False)


def add_llama_tensors(w, embed, layers, out_norm, output=None, wtype="F16"):
    """embed [vocab, dim]; layers: dicts with attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm,
    ffn_gate, ffn_up, ffn_down ([out, in] matrices, 1-D norms); output [vocab, dim] or None (tied).
    Matrices are stored as wtype, norm weights as F32 (as llama.cpp's converter does)."""
    w.add_tensor("token_embd.weight", embed, wtype)
    for i, l in enumerate(layers):
        for k in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up",
                  "ffn_down"):
            a = np.asarray(l[k], dtype=np.float32)
            w.add_tensor(f"blk.{i}.{k}.weight", a, "F32" if a.ndim == 1 else wtype)
    w.add_tensor("output_norm.weight", np.asarray(out_norm, dtype=np.float32), "F32")
    if output is not None:
        w.add_tensor("output.weight", output, wtype)
