"""linear (F.linear, nn.Linear's names) and embedding (nn.Embedding / F.embedding)
through `vkattn op` against PyTorch in float64 on the same inputs. linear: odd M/N/K,
K = 32, N = 1, M = 1, 3-D input, with and without bias; --wtype q8_0 / q4_0 against
F.linear on the dequantized weights (quantized independently here by
scripts/gguf_writer.py, ggml's reference rounding). embedding: odd D, 1-D and 2-D
ids, f32/f16/q8_0/q4_0 tables. Tolerance relative to the output's scale: 1e-4 f32,
3e-3 f16 (f16 storage: float16_t with 16-bit storage, packed words without, e.g. SwiftShader)."""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import runner  # noqa: E402
from pyref.cases import Cases  # noqa: E402
import gguf_writer as gw  # noqa: E402

QUANT = {"q8_0": (gw.quantize_q8_0, gw.dequantize_q8_0), "q4_0": (gw.quantize_q4_0, gw.dequantize_q4_0)}


def dequantized(w, wtype):
    """The values a q8_0 / q4_0 tensor holds for float64 torch weights w (which came from f32)."""
    if wtype not in QUANT:
        return w
    q, dq = QUANT[wtype]
    a = w.numpy().astype(np.float32)
    return torch.from_numpy(dq(q(a.reshape(-1)), a.size).reshape(a.shape).astype(np.float64))


def main(ctx):
    rng = np.random.default_rng(23)
    c = Cases(ctx)

    def u(*s, lim=1.0):
        return rng.uniform(-lim, lim, s).astype(np.float32)

    float_shapes = [(1, 1, 1), (3, 5, 7), (1, 33, 32), (17, 1, 96), (37, 65, 129), (130, 70, 40)]
    for i, (m, n, k) in enumerate(float_shapes):
        ins = {"input": u(m, k), "weight": u(n, k, lim=1 / np.sqrt(k))}
        if i % 2:
            ins["bias"] = u(n)
        c.run(f"linear M={m} N={n} K={k}{' +bias' if i % 2 else ''}", "linear", ins, [],
              lambda t: {"output": F.linear(t["input"], t["weight"], t.get("bias"))})
    c.run("linear 3-D input [2, 3, 48]", "linear", {"input": u(2, 3, 48), "weight": u(20, 48), "bias": u(20)}, [],
          lambda t: {"output": F.linear(t["input"], t["weight"], t["bias"])})

    for wtype in ("q8_0", "q4_0"):
        for i, (m, n, k) in enumerate([(1, 1, 32), (1, 70, 64), (5, 33, 96), (17, 1, 32), (40, 130, 128)]):
            ins = {"input": u(m, k), "weight": u(n, k)}
            if i % 2:
                ins["bias"] = u(n)
            c.run(f"linear {wtype} M={m} N={n} K={k}{' +bias' if i % 2 else ''}", "linear", ins,
                  ["--wtype", wtype],
                  lambda t, wt=wtype: {"output": F.linear(t["input"], dequantized(t["weight"], wt), t.get("bias"))})

    for wtype in ("f32", "f16", "q8_0", "q4_0"):
        d = 96 if wtype in QUANT else 33
        ids = rng.integers(0, 50, (3, 7)).astype(np.int32)
        ids[0, 0], ids[2, 6] = 0, 49
        c.run(f"embedding {wtype} table [50, {d}] ids [3, 7]", "embedding", {"weight": u(50, d, lim=3), "input": ids},
              ["--wtype", wtype],
              lambda t, wt=wtype: {"output": F.embedding(t["input"].long(),
                                                         dequantized(t["weight"], wt) if wt != "f16" else
                                                         t["weight"].half().double())})
    c.run("embedding 1-D ids, D = 5", "embedding", {"weight": u(10, 5), "input": np.array([9, 0, 3, 3], np.int32)}, [],
          lambda t: {"output": F.embedding(t["input"].long(), t["weight"])})

    try:
        ctx.run_op("embedding", {"weight": u(4, 8), "input": np.array([1, 4], np.int32)}, [])
        print("FAIL embedding: an id outside [0, V) was accepted")
        return False
    except runner.OpError as e:
        print(f"ok   embedding refuses an id outside [0, V): {e.stderr.strip()}")
    return c.finish()


runner.main(main)
