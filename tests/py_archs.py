"""The architectures beyond llama/qwen2/gpt2 (and llama's Llama 3.x / Mistral-Nemo features) through
`vkattn run` against an independent float64 PyTorch forward (scripts/gen_test_models.py, written from the
Hugging Face modeling code's math) on tiny synthetic GGUF files laid out as llama.cpp's converter writes them:
  - llama3 (rope_freqs.weight), llama-yarn and llama-linear (rope.scaling.*), nemo (attention.key_length
    != n_embd / n_head), qwen3 (q/k norms, head size from key_length), gemma2 (soft-capping, sliding window
    on alternate layers, post-norms, GELU-tanh, head size 256), gemma3 (5 sliding : 1 global layers with
    their own RoPE bases, q/k norms), phi3 (fused qkv and gate|up, LongRoPE long and short factors, sliding
    window): F32 and Q8_0 (references use the dequantized values the file stores); logits of every prompt
    position (prefill) and of the decode steps, max abs error relative to the largest |logit| <= TOL;
    greedy continuation identical (sliding windows in the split-K decode kernel: gpu_attention / py_attention);
  - mixture-of-experts files and unknown RoPE scaling types are refused with messages that say so.
py_models.py covers the common machinery (chunked prefill, KV cache dtypes, tokenizers, bad files)."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import runner  # noqa: E402
import gen_test_models as gen  # noqa: E402

# As py_models.py: f32 GEMM accumulation order and the f16 KV cache on devices with 16-bit storage.
TOL = 2e-3
N_GEN = 10


def check_model(vk, name, ttype, prompt_len=8, extra=(), label=""):
    tag = f"{name}-{ttype.lower()}{label}"
    path = os.path.join(vk.workdir, tag + ".gguf")
    refp = os.path.join(vk.workdir, tag + ".npz")
    gen.generate(name, ttype, path, refp, prompt_len=prompt_len, n_gen=N_GEN)
    ref = np.load(refp)
    prompt = ref["prompt"]
    dump = os.path.join(vk.workdir, tag + ".logits")
    rc, out, err = vk.cli("run", "-m", path, "--ids", ",".join(str(int(t)) for t in prompt), "-n", str(N_GEN),
                          "--temp", "0", "--ignore-eos", "--print-ids", "--dump-logits", dump, *extra)
    if rc != 0:
        print(f"FAIL {tag}: vkattn run exited {rc}: {err.strip()}")
        return False
    V = ref["prompt_logits"].shape[1]
    got = np.fromfile(dump, dtype=np.float32).reshape(-1, V)
    L = len(prompt)
    ok = runner.compare(f"{tag} prefill logits [{L}, {V}]", got[:L], ref["prompt_logits"], TOL)
    ok &= runner.compare(f"{tag} decode logits [{N_GEN - 1}, {V}]", got[L:], ref["greedy_logits"][1:], TOL)
    toks, want = [int(t) for t in out.split()], [int(t) for t in ref["greedy"]]
    if toks != want:
        print(f"FAIL {tag} greedy: {toks} != {want}")
        ok = False
    else:
        print(f"ok   {tag}: {N_GEN} greedy tokens identical (reference top-2 margin >= {float(ref['margin']):.3f})")
    return ok


def check_refusals(vk):
    def moe_llama(w):  # Mixtral converts to "llama" with experts
        w.add_uint32("llama.expert_count", 8)
        w.add_uint32("llama.expert_used_count", 2)

    def moe_arch(w):
        w.kv = {k.replace("llama.", "qwen3moe."): v for k, v in w.kv.items() if k != "general.architecture"}
        w.add_string("general.architecture", "qwen3moe")

    def rope_type(w):
        w.add_string("llama.rope.scaling.type", "dynamic")

    ok = True
    for hook, words in ((moe_llama, ["mixture-of-experts", "expert_count = 8"]), (moe_arch, ["qwen3moe", "mixture-of-experts"]),
                        (rope_type, ["rope.scaling.type", "dynamic", "not supported"])):
        w, _, _ = gen.make_model("llama", "F32", 1, writer_hook=hook)
        path = os.path.join(vk.workdir, f"bad-{hook.__name__}.gguf")
        w.write(path)
        rc, out, err = vk.cli("run", "-m", path, "--ids", "3,4", "-n", "2")
        good = rc != 0 and all(x in err for x in words) and "missing" not in err
        print(f"{'ok  ' if good else 'FAIL'} refused ({hook.__name__}): rc {rc}: {err.strip()}")
        ok &= good
    return ok


def main(vk):
    os.makedirs(vk.workdir, exist_ok=True)
    ok = True
    for name, types in (("llama3", ("F32", "Q8_0")), ("llama-yarn", ("F32",)), ("llama-linear", ("F32",)),
                        ("nemo", ("Q8_0",)), ("qwen3", ("F32", "Q8_0")), ("gemma2", ("F32", "Q8_0")),
                        ("gemma3", ("F32", "Q8_0")), ("phi3", ("F32",)), ("phi3-short", ("Q8_0",))):
        for ttype in types:
            ok &= check_model(vk, name, ttype, extra=("-c", "128") if name == "phi3-short" else ())
    ok &= check_refusals(vk)
    return ok


runner.main(main)
