"""safetensors save/load with numpy + json only (no `safetensors` package needed).

Supported: float32 (F32), float16 (F16), int32 (I32) numpy arrays, and bfloat16 (BF16)
through the BF16 wrapper around uint16 bit patterns (numpy has no bfloat16):

    save(path, {"x": np.ones((2, 3), np.float32), "w": BF16.from_f32(w)})
    t = load(path)                 # BF16 tensors come back as float32 values
    t = load(path, raw_bf16=True)  # ... or as BF16 (uint16 bits)

Files follow the format exactly: u64 little-endian header length, JSON header padded
with spaces to a multiple of 8, tensors in insertion order, data_offsets relative to
the data section.
"""
import json
import struct

import numpy as np

_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int32): "I32"}
_NUMPY = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "BF16": np.uint16}


class BF16:
    """A bfloat16 tensor held as its uint16 bit patterns."""

    def __init__(self, bits):
        bits = np.asarray(bits)
        if bits.dtype != np.uint16:
            raise TypeError("BF16 wants uint16 bit patterns; use BF16.from_f32 for float values")
        self.bits = bits

    @staticmethod
    def from_f32(x):
        """Rounds float32 values to bfloat16 (nearest even; NaN stays NaN)."""
        u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
        rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
        nan = np.isnan(np.asarray(x, dtype=np.float32))
        rounded[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
        return BF16(rounded)

    def to_f32(self):
        return (self.bits.astype(np.uint32) << 16).view(np.float32)

    @property
    def shape(self):
        return self.bits.shape


def save(path, tensors):
    """Writes dict name -> numpy array (float32/float16/int32) or BF16."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        if isinstance(t, BF16):
            dtype, data = "BF16", np.ascontiguousarray(t.bits, dtype="<u2")
        else:
            t = np.asarray(t)
            if t.dtype not in _DTYPES:
                raise TypeError(f"{name}: dtype {t.dtype} not supported (float32, float16, int32, BF16)")
            dtype, data = _DTYPES[t.dtype], np.ascontiguousarray(t, dtype=t.dtype.newbyteorder("<"))
        raw = data.tobytes()
        header[name] = {"dtype": dtype, "shape": list(data.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def load(path, raw_bf16=False):
    """Reads a file into dict name -> numpy array (header order); "__metadata__" is skipped."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} past the end of the file")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        if dtype not in _NUMPY:
            raise ValueError(f"{path}: {name}: dtype {dtype} not supported")
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(_NUMPY[dtype]).newbyteorder("<"))
        arr = arr.astype(_NUMPY[dtype]).reshape(info["shape"])
        if dtype == "BF16":
            arr = BF16(arr) if raw_bf16 else BF16(arr).to_f32()
        out[name] = arr
    return out
