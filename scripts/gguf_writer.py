#!/usr/bin/env python3
"""A GGUF v3 writer in pure numpy + struct, for tests and tools (synthetic models, the
demo model's export). Layout as llama.cpp's gguf-py writes it (ggml docs/gguf.md):

    "GGUF", u32 version, u64 tensor count, u64 kv count
    kv:     string key, u32 value type, value      (string = u64 length + UTF-8 bytes)
            arrays: u32 element type, u64 count, elements (nested arrays: the same, per element)
    tensor: string name, u32 n_dims, u64 ne[n_dims] (ne[0] innermost: numpy's shape reversed),
            u32 ggml type, u64 offset (from the data section, a multiple of the alignment)
    zero padding to the alignment (general.alignment, default 32), then each tensor's bytes,
    each padded to the alignment.

Tensor types: F32, F16, BF16 (from float arrays) and Q8_0, Q4_0 (quantized here exactly as
ggml's reference quantize_row_q8_0 / quantize_row_q4_0); dequantize_* give the values a
reference implementation should use.

    w = GGUFWriter()
    w.add_string("general.architecture", "llama")
    w.add_uint32("llama.block_count", 2)
    w.add_array("tokenizer.ggml.tokens", ["<s>", "a"], ValueType.STRING)
    w.add_tensor("output.weight", np.zeros((8, 64), np.float32), "Q8_0")
    w.write("model.gguf")

Command line: `gguf_writer.py --demo OUT.gguf` writes a small file with every metadata value
type and F32/F16/Q8_0/Q4_0/BF16 tensors (used by tests/py_gguf.py and for trying `vkattn inspect`).
"""
import argparse
import enum
import struct

import numpy as np

GGUF_MAGIC = 0x46554747  # "GGUF" little-endian
DEFAULT_ALIGNMENT = 32


class ValueType(enum.IntEnum):
    UINT8 = 0
    INT8 = 1
    UINT16 = 2
    INT16 = 3
    UINT32 = 4
    INT32 = 5
    FLOAT32 = 6
    BOOL = 7
    STRING = 8
    ARRAY = 9
    UINT64 = 10
    INT64 = 11
    FLOAT64 = 12


_PACK = {ValueType.UINT8: "<B", ValueType.INT8: "<b", ValueType.UINT16: "<H", ValueType.INT16: "<h",
         ValueType.UINT32: "<I", ValueType.INT32: "<i", ValueType.FLOAT32: "<f", ValueType.BOOL: "<?",
         ValueType.UINT64: "<Q", ValueType.INT64: "<q", ValueType.FLOAT64: "<d"}

# ggml type id, block size, bytes per block
TENSOR_TYPES = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q8_0": (8, 32, 34), "BF16": (30, 1, 2)}


def _round_away(x):
    """C's roundf: halves away from zero (numpy's round goes to even)."""
    return np.trunc(x + np.copysign(np.float32(0.5), x))


def quantize_q8_0(x):
    """float32 values (count a multiple of 32, row-major) -> Q8_0 blocks as bytes (uint8 array):
    per 32 values an f16 scale d = max|x| / 127 and 32 int8 round(x / d)."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, 32)
    d = np.abs(x).max(axis=1, keepdims=True) / np.float32(127)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = _round_away(x * inv).astype(np.int8)
    out = np.empty((x.shape[0], 34), dtype=np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8)
    out[:, 2:] = q.view(np.uint8)
    return out.reshape(-1)


def _blocks(raw, size, count):
    """Q8_0/Q4_0 bytes (bytes or uint8 array) -> (blocks, size) uint8 rows for `count` values."""
    b = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, (bytes, bytearray)) else np.asarray(raw, np.uint8)
    return b.reshape(-1, size)[: count // 32]


def dequantize_q8_0(raw, count):
    """Q8_0 bytes -> `count` float32 values."""
    b = _blocks(raw, 34, count)
    d = b[:, :2].copy().view("<f2").astype(np.float32)
    return (b[:, 2:].view(np.int8).astype(np.float32) * d).reshape(-1)


def quantize_q4_0(x):
    """float32 values -> Q4_0 blocks: per 32 values an f16 scale d = m / -8 (m the value of
    largest magnitude) and 16 bytes of nibbles: low nibbles x[0..15], high nibbles x[16..31],
    each min(15, int(x / d + 8.5))."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, 32)
    m = np.take_along_axis(x, np.abs(x).argmax(axis=1)[:, None], axis=1)
    d = m / np.float32(-8)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, (x * inv + np.float32(8.5)).astype(np.int8)).astype(np.uint8)
    out = np.empty((x.shape[0], 18), dtype=np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.reshape(-1)


def dequantize_q4_0(raw, count):
    """Q4_0 bytes -> `count` float32 values."""
    b = _blocks(raw, 18, count)
    d = b[:, :2].copy().view("<f2").astype(np.float32)
    lo = (b[:, 2:] & 15).astype(np.float32) - 8
    hi = (b[:, 2:] >> 4).astype(np.float32) - 8
    return (np.concatenate([lo, hi], axis=1) * d).reshape(-1)


def to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns, round to nearest even (NaN stays NaN)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    bits[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return bits


def _pack_string(s):
    b = s if isinstance(s, (bytes, bytearray)) else str(s).encode("utf-8")
    return struct.pack("<Q", len(b)) + bytes(b)


def _infer_type(v):
    if isinstance(v, (str, bytes, bytearray)):
        return ValueType.STRING
    if isinstance(v, bool):
        return ValueType.BOOL
    if isinstance(v, int):
        return ValueType.INT32 if -2**31 <= v < 2**31 else ValueType.INT64
    if isinstance(v, float):
        return ValueType.FLOAT32
    if isinstance(v, (list, tuple)):
        return ValueType.ARRAY
    raise TypeError(f"no GGUF type for {type(v).__name__}")


def _pack_array(values, elem_type):
    if elem_type is None:
        elem_type = _infer_type(values[0]) if len(values) else ValueType.INT32
    out = struct.pack("<IQ", int(elem_type), len(values))
    if elem_type == ValueType.STRING:
        return out + b"".join(_pack_string(v) for v in values)
    if elem_type == ValueType.ARRAY:  # nested: each element is itself (type, count, elements)
        return out + b"".join(_pack_array(list(v), None) for v in values)
    return out + b"".join(struct.pack(_PACK[elem_type], v) for v in values)


class GGUFWriter:
    def __init__(self, alignment=DEFAULT_ALIGNMENT, version=3):
        if alignment <= 0 or alignment & (alignment - 1):
            raise ValueError("alignment must be a power of two")
        self.alignment, self.version = alignment, version
        self.kv = {}       # key -> packed (type + value)
        self.tensors = []  # (name, ne, ggml type, bytes)
        if alignment != DEFAULT_ALIGNMENT:
            self.add_uint32("general.alignment", alignment)

    # ---- metadata ----
    def add(self, key, value, vtype=None, elem_type=None):
        """Adds one entry; vtype inferred from the Python value when None (int -> INT32/INT64,
        float -> FLOAT32, list -> ARRAY with elem_type inferred from its first element)."""
        if key in self.kv:
            raise ValueError(f"duplicate key {key!r}")
        vtype = ValueType(_infer_type(value) if vtype is None else vtype)
        if vtype == ValueType.STRING:
            packed = _pack_string(value)
        elif vtype == ValueType.ARRAY:
            packed = _pack_array(list(value), None if elem_type is None else ValueType(elem_type))
        else:
            packed = struct.pack(_PACK[vtype], value)
        self.kv[key] = struct.pack("<I", int(vtype)) + packed

    def add_uint8(self, k, v): self.add(k, v, ValueType.UINT8)
    def add_int8(self, k, v): self.add(k, v, ValueType.INT8)
    def add_uint16(self, k, v): self.add(k, v, ValueType.UINT16)
    def add_int16(self, k, v): self.add(k, v, ValueType.INT16)
    def add_uint32(self, k, v): self.add(k, v, ValueType.UINT32)
    def add_int32(self, k, v): self.add(k, v, ValueType.INT32)
    def add_uint64(self, k, v): self.add(k, v, ValueType.UINT64)
    def add_int64(self, k, v): self.add(k, v, ValueType.INT64)
    def add_float32(self, k, v): self.add(k, v, ValueType.FLOAT32)
    def add_float64(self, k, v): self.add(k, v, ValueType.FLOAT64)
    def add_bool(self, k, v): self.add(k, bool(v), ValueType.BOOL)
    def add_string(self, k, v): self.add(k, v, ValueType.STRING)

    def add_array(self, k, values, elem_type=None):
        self.add(k, values, ValueType.ARRAY, elem_type)

    # ---- tensors ----
    def add_tensor(self, name, array, ttype=None):
        """array: numpy, row-major (shape[0] outermost, at most 4-D). ttype: "F32", "F16", "BF16",
        "Q8_0" or "Q4_0" (default: F16 for float16 arrays, else F32). Quantized and BF16 types
        take float values; block types need the last dimension to be a multiple of 32."""
        if any(n == name for n, *_ in self.tensors):
            raise ValueError(f"duplicate tensor {name!r}")
        a = np.asarray(array)
        if ttype is None:
            ttype = "F16" if a.dtype == np.float16 else "F32"
        type_id, block, _ = TENSOR_TYPES[ttype]
        if not 1 <= a.ndim <= 4 or a.size == 0:
            raise ValueError(f"{name}: shape {a.shape}: 1 to 4 non-empty dimensions")
        if a.shape[-1] % block:
            raise ValueError(f"{name}: last dimension {a.shape[-1]} is not a multiple of {block} ({ttype})")
        if ttype == "F32":
            data = a.astype("<f4").tobytes()
        elif ttype == "F16":
            data = a.astype("<f2").tobytes()
        elif ttype == "BF16":
            data = to_bf16_bits(a).astype("<u2").tobytes()
        elif ttype == "Q8_0":
            data = quantize_q8_0(a).tobytes()
        else:
            data = quantize_q4_0(a).tobytes()
        self.tensors.append((name, tuple(reversed(a.shape)), type_id, data))

    # ---- output ----
    def _pad(self, n):
        return b"\0" * (-n % self.alignment)

    def tobytes(self):
        out = bytearray(struct.pack("<IIQQ", GGUF_MAGIC, self.version, len(self.tensors), len(self.kv)))
        for key, packed in self.kv.items():
            out += _pack_string(key) + packed
        offset = 0
        for name, ne, type_id, data in self.tensors:
            out += _pack_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
            out += struct.pack("<IQ", type_id, offset)
            offset += len(data) + len(self._pad(len(data)))
        out += self._pad(len(out))
        for _, _, _, data in self.tensors:
            out += data + self._pad(len(data))
        return bytes(out)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.tobytes())


def demo(alignment=DEFAULT_ALIGNMENT):
    """A writer holding every metadata value type and one tensor of each supported type."""
    rng = np.random.default_rng(5)
    w = GGUFWriter(alignment)
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", "vkattn demo \"quoted\" \u00e9\u4e2d")
    w.add_uint8("demo.u8", 250)
    w.add_int8("demo.i8", -100)
    w.add_uint16("demo.u16", 60000)
    w.add_int16("demo.i16", -30000)
    w.add_uint32("llama.block_count", 2)
    w.add_int32("demo.i32", -2000000000)
    w.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    w.add_bool("demo.bool", True)
    w.add_uint64("demo.u64", 2**63 + 5)
    w.add_int64("demo.i64", -2**62)
    w.add_float64("llama.rope.freq_base", 500000.25)
    w.add_array("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "\u0120the", "", "tab\there"], ValueType.STRING)
    w.add_array("tokenizer.ggml.scores", [0.0, -1.5, 2.25, 1e-3, 7.0, -0.5], ValueType.FLOAT32)
    w.add_array("tokenizer.ggml.token_type", [2, 3, 3, 1, 1, 6], ValueType.INT32)
    w.add_array("demo.u8s", [0, 1, 255], ValueType.UINT8)
    w.add_array("demo.i16s", [-32768, 32767], ValueType.INT16)
    w.add_array("demo.bools", [True, False, True], ValueType.BOOL)
    w.add_array("demo.u64s", [2**64 - 1], ValueType.UINT64)
    w.add_array("demo.f64s", [0.1, -2.5], ValueType.FLOAT64)
    w.add_array("demo.nested", [[1, 2], [3]], ValueType.ARRAY)
    w.add_tensor("token_embd.weight", rng.standard_normal((6, 64), dtype=np.float32), "F16")
    w.add_tensor("blk.0.attn_norm.weight", rng.standard_normal(64, dtype=np.float32), "F32")
    w.add_tensor("blk.0.attn_q.weight", rng.standard_normal((64, 64), dtype=np.float32), "Q8_0")
    w.add_tensor("blk.0.ffn_up.weight", rng.standard_normal((3, 2, 96), dtype=np.float32), "Q4_0")
    w.add_tensor("output.weight", rng.standard_normal((6, 64), dtype=np.float32), "BF16")
    return w


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demo", metavar="OUT", required=True, help="write the demo file")
    ap.add_argument("--alignment", type=int, default=DEFAULT_ALIGNMENT)
    args = ap.parse_args()
    demo(args.alignment).write(args.demo)
