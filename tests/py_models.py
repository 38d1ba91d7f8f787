"""Decoder-only GGUF models through `vkattn run` / `perplexity` / `bench model` against an independent
PyTorch implementation (scripts/gen_test_models.py, float64):
  - llama (GQA, permuted Q/K), qwen2 (biases, NEOX), gpt2 (fused QKV, learned positions) in F32, F16, Q8_0
    (and qwen2 "MIX": attn_q / attn_k / attn_v and ffn_gate / ffn_up each in a different type, run as one GEMM
    per part, the weights on the device as many bytes as in the file)
    (references use the dequantized values the file stores): logits of every prompt position (prefill) and
    of 19 decode steps, max abs error relative to the largest |logit| <= TOL[type]; and the greedy
    continuation (argmax on the device) identical to the reference for 20 tokens;
  - a 300-token prompt prefilled in chunks of 128 (-b) so decoding reads a cache past 256 positions
    (split-K decode attention), f32 KV cache (--kv-f32) at a tighter tolerance;
  - perplexity (llama.cpp's windows, second half scored) against the PyTorch perplexity of the same windows;
  - text prompts through the tokenizers, sampling with a seed (same text twice), context overflow;
  - bad files: unsupported tensor type, missing tensor, wrong shape, truncated, unknown architecture,
    missing metadata: clear errors;
  - bench model on a model without a tokenizer.
Models are generated into the work directory at test time (tiny: 2 layers, 64 dim)."""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import runner  # noqa: E402
import gen_test_models as gen  # noqa: E402

# Logit tolerance relative to max |logit|. Errors come from f32 GEMM accumulation order and, on devices
# with 16-bit storage, the f16 KV cache / attention inputs (measured <= 5e-4 relative on lavapipe); weights are compared
# against their stored values, so F16 and Q8_0 need no extra allowance.
TOL = {"F32": 2e-3, "F16": 2e-3, "BF16": 2e-3, "Q8_0": 2e-3, "Q4_0": 2e-3, "MIX": 2e-3}
TOL_KV_F32 = 2e-5
N_GEN = 20


def ids_arg(ids):
    return ",".join(str(int(t)) for t in ids)


def check_model(vk, arch, ttype, prompt_len=8, extra=(), tol=None, label=""):
    name = f"{arch}-{ttype.lower()}{label}"
    path = os.path.join(vk.workdir, name + ".gguf")
    refp = os.path.join(vk.workdir, name + ".npz")
    gen.generate(arch, ttype, path, refp, prompt_len=prompt_len, n_gen=N_GEN)
    ref = np.load(refp)
    prompt = ref["prompt"]
    tol = TOL[ttype] if tol is None else tol
    ok = True
    dump = os.path.join(vk.workdir, name + ".logits")
    # sampled path with logits read back (temperature 0 through the host sampler because of --dump-logits)
    rc, out, err = vk.cli("run", "-m", path, "--ids", ids_arg(prompt), "-n", str(N_GEN), "--temp", "0", "--ignore-eos",
                          "--print-ids", "--dump-logits", dump, *extra)
    if rc != 0:
        print(f"FAIL {name}: vkattn run exited {rc}: {err.strip()}")
        return False
    if ttype == "MIX":
        ok &= runner.device_bytes_ok(name, path, err)
    V = ref["prompt_logits"].shape[1]
    got = np.fromfile(dump, dtype=np.float32).reshape(-1, V)
    L = len(prompt)
    ok &= runner.compare(f"{name} prefill logits [{L}, {V}]", got[:L], ref["prompt_logits"], tol)
    ok &= runner.compare(f"{name} decode logits [{N_GEN - 1}, {V}]", got[L:], ref["greedy_logits"][1:], tol)
    toks = [int(t) for t in out.split()]
    want = [int(t) for t in ref["greedy"]]
    if toks != want:
        print(f"FAIL {name} greedy (host sampler): {toks} != {want}")
        ok = False
    # greedy with the argmax on the device
    rc, out, err = vk.cli("run", "-m", path, "--ids", ids_arg(prompt), "-n", str(N_GEN), "--temp", "0", "--ignore-eos",
                          "--print-ids", *extra)
    toks = [int(t) for t in out.split()] if rc == 0 else None
    if toks != want:
        print(f"FAIL {name} greedy (device argmax): rc {rc} {toks} != {want} {err.strip()}")
        ok = False
    else:
        print(f"ok   {name}: {N_GEN} greedy tokens identical (reference top-2 margin >= {float(ref['margin']):.3f})")
    return ok


def check_perplexity(vk):
    """gpt2 byte-level vocabulary without merges: the token ids are the text's bytes, so the reference
    tokenizes exactly; windows of 64, the second half scored as llama.cpp does."""
    path = os.path.join(vk.workdir, "ppl-gpt2.gguf")
    gen.generate("gpt2", "F32", path, seed=7)
    w, ref, hp = gen.make_model("gpt2", "F32", 7)
    text = ("The quick brown fox jumps over the lazy dog. " * 8)[:320]
    tpath = os.path.join(vk.workdir, "ppl.txt")
    with open(tpath, "w") as f:
        f.write(text)
    ctx = 64
    rc, out, err = vk.cli("perplexity", "-m", path, "-f", tpath, "-c", str(ctx))
    if rc != 0:
        print(f"FAIL perplexity: exited {rc}: {err.strip()}")
        return False
    got = float(out.split("PPL = ")[1].split()[0])
    ids = gen.gpt2_encode(text)
    want = gen.reference_perplexity("gpt2", ref, hp, ids, ctx)
    count = len(ids) // ctx * (ctx - 1 - ctx // 2)  # tokens scored
    rel = abs(got - want) / want
    ok = rel <= 1e-3 and "[1]" in err
    print(f"{'ok  ' if ok else 'FAIL'} perplexity: {got:.4f} vs PyTorch {want:.4f} (rel {rel:.2g}, tol 1e-3; {count} tokens)")
    return ok


def check_text(vk):
    ok = True
    for arch in ("llama", "gpt2"):
        path = os.path.join(vk.workdir, f"{arch}-f32.gguf")
        runs = []
        for _ in range(2):
            rc, out, err = vk.cli("run", "-m", path, "-p", "the cat", "-n", "12", "--temp", "0.9", "--top-k", "20",
                                  "--seed", "42", "--ignore-eos")
            runs.append(out)
            good = rc == 0 and out.startswith("the cat") and "generation:" in err and "prompt eval:" in err
            if not good:
                print(f"FAIL {arch} text prompt: rc {rc} out {out!r} err {err.strip()}")
                ok = False
        if runs[0] != runs[1]:
            print(f"FAIL {arch}: the same seed gave different text")
            ok = False
    # context overflow: a clear message
    rc, out, err = vk.cli("run", "-m", os.path.join(vk.workdir, "llama-f32.gguf"), "--ids", ids_arg(range(3, 23)),
                          "-c", "16", "-n", "4")
    if rc == 0 or "context" not in err:
        print(f"FAIL context overflow: rc {rc}: {err.strip()}")
        ok = False
    print(f"{'ok  ' if ok else 'FAIL'} text prompts, seeded sampling, context overflow")
    return ok


def check_bad_files(vk):
    ok = True
    base = os.path.join(vk.workdir, "bad")

    def q8_1(w):  # blk.0.attn_k.weight as Q8_1 (ggml type 9, 40 bytes per 32 values), which vkattn does not load
        for i, (n, ne, t, data) in enumerate(w.tensors):
            if n == "blk.0.attn_k.weight":
                w.tensors[i] = (n, ne, 9, b"\0" * (ne[0] // 32 * 40 * ne[1]))

    def missing(w):
        w.tensors = [t for t in w.tensors if t[0] != "blk.1.ffn_down.weight"]

    def shape(w):
        for i, (n, ne, t, data) in enumerate(w.tensors):
            if n == "blk.0.attn_k.weight":
                w.tensors[i] = (n, (ne[0], ne[1] * 2), t, data + data)

    def arch(w):
        w.kv["general.architecture"] = w.kv["general.architecture"].replace(b"llama", b"mamba")

    def nokey(w):
        del w.kv["llama.block_count"]

    cases = [(q8_1, ["Q8_1", "F32", "Q4_K", "IQ4_XS"]), (missing, ["blk.1.ffn_down.weight", "missing"]),
             (shape, ["blk.0.attn_k.weight", "shape", "[64, 64]", "[32, 64]"]),
             (arch, ["mamba", "not supported", "llama, qwen2, qwen3, gemma2, gemma3, phi3, gpt2"]), (nokey, ["llama.block_count", "missing"]),
             (None, ["truncated"])]
    for hook, words in cases:
        w, _, _ = gen.make_model("llama", "F32", 1, writer_hook=hook)
        blob = w.tobytes()
        if hook is None:
            blob = blob[:len(blob) * 2 // 3]
        path = f"{base}-{hook.__name__ if hook else 'truncated'}.gguf"
        with open(path, "wb") as f:
            f.write(blob)
        rc, out, err = vk.cli("run", "-m", path, "--ids", "3,4", "-n", "2")
        good = rc != 0 and all(x in err for x in words) and "Traceback" not in err
        print(f"{'ok  ' if good else 'FAIL'} bad file ({hook.__name__ if hook else 'truncated'}): rc {rc}: {err.strip()}")
        ok &= good
    return ok


def check_eos(vk):
    """Generation stops at EOS: the llama f32 model again with tokenizer.ggml.eos_token_id set to the 6th
    token of its greedy continuation, so `run` must print exactly the first 5."""
    ref = np.load(os.path.join(vk.workdir, "llama-f32.npz"))
    greedy = [int(t) for t in ref["greedy"]]
    eos = greedy[5]
    stop = greedy.index(eos)  # 5, or earlier if the token also came before

    def set_eos(w):
        w.kv["tokenizer.ggml.eos_token_id"] = w.kv["tokenizer.ggml.eos_token_id"][:4] + np.uint32(eos).tobytes()

    w, _, _ = gen.make_model("llama", "F32", int(ref["seed"]), writer_hook=set_eos)
    path = os.path.join(vk.workdir, "llama-eos.gguf")
    w.write(path)
    rc, out, err = vk.cli("run", "-m", path, "--ids", ids_arg(ref["prompt"]), "-n", str(N_GEN), "--temp", "0", "--print-ids")
    toks = [int(t) for t in out.split()] if rc == 0 else None
    good = toks == greedy[:stop]
    print(f"{'ok  ' if good else 'FAIL'} stop at EOS (id {eos}): {toks} (expected {greedy[:stop]})")
    # bad input: a token id outside the vocabulary, a file that does not exist
    rc, out, err = vk.cli("run", "-m", path, "--ids", "3,99999", "-n", "2")
    g2 = rc != 0 and "99999" in err and "outside" in err
    rc, out, err = vk.cli("run", "-m", os.path.join(vk.workdir, "no-such.gguf"), "-n", "2")
    g3 = rc != 0 and "no-such.gguf" in err and "VKATTN_ERROR_IO" in err
    print(f"{'ok  ' if g2 and g3 else 'FAIL'} bad token id, missing file: clear errors")
    return good and g2 and g3


def check_memory_limit(vk):
    """A KV cache far beyond the device's memory is refused before anything is uploaded, with the numbers."""
    path = os.path.join(vk.workdir, "llama-f32.gguf")
    rc, out, err = vk.cli("run", "-m", path, "--ids", "3,4", "-n", "2", "-c", "400000000")
    good = rc != 0 and "needs" in err and "MiB" in err and "KV cache" in err
    print(f"{'ok  ' if good else 'FAIL'} device memory check: rc {rc}: {err.strip()}")
    return good


def check_bench(vk):
    def no_tokenizer(w):
        for k in [k for k in w.kv if k.startswith("tokenizer.")]:
            del w.kv[k]

    w, _, _ = gen.make_model("llama", "Q8_0", 2, writer_hook=no_tokenizer)
    path = os.path.join(vk.workdir, "bench-notok.gguf")
    w.write(path)
    rc, out, err = vk.cli("bench", "model", "-m", path, "-p", "32", "-n", "8", "-r", "1", "--json")
    try:
        rows = json.loads(out)["rows"]
        good = rc == 0 and [r["test"] for r in rows] == ["pp32", "tg8"] and all(r["tok_s"] > 0 for r in rows)
    except (ValueError, KeyError, IndexError):
        good = False
    print(f"{'ok  ' if good else 'FAIL'} bench model without a tokenizer: rc {rc} {out.strip()[:200]} {err.strip()[:200]}")
    return good


def main(vk):
    os.makedirs(vk.workdir, exist_ok=True)
    ok = True
    for arch in ("llama", "qwen2", "gpt2"):
        for ttype in ("F32", "F16", "Q8_0"):
            ok &= check_model(vk, arch, ttype)
    # long prompt in chunks; decode over > 256 cached positions; f32 KV cache
    ok &= check_model(vk, "llama", "F32", prompt_len=300, extra=("-b", "128", "--kv-f32"), tol=TOL_KV_F32, label="-long")
    ok &= check_model(vk, "qwen2", "Q8_0", prompt_len=270, extra=("-b", "100"), label="-long")
    # the other stored types, and loading from memory (the built-in model's path)
    ok &= check_model(vk, "llama", "BF16", extra=("--load-memory",))
    ok &= check_model(vk, "gpt2", "Q4_0")
    # stacked projections whose parts differ in type (q8_0 | f16 | q4_0 q/k/v with biases, q4_0 | q8_0 gate/up):
    # one GEMM per part, each part as stored
    ok &= check_model(vk, "qwen2", "MIX")
    ok &= check_memory_limit(vk)
    ok &= check_eos(vk)
    ok &= check_perplexity(vk)
    ok &= check_text(vk)
    ok &= check_bad_files(vk)
    ok &= check_bench(vk)
    return ok


runner.main(main)
