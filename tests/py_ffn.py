"""The feed-forward layer through `vkattn op ffn` against PyTorch (float64, same
inputs), weights named as an nn.Module with submodules up / gate / gate_up / down:
GPT-2/BERT-style GELU MLP with biases and a residual, LLaMA SwiGLU (gate_proj,
up_proj, down_proj without biases) with a residual, a packed gate_up GeGLU (tanh)
with biases, a ReLU MLP with D_out != D. Tolerance relative to the output's scale:
1e-4 f32, 3e-3 f16 (packed words on devices without 16-bit storage)."""
import os
import sys

import numpy as np
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner  # noqa: E402
from pyref.cases import Cases  # noqa: E402


def linear(t, name, x):
    return F.linear(x, t[name + ".weight"], t.get(name + ".bias"))


def main(ctx):
    rng = np.random.default_rng(11)

    def lin(n_out, n_in, bias, name):  # nn.Linear's default init range
        s = 1 / np.sqrt(n_in)
        d = {name + ".weight": rng.uniform(-s, s, (n_out, n_in)).astype(np.float32)}
        if bias:
            d[name + ".bias"] = rng.uniform(-s, s, n_out).astype(np.float32)
        return d

    c = Cases(ctx)
    x = rng.standard_normal((2, 5, 48)).astype(np.float32)
    ins = {"x": x, "residual": rng.standard_normal((2, 5, 48)).astype(np.float32), **lin(96, 48, True, "up"),
           **lin(48, 96, True, "down")}
    c.run("gelu MLP, biases, residual", "ffn", ins, ["--act", "gelu"],
          lambda t: {"y": linear(t, "down", F.gelu(linear(t, "up", t["x"]))) + t["residual"]})

    x = rng.standard_normal((7, 64)).astype(np.float32)
    ins = {"x": x, "residual": x, **lin(88, 64, False, "gate"), **lin(88, 64, False, "up"),
           **lin(64, 88, False, "down")}
    c.run("LLaMA SwiGLU, residual", "ffn", ins, ["--act", "silu"],
          lambda t: {"y": linear(t, "down", F.silu(linear(t, "gate", t["x"])) * linear(t, "up", t["x"])) + t["x"]})

    ins = {"x": rng.standard_normal((6, 40)).astype(np.float32), **lin(144, 40, True, "gate_up"),
           **lin(40, 72, True, "down")}

    def geglu(t):
        h = linear(t, "gate_up", t["x"])
        return {"y": linear(t, "down", F.gelu(h[:, :72], approximate="tanh") * h[:, 72:])}
    c.run("packed gate_up GeGLU tanh, biases", "ffn", ins, ["--act", "gelu-tanh"], geglu, dtypes=("f32",))

    ins = {"x": rng.standard_normal((3, 24)).astype(np.float32), **lin(37, 24, False, "up"),
           **lin(11, 37, False, "down")}
    c.run("relu MLP, D_out 11", "ffn", ins, ["--act", "relu"],
          lambda t: {"y": linear(t, "down", F.relu(linear(t, "up", t["x"])))}, dtypes=("f32",))
    return c.finish()


runner.main(main)
