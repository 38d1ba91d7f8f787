#!/usr/bin/env python3
"""Seeds for the fuzz targets (tests/fuzz/corpus/<target>/), made with the project's own generators:
gguf_writer.py (every metadata type, every tensor type), gen_test_models.py (the test models' tokenizers),
gen_hf_models.py (BERT / ViT config.json, sharded safetensors, the WordPiece vocabulary), and the built-in
chat templates of src/chat/chat.c, and the requests of the OpenAI API `vkattn serve` answers. Kept small
(kilobytes): libFuzzer grows the corpus in campaigns; scripts/fuzz.sh merges back only what adds coverage.

    /usr/bin/python3 scripts/gen_fuzz_corpus.py [--out tests/fuzz/corpus]
"""
import argparse
import json
import os
import re
import struct
import sys
import tempfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import gguf_writer as gw  # noqa: E402
import gen_test_models as tm  # noqa: E402
import gen_hf_models as hm  # noqa: E402
from pyref import st  # noqa: E402

TOKEN_TYPE_PREFIX = {3: b"\x03", 4: b"\x04", 6: b"\x06", 2: b"\x02"}  # fuzz_tokenizer.c's line prefixes


def put(out, target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def st_bytes(tensors, metadata=None):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.safetensors")
        st.save(p, tensors)
        raw = open(p, "rb").read()
    if metadata is None:
        return raw
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + raw[8 + n:]


def gguf(out):
    put(out, "gguf", "demo.gguf", gw.demo().tobytes())
    w = gw.GGUFWriter(alignment=64, version=2)
    w.add_string("general.architecture", "gpt2")
    w.add_tensor("a", np.arange(4, dtype=np.float32), "F32")
    w.add_tensor("b", np.arange(64, dtype=np.float32).reshape(2, 32), "Q8_0")
    put(out, "gguf", "v2-align64.gguf", w.tobytes())
    for arch in ("llama", "gpt2"):
        w = gw.GGUFWriter()
        w.add_string("general.architecture", arch)
        tm.add_tokenizer(w, arch)
        put(out, "gguf", f"tokenizer-{arch}.gguf", w.tobytes())
    put(out, "gguf", "empty.gguf", gw.GGUFWriter().tobytes())


def safetensors(out):
    rng = np.random.default_rng(3)
    put(out, "safetensors", "types.safetensors", st_bytes({
        "f32": rng.standard_normal((2, 3)).astype(np.float32), "f16": rng.standard_normal(4).astype(np.float16),
        "bf16": st.BF16.from_f32(rng.standard_normal((1, 2, 2, 1)).astype(np.float32)),
        "i32": np.arange(5, dtype=np.int32), "scalar": np.array(1.5, np.float32),
        "empty": np.zeros((0, 3), np.float32)}, metadata={"format": "pt"}))
    put(out, "safetensors", "one.safetensors", st_bytes({"w": np.ones(2, np.float32)}))


def hf_config(out):
    rng = np.random.default_rng(4)
    bert = hm.bert_config(labels=["neg", "pos"])
    put(out, "hf_config", "bert.json", json.dumps(bert, indent=1).encode())
    put(out, "hf_config", "vit.json", json.dumps(hm.vit_config(labels=["a", "b", "c"])).encode())
    shard = st_bytes({"w": np.ones(2, np.float32), "b": rng.standard_normal((2, 2)).astype(np.float32)})
    index = {"metadata": {"total_size": 24}, "weight_map": {"w": "model.safetensors", "b": "model.safetensors"}}
    put(out, "hf_config", "sharded", json.dumps(bert).encode() + b"\n#index\n" + json.dumps(index).encode()
        + b"\n#shard\n" + shard)
    put(out, "hf_config", "missing-shard", b'{"hidden_size": 8}\n#index\n{"weight_map": {"w": "other.safetensors"}}')


def tokenizer(out):
    # flags: bit0 llama, bits1-3 pre, bit4 complete byte vocabulary, bit5 parse_special, bit6 add_special,
    # bit7 add_space_prefix (see tests/fuzz/fuzz_tokenizer.c)
    text = "Hello world, the cat's 123 \u00e9t\u00e9 \u4f60\u597d  <|im_end|>\n\ttabs".encode()
    b2u = tm.bytes_to_unicode()
    gpt2_pieces = ["\u0120t", "he", "\u0120the", "\u0120w", "or", "ld", "\u0120world", "<|im_end|>", "<tool>"]
    merges = ["\u0120 t", "h e", "\u0120t he", "\u0120 w", "o r", "l d", "\u0120w or", "\u0120wor ld"]
    vocab = b"\n".join(b"\x03" + p.encode() if p == "<|im_end|>" else b"\x04" + p.encode() if p == "<tool>"
                       else p.encode() for p in gpt2_pieces)
    for flags, name in ((0x10 | 2 << 1, "gpt2-complete"), (0x10 | 0x20 | 0x40 | 3 << 1, "qwen2-special"),
                        (2 << 1 | 0x30, "llama3-pre"), (4 << 1, "smollm-partial")):
        put(out, "tokenizer", name, bytes([flags]) + vocab + b"\n#merges\n" + "\n".join(merges).encode()
            + b"\n#text\n" + text)
    bytes_only = b"\n".join(b2u[b].encode() for b in range(256))
    put(out, "tokenizer", "gpt2-bytes-only", bytes([0]) + bytes_only + b"\n#text\n" + text)
    tokens, types, scores = tm.llama_vocab()
    pieces = [TOKEN_TYPE_PREFIX.get(t, b"") + s.encode() for s, t in zip(tokens, types) if t != 6]
    llama = b"\n".join(pieces + [b"\x03<|im_end|>", b"\x04<tool>"])
    for flags, name in ((0x91, "llama-complete"), (0xF1, "llama-special"), (0x01, "llama-no-prefix"),
                        (0x81, "llama-partial")):
        put(out, "tokenizer", name, bytes([flags]) + llama + b"\n#text\n" + text + b" <tool> end")


def wordpiece(out):
    vocab = "\n".join(hm.VOCAB).encode()
    texts = ["Hello World! The cat sat on the mat.", "unaffable playing runs: caf\u00e9 na\u00efve R\u00e9sum\u00e9",
             "\u4f60\u597d\u4e16\u754c attention is all you need", "\x00ctrl\x07 \u200b zero-width" + "a" * 120]
    for flags, i in ((0x01, 0), (0x07, 1), (0x09, 2), (0x30, 3)):
        put(out, "wordpiece", f"text{i}-flags{flags:02x}", bytes([flags]) + vocab + b"\n#text\n" + texts[i].encode())


def png(w, h, rgb):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb[y * w * 3:(y + 1) * w * 3]) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def bmp(w, h, rgb):
    stride = (w * 3 + 3) & ~3
    pixels = b"".join(bytes(rgb[y * w * 3:(y + 1) * w * 3]) + b"\0" * (stride - w * 3) for y in reversed(range(h)))
    header = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(header) + len(pixels), 0, 0, 14 + len(header)) + header + pixels


def image(out):
    w, h = 5, 3
    rgb = [(x * 50 + y * 20 + c * 70) % 256 for y in range(h) for x in range(w) for c in range(3)]
    put(out, "image", "5x3.png", png(w, h, rgb))
    put(out, "image", "5x3.bmp", bmp(w, h, rgb))
    put(out, "image", "gradient_24x16.jpg", open(os.path.join(HERE, "..", "tests", "data", "gradient_24x16.jpg"), "rb").read())


MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi \u00e9 {{ x }}"},
            {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {
                "name": "get", "arguments": {"q": 1}}}]},
            {"role": "tool", "content": "42"}, {"role": "user", "content": [{"type": "text", "text": "and?"}]}]


def chat_template(out):
    """The built-in templates (C string literals in src/chat/chat.c) over a conversation with tools."""
    src = open(os.path.join(HERE, "..", "src", "chat", "chat.c"), encoding="utf-8").read()
    for name, body in re.findall(r"static const char (\w+)\[\] =\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+);", src):
        text = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", body)).encode().decode("unicode_escape")
        msgs = MESSAGES if name.startswith("qwen") else [m for m in MESSAGES if m["role"] in ("user", "system")][:2]
        put(out, "chat_template", name, b"\x01" + text.encode() + b"\n#messages\n" + json.dumps(msgs).encode()
            + b"\n#extra\n" + json.dumps({"tools": [{"name": "get"}], "x": [1, 2]}).encode())


def http(out):
    """Requests as `vkattn serve` receives them (tests/fuzz/fuzz_http.c: request line, headers, blank line, body)."""
    chat = {"model": "m", "messages": MESSAGES, "max_tokens": 8, "temperature": 0.5, "top_p": 0.9, "top_k": 5,
            "min_p": 0.1, "seed": 7, "stop": ["\n", "User:"], "stream": True, "stream_options": {"include_usage": True}}
    cases = {
        "chat": ("POST /v1/chat/completions", chat),
        "completion": ("POST /v1/completions", {"prompt": "Once upon", "max_tokens": 16, "stop": "x", "n": 1}),
        "embeddings": ("POST /v1/embeddings", {"input": ["a", "b"], "encoding_format": "base64"}),
        "tokenize": ("POST /tokenize", {"content": "Hello world", "add_special": True, "with_pieces": True}),
        "detokenize": ("POST /detokenize", {"tokens": [1, 2, 300]}),
        "apply-template": ("POST /apply-template", {"messages": MESSAGES[:2]}),
        "models": ("GET /v1/models?x=1", None),
    }
    for name, (line, body) in cases.items():
        headers = "Content-Type: application/json\nAuthorization: Bearer secret\n"
        data = (line + "\n" + headers + "\n").encode() + (json.dumps(body).encode() if body is not None else b"")
        put(out, "http", name, data)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "fuzz", "corpus"))
    args = ap.parse_args()
    for make in (gguf, safetensors, hf_config, tokenizer, wordpiece, image, chat_template, http):
        make(args.out)
