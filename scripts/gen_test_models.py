#!/usr/bin/python3
"""Tiny synthetic GGUF decoder models (seeded random weights, small valid tokenizers) for llama (with
grouped-query heads; Llama 3.1 rope_freqs, linear and YaRN scaling, Mistral-Nemo head size), qwen2, qwen3
and gpt2, and reference logits from an independent PyTorch implementation (float64, written from the Hugging
Face modeling code's math, not from vkattn's code).

Layouts as llama.cpp's converters write them:
  llama  Q/K rows permuted (convert_hf_to_gguf.py's permute) so GGUF llama rotates adjacent pairs; the
         reference keeps the Hugging Face layout and rotate_half, which checks that claim too.
  qwen2  unpermuted, Q/K/V biases, rotate_half (NEOX).
  gpt2   fused attn_qkv [3D, D] + bias, learned positions, LayerNorm with biases, tanh GELU, tied output.
  qwen3  unpermuted, no biases, attn_q_norm / attn_k_norm [head_dim], head size from attention.key_length.
Variants (VARIANTS: a test name over a GGUF architecture): llama3 (rope_freqs.weight computed as
convert_hf_to_gguf.py does from rope_scaling "llama3"; the reference applies HF's llama3 inv_freq formula
instead), llama-yarn / llama-linear (rope.scaling.*; the reference uses HF's YaRN / linear inv_freq and
attention factor), nemo (attention.key_length 32 while n_embd / n_head = 16).
Quantized models (Q8_0) are compared against their dequantized weights: the reference uses exactly the
values the file stores.

    gen_test_models.py --arch llama --type q8_0 --out m.gguf [--ref ref.npz --prompt-len 8 --gen 20]

The seed is searched (from --seed up) until every greedy step of the reference has a top-2 logit margin
>= MIN_MARGIN, so identical greedy continuations are a fair test at the stated logit tolerance.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402
from train_demo import bytes_to_unicode  # noqa: E402  GPT-2's byte -> code point table

MIN_MARGIN = 0.05

SHAPES = {  # tiny: the suite stays fast; dims multiples of 32 for Q8_0 / Q4_0
    "llama": dict(n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=96, n_ctx=512, theta=10000.0, eps=1e-5),
    "qwen2": dict(n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=96, n_ctx=512, theta=1000000.0, eps=1e-6),
    "gpt2": dict(n_embd=64, n_layer=2, n_head=4, n_head_kv=4, n_ff=128, n_ctx=512, theta=0.0, eps=1e-5),
    "qwen3": dict(n_embd=64, n_layer=2, n_head=4, n_head_kv=2, head_dim=32, n_ff=96, n_ctx=512, theta=1000000.0, eps=1e-6),
    # Gemma's head size 256; soft-caps small enough to matter on these logits; a window of 4 positions
    "gemma2": dict(n_embd=64, n_layer=2, n_head=2, n_head_kv=1, head_dim=256, n_ff=96, n_ctx=512, theta=10000.0, eps=1e-6,
                   window=4, attn_softcap=5.0, final_softcap=10.0),
    # 6 layers: 5 sliding (base 10000) + 1 global (base 1e6, linear scaling 8); head size 32 (gemma2 tests 256)
    "gemma3": dict(n_embd=64, n_layer=6, n_head=2, n_head_kv=1, head_dim=32, n_ff=96, n_ctx=512, theta=1000000.0,
                   eps=1e-6, window=4, rope_scaling=dict(type="linear", factor=8.0)),
    # LongRoPE over an original context of 128 (context_length 512: llama.cpp picks the long factors unless -c <= 128)
    "phi3": dict(n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=96, n_ctx=512, theta=10000.0, eps=1e-5, window=6,
                 longrope=dict(original=128, use="long")),
}
# Test models over an architecture: name -> (general.architecture, hparams replacing SHAPES[arch]'s).
# Scaling parameters are chosen so every regime occurs at head size 16 (llama3: pair 0 unscaled, pair 1
# smoothed, the rest divided by the factor; yarn: a ramp over pairs 0..3).
VARIANTS = {
    "llama3": ("llama", dict(theta=500000.0, rope_scaling=dict(type="llama3", factor=8.0, low_freq_factor=1.0,
                                                                 high_freq_factor=4.0, original=64))),
    "llama-yarn": ("llama", dict(rope_scaling=dict(type="yarn", factor=4.0, original=128))),
    "llama-linear": ("llama", dict(rope_scaling=dict(type="linear", factor=2.0))),
    "nemo": ("llama", dict(head_dim=32)),
    "phi3-short": ("phi3", dict(longrope=dict(original=128, use="short"))),  # run with -c 128
}


def base_arch(name):
    return VARIANTS[name][0] if name in VARIANTS else name


def model_shape(name):
    if name in VARIANTS:
        arch, over = VARIANTS[name]
        return dict(SHAPES[arch], **over)
    return dict(SHAPES[name])
# The benchmark shape of issue 5 (201M parameters, as measured against llama.cpp): no tokenizer, no reference.
BENCH_201M = dict(n_embd=1024, n_layer=12, n_head=16, n_head_kv=4, n_ff=2816, n_ctx=2048, theta=10000.0, eps=1e-5,
                  n_vocab=32000)


# ---- tokenizers ----------------------------------------------------------------------------------

def gpt2_vocab():
    """Byte-level BPE: the 256 byte symbols (ids in byte order, so text -> ids is byte -> id without
    merges), then <|endoftext|>. No merges: every byte is a token, which tests can reproduce exactly."""
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)] + ["<|endoftext|>"]
    types = [1] * 256 + [3]
    return tokens, types, 256


def gpt2_encode(text):
    return list(text.encode("utf-8"))


def llama_vocab():
    """SentencePiece: <unk>, <s>, </s>, the 256 <0xXX> byte tokens, then a few scored pieces."""
    pieces = ["\u2581", "\u2581t", "he", "\u2581the", "\u2581a", "in", "er", "on", "an", "\u2581of"] + \
        [chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + pieces
    types = [2, 3, 3] + [6] * 256 + [1] * len(pieces)
    scores = [0.0, 0.0, 0.0] + [0.0] * 256 + [-float(i) for i in range(len(pieces))]
    return tokens, types, scores


def add_tokenizer(w, arch):
    if arch in ("llama", "gemma2", "gemma3", "phi3"):
        tokens, types, scores = llama_vocab()
        w.add_string("tokenizer.ggml.model", "llama")
        w.add_array("tokenizer.ggml.tokens", tokens, gw.ValueType.STRING)
        w.add_array("tokenizer.ggml.scores", scores, gw.ValueType.FLOAT32)
        w.add_array("tokenizer.ggml.token_type", types, gw.ValueType.INT32)
        w.add_uint32("tokenizer.ggml.bos_token_id", 1)
        w.add_uint32("tokenizer.ggml.eos_token_id", 2)
        w.add_uint32("tokenizer.ggml.unknown_token_id", 0)
        return len(tokens)
    tokens, types, eot = gpt2_vocab()
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "qwen2" if arch in ("qwen2", "qwen3") else "gpt2")
    w.add_array("tokenizer.ggml.tokens", tokens, gw.ValueType.STRING)
    w.add_array("tokenizer.ggml.token_type", types, gw.ValueType.INT32)
    w.add_array("tokenizer.ggml.merges", [], gw.ValueType.STRING)
    w.add_uint32("tokenizer.ggml.bos_token_id", eot)
    w.add_uint32("tokenizer.ggml.eos_token_id", eot)
    return len(tokens)


# ---- weights -------------------------------------------------------------------------------------

def permute(w, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute: HF rotate_half rows -> adjacent-pair rows."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def stored(a, ttype):
    """The values a file of type ttype holds for float array a (what the reference must use)."""
    a = np.asarray(a, np.float32)
    if ttype == "F32":
        return a.astype(np.float64)
    if ttype == "F16":
        return a.astype(np.float16).astype(np.float64)
    if ttype == "BF16":
        bits = gw.to_bf16_bits(a).astype(np.uint32) << 16
        return bits.view(np.float32).astype(np.float64)
    if ttype == "Q8_0":
        return gw.dequantize_q8_0(gw.quantize_q8_0(a), a.size).reshape(a.shape).astype(np.float64)
    if ttype == "Q4_0":
        return gw.dequantize_q4_0(gw.quantize_q4_0(a), a.size).reshape(a.shape).astype(np.float64)
    raise ValueError(ttype)


def llama3_rope_factors(hp):
    """convert_hf_to_gguf.py's LlamaModel.generate_extra_tensors: rope_freqs.weight from rope_scaling llama3."""
    rs, hd = hp["rope_scaling"], hp.get("head_dim", hp["n_embd"] // hp["n_head"])
    freqs = 1.0 / (hp["theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    low_wl, high_wl = rs["original"] / rs["low_freq_factor"], rs["original"] / rs["high_freq_factor"]
    out = []
    for freq in freqs.tolist():
        wavelen = 2 * np.pi / freq
        if wavelen < high_wl:
            out.append(1.0)
        elif wavelen > low_wl:
            out.append(rs["factor"])
        else:
            smooth = (rs["original"] / wavelen - rs["low_freq_factor"]) / (rs["high_freq_factor"] - rs["low_freq_factor"])
            out.append(1 / ((1 - smooth) / rs["factor"] + smooth))
    return np.array(out, np.float32)


# ttype "MIX": every stacked projection's parts in different types (attn_q | attn_k | attn_v, ffn_gate | ffn_up),
# which vkattn keeps apart as stored (one GEMM per part) instead of stacking.
MIX_TYPES = {"attn_q": "Q8_0", "attn_k": "F16", "attn_v": "Q4_0", "ffn_gate": "Q4_0", "ffn_up": "Q8_0"}


def mixed_type(name):
    part = name.split(".")[-2] if name.count(".") >= 2 else name.split(".")[0]
    return MIX_TYPES.get(part, "Q8_0")


def make_model(arch, ttype, seed, tied=None, writer_hook=None, shape=None):
    """(GGUFWriter, reference weights dict, hparams) for a seeded random model of architecture or variant
    `arch` (shape: hparams other than its own; with n_vocab in it the file gets no tokenizer)."""
    hp = dict(shape or model_shape(arch))
    arch = base_arch(arch)
    rng = np.random.default_rng(seed)
    D, F, H, Hkv = hp["n_embd"], hp["n_ff"], hp["n_head"], hp["n_head_kv"]
    hd = hp.get("head_dim", D // H)
    w = gw.GGUFWriter()
    w.add_string("general.architecture", arch)
    w.add_string("general.name", f"vkattn synthetic {arch} {ttype}")
    V = hp["n_vocab"] if "n_vocab" in hp else add_tokenizer(w, arch)
    hp["n_vocab"] = V
    p = arch + "."
    w.add_uint32(p + "context_length", hp["n_ctx"])
    w.add_uint32(p + "embedding_length", D)
    w.add_uint32(p + "block_count", hp["n_layer"])
    w.add_uint32(p + "feed_forward_length", F)
    w.add_uint32(p + "attention.head_count", H)
    if "head_dim" in hp:
        w.add_uint32(p + "attention.key_length", hd)
        w.add_uint32(p + "attention.value_length", hd)
    rs = hp.get("rope_scaling")
    if rs and rs["type"] in ("linear", "yarn"):  # what the converter writes for these rope_scaling types
        w.add_string(p + "rope.scaling.type", rs["type"])
        w.add_float32(p + "rope.scaling.factor", rs["factor"])
        if "original" in rs:
            w.add_uint32(p + "rope.scaling.original_context_length", rs["original"])
    if rs and rs["type"] == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_rope_factors(hp), "F32")
    if "window" in hp:
        w.add_uint32(p + "attention.sliding_window", hp["window"])
    if "attn_softcap" in hp:
        w.add_float32(p + "attn_logit_softcapping", hp["attn_softcap"])
        w.add_float32(p + "final_logit_softcapping", hp["final_softcap"])
    lr = hp.get("longrope")
    if lr:  # convert_hf_to_gguf.py's Phi3MiniModel: factors as tensors, the attention factor as a key
        lrng = np.random.default_rng(seed + 77)
        hp["long_factors"] = np.sort(lrng.uniform(1.0, 8.0, hd // 2)).astype(np.float32)
        hp["short_factors"] = lrng.uniform(1.0, 1.5, hd // 2).astype(np.float32)
        hp["attn_factor"] = float(np.sqrt(1 + np.log(hp["n_ctx"] / lr["original"]) / np.log(lr["original"])))
        w.add_uint32(p + "rope.scaling.original_context_length", lr["original"])
        w.add_float32(p + "rope.scaling.attn_factor", hp["attn_factor"])
        w.add_tensor("rope_factors_long.weight", hp["long_factors"], "F32")
        w.add_tensor("rope_factors_short.weight", hp["short_factors"], "F32")
    if arch != "gpt2":
        w.add_uint32(p + "attention.head_count_kv", Hkv)
        w.add_float32(p + "rope.freq_base", hp["theta"])
        w.add_uint32(p + "rope.dimension_count", hd)
        w.add_float32(p + "attention.layer_norm_rms_epsilon", hp["eps"])
    else:
        w.add_float32(p + "attention.layer_norm_epsilon", hp["eps"])
    ref = {}
    no_ref = shape is not None  # big benchmark models: skip the float64 copies

    def mat(name, rows, cols, scale, file_rows=None):
        """A matrix stored as ttype; file_rows transforms it before storing (llama's permute)."""
        a = rng.standard_normal((rows, cols), dtype=np.float32) * np.float32(scale)
        fa = file_rows(a) if file_rows else a
        tt = mixed_type(name) if ttype == "MIX" else ttype
        w.add_tensor(name, fa, tt)
        return None if no_ref else stored(fa, tt)

    def vec(name, n, mean, scale):
        a = (mean + rng.standard_normal(n) * scale).astype(np.float32)
        w.add_tensor(name, a, "F32")
        return a.astype(np.float64)

    def gnorm(name, n):
        """A Gemma RMSNorm weight: HF's w (used as 1 + w); the file holds 1 + w as the converter writes it."""
        a = (rng.standard_normal(n) * 0.1).astype(np.float32)
        w.add_tensor(name, (1.0 + a).astype(np.float32), "F32")
        return a.astype(np.float64)

    if arch in ("gemma2", "gemma3", "phi3"):
        w, ref = make_gemma_phi3(arch, hp, w, rng, mat, vec, gnorm, ttype)
        if writer_hook:
            writer_hook(w)
        return w, ref, hp

    # gpt2 ties the output to the embedding: smaller rows keep its logits (and perplexity) moderate
    ref["tok_embd"] = mat("token_embd.weight", V, D, 0.3 if arch == "gpt2" else 1.0)
    if arch == "gpt2":
        ref["pos_embd"] = mat("position_embd.weight", hp["n_ctx"], D, 0.3)
    s = 1.0 / np.sqrt(D)
    for l in range(hp["n_layer"]):
        b = f"blk.{l}."
        ref[b + "attn_norm"] = vec(b + "attn_norm.weight", D, 1.0, 0.1)
        if arch == "gpt2":
            ref[b + "attn_norm_b"] = vec(b + "attn_norm.bias", D, 0.0, 0.1)
            ref[b + "wqkv"] = mat(b + "attn_qkv.weight", 3 * D, D, s)
            ref[b + "bqkv"] = vec(b + "attn_qkv.bias", 3 * D, 0.0, 0.1)
            ref[b + "wo"] = mat(b + "attn_output.weight", D, D, s)
            ref[b + "bo"] = vec(b + "attn_output.bias", D, 0.0, 0.1)
        else:
            perm_q = (lambda a: permute(a, H)) if arch == "llama" else None
            perm_k = (lambda a: permute(a, Hkv)) if arch == "llama" else None
            ref[b + "wq"] = mat(b + "attn_q.weight", H * hd, D, s, perm_q)
            ref[b + "wk"] = mat(b + "attn_k.weight", Hkv * hd, D, s, perm_k)
            if arch == "llama" and not no_ref:  # back to the HF layout the reference uses
                ref[b + "wq"] = unpermute(ref[b + "wq"], H)
                ref[b + "wk"] = unpermute(ref[b + "wk"], Hkv)
            ref[b + "wv"] = mat(b + "attn_v.weight", Hkv * hd, D, s)
            if arch == "qwen3":
                ref[b + "q_norm"] = vec(b + "attn_q_norm.weight", hd, 1.0, 0.2)
                ref[b + "k_norm"] = vec(b + "attn_k_norm.weight", hd, 1.0, 0.2)
            if arch == "qwen2":
                ref[b + "bq"] = vec(b + "attn_q.bias", H * hd, 0.0, 0.2)
                ref[b + "bk"] = vec(b + "attn_k.bias", Hkv * hd, 0.0, 0.2)
                ref[b + "bv"] = vec(b + "attn_v.bias", Hkv * hd, 0.0, 0.2)
            ref[b + "wo"] = mat(b + "attn_output.weight", D, H * hd, s)
        ref[b + "ffn_norm"] = vec(b + "ffn_norm.weight", D, 1.0, 0.1)
        if arch == "gpt2":
            ref[b + "ffn_norm_b"] = vec(b + "ffn_norm.bias", D, 0.0, 0.1)
            ref[b + "up"] = mat(b + "ffn_up.weight", F, D, s)
            ref[b + "up_b"] = vec(b + "ffn_up.bias", F, 0.0, 0.1)
            ref[b + "down"] = mat(b + "ffn_down.weight", D, F, 1.0 / np.sqrt(F))
            ref[b + "down_b"] = vec(b + "ffn_down.bias", D, 0.0, 0.1)
        else:
            ref[b + "gate"] = mat(b + "ffn_gate.weight", F, D, s)
            ref[b + "up"] = mat(b + "ffn_up.weight", F, D, s)
            ref[b + "down"] = mat(b + "ffn_down.weight", D, F, 1.0 / np.sqrt(F))
    ref["out_norm"] = vec("output_norm.weight", D, 1.0, 0.1)
    if arch == "gpt2":
        ref["out_norm_b"] = vec("output_norm.bias", D, 0.0, 0.1)
    if tied is None:
        tied = arch == "gpt2"
    ref["output"] = ref["tok_embd"] if tied else mat("output.weight", V, D, 3.0 / np.sqrt(D))
    if writer_hook:
        writer_hook(w)
    return w, ref, hp


def make_gemma_phi3(arch, hp, w, rng, mat, vec, gnorm, ttype):
    """(writer, reference weights) of the gemma2 / gemma3 / phi3 layouts (unpermuted Q/K: NEOX RoPE)."""
    D, F, H, Hkv = hp["n_embd"], hp["n_ff"], hp["n_head"], hp["n_head_kv"]
    hd, V = hp.get("head_dim", D // H), hp["n_vocab"]
    s = 1.0 / np.sqrt(D)
    ref = {"tok_embd": mat("token_embd.weight", V, D, 1.0 if arch == "phi3" else 0.5)}
    for l in range(hp["n_layer"]):
        b = f"blk.{l}."
        if arch == "phi3":  # fused attn_qkv and ffn_up = gate | up (HF's qkv_proj, gate_up_proj)
            ref[b + "attn_norm"] = vec(b + "attn_norm.weight", D, 1.0, 0.1)
            qkv = mat(b + "attn_qkv.weight", (H + 2 * Hkv) * hd, D, s)
            ref[b + "wq"], ref[b + "wk"], ref[b + "wv"] = np.split(qkv, [H * hd, (H + Hkv) * hd])
            ref[b + "wo"] = mat(b + "attn_output.weight", D, H * hd, s)
            ref[b + "ffn_norm"] = vec(b + "ffn_norm.weight", D, 1.0, 0.1)
            ref[b + "gate"], ref[b + "up"] = np.split(mat(b + "ffn_up.weight", 2 * F, D, s), 2)
            ref[b + "down"] = mat(b + "ffn_down.weight", D, F, 1.0 / np.sqrt(F))
            continue
        ref[b + "attn_norm"] = gnorm(b + "attn_norm.weight", D)
        ref[b + "wq"] = mat(b + "attn_q.weight", H * hd, D, s)
        ref[b + "wk"] = mat(b + "attn_k.weight", Hkv * hd, D, s)
        ref[b + "wv"] = mat(b + "attn_v.weight", Hkv * hd, D, s)
        ref[b + "wo"] = mat(b + "attn_output.weight", D, H * hd, 1.0 / np.sqrt(H * hd))
        if arch == "gemma3":
            ref[b + "q_norm"] = gnorm(b + "attn_q_norm.weight", hd)
            ref[b + "k_norm"] = gnorm(b + "attn_k_norm.weight", hd)
        ref[b + "post_attn_norm"] = gnorm(b + "post_attention_norm.weight", D)
        ref[b + "ffn_norm"] = gnorm(b + "ffn_norm.weight", D)
        ref[b + "gate"] = mat(b + "ffn_gate.weight", F, D, s)
        ref[b + "up"] = mat(b + "ffn_up.weight", F, D, s)
        ref[b + "down"] = mat(b + "ffn_down.weight", D, F, 1.0 / np.sqrt(F))
        ref[b + "post_ffn_norm"] = gnorm(b + "post_ffw_norm.weight", D)
    if arch == "phi3":
        ref["out_norm"] = vec("output_norm.weight", D, 1.0, 0.1)
        ref["output"] = mat("output.weight", V, D, 3.0 / np.sqrt(D))
    else:  # tied, as Gemma's converter leaves it
        ref["out_norm"] = gnorm("output_norm.weight", D)
        ref["output"] = ref["tok_embd"]
    return w, ref


def gemma_phi3_logits(arch, T, hp, ids):
    """Hugging Face's Gemma2 / Gemma3 / Phi3 forward (eager attention), float64."""
    D, H, Hkv, L = hp["n_embd"], hp["n_head"], hp["n_head_kv"], len(ids)
    hd, eps = hp.get("head_dim", D // H), hp["eps"]
    gemma = arch != "phi3"
    pos = torch.arange(L, dtype=torch.float64)

    def table(inv, af):
        ang = pos[:, None] * inv.double()[None, :]
        return torch.cat((ang.cos(), ang.cos()), -1) * af, torch.cat((ang.sin(), ang.sin()), -1) * af

    def rms(v, wt):  # Gemma: * (1 + w); Phi3: * w
        return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps) * ((1.0 + wt) if gemma else wt)

    if arch == "phi3":  # LongRoPE (_compute_longrope_parameters): the factor set llama.cpp picks for the context
        ext = torch.from_numpy(hp[hp["longrope"]["use"] + "_factors"]).float()
        inv = 1.0 / (ext * hp["theta"] ** (torch.arange(0, hd, 2).float() / hd))
        glob = loc = table(inv, hp["attn_factor"])
    else:
        inv, af = rope_inv_freq(hp, hd)  # gemma3: the global layers' (linear scaling)
        glob = table(inv, af)
        loc = table(1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd)), 1.0) if arch == "gemma3" else glob
    i, j = torch.arange(L)[:, None], torch.arange(L)[None, :]
    causal = torch.zeros(L, L, dtype=torch.float64).masked_fill(j > i, float("-inf"))
    sliding = causal.masked_fill(j <= i - hp["window"], float("-inf"))
    x = T["tok_embd"][torch.tensor(ids)]
    if gemma:
        x = x * (D ** 0.5)
    scaling = hd ** -0.5  # query_pre_attn_scalar = head_dim
    for l in range(hp["n_layer"]):
        b = f"blk.{l}."
        is_sliding = (l + 1) % 6 != 0 if arch == "gemma3" else l % 2 == 0 if arch == "gemma2" else True
        cos, sin = loc if is_sliding else glob
        h = rms(x, T[b + "attn_norm"])
        q = (h @ T[b + "wq"].T).view(L, H, hd)
        k = (h @ T[b + "wk"].T).view(L, Hkv, hd)
        v = (h @ T[b + "wv"].T).view(L, Hkv, hd).transpose(0, 1)
        if arch == "gemma3":
            q, k = rms(q, T[b + "q_norm"]), rms(k, T[b + "k_norm"])
        q, k = q.transpose(0, 1), k.transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // Hkv, dim=0)
        v = v.repeat_interleave(H // Hkv, dim=0)
        sc = q @ k.transpose(-1, -2) * scaling
        if arch == "gemma2":
            sc = torch.tanh(sc / hp["attn_softcap"]) * hp["attn_softcap"]
        att = torch.softmax(sc + (sliding if is_sliding else causal), dim=-1) @ v
        o = att.transpose(0, 1).reshape(L, H * hd) @ T[b + "wo"].T
        if gemma:
            o = rms(o, T[b + "post_attn_norm"])
        x = x + o
        h = rms(x, T[b + "ffn_norm"])
        if gemma:
            f = torch.nn.functional.gelu(h @ T[b + "gate"].T, approximate="tanh") * (h @ T[b + "up"].T)
            x = x + rms(f @ T[b + "down"].T, T[b + "post_ffn_norm"])
        else:
            x = x + (torch.nn.functional.silu(h @ T[b + "gate"].T) * (h @ T[b + "up"].T)) @ T[b + "down"].T
    logits = rms(x, T["out_norm"]) @ T["output"].T
    if arch == "gemma2":
        logits = torch.tanh(logits / hp["final_softcap"]) * hp["final_softcap"]
    return logits.numpy()


# ---- the reference forward pass (PyTorch, float64) -----------------------------------------------

def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_inv_freq(hp, hd):
    """(inv_freq, attention factor) as transformers' modeling_rope_utils computes them for
    rope_scaling None / linear / llama3 / yarn (f32 like HF)."""
    base, rs = hp["theta"], hp.get("rope_scaling")
    inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    if not rs:
        return inv, 1.0
    factor = rs["factor"]
    if rs["type"] == "linear":  # positions / factor
        return inv / factor, 1.0
    if rs["type"] == "llama3":  # _compute_llama3_parameters
        old, lf, hf = rs["original"], rs["low_freq_factor"], rs["high_freq_factor"]
        wavelen = 2 * np.pi / inv
        inv_l = torch.where(wavelen > old / lf, inv / factor, inv)
        smooth = (old / wavelen - lf) / (hf - lf)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < old / hf) * ~(wavelen > old / lf)
        return torch.where(medium, smoothed, inv_l), 1.0
    if rs["type"] == "yarn":  # _compute_yarn_parameters (beta_fast 32, beta_slow 1, truncate)
        def corr_dim(rot):
            return (hd * np.log(rs["original"] / (rot * 2 * np.pi))) / (2 * np.log(base))
        low, high = max(np.floor(corr_dim(32)), 0), min(np.ceil(corr_dim(1)), hd - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(hd // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        pos_freqs = base ** (torch.arange(0, hd, 2).float() / hd)
        extra, inter = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
        ef = 1 - ramp
        return inter * (1 - ef) + extra * ef, 0.1 * np.log(factor) + 1.0
    raise ValueError(rs["type"])


def reference_perplexity(arch, ref, hp, ids, ctx, chunks=None, bos=None):
    """llama-perplexity over ids from the float64 reference: windows of ctx tokens (at most `chunks`),
    each from an empty cache with its first token replaced by `bos` when given, scoring the second half."""
    nll, count = 0.0, 0
    n = len(ids) // ctx if chunks is None else min(len(ids) // ctx, chunks)
    for c in range(n):
        win = list(ids[c * ctx:(c + 1) * ctx])
        if bos is not None:
            win[0] = bos
        lg = reference_logits(arch, ref, hp, win)
        lg = lg - lg.max(-1, keepdims=True)
        lp = lg - np.log(np.exp(lg).sum(-1, keepdims=True))
        for j in range(ctx // 2, ctx - 1):
            nll -= lp[j, win[j + 1]]
            count += 1
    return float(np.exp(nll / count))


def reference_logits(arch, ref, hp, ids):
    """Logits [len(ids), V] of the whole sequence, causal, positions 0.."""
    arch = base_arch(arch)
    T = {k: torch.from_numpy(np.asarray(v, np.float64)) for k, v in ref.items()}
    if arch in ("gemma2", "gemma3", "phi3"):
        return gemma_phi3_logits(arch, T, hp, ids)
    D, H, Hkv, L = hp["n_embd"], hp["n_head"], hp["n_head_kv"], len(ids)
    hd = hp.get("head_dim", D // H)
    eps = hp["eps"]
    x = T["tok_embd"][torch.tensor(ids)]
    if arch == "gpt2":
        x = x + T["pos_embd"][:L]
    pos = torch.arange(L, dtype=torch.float64)
    if arch != "gpt2":
        # inv_freq in f32 as HF computes it, angles in float64; the attention factor scales cos and sin
        inv, af = rope_inv_freq(hp, hd)
        ang = pos[:, None] * inv.double()[None, :]
        cos = torch.cat((ang.cos(), ang.cos()), -1) * af
        sin = torch.cat((ang.sin(), ang.sin()), -1) * af
    mask = torch.full((L, L), float("-inf"), dtype=torch.float64).triu(1)

    def rms(v, wt):
        return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps) * wt

    def ln(v, wt, bias):
        mu = v.mean(-1, keepdim=True)
        var = ((v - mu) ** 2).mean(-1, keepdim=True)
        return (v - mu) / torch.sqrt(var + eps) * wt + bias

    for l in range(hp["n_layer"]):
        b = f"blk.{l}."
        if arch == "gpt2":
            h = ln(x, T[b + "attn_norm"], T[b + "attn_norm_b"])
            qkv = h @ T[b + "wqkv"].T + T[b + "bqkv"]
            q, k, v = qkv[:, :D], qkv[:, D:2 * D], qkv[:, 2 * D:]
        else:
            h = rms(x, T[b + "attn_norm"])
            q, k, v = h @ T[b + "wq"].T, h @ T[b + "wk"].T, h @ T[b + "wv"].T
            if arch == "qwen2":
                q, k, v = q + T[b + "bq"], k + T[b + "bk"], v + T[b + "bv"]
        q, k = q.view(L, H, hd), k.view(L, Hkv, hd)
        if arch == "qwen3":  # Qwen3Attention: q_norm / k_norm over head_dim before RoPE
            q, k = rms(q, T[b + "q_norm"]), rms(k, T[b + "k_norm"])
        q, k = q.transpose(0, 1), k.transpose(0, 1)
        v = v.view(L, Hkv, hd).transpose(0, 1)
        if arch != "gpt2":
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // Hkv, dim=0)
        v = v.repeat_interleave(H // Hkv, dim=0)
        att = torch.softmax(q @ k.transpose(-1, -2) / np.sqrt(hd) + mask, dim=-1) @ v
        o = att.transpose(0, 1).reshape(L, H * hd) @ T[b + "wo"].T
        if arch == "gpt2":
            o = o + T[b + "bo"]
        x = x + o
        if arch == "gpt2":
            h = ln(x, T[b + "ffn_norm"], T[b + "ffn_norm_b"])
            u = h @ T[b + "up"].T + T[b + "up_b"]
            u = torch.nn.functional.gelu(u, approximate="tanh")
            x = x + u @ T[b + "down"].T + T[b + "down_b"]
        else:
            h = rms(x, T[b + "ffn_norm"])
            g = torch.nn.functional.silu(h @ T[b + "gate"].T) * (h @ T[b + "up"].T)
            x = x + g @ T[b + "down"].T
    x = ln(x, T["out_norm"], T["out_norm_b"]) if arch == "gpt2" else rms(x, T["out_norm"])
    return (x @ T["output"].T).numpy()


def greedy(arch, ref, hp, prompt, n_gen):
    """Greedy continuation by full recomputation; returns (tokens, logits of each step [n_gen, V],
    smallest top-2 margin)."""
    ids = list(prompt)
    steps, margin = [], float("inf")
    for _ in range(n_gen):
        lg = reference_logits(arch, ref, hp, ids)[-1]
        top = np.sort(lg)[-2:]
        margin = min(margin, float(top[1] - top[0]))
        steps.append(lg)
        ids.append(int(np.argmax(lg)))
    return ids[len(prompt):], np.array(steps), margin


def prompt_ids(hp, seed, n):
    rng = np.random.default_rng(seed + 1000)
    return [int(t) for t in rng.integers(3, hp["n_vocab"] - 1, n)]


def generate(arch, ttype, out, ref_path=None, prompt_len=8, n_gen=20, seed=1, tied=None):
    """Writes the model (and, with ref_path, an .npz with prompt, prompt_logits, greedy tokens and
    their logits). Returns (seed used, margin)."""
    for s in range(seed, seed + 50):
        w, ref, hp = make_model(arch, ttype, s, tied)
        if not ref_path:
            w.write(out)
            return s, None
        prompt = prompt_ids(hp, s, prompt_len)
        toks, steps, margin = greedy(arch, ref, hp, prompt, n_gen)
        if margin < MIN_MARGIN:
            continue
        w.write(out)
        np.savez(ref_path, prompt=np.array(prompt, np.int32), prompt_logits=reference_logits(arch, ref, hp, prompt),
                 greedy=np.array(toks, np.int32), greedy_logits=steps, margin=margin, seed=s)
        return s, margin
    raise RuntimeError(f"no seed in [{seed}, {seed + 50}) gives greedy margins >= {MIN_MARGIN}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=sorted(SHAPES) + sorted(VARIANTS), required=True)
    ap.add_argument("--type", default="f32", choices=["f32", "f16", "bf16", "q8_0", "q4_0", "mix"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--ref", help="write reference logits (.npz)")
    ap.add_argument("--prompt-len", type=int, default=8)
    ap.add_argument("--gen", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bench-201m", action="store_true",
                    help="the 201M llama benchmark model (12 x 1024, 16/4 heads, ff 2816, vocab 32000), no tokenizer")
    a = ap.parse_args()
    if a.bench_201m:
        w, _, hp = make_model("llama", a.type.upper(), a.seed, shape=BENCH_201M)
        w.write(a.out)
        print(f"wrote {a.out}")
        return
    s, margin = generate(a.arch, a.type.upper(), a.out, a.ref, a.prompt_len, a.gen, a.seed)
    print(f"wrote {a.out} (seed {s}" + (f", greedy margin {margin:.3f})" if margin is not None else ")"))


if __name__ == "__main__":
    main()
