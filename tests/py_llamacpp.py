"""vkattn against llama.cpp itself on the same GGUF files: greedy text, logits, tokens and perplexity.

llama.cpp is its CPU backend in node-llama-cpp's prebuilt binaries (scripts/npm-deps.sh llamacpp, which
scripts/setup.sh runs: no network at test time), driven by scripts/llamacpp_eval.mjs. The files: one synthetic
llama in llama.cpp's layout (scripts/gen_test_models.py: 2 layers of width 256, 4 query / 2 KV heads of 64,
FFN 512, its 295-token SentencePiece vocabulary) written as F32 and quantized by llama.cpp's own quantizer
(scripts/quantize_gguf.py) to Q8_0, Q4_K_M (q4_K + q6_K), Q5_K_M (q5_K + q6_K), Q6_K and IQ4_XS, so the
mixes are the ones llama-quantize writes. Per file:
  (a) greedy: `vkattn run --temp 0` for N_GEN tokens from a fixed prompt vs the argmax of llama.cpp's logits
      at every step: identical tokens, except that after a step where llama.cpp's top-2 logit margin is below
      MARGIN (the two engines may then rightly disagree) nothing more is compared;
  (b) logits of every prompt position and of the decode steps both engines reached with the same tokens:
      max |vkattn - llama.cpp| <= TOL_LOGITS * max |logit|;
  (c) the text's tokens (vkattn tokenize vs llama.cpp's tokenizer) identical; its perplexity
      (`vkattn perplexity -c CTX`, llama-perplexity's definition: windows of CTX tokens from an empty cache,
      first token BOS, the second half scored) within TOL_PPL relative of llama.cpp's on the same windows.
Tolerances: the engines differ by more than rounding. llama.cpp's CPU matmuls quantize the activations
(q8_0 beside q8_0 weights, q8_K beside K-quants and IQ4_XS), keeps K/V in f16 and computes the attention
scores from f16 q; vkattn uses f32 activations (f16 KV cache with 16-bit storage). Measured on these
files: see TOL_LOGITS / TOL_PPL."""
import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from pyref import runner  # noqa: E402
import gen_test_models as gen  # noqa: E402
import quantize_gguf as qg  # noqa: E402

SHAPE = dict(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, n_ff=512, n_ctx=512, theta=10000.0, eps=1e-5)
TYPES = ["Q8_0", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_XS"]
SEED = 3
N_GEN = 24
CTX, CHUNKS = 128, 4
TOL_LOGITS = 2e-2
MARGIN = 4 * TOL_LOGITS  # relative to max |logit|, as TOL_LOGITS
TOL_PPL = 1e-2
TEXT = (
    "the history of the river town begins with a ferry and an inn. traders came on the water in spring and "
    "left before the ice; a few of them stayed, built a mill on the east bank and a school beside it. by the "
    "time the railway arrived the town had a market, two churches and a newspaper that printed the prices of "
    "grain, wool and timber every week. the station was put on the far side of the river, and for twenty years "
    "the people argued about a bridge. when it was finally built, in stone, the old ferryman was given the "
    "first ticket and crossed it on foot while a band played. the mill burned down twice and was rebuilt "
    "twice; the school grew into a college; the newspaper still prints the prices, although nobody in the "
    "town sells wool any more. in the summer the river is low and children walk across the gravel bars to the "
    "islands, where the herons nest in the willows. in the autumn the floods come back, the bars disappear "
    "and the water runs brown and fast under the arches of the bridge, carrying branches, leaves and now and "
    "then a boat that somebody upstream forgot to tie. the town keeps a record of every flood on a post by "
    "the inn: a line and a year, the highest one above the door, where the water stood for three days."
)


def npm_llamacpp():
    """The directory whose node_modules holds node-llama-cpp, or None (exit 77 from npm-deps.sh)."""
    p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "npm-deps.sh"), "llamacpp"], stdout=subprocess.PIPE,
                       text=True)
    if p.returncode == 77:
        return None
    if p.returncode != 0:
        raise RuntimeError(f"scripts/npm-deps.sh llamacpp failed (exit {p.returncode})")
    return p.stdout.strip()


def make_files(workdir, node_dir):
    """The F32 model and its quantized versions: {type: path}."""
    libs = glob.glob(os.path.join(node_dir, "node_modules", "@node-llama-cpp", "linux-x64", "bins", "*", "libllama*.so"))
    if not libs:
        raise RuntimeError(f"no libllama*.so under {node_dir}/node_modules/@node-llama-cpp/linux-x64")
    llama, _ = qg.load_libs(os.path.dirname(libs[0]))
    src = os.path.join(workdir, "llama-f32.gguf")
    w, _, _ = gen.make_model("llama", "F32", SEED, shape=dict(SHAPE))
    w.write(src)
    files = {}
    for t in TYPES:
        files[t] = os.path.join(workdir, f"llama-{t.lower()}.gguf")
        qg.quantize(llama, src, files[t], t)
    return files


def llamacpp_reference(workdir, node_dir, files, prompt, text_path, n_vocab):
    script = os.path.join(node_dir, "llamacpp_eval.mjs")  # resolves node-llama-cpp from there
    shutil.copy(os.path.join(ROOT, "scripts", "llamacpp_eval.mjs"), script)
    job = {"threads": 2, "models": [{"name": t, "path": p, "n_vocab": n_vocab, "prompt": prompt, "n_gen": N_GEN,
                                     "text": text_path, "ctx": CTX, "chunks": CHUNKS} for t, p in files.items()]}
    jp, out = os.path.join(workdir, "job.json"), os.path.join(workdir, "llamacpp.json")
    with open(jp, "w") as f:
        json.dump(job, f)
    subprocess.run(["node", script, jp, out], check=True, cwd=node_dir)
    with open(out) as f:
        return json.load(f)


def check_file(vk, t, path, ref, text_path):
    ok = True
    name = f"llama {t}"
    V = len(ref["logits"][0])
    L = len(ref["prompt"])
    want_logits = np.array(ref["logits"], np.float64)
    dump = path + ".logits"
    rc, out, err = vk.cli("run", "-m", path, "--ids", ",".join(map(str, ref["prompt"])), "-n", str(N_GEN), "--temp", "0",
                          "--ignore-eos", "--print-ids", "--dump-logits", dump)
    if rc != 0:
        print(f"FAIL {name}: vkattn run exited {rc}: {err.strip()}")
        return False
    got_toks = [int(x) for x in out.split()]
    got_logits = np.fromfile(dump, dtype=np.float32).reshape(-1, V).astype(np.float64)
    scale = float(np.abs(want_logits).max())
    # (a) greedy: the first divergence must be explained by a small llama.cpp margin at that step
    d = next((i for i, (a, b) in enumerate(zip(got_toks, ref["greedy"])) if a != b), min(len(got_toks), N_GEN))
    if len(got_toks) != N_GEN:
        print(f"FAIL {name}: vkattn generated {len(got_toks)} tokens, not {N_GEN}")
        ok = False
    margins = []
    for i in range(N_GEN):
        top = np.sort(want_logits[L - 1 + i])[-2:]
        margins.append(float(top[1] - top[0]) / scale)
    if d < N_GEN:
        why = f"llama.cpp's top-2 margin there {margins[d]:.4f} of max |logit|"
        if margins[d] >= MARGIN:
            print(f"FAIL {name} greedy: token {d} differs ({got_toks[d]} vs llama.cpp {ref['greedy'][d]}); {why} >= {MARGIN}")
            ok = False
        else:
            print(f"note {name} greedy: tokens identical up to {d}, then differ where {why} < {MARGIN}")
    else:
        print(f"ok   {name} greedy: {N_GEN} tokens identical (smallest llama.cpp top-2 margin {min(margins):.4f} of max |logit|)")
    # (b) logits of the prompt and of the steps reached with the same tokens
    rows = min(L + d, len(got_logits), len(want_logits))
    ok &= runner.compare(f"{name} logits [{rows}, {V}] vs llama.cpp", got_logits[:rows], want_logits[:rows], TOL_LOGITS)
    # (c) tokens and perplexity of the text
    rc, out, err = vk.cli("tokenize", "-m", path, "-f", text_path, "--ids", "--no-escape", "--no-parse-special")
    ids = json.loads(out) if rc == 0 else None
    if ids != ref["tokens"]:
        print(f"FAIL {name} tokens of the text: rc {rc} {err.strip()} ({len(ids or [])} vs llama.cpp {len(ref['tokens'])})")
        ok = False
    rc, out, err = vk.cli("perplexity", "-m", path, "-f", text_path, "-c", str(CTX), "--chunks", str(CHUNKS))
    if rc != 0 or "PPL = " not in out:
        print(f"FAIL {name} perplexity: exited {rc}: {err.strip()}")
        return False
    got = float(out.split("PPL = ")[1].split()[0])
    rel = abs(got - ref["ppl"]) / ref["ppl"]
    good = rel <= TOL_PPL and f"({ref['count']} tokens scored)" in out
    print(f"{'ok  ' if good else 'FAIL'} {name} perplexity: {got:.4f} vs llama.cpp {ref['ppl']:.4f} (rel {rel:.2g}, "
          f"tol {TOL_PPL}; {ref['count']} tokens in {CHUNKS} windows of {CTX})")
    return ok and good


def main(vk):
    os.makedirs(vk.workdir, exist_ok=True)
    node_dir = npm_llamacpp()
    if node_dir is None:
        raise runner.Skip("node-llama-cpp is not installed and npm or the registry is unreachable (scripts/setup.sh)")
    files = make_files(vk.workdir, node_dir)
    text_path = os.path.join(vk.workdir, "text.txt")
    with open(text_path, "w") as f:
        f.write(TEXT)
    n_vocab = len(gen.llama_vocab()[0])
    prompt = gen.prompt_ids(dict(n_vocab=n_vocab), SEED, 8)
    refs = llamacpp_reference(vk.workdir, node_dir, files, [1] + prompt, text_path, n_vocab)
    print(f"llama.cpp release {refs['llama_cpp_release']}")
    ok = True
    for t, p in files.items():
        ok &= check_file(vk, t, p, refs["models"][t], text_path)
    return ok


if __name__ == "__main__":
    runner.main(main)
