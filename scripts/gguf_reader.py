#!/usr/bin/python3
"""A minimal GGUF (v2/v3) reader in numpy for tools and tests: metadata as Python values, tensors
as float32 numpy arrays in row-major order (shape = ne reversed). F32, F16, BF16, Q8_0, Q4_0; with
raw=True any block type, as (bytes, type name, shape) (tests/pyref/quants.py decodes the others).
Written from the format description (ggml docs/gguf.md), independently of vkattn's C reader.

    meta, tensors = read_gguf("models/demo.gguf")"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import TENSOR_TYPES, dequantize_q4_0, dequantize_q8_0  # noqa: E402

_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


# ggml type id -> (name, values per block, bytes per block) for the types read_gguf(raw=True) returns
RAW_TYPES = {0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
             7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
             12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 20: ("IQ4_NL", 32, 18),
             23: ("IQ4_XS", 256, 136), 30: ("BF16", 1, 2)}


def read_gguf(path, raw=False):
    buf = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("<Q")
        s = buf[pos:pos + n].decode("utf-8", errors="surrogateescape")
        pos += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(_SCALAR[t])

    if buf[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    pos = 4
    version, n_tensors, n_kv = take("<I"), take("<Q"), take("<Q")
    if version not in (2, 3):
        raise ValueError(f"{path}: GGUF version {version}")
    meta = {}
    for _ in range(n_kv):
        k = string()
        meta[k] = value(take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        ne = [take("<Q") for _ in range(take("<I"))]
        infos.append((name, ne, take("<I"), take("<Q")))
    align = meta.get("general.alignment", 32)
    base = (pos + align - 1) // align * align
    by_id = {v[0]: (k, v[1], v[2]) for k, v in TENSOR_TYPES.items()}
    tensors = {}
    for name, ne, tid, off in infos:
        tname, block, nbytes = RAW_TYPES[tid] if raw else by_id[tid]
        count = int(np.prod(ne))
        data = buf[base + off: base + off + count // block * nbytes]
        if raw:
            tensors[name] = (data, tname, list(reversed(ne)))
            continue
        if tname == "F32":
            a = np.frombuffer(data, "<f4").astype(np.float32)
        elif tname == "F16":
            a = np.frombuffer(data, "<f2").astype(np.float32)
        elif tname == "BF16":
            a = (np.frombuffer(data, "<u2").astype(np.uint32) << 16).view(np.float32)
        elif tname == "Q8_0":
            a = dequantize_q8_0(data, count)
        else:
            a = dequantize_q4_0(data, count)
        tensors[name] = (a.reshape(list(reversed(ne))), tname)
    meta["__version__"] = version
    return meta, tensors
