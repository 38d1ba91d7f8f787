#!/usr/bin/python3
# vkattn-test: host
"""vkattn's tokenizers against independent Python implementations (standard library only).

Trains small vocabularies on text from a Debian package (/usr/share/common-licenses, plus a built-in
multilingual paragraph so that accented, CJK and emoji characters get merges too):
  * byte-level BPE: OpenAI's GPT-2 encoder.py algorithm (bytes_to_unicode, pre-tokenization with the
    `re` module, all occurrences of the best-ranked pair merged per step), a few hundred merges;
  * SentencePiece-style: repeatedly merge the adjacent pair whose concatenation is the vocabulary token
    of highest score (ties: leftmost), byte fallback <0xXX>.
The pre-tokenizer regexes (GPT-2, Llama-3, Qwen2, SmolLM) use character classes built from unicodedata
(\\p{L} = category L*, \\p{N} = N*, \\s = White_Space). Special tokens are split out first, longest first.

Then `vkattn tokenize --vocab V.json --batch S.json` must produce exactly the same ids for every string
(corpus lines, whitespace runs, digits, contractions, accents, combining marks, CJK, emoji, special
tokens) and flag combination, and its streamed decoding must give back the input string.
"""
import argparse
import collections
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

# ---- character classes --------------------------------------------------------------------------

WHITE_SPACE = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
               0x202F, 0x205F, 0x3000]


def _esc(cp):
    return "\\U%08x" % cp


def _class(pred):
    """The body of a regex character class matching every code point with pred(category)."""
    parts, start = [], None
    for cp in range(0x110001):
        ok = cp < 0x110000 and not (0xD800 <= cp < 0xE000) and pred(unicodedata.category(chr(cp)))
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            parts.append(_esc(start) if start == cp - 1 else "%s-%s" % (_esc(start), _esc(cp - 1)))
            start = None
    return "".join(parts)


L = _class(lambda c: c[0] == "L")
N = _class(lambda c: c[0] == "N")
S = "".join(_esc(c) for c in WHITE_SPACE)
CR_LF = r"\r\n"

PRE_REGEX = {
    "gpt2": rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+| ?[{N}]+| ?[^{S}{L}{N}]+|[{S}]+(?![^{S}])|[{S}]+",
    "llama3": rf"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^{CR_LF}{L}{N}]?[{L}]+|[{N}]{{1,3}}"
              rf"| ?[^{S}{L}{N}]+[{CR_LF}]*|[{S}]*[{CR_LF}]+|[{S}]+(?![^{S}])|[{S}]+",
    "qwen2": rf"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^{CR_LF}{L}{N}]?[{L}]+|[{N}]"
             rf"| ?[^{S}{L}{N}]+[{CR_LF}]*|[{S}]*[{CR_LF}]+|[{S}]+(?![^{S}])|[{S}]+",
}
COMPILED = {k: re.compile(v) for k, v in PRE_REGEX.items()}
DIGIT = re.compile(rf"[{N}]")
PRE_KIND = {"gpt2": "gpt2", "llama-bpe": "llama3", "qwen2": "qwen2", "smollm": "smollm"}


def pretokenize(kind, text):
    if kind == "smollm":  # every \p{N} alone, GPT-2's regex on the text between
        words, pos = [], 0
        for m in DIGIT.finditer(text):
            words += COMPILED["gpt2"].findall(text[pos:m.start()]) + [m.group()]
            pos = m.end()
        words += COMPILED["gpt2"].findall(text[pos:])
    else:
        words = COMPILED[kind].findall(text)
    assert "".join(words) == text, (kind, text, words)
    return words


# ---- GPT-2 byte-level BPE (encoder.py) ------------------------------------------------------------

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()


def byte_encode(word):
    return "".join(BYTE_ENCODER[b] for b in word.encode("utf-8"))


def get_pairs(word):
    return set(zip(word, word[1:]))


def train_merges(words, n_merges, mergeable=lambda a, b: True):
    """Classic BPE training on a Counter of symbol tuples (most frequent pair first, ties: the largest pair),
    with incremental pair counts. Returns the merges in order."""
    splits = {w: list(w) for w in words}
    pair_count = collections.Counter()
    where = collections.defaultdict(set)

    def count(w, sign):
        sy = splits[w]
        for p in zip(sy, sy[1:]):
            if mergeable(*p):
                pair_count[p] += sign * words[w]
                if sign > 0:
                    where[p].add(w)
                elif pair_count[p] <= 0:
                    del pair_count[p]

    for w in words:
        count(w, 1)
    merges = []
    for _ in range(n_merges):
        if not pair_count:
            break
        best = max(pair_count.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        for w in list(where[best]):
            count(w, -1)
            sy, new, i = splits[w], [], 0
            while i < len(sy):
                if i + 1 < len(sy) and (sy[i], sy[i + 1]) == best:
                    new.append(sy[i] + sy[i + 1])
                    i += 2
                else:
                    new.append(sy[i])
                    i += 1
            splits[w] = new
            count(w, 1)
    return merges


def train_bpe(corpus, n_merges):
    """On the words of both the GPT-2 and the Llama-3 pre-tokenizers, so that merges exist for both
    styles (3-digit groups, newline + indentation runs) and the splitting differences show in the ids."""
    words = collections.Counter(tuple(byte_encode(w)) for w in pretokenize("gpt2", corpus))
    words.update(tuple(byte_encode(w)) for w in pretokenize("llama3", corpus))
    return train_merges(words, n_merges)


class PyBPE:
    def __init__(self, v):
        self.encoder = {t: i for i, t in enumerate(v["tokens"])}
        self.ranks = {tuple(m.split(" ", 1)): i for i, m in reversed(list(enumerate(v["merges"])))}
        self.kind = PRE_KIND[v["pre"]]
        self.ignore_merges = v["pre"] == "llama-bpe"
        self.cache = {}

    def bpe(self, token):  # encoder.py
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        pairs = get_pairs(word)
        while pairs:
            bigram = min(pairs, key=lambda pair: self.ranks.get(pair, float("inf")))
            if bigram not in self.ranks:
                break
            first, second = bigram
            new_word, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            pairs = get_pairs(word)
        self.cache[token] = word
        return word

    def encode_text(self, text):
        ids = []
        for w in pretokenize(self.kind, text):
            enc = byte_encode(w)
            if self.ignore_merges and enc in self.encoder:
                ids.append(self.encoder[enc])
                continue
            ids += [self.encoder[t] for t in self.bpe(enc)]
        return ids


# ---- SentencePiece-style ----------------------------------------------------------------------------

SPACE = "\u2581"


class PySPM:
    def __init__(self, v):
        self.vocab = {t: i for i, t in enumerate(v["tokens"])}
        self.scores = v["scores"]
        self.add_space_prefix = v.get("add_space_prefix", True)

    def encode_text(self, text, prefix):
        syms = list((SPACE if prefix else "") + text.replace(" ", SPACE))
        while True:
            best = None
            for i in range(len(syms) - 1):
                t = self.vocab.get(syms[i] + syms[i + 1])
                if t is not None and (best is None or self.scores[t] > best[0]):
                    best = (self.scores[t], i)
            if best is None:
                break
            i = best[1]
            syms[i:i + 2] = [syms[i] + syms[i + 1]]
        ids = []
        for s in syms:
            if s in self.vocab:
                ids.append(self.vocab[s])
            else:
                ids += [self.vocab["<0x%02X>" % b] for b in s.encode("utf-8")]
        return ids


def train_spm(corpus, n_merges):
    """Character vocabulary (characters seen >= 3 times) plus BPE-style merges on U+2581-escaped words."""
    chars = collections.Counter(corpus.replace(" ", SPACE))
    alphabet = sorted(c for c, k in chars.items() if k >= 3 and c not in "\n")
    words = collections.Counter()
    for line in corpus.split("\n"):
        for w in re.findall(SPACE + "?[^" + SPACE + "]+", SPACE + line.replace(" ", SPACE)):
            words[tuple(c if c in alphabet else "?" for c in w)] += 1
    merges = train_merges(words, n_merges, lambda a, b: "?" not in (a, b))
    return alphabet, [a + b for a, b in merges]


# ---- vocabularies -----------------------------------------------------------------------------------

MULTILINGUAL = """Größere Straßen führen über die Brücke; café, naïve, résumé, Ærøskøbing, Ελληνικά και ελληνικά.
Русский текст: ёжик в тумане, съешь же ещё этих мягких французских булок. Český, polski, türkçe, română.
中文文本：你好，世界。今天天气很好，我们一起去公园吧。日本語のテキスト：こんにちは、カタカナとひらがな。
한국어 텍스트입니다. العربية نص قصير ١٢٣. हिन्दी पाठ यहाँ है। Emoji: 😀 😀 👍 👍🏽 🎉 🇩🇪 ❤️ ✨ 🚀.
"""

NUMBERS_AND_LAYOUT = """In 2024 there were 1234567 visitors, 365 days, 24 hours, 3.14159, 2.71828, 1000000 and 42.
Call 555-0123 or 800 555 0199; ISBN 978-3-16-148410-0; v1.2.3; 0x1F; 10,000,000 and 99.99%; 123 456 789.
DON'T WON'T I'LL YOU'RE WE'VE HE'D SHE'S IT'S I'M they'll we'd you've.\r
Windows lines\r\nend like this\r\n\r\n  and   indented\n    code:\n\tif (x) {\n\t\treturn 1;\n\t}\n
"""


def corpus_text():
    text = ""
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path) and len(text) < 120000:
            with open(path, encoding="utf-8", errors="replace") as f:
                text += f.read()
    return text[:120000] + MULTILINGUAL * 4 + NUMBERS_AND_LAYOUT * 12


def bpe_vocab(corpus, rng):
    merges = train_bpe(corpus, 400)
    tokens = [BYTE_ENCODER[b] for b in range(256)] + ["".join(m) for m in merges]
    tokens = list(dict.fromkeys(tokens))
    rng.shuffle(tokens)  # ids unrelated to merge order: catches id mix-ups
    tokens.append(byte_encode(" zyzzyva"))  # a word no merge builds: only ignore_merges (Llama-3) finds it
    types = [1] * len(tokens)
    specials = [("<|endoftext|>", 3), ("<|begin_of_text|>", 3), ("<|im_start|>", 3), ("<|im_end|>", 3),
                ("<tool_call>", 4), ("</tool_call>", 4)]
    for t, ty in specials:
        tokens.append(t)
        types.append(ty)
    ids = {t: i for i, t in enumerate(tokens)}
    return {"model": "gpt2", "tokens": tokens, "token_type": types, "merges": [" ".join(m) for m in merges],
            "bos_id": ids["<|endoftext|>"], "eos_id": ids["<|endoftext|>"]}, ids


def spm_vocab(corpus):
    alphabet, pieces = train_spm(corpus, 300)
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    scores = [0.0] * len(tokens)
    if SPACE not in alphabet:
        alphabet.append(SPACE)
    for i, c in enumerate(alphabet):
        tokens.append(c)
        types.append(1)
        scores.append(-1000.0 - i)
    for r, p in enumerate(pieces):  # score -(rank // 3): some scores tie, so the leftmost rule matters
        if p not in tokens:
            tokens.append(p)
            types.append(1)
            scores.append(-float(r // 3))
    tokens.append("<|user|>")  # user-defined: split out of the text even without parse_special
    types.append(4)
    scores.append(0.0)
    return {"model": "llama", "tokens": tokens, "scores": scores, "token_type": types,
            "bos_id": 1, "eos_id": 2, "unknown_id": 0}


# ---- the shared front end: special tokens, BOS/EOS ----------------------------------------------------

def partition(v, text, parse_special):
    """Split out special tokens, longest first (ties: lower id); user-defined ones always."""
    specials = [(len(t), i) for i, t in enumerate(v["tokens"])
                if v["token_type"][i] in (2, 3, 4) and t and (parse_special or v["token_type"][i] == 4)]
    frags = [text] if text else []
    for _, sid in sorted(specials, key=lambda x: (-x[0], x[1])):
        s = v["tokens"][sid]
        out = []
        for f in frags:
            if isinstance(f, int):
                out.append(f)
                continue
            parts = f.split(s)
            for k, p in enumerate(parts):
                if k:
                    out.append(sid)
                if p:
                    out.append(p)
        frags = out
    return frags


def py_add_bos(v):
    return v.get("add_bos", v["model"] == "llama" or v.get("pre") == "llama-bpe")


def py_encode(v, model, text, add_special, parse_special):
    ids = []
    if add_special and py_add_bos(v):
        ids.append(v["bos_id"])
    prev_special = True
    for f in partition(v, text, parse_special):
        if isinstance(f, int):
            ids.append(f)
            prev_special = True
        elif v["model"] == "llama":
            ids += model.encode_text(f, model.add_space_prefix and prev_special)
            prev_special = False
        else:
            ids += model.encode_text(f)
    if add_special and v.get("add_eos", False):
        ids.append(v["eos_id"])
    return ids


# ---- test strings ---------------------------------------------------------------------------------

HANDMADE = [
    "", " ", "  ", "\n", "\n\n\n", "\t", " \t \n ", "hello", " hello", "hello ", "Hello, World!", "hello   world",
    "a  b   c    d", "trailing spaces   ", "   leading", "line1\nline2\r\nline3\r\n\r\n", "tabs\tand\tmore\t\t x",
    "  \n  x", "\n \n y", "a \t\tb", "don't I'll we're they've she'd it's I'm", "DON'T I'LL WE'RE YOU'VE HE'D",
    "'s 'S '' 'x ' ll", "o'clock rock'n'roll", "12345678901", "3.14159 2,718 1e10 -42", "in 2024, 100 000 people",
    "a1b22c333d4444e55555", " 1 22 333", "1234567 and 365 days", "7 days\r\n\r\n  next\r\n\tx",
    "\n\n  x", "text\n\n   more\n \n  end", "WE'Re THEY'VE I'Ll x'The y'This 'The", "café naïve résumé Ærø",
    "e\u0301 combining acute, n\u0303", "Straße Größe ÄÖÜ",
    "Ελληνικά κείμενα", "Русский текст, ёж", "中文测试，你好世界。", "日本語のテキスト、カタカナ", "한국어 텍스트",
    "emoji 😀👍🏽 👨\u200d👩\u200d👧 🇩🇪!", "mixed中English混合", "Arabic العربية ١٢٣ digits", "हिन्दी पाठ",
    "superscript x² ½ Ⅻ ⑤ ٣", "nbsp\u00a0here", "ideographic\u3000space", "line\u2028sep", "ctl\x1cchars\x1f ok\x7f",
    "zyzzyva zyzzyvas Zyzzyva  zyzzyva", "<|endoftext|>", "hi<|endoftext|>there", "<|im_start|>user\nhello<|im_end|>\n",
    "<tool_call>{\"a\": 1}</tool_call>", "a<tool_call><tool_call>b", "<s>not special</s> <unk>", "<0x41> literal",
    "<|user|> hi <|user|>x", "$$$ ### !!! ??? ... ---", "email@example.com https://x.org/a?b=c&d=%20",
    "C:\\path\\to\\file.txt", "x = f(y) + g[z] * 2;  // comment", "a" * 300, "ab" * 100 + " " + "ba" * 100,
    "GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007", "Copyright (C) 2007 Free Software Foundation, Inc.",
]


def test_strings(corpus, rng):
    lines = [l for l in corpus.split("\n") if l.strip()]
    return HANDMADE + rng.sample(lines, min(80, len(lines)))


# ---- main ------------------------------------------------------------------------------------------

def run_cli(cli, vocab_path, strings_path, flags):
    r = subprocess.run([cli, "tokenize", "--vocab", vocab_path, "--batch", strings_path] + flags,
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        sys.exit("vkattn tokenize failed (%d): %s" % (r.returncode, r.stderr.decode(errors="replace")))
    return json.loads(r.stdout.decode("utf-8"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vkattn", required=True, help="path of the vkattn CLI")
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    work = tempfile.mkdtemp(dir=args.workdir)  # the test runs once per driver, maybe in parallel

    rng = random.Random(1234)
    corpus = corpus_text()
    bpe, _ = bpe_vocab(corpus, rng)
    spm = spm_vocab(corpus)
    configs = {
        "bpe-gpt2": dict(bpe, pre="gpt2"),
        "bpe-llama3": dict(bpe, pre="llama-bpe", bos_id=bpe["tokens"].index("<|begin_of_text|>")),  # add_bos default
        "bpe-qwen2": dict(bpe, pre="qwen2", add_bos=False, eos_id=bpe["tokens"].index("<|im_end|>"), add_eos=True),
        "bpe-smollm": dict(bpe, pre="smollm", add_bos=True),
        "spm": dict(spm),
        "spm-eos-noprefix": dict(spm, add_space_prefix=False, add_eos=True),
    }
    strings = test_strings(corpus, rng)
    strings_path = os.path.join(work, "strings.json")
    with open(strings_path, "w", encoding="utf-8") as f:
        json.dump(strings, f, ensure_ascii=False)

    checks = failures = 0
    for name, v in configs.items():
        vocab_path = os.path.join(work, name + ".json")
        with open(vocab_path, "w", encoding="utf-8") as f:
            json.dump(v, f, ensure_ascii=False)
        model = PySPM(v) if v["model"] == "llama" else PyBPE(v)
        for flags in ([], ["--no-add-special"], ["--parse-special"]):
            got = run_cli(args.vkattn, vocab_path, strings_path, flags)
            add_special, parse_special = "--no-add-special" not in flags, "--parse-special" in flags
            n_tok, before = 0, failures
            for s, g in zip(strings, got):
                want = py_encode(v, model, s, add_special, parse_special)
                n_tok += len(want)
                checks += 2
                if g["ids"] != want:
                    failures += 1
                    if failures <= 10:
                        print("MISMATCH %s %s %r\n  vkattn %s\n  python %s" % (name, flags, s, g["ids"], want))
                back = s.replace(SPACE, " ") if v["model"] == "llama" else s  # SentencePiece decodes U+2581 as space
                if parse_special:  # BOS/EOS are decoded as their text too
                    back = "".join(v["tokens"][i] for i in want[:1] if i == v["bos_id"] and py_add_bos(v)) + back
                    back += "".join(v["tokens"][i] for i in want[-1:] if i == v["eos_id"] and v.get("add_eos"))
                if g["text"] != back:
                    failures += 1
                    if failures <= 10:
                        print("ROUND TRIP %s %s: %r -> %r" % (name, flags, s, g["text"]))
            print("%-18s %-18s %3d strings, %5d tokens: %s" % (name, " ".join(flags) or "(default)", len(strings),
                                                               n_tok, "%d failures" % (failures - before) if failures > before else "ok"))
    print("%d checks, %d failures (vocabularies: %d BPE tokens / %d merges, %d SPM tokens)" % (
        checks, failures, len(bpe["tokens"]), len(bpe["merges"]), len(spm["tokens"])))
    if failures:
        print("inputs and vocabularies kept in", work)
        return 1
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
