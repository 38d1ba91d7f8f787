"""The elementwise, norm, position and selection ops through `vkattn op` against
PyTorch (float64 references on the same inputs): layer-norm, rms-norm, gelu (erf and
tanh), silu, relu, scale, softmax (with -inf entries and an all -inf row), swiglu and
geglu (separate and packed halves), add / mul (broadcast), position-embedding, rope
(NeoX as HF LLaMA on [B, H, L, D], GPT-J partial on [B, L, H, D], positions tensor,
custom inv_freq), sinusoidal (the Vaswani table and x + PE), argmax and topk
(vocabulary rows; indices exact). Tolerance relative to the output's scale: 1e-4 f32,
3e-3 f16 (packed words on devices without 16-bit storage; topk, which has no packed kernel,
skips its f16 cases there)."""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner  # noqa: E402
from pyref.cases import Cases  # noqa: E402


def rope_ref(x, inv_freq, pos, rd, gptj):
    """x [..., L, H?, D] given as [B, L, H, D] (gptj) or [B, H, L, D] (neox); pos [B, L] float64."""
    ang = pos[..., None] * inv_freq  # [B, L, R/2]
    cos, sin = torch.cos(ang), torch.sin(ang)
    rot, rest = x[..., :rd], x[..., rd:]
    if gptj:  # [B, L, H, D]: rotate_every_two, as in HF GPT-J
        cos, sin = cos.repeat_interleave(2, -1)[:, :, None, :], sin.repeat_interleave(2, -1)[:, :, None, :]
        x1, x2 = rot[..., ::2], rot[..., 1::2]
        turned = torch.stack((-x2, x1), dim=-1).flatten(-2)
    else:  # [B, H, L, D]: rotate_half, as in HF LLaMA / GPT-NeoX
        cos, sin = torch.cat((cos, cos), -1)[:, None], torch.cat((sin, sin), -1)[:, None]
        turned = torch.cat((-rot[..., rd // 2:], rot[..., :rd // 2]), -1)
    return torch.cat((rot * cos + turned * sin, rest), -1)


def main(ctx):
    rng = np.random.default_rng(7)
    f32 = lambda *s, lo=-2.0, hi=2.0: rng.uniform(lo, hi, s).astype(np.float32)  # noqa: E731
    c = Cases(ctx)

    x, w, b = f32(3, 7, 33, lo=-3, hi=5), f32(33, lo=0.5, hi=1.5), f32(33)
    c.run("layer-norm weight bias", "layer-norm", {"x": x, "weight": w, "bias": b}, ["--eps", "1e-5"],
          lambda t: {"y": F.layer_norm(t["x"], (33,), t["weight"], t["bias"], 1e-5)})
    c.run("layer-norm plain [5, 300]", "layer-norm", {"x": f32(5, 300)}, ["--eps", "1e-3"],
          lambda t: {"y": F.layer_norm(t["x"], (300,), eps=1e-3)}, dtypes=("f32",))
    c.run("rms-norm [4, 257]", "rms-norm", {"x": f32(4, 257), "weight": f32(257)}, ["--eps", "1e-6"],
          lambda t: {"y": t["x"] * torch.rsqrt(t["x"].pow(2).mean(-1, keepdim=True) + 1e-6) * t["weight"]})

    a = f32(1000, lo=-6, hi=6)
    c.run("gelu erf", "gelu", {"x": a}, [], lambda t: {"y": F.gelu(t["x"])})
    c.run("gelu tanh", "gelu", {"x": a}, ["--approximate", "tanh"], lambda t: {"y": F.gelu(t["x"], approximate="tanh")},
          dtypes=("f32",))
    c.run("silu", "silu", {"x": f32(7, 129, lo=-8, hi=8)}, [], lambda t: {"y": F.silu(t["x"])}, dtypes=("f32",))
    c.run("relu", "relu", {"x": f32(7, 129)}, [], lambda t: {"y": F.relu(t["x"])}, dtypes=("f32",))
    c.run("scale", "scale", {"x": f32(3, 50)}, ["--alpha", "-0.7"], lambda t: {"y": -0.7 * t["x"]}, dtypes=("f32",))

    s = f32(4, 32000, lo=-8, hi=8)
    s[:, ::5] = -np.inf
    s[2] = -np.inf  # torch gives NaN for this row; vkattn defines it as zeros

    def softmax_ref(t):
        y = F.softmax(t["x"], -1)
        y[2] = 0
        return {"y": y}
    c.run("softmax vocab, -inf", "softmax", {"x": s}, [], softmax_ref)

    g, u = f32(3, 5, 48, lo=-5, hi=5), f32(3, 5, 48)
    c.run("swiglu", "swiglu", {"gate": g, "up": u}, [], lambda t: {"y": F.silu(t["gate"]) * t["up"]})
    p = f32(6, 80, lo=-5, hi=5)
    c.run("geglu tanh packed [gate | up]", "geglu", {"x": p}, ["--approximate", "tanh"],
          lambda t: {"y": F.gelu(t["x"][:, :40], approximate="tanh") * t["x"][:, 40:]}, dtypes=("f32",))

    x3 = f32(2, 5, 16)
    c.run("add bias", "add", {"x": x3, "other": f32(16)}, [], lambda t: {"y": t["x"] + t["other"]})
    c.run("mul [2, 1, 16]", "mul", {"x": x3, "other": f32(2, 1, 16)}, [], lambda t: {"y": t["x"] * t["other"]},
          dtypes=("f32",))
    c.run("position-embedding offset 7", "position-embedding", {"x": f32(2, 6, 16), "weight": f32(20, 16)},
          ["--offset", "7"], lambda t: {"y": t["x"] + t["weight"][7:13]}, dtypes=("f32",))

    inv = lambda rd, theta: 1.0 / (theta ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))  # noqa: E731
    q = f32(2, 4, 9, 64)  # [B, H, L, D]
    c.run("rope neox bhld offset 5", "rope", {"x": q}, ["--layout", "bhld", "--offset", "5"],
          lambda t: {"y": rope_ref(t["x"], inv(64, 10000.0),
                                   torch.arange(5, 14, dtype=torch.float64)[None].expand(2, 9), 64, False)})
    k = f32(1, 7, 3, 64)  # [B, L, H, D]
    c.run("rope gptj partial 32/64", "rope", {"x": k}, ["--mode", "gptj", "--rotary-dims", "32"],
          lambda t: {"y": rope_ref(t["x"], inv(32, 10000.0), torch.arange(7, dtype=torch.float64)[None], 32, True)},
          dtypes=("f32",))
    pos = np.array([[0, 1, 2, 3, 4], [0, 0, 0, 1, 2]], dtype=np.int32)  # left padding in row 1
    kb = f32(2, 5, 2, 40)  # [B, L, H, D] for NeoX: the reference works on [B, H, L, D]
    c.run("rope neox blhd partial 16/40 positions theta 5e5", "rope", {"x": kb, "positions": pos},
          ["--rotary-dims", "16", "--theta", "500000", "--offset", "100"],
          lambda t: {"y": rope_ref(t["x"].transpose(1, 2), inv(16, 500000.0), t["positions"].double() + 100, 16,
                                   False).transpose(1, 2)})
    scaled = (1.0 / (10000.0 ** (np.arange(0, 32, 2) / 32)) / np.linspace(1, 8, 16)).astype(np.float32)
    c.run("rope neox custom inv_freq", "rope", {"x": f32(1, 3, 6, 32), "inv_freq": scaled}, ["--layout", "bhld"],
          lambda t: {"y": rope_ref(t["x"], t["inv_freq"], torch.arange(6, dtype=torch.float64)[None], 32, False)},
          dtypes=("f32",))

    def pe(n, d, off):
        position = torch.arange(off, off + n, dtype=torch.float64)[:, None]
        div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
        table = torch.zeros(n, d, dtype=torch.float64)
        table[:, 0::2] = torch.sin(position * div)
        table[:, 1::2] = torch.cos(position * div)[:, : d // 2]
        return table
    c.run("sinusoidal table [50, 64]", "sinusoidal", {}, ["--length", "50", "--dim", "64"],
          lambda t: {"y": pe(50, 64, 0)}, dtypes=("f32",))
    c.run("sinusoidal x + PE, D 33, offset 100", "sinusoidal", {"x": f32(2, 9, 33)}, ["--offset", "100"],
          lambda t: {"y": t["x"] + pe(9, 33, 100)})

    logits = np.round(f32(3, 32000, lo=-8, hi=8) * 4) / 4  # many ties: the lowest index wins, as torch.argmax
    c.run("argmax vocab with ties", "argmax", {"x": logits}, [], lambda t: {"indices": torch.argmax(t["x"], -1)},
          exact=("indices",))
    def topk_ref(k):  # torch.topk's order among ties is unspecified: a stable sort puts the lower index first
        def ref(t):
            values, indices = torch.sort(t["x"], stable=True, dim=-1, descending=True)
            return {"values": values[..., :k], "indices": indices[..., :k]}
        return ref
    big = rng.standard_normal((2, 152000)).astype(np.float32)  # f16 rounding makes ties
    c.run("topk k=50 of 152000", "topk", {"x": big}, ["--k", "50"], topk_ref(50), exact=("values", "indices"))
    c.run("topk k=256 of 32000", "topk", {"x": f32(3, 32000)}, ["--k", "256"], topk_ref(256),
          exact=("values", "indices"), dtypes=("f32",))
    return c.finish()


runner.main(main)
