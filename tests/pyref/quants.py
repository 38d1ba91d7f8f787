"""GGUF block types decoded in numpy, written from ggml's layouts (ggml-common.h block_<type>) and
dequantize_row_* (ggml-quants.c) independently of vkattn's C and GLSL decoders; f32 arithmetic in
ggml's order, so the values are bit-identical to ggml's.

TYPES: name -> (ggml type id, values per block, bytes per block, offsets of the f16 fields).
dequantize(name, raw, count) -> float32[count]; random_blocks(name, nblocks, rng) -> bytes."""
import numpy as np

F32 = np.float32
TYPES = {
    "Q4_0": (2, 32, 18, (0,)), "Q4_1": (3, 32, 20, (0, 2)), "Q5_0": (6, 32, 22, (0,)),
    "Q5_1": (7, 32, 24, (0, 2)), "Q8_0": (8, 32, 34, (0,)), "Q2_K": (10, 256, 84, (80, 82)),
    "Q3_K": (11, 256, 110, (108,)), "Q4_K": (12, 256, 144, (0, 2)), "Q5_K": (13, 256, 176, (0, 2)),
    "Q6_K": (14, 256, 210, (208,)), "IQ4_NL": (20, 32, 18, (0,)), "IQ4_XS": (23, 256, 136, (0,)),
}
KVALUES_IQ4NL = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113], np.int8)


def _f16(b, off):
    """The f16 at byte `off` of every block, as a float32 column."""
    return np.ascontiguousarray(b[:, off:off + 2]).view("<f2").astype(F32)


def _u32(b, off, n):
    return np.ascontiguousarray(b[:, off:off + 4 * n]).view("<u4")


def _q4_0(b):
    d, qs = _f16(b, 0), b[:, 2:18].astype(np.int32)
    return np.concatenate([(qs & 15) - 8, (qs >> 4) - 8], 1).astype(F32) * d


def _q4_1(b):
    d, m, qs = _f16(b, 0), _f16(b, 2), b[:, 4:20].astype(np.int32)
    return np.concatenate([qs & 15, qs >> 4], 1).astype(F32) * d + m


def _q5(b, with_min):
    d = _f16(b, 0)
    qh = _u32(b, 4 if with_min else 2, 1).astype(np.int64)
    qs = b[:, 8:24] if with_min else b[:, 6:22]
    qs = qs.astype(np.int64)
    j = np.arange(16)
    x0 = (qs & 15) | (((qh >> j) << 4) & 0x10)
    x1 = (qs >> 4) | ((qh >> (j + 12)) & 0x10)
    x = np.concatenate([x0, x1], 1)
    if with_min:
        return x.astype(F32) * d + _f16(b, 2)
    return (x - 16).astype(F32) * d


def _q8_0(b):
    return b[:, 2:34].copy().view(np.int8).astype(F32) * _f16(b, 0)


def _q2_K(b):
    sc, qs = b[:, 0:16].astype(np.int32), b[:, 16:80].astype(np.int32)
    d, dmin = _f16(b, 80), _f16(b, 82)
    y, i = np.zeros((b.shape[0], 256), F32), 0
    for n in range(2):
        q = qs[:, 32 * n:32 * n + 32]
        for shift in range(0, 8, 2):
            for half in range(2):
                s = sc[:, i // 16:i // 16 + 1]
                dl, ml = d * (s & 0xF).astype(F32), dmin * (s >> 4).astype(F32)
                y[:, i:i + 16] = dl * ((q[:, 16 * half:16 * half + 16] >> shift) & 3).astype(F32) - ml
                i += 16
    return y


def _q3_K(b):
    hm, qs = b[:, 0:32].astype(np.int32), b[:, 32:96].astype(np.int32)
    d = _f16(b, 108)
    a = _u32(b, 96, 3)
    k1, k2 = np.uint32(0x03030303), np.uint32(0x0F0F0F0F)
    a0, a1, tmp = a[:, 0], a[:, 1], a[:, 2]
    aux = np.stack([(a0 & k2) | (((tmp >> 0) & k1) << 4), (a1 & k2) | (((tmp >> 2) & k1) << 4),
                    ((a0 >> 4) & k2) | (((tmp >> 4) & k1) << 4), ((a1 >> 4) & k2) | (((tmp >> 6) & k1) << 4)], 1)
    scales = np.ascontiguousarray(aux.astype("<u4")).view(np.int8).astype(np.int32)  # 16 per block
    y, i, m = np.zeros((b.shape[0], 256), F32), 0, 1
    for n in range(2):
        q = qs[:, 32 * n:32 * n + 32]
        for shift in range(0, 8, 2):
            for half in range(2):
                dl = d * (scales[:, i // 16:i // 16 + 1] - 32).astype(F32)
                sl = slice(16 * half, 16 * half + 16)
                v = ((q[:, sl] >> shift) & 3) - np.where(hm[:, sl] & m, 0, 4)
                y[:, i:i + 16] = dl * v.astype(F32)
                i += 16
            m <<= 1
    return y


def _scale_min_k4(sc, j):
    if j < 4:
        return sc[:, j:j + 1] & 63, sc[:, j + 4:j + 5] & 63
    return ((sc[:, j + 4:j + 5] & 0xF) | ((sc[:, j - 4:j - 3] >> 6) << 4),
            (sc[:, j + 4:j + 5] >> 4) | ((sc[:, j:j + 1] >> 6) << 4))


def _q45_K(b, five):
    d, dmin, sc = _f16(b, 0), _f16(b, 2), b[:, 4:16].astype(np.int32)
    qh = b[:, 16:48].astype(np.int32)
    ql = (b[:, 48:176] if five else b[:, 16:144]).astype(np.int32)
    y = np.zeros((b.shape[0], 256), F32)
    for g in range(4):  # 64 values: low nibbles with scale 2g, high nibbles with 2g + 1
        q = ql[:, 32 * g:32 * g + 32]
        for h in range(2):
            s, m = _scale_min_k4(sc, 2 * g + h)
            v = (q >> (4 * h)) & 0xF
            if five:
                v = v + np.where(qh & (1 << (2 * g + h)), 16, 0)
            y[:, 64 * g + 32 * h:64 * g + 32 * h + 32] = (d * s.astype(F32)) * v.astype(F32) - dmin * m.astype(F32)
    return y


def _q6_K(b):
    ql, qh = b[:, 0:128].astype(np.int32), b[:, 128:192].astype(np.int32)
    sc = b[:, 192:208].copy().view(np.int8).astype(F32)
    d = _f16(b, 208)
    y = np.zeros((b.shape[0], 256), F32)
    for n in range(2):
        L, H, S = ql[:, 64 * n:64 * n + 64], qh[:, 32 * n:32 * n + 32], sc[:, 8 * n:8 * n + 8]
        for l0 in (0, 16):
            l = slice(l0, l0 + 16)
            l32 = slice(l0 + 32, l0 + 48)
            q1 = ((L[:, l] & 0xF) | (((H[:, l] >> 0) & 3) << 4)) - 32
            q2 = ((L[:, l32] & 0xF) | (((H[:, l] >> 2) & 3) << 4)) - 32
            q3 = ((L[:, l] >> 4) | (((H[:, l] >> 4) & 3) << 4)) - 32
            q4 = ((L[:, l32] >> 4) | (((H[:, l] >> 6) & 3) << 4)) - 32
            is_ = l0 // 16
            base = 128 * n + l0
            for k, q in enumerate((q1, q2, q3, q4)):
                y[:, base + 32 * k:base + 32 * k + 16] = d * S[:, is_ + 2 * k:is_ + 2 * k + 1] * q.astype(F32)
    return y


def _iq4_nl(b):
    d, qs = _f16(b, 0), b[:, 2:18]
    return d * KVALUES_IQ4NL[np.concatenate([qs & 15, qs >> 4], 1)].astype(F32)


def _iq4_xs(b):
    d = _f16(b, 0)
    sh = np.ascontiguousarray(b[:, 2:4]).view("<u2").astype(np.int32)
    sl, qs = b[:, 4:8].astype(np.int32), b[:, 8:136]
    y = np.zeros((b.shape[0], 256), F32)
    for ib in range(8):
        ls = ((sl[:, ib // 2:ib // 2 + 1] >> (4 * (ib % 2))) & 0xF) | (((sh >> (2 * ib)) & 3) << 4)
        dl = d * (ls - 32).astype(F32)
        q = qs[:, 16 * ib:16 * ib + 16]
        y[:, 32 * ib:32 * ib + 16] = dl * KVALUES_IQ4NL[q & 15].astype(F32)
        y[:, 32 * ib + 16:32 * ib + 32] = dl * KVALUES_IQ4NL[q >> 4].astype(F32)
    return y


_DECODERS = {"Q4_0": _q4_0, "Q4_1": _q4_1, "Q5_0": lambda b: _q5(b, False), "Q5_1": lambda b: _q5(b, True),
             "Q8_0": _q8_0, "Q2_K": _q2_K, "Q3_K": _q3_K, "Q4_K": lambda b: _q45_K(b, False),
             "Q5_K": lambda b: _q45_K(b, True), "Q6_K": _q6_K, "IQ4_NL": _iq4_nl, "IQ4_XS": _iq4_xs}


def dequantize(name, raw, count):
    """count values (a multiple of the block size) of type `name` from the bytes `raw`, as float32."""
    _, qk, size, _ = TYPES[name]
    b = np.frombuffer(raw, np.uint8, count // qk * size).reshape(-1, size)
    y = _DECODERS[name](b)
    assert y.dtype == F32, (name, y.dtype)
    return y.reshape(-1)


def random_blocks(name, nblocks, rng, scale=1e-2):
    """Random bytes with every f16 field set to a finite random value in [-scale, scale]."""
    _, _, size, offs = TYPES[name]
    b = rng.integers(0, 256, (nblocks, size), dtype=np.uint8)
    for off in offs:
        b[:, off:off + 2] = rng.uniform(-scale, scale, (nblocks, 1)).astype("<f2").view(np.uint8)
    return b.tobytes()
