"""GGUF files quantized by llama.cpp's own quantizer (tests/data/quant/*.gguf, written by
scripts/quantize_gguf.py --fixtures: Q4_K_M, Q3_K_M, Q2_K, IQ4_XS, Q4_1, Q5_1 of one small llama, which
between them hold Q2_K..Q6_K, IQ4_XS, IQ4_NL, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 tensors) through `vkattn run`,
against the float64 PyTorch reference of scripts/gen_test_models.py on the weights the file stores,
decoded by tests/pyref/quants.py (which the generator checked bitwise against ggml's dequantize_row_*):
logits of a 7-token prompt (prefill) and of 6 decode steps (fed the reference's greedy tokens), max abs
error relative to the largest |logit| <= TOL; and the weights on the device as many bytes as the file's
tensors (Q4_K_M's attn_q | attn_k | attn_v stack mixes q4_K and q6_K: each part stays as stored)."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import quants, runner  # noqa: E402
import gen_test_models as gen  # noqa: E402
from gguf_reader import read_gguf  # noqa: E402

DATA = os.path.join(HERE, "data", "quant")
# As tests/py_models.py: f32 accumulation order and (with 16-bit storage) the f16 KV cache; the weights
# are the stored ones, so quantization itself adds nothing.
TOL = 2e-3
N_GEN = 6


def reference(path):
    """(ref weights in gen_test_models' layout, hparams) from the file's metadata and decoded tensors."""
    meta, tensors = read_gguf(path, raw=True)
    raw = {k: (t, shape, data) for k, (data, t, shape) in tensors.items()}

    def t(name):
        tname, shape, data = raw[name]
        if tname == "F32":
            a = np.frombuffer(data, "<f4")
        elif tname == "F16":
            a = np.frombuffer(data, "<f2").astype(np.float32)
        else:
            a = quants.dequantize(tname, data, int(np.prod(shape)))
        return a.reshape(shape).astype(np.float64)

    p = "llama."
    hp = dict(n_embd=meta[p + "embedding_length"], n_layer=meta[p + "block_count"], n_head=meta[p + "attention.head_count"],
              n_head_kv=meta[p + "attention.head_count_kv"], theta=meta[p + "rope.freq_base"],
              eps=meta[p + "attention.layer_norm_rms_epsilon"])
    ref = {"tok_embd": t("token_embd.weight"), "out_norm": t("output_norm.weight"), "output": t("output.weight")}
    hp["n_vocab"] = ref["tok_embd"].shape[0]
    names = {"attn_norm": "attn_norm", "wq": "attn_q", "wk": "attn_k", "wv": "attn_v", "wo": "attn_output",
             "ffn_norm": "ffn_norm", "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}
    for l in range(hp["n_layer"]):
        b = f"blk.{l}."
        for k, n in names.items():
            ref[b + k] = t(b + n + ".weight")
        # GGUF llama stores Q/K rows permuted for adjacent-pair rotation; the reference uses the HF layout
        ref[b + "wq"] = gen.unpermute(ref[b + "wq"], hp["n_head"])
        ref[b + "wk"] = gen.unpermute(ref[b + "wk"], hp["n_head_kv"])
    return ref, hp


def check_file(vk, path):
    name = os.path.basename(path)[:-5]
    ref, hp = reference(path)
    rng = np.random.default_rng(7)
    prompt = [int(t) for t in rng.integers(0, hp["n_vocab"], 7)]
    # the reference's greedy continuation: vkattn decodes the same tokens, so both see the same inputs
    toks, steps, margin = gen.greedy("llama", ref, hp, prompt, N_GEN)
    want_prompt = gen.reference_logits("llama", ref, hp, prompt)
    dump = os.path.join(vk.workdir, name + ".logits")
    rc, out, err = vk.cli("run", "-m", path, "--ids", ",".join(map(str, prompt)), "-n", str(N_GEN), "--temp", "0",
                          "--ignore-eos", "--print-ids", "--dump-logits", dump)
    if rc != 0:
        print(f"FAIL {name}: vkattn run exited {rc}: {err.strip()}")
        return False
    # stacks whose parts differ in type (Q4_K_M: attn_v q6_K beside q4_K attn_q / attn_k) stay as stored
    ok = runner.device_bytes_ok(name, path, err)
    V = hp["n_vocab"]
    got = np.fromfile(dump, dtype=np.float32).reshape(-1, V)
    L = len(prompt)
    ok &= runner.compare(f"{name} prefill logits [{L}, {V}]", got[:L], want_prompt, TOL)
    ok &= runner.compare(f"{name} decode logits [{N_GEN - 1}, {V}]", got[L:], steps[1:], TOL)
    got_toks = [int(t) for t in out.split()]
    if margin >= gen.MIN_MARGIN and got_toks != toks:
        print(f"FAIL {name} greedy: {got_toks} != {toks} (reference top-2 margin {margin:.3f})")
        ok = False
    return ok


def main(vk):
    os.makedirs(vk.workdir, exist_ok=True)
    files = sorted(f for f in os.listdir(DATA) if f.endswith(".gguf"))
    if len(files) < 6:
        print(f"FAIL {DATA}: {len(files)} fixture files (run scripts/quantize_gguf.py --fixtures {DATA})")
        return False
    ok = True
    for f in files:
        ok &= check_file(vk, os.path.join(DATA, f))
    return ok


if __name__ == "__main__":
    runner.main(main)
