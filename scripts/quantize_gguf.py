#!/usr/bin/python3
"""Quantizes a GGUF with llama.cpp's own quantizer (llama_model_quantize in libllama, called through
ctypes), so the output holds exactly the tensor type mix llama-quantize writes: Q4_K_M = q4_K + q6_K,
"Q4_0" with a q6_K output, fallbacks (q5_0, q5_1, q8_0, iq4_nl) for rows not a multiple of 256.

    quantize_gguf.py IN.gguf OUT.gguf TYPE [--lib DIR] [--threads N]
    quantize_gguf.py --fixtures DIR [--lib DIR]     # the test fixtures tests/data/quant/*.gguf

TYPE: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K IQ4_XS (llama_ftype numbers below).
libllama comes from node-llama-cpp's prebuilt CPU binaries (npm @node-llama-cpp/linux-x64, as
bench/peer-llamacpp/run.sh installs it); without --lib the script looks under build/ and, if it is not
there, installs that package into build/llamacpp with npm (about 10 s, 30 MB).

--fixtures writes small llama models (FIXTURE_SHAPE: 1 layer, width 256, ffn_down rows of 32 that fall
back) in a few ftypes that together hold every block type vkattn decodes, checks that tests/pyref/quants.py
decodes every tensor of them bit-identically to ggml's own dequantize_row_* (libggml-base), and prints
the type mix of each file."""
import argparse
import ctypes
import glob
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

FTYPES = {"Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q2_K": 10, "Q3_K_M": 12, "Q4_K_M": 15,
          "Q5_K_M": 17, "Q6_K": 18, "IQ4_XS": 30}
NLC = "3.22.1"  # node-llama-cpp version, as bench/peer-llamacpp/run.sh

# The fixture models: 1 layer of width 256 (4 heads, 1 KV head) with ffn_down rows of 32 (which fall back
# from K-quants to q5_0 / q8_0 / iq4_nl / q4_0), vocabulary 64 without a tokenizer: 60-100 KB each. Together
# these ftypes hold every block type vkattn decodes (Q5_K and Q5_0 come with Q3_K_M).
FIXTURE_FTYPES = ["Q4_K_M", "Q3_K_M", "Q2_K", "IQ4_XS", "Q4_1", "Q5_1"]
FIXTURE_SHAPE = dict(n_embd=256, n_layer=1, n_head=4, n_head_kv=1, n_ff=32, n_ctx=256, theta=10000.0, eps=1e-5,
                     n_vocab=64)


def find_lib_dir(lib):
    if lib:
        return lib
    pats = [os.path.join(ROOT, "build*", "**", "@node-llama-cpp", "linux-x64", "bins", "*", "libllama*.so")]
    for p in pats:
        hits = sorted(glob.glob(p, recursive=True))
        if hits:
            return os.path.dirname(hits[0])
    work = os.path.join(ROOT, "build", "llamacpp")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "package.json"), "w") as f:
        f.write('{"name": "vkattn-quantize", "private": true}\n')
    env = dict(os.environ, NODE_LLAMA_CPP_SKIP_DOWNLOAD="true")
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", f"@node-llama-cpp/linux-x64@{NLC}"],
                   cwd=work, env=env, check=True)
    hits = glob.glob(os.path.join(work, "node_modules", "@node-llama-cpp", "linux-x64", "bins", "*", "libllama*.so"))
    if not hits:
        sys.exit("quantize_gguf: npm installed @node-llama-cpp/linux-x64 but it has no libllama*.so")
    return os.path.dirname(hits[0])


def load_libs(lib_dir):
    """(libllama, libggml-base), loaded with their dependencies from lib_dir."""
    def one(pattern):
        hits = sorted(glob.glob(os.path.join(lib_dir, pattern)))
        if not hits:
            sys.exit(f"quantize_gguf: no {pattern} in {lib_dir}")
        return ctypes.CDLL(hits[0], mode=ctypes.RTLD_GLOBAL)
    base = one("libggml-base.so")
    one("libggml.*so")
    llama = one("libllama.*so")
    return llama, base


class QuantizeParams(ctypes.Structure):
    # llama_model_quantize_params begins with int32 nthread, int32 ftype; the rest is left as the default
    # returns it (room for more than the struct's size in any version, returned through a hidden pointer)
    _fields_ = [("nthread", ctypes.c_int32), ("ftype", ctypes.c_int32), ("rest", ctypes.c_uint8 * 248)]


def quantize(llama, src, dst, ftype, threads=1):
    llama.llama_model_quantize_default_params.restype = QuantizeParams
    llama.llama_model_quantize.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(QuantizeParams)]
    llama.llama_model_quantize.restype = ctypes.c_uint32
    if hasattr(llama, "llama_backend_init"):
        llama.llama_backend_init()
    p = llama.llama_model_quantize_default_params()
    p.nthread, p.ftype = threads, FTYPES[ftype]
    rc = llama.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(p))
    if rc != 0:
        sys.exit(f"quantize_gguf: llama_model_quantize({src} -> {dst}, {ftype}) returned {rc}")


def raw_tensors(path):
    """{name: (type name, shape (row-major), raw bytes)} of a GGUF."""
    from gguf_reader import read_gguf
    return {k: (t, shape, data) for k, (data, t, shape) in read_gguf(path, raw=True)[1].items()}


def check_against_ggml(base, path):
    """Every quantized tensor of path decoded by pyref.quants == ggml's dequantize_row_<type>, bitwise."""
    from pyref import quants
    for name, (tname, shape, raw) in raw_tensors(path).items():
        if tname in ("F32", "F16"):
            continue
        count = int(np.prod(shape))
        sym = tname.lower()
        fn = getattr(base, "dequantize_row_" + (sym[:-1] + "K" if sym.endswith("_k") else sym))
        fn.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64]
        want = np.zeros(count, np.float32)
        fn(raw, want.ctypes.data, count)
        got = quants.dequantize(tname, raw, count)
        if not np.array_equal(got.view(np.uint32), want.view(np.uint32)):
            sys.exit(f"quantize_gguf: {path}: {name} ({tname}): pyref.quants differs from ggml's dequantize_row")


def type_mix(path):
    mix = {}
    for name, (tname, _, _) in raw_tensors(path).items():
        mix.setdefault(tname, []).append(name)
    return {k: len(v) for k, v in sorted(mix.items())}


def fixtures(out_dir, lib_dir):
    import gen_test_models as gen
    llama, base = load_libs(lib_dir)
    os.makedirs(out_dir, exist_ok=True)
    w, _, _ = gen.make_model("llama", "F32", 3, shape=dict(FIXTURE_SHAPE))
    src = os.path.join(out_dir, "llama-f32.tmp.gguf")
    w.write(src)
    seen = set()
    for ft in FIXTURE_FTYPES:
        dst = os.path.join(out_dir, f"llama-{ft.lower()}.gguf")
        quantize(llama, src, dst, ft)
        check_against_ggml(base, dst)
        mix = type_mix(dst)
        seen |= set(mix)
        print(f"{dst}: {os.path.getsize(dst)} bytes, {mix}")
    os.remove(src)
    print("block types covered:", sorted(seen - {"F32", "F16"}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", nargs="?")
    ap.add_argument("dst", nargs="?")
    ap.add_argument("type", nargs="?", choices=sorted(FTYPES))
    ap.add_argument("--lib", help="directory holding libllama*.so and libggml*.so")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fixtures", metavar="DIR")
    a = ap.parse_args()
    lib_dir = find_lib_dir(a.lib)
    if a.fixtures:
        fixtures(a.fixtures, lib_dir)
        return
    if not (a.src and a.dst and a.type):
        ap.error("IN.gguf OUT.gguf TYPE (or --fixtures DIR)")
    llama, base = load_libs(lib_dir)
    quantize(llama, a.src, a.dst, a.type, a.threads)
    check_against_ggml(base, a.dst)
    print(f"wrote {a.dst}: {type_mix(a.dst)}")


if __name__ == "__main__":
    main()
