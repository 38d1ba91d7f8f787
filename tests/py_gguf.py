# vkattn-test: host
"""scripts/gguf_writer.py against the C GGUF reader through `vkattn inspect --json --all`:
every metadata value and type, tensor shapes/types/offsets/sizes and the tensor bytes
at the offsets the reader reports, for alignments 32 and 64; the Q8_0/Q4_0 quantizers
against a plain per-block transcription of ggml's reference; clear errors on truncated
and garbage files. No GPU needed (ctest runs it per driver like every py_ test)."""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import runner  # noqa: E402
import gguf_writer as gw  # noqa: E402


def expected_metadata():
    """(key, type, elem_type or None, value) of gguf_writer.demo(), in file order."""
    return [
        ("general.architecture", "string", None, "llama"),
        ("general.name", "string", None, "vkattn demo \"quoted\" \u00e9\u4e2d"),
        ("demo.u8", "uint8", None, 250), ("demo.i8", "int8", None, -100),
        ("demo.u16", "uint16", None, 60000), ("demo.i16", "int16", None, -30000),
        ("llama.block_count", "uint32", None, 2), ("demo.i32", "int32", None, -2000000000),
        ("llama.attention.layer_norm_rms_epsilon", "float32", None, float(np.float32(1e-5))),
        ("demo.bool", "bool", None, True), ("demo.u64", "uint64", None, 2**63 + 5),
        ("demo.i64", "int64", None, -2**62), ("llama.rope.freq_base", "float64", None, 500000.25),
        ("tokenizer.ggml.tokens", "array", "string", ["<unk>", "<s>", "</s>", "\u0120the", "", "tab\there"]),
        ("tokenizer.ggml.scores", "array", "float32", [float(np.float32(v)) for v in [0.0, -1.5, 2.25, 1e-3, 7.0, -0.5]]),
        ("tokenizer.ggml.token_type", "array", "int32", [2, 3, 3, 1, 1, 6]),
        ("demo.u8s", "array", "uint8", [0, 1, 255]), ("demo.i16s", "array", "int16", [-32768, 32767]),
        ("demo.bools", "array", "bool", [True, False, True]), ("demo.u64s", "array", "uint64", [2**64 - 1]),
        ("demo.f64s", "array", "float64", [0.1, -2.5]), ("demo.nested", "array", "array", [None, None]),
    ]


def check_file(ctx, alignment):
    ok = True
    path = os.path.join(ctx.workdir, f"demo{alignment}.gguf")
    w = gw.demo(alignment)
    blob = w.tobytes()
    with open(path, "wb") as f:
        f.write(blob)
    rc, out, err = ctx.cli("inspect", path, "--json", "--all")
    if rc != 0:
        print(f"FAIL inspect {path}: {err}")
        return False
    info = json.loads(out)
    ok &= info["format"] == "gguf" and info["version"] == 3 and info["alignment"] == alignment
    want = expected_metadata()
    if alignment != 32:
        want = [("general.alignment", "uint32", None, alignment)] + want
    got = info["metadata"]
    if len(got) != len(want):
        print(f"FAIL {len(got)} metadata entries, expected {len(want)}")
        return False
    for g, (key, typ, et, val) in zip(got, want):
        f32 = "float32" in (typ, et)  # printed with 9 digits: equal once rounded to f32
        same = (np.array_equal(np.float32(g["value"]), np.float32(val)) if f32 else g["value"] == val)
        good = g["key"] == key and g["type"] == typ and g.get("elem_type") == et and same
        if typ == "array":
            good &= g["count"] == len(val) and not g.get("truncated", False)
        if not good:
            print(f"FAIL metadata {key}: got {g}, expected {(typ, et, val)}")
            ok = False
    # tensors: names, types, shapes, offsets, sizes, and the bytes where the reader says they are
    data_offset = info["data_offset"]
    ok &= data_offset % alignment == 0
    for t, (name, ne, type_id, data) in zip(info["tensors"], w.tensors):
        good = (t["name"] == name and t["ggml_type"] == type_id and t["shape"] == list(reversed(ne))
                and t["bytes"] == len(data) and t["offset"] % alignment == 0 and t["supported"]
                and blob[data_offset + t["offset"]:data_offset + t["offset"] + t["bytes"]] == data)
        if not good:
            print(f"FAIL tensor {name}: {t}")
            ok = False
    ok &= len(info["tensors"]) == len(w.tensors)
    print(f"{'ok  ' if ok else 'FAIL'} alignment {alignment}: {len(got)} metadata entries, "
          f"{len(info['tensors'])} tensors match")
    return ok


def ref_q8_0(x):
    """ggml's quantize_row_q8_0_ref, one block at a time."""
    out = bytearray()
    for blk in np.asarray(x, np.float32).reshape(-1, 32):
        amax = max(abs(float(v)) for v in blk)
        d = np.float32(amax) / np.float32(127)
        inv = np.float32(1) / d if d else np.float32(0)
        out += np.float16(d).tobytes()
        for v in blk:
            y = float(np.float32(v) * inv)
            out += int(math.copysign(math.floor(abs(y) + 0.5), y)).to_bytes(1, "little", signed=True)
    return bytes(out)


def ref_q4_0(x):
    """ggml's quantize_row_q4_0_ref, one block at a time."""
    out = bytearray()
    for blk in np.asarray(x, np.float32).reshape(-1, 32):
        amax, mx = 0.0, 0.0
        for v in blk:
            if amax < abs(float(v)):
                amax, mx = abs(float(v)), float(v)
        d = np.float32(mx) / np.float32(-8)
        inv = np.float32(1) / d if d else np.float32(0)
        out += np.float16(d).tobytes()
        for j in range(16):
            lo = min(15, int(np.float32(blk[j]) * inv + np.float32(8.5)))
            hi = min(15, int(np.float32(blk[j + 16]) * inv + np.float32(8.5)))
            out.append(lo | (hi << 4))
    return bytes(out)


def check_quantizers():
    rng = np.random.default_rng(9)
    x = rng.standard_normal(32 * 40, dtype=np.float32) * rng.uniform(0.01, 10, 32 * 40).astype(np.float32)
    x[:32] = 0  # an all-zero block: scale 0
    x[32:64] = np.linspace(-1, 1, 32, dtype=np.float32)  # exact halves after scaling
    ok = True
    q8, q4 = gw.quantize_q8_0(x).tobytes(), gw.quantize_q4_0(x).tobytes()
    ok &= q8 == ref_q8_0(x) and q4 == ref_q4_0(x)
    print(f"{'ok  ' if ok else 'FAIL'} Q8_0/Q4_0 bytes equal ggml's reference quantizers")
    # round trip, in units of the block's scale d: Q8_0 rounds to d/2, plus up to 127 * |d - f16(d)|
    # <= 127 * 2^-11 d from the f16 scale; Q4_0 clamps the nibble at 15, so the value opposite the
    # largest one can be off by a whole d (plus 8 * 2^-11 d from the f16 scale)
    blocks = x.reshape(-1, 32)
    d8 = np.abs(blocks).max(axis=1, keepdims=True) / 127
    e8 = np.abs(gw.dequantize_q8_0(q8, x.size).reshape(-1, 32) - blocks)
    d4 = np.abs(blocks).max(axis=1, keepdims=True) / 8
    e4 = np.abs(gw.dequantize_q4_0(q4, x.size).reshape(-1, 32) - blocks)
    good = bool(np.all(e8 <= d8 * (0.5 + 127 / 2048) + 1e-7) and np.all(e4 <= d4 * (1 + 8 / 2048) + 1e-7))
    print(f"{'ok  ' if good else 'FAIL'} dequantized: Q8_0 max err {float((e8 / np.maximum(d8, 1e-30)).max()):.3f} "
          f"of the scale, Q4_0 {float((e4 / np.maximum(d4, 1e-30)).max()):.3f}")
    return ok and good


def check_errors(ctx):
    ok = True
    blob = gw.demo().tobytes()
    cases = [("truncated.gguf", blob[:len(blob) - 100], "past the end"),
             ("header.gguf", blob[:blob.index(b"output.weight") + 5], "past the end of the file"),
             ("counts.gguf", blob[:300], "metadata count 22 cannot fit"),
             ("garbage.bin", b"\x01\x02hello world, not a model" * 4, "VKATTN_ERROR_FORMAT")]
    for name, data, needle in cases:
        path = os.path.join(ctx.workdir, name)
        with open(path, "wb") as f:
            f.write(data)
        rc, _, err = ctx.cli("inspect", path)
        good = rc == 1 and needle in err and path in err
        print(f"{'ok  ' if good else 'FAIL'} inspect {name} -> {rc}: {err.strip()}")
        ok &= good
    rc, _, err = ctx.cli("inspect", os.path.join(ctx.workdir, "missing.gguf"))
    ok &= rc == 1 and "VKATTN_ERROR_IO" in err
    rc, _, _ = ctx.cli("inspect")
    ok &= rc == 2
    return ok


def main(ctx):
    os.makedirs(ctx.workdir, exist_ok=True)
    ok = check_file(ctx, 32)
    ok &= check_file(ctx, 64)
    ok &= check_quantizers()
    ok &= check_errors(ctx)
    return ok


runner.main(main)
