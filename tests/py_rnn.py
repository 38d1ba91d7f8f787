"""GRU and LSTM through `vkattn op gru / lstm` against torch.nn.GRU / nn.LSTM
(float64 modules loaded with the same state_dict: weight_ih_l0, weight_hh_l0,
bias_ih_l0, bias_hh_l0; batch_first; initial states h0 / c0 [1, B, H]): with and
without biases and initial states, hidden sizes above the workgroup (300, 257).
Outputs output, h_n, c_n as the modules return them. Tolerance relative to the
output's scale: 1e-4 f32, 3e-3 f16 (skipped without 16-bit storage)."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner  # noqa: E402
from pyref.cases import Cases  # noqa: E402


def module_ref(cls, i, h, bias):
    def ref(t):
        m = cls(i, h, batch_first=True, bias=bias, dtype=torch.float64)
        m.load_state_dict({k: t[k] for k in m.state_dict()})
        states = (t["h0"], t["c0"]) if "c0" in t else t.get("h0")
        with torch.no_grad():
            out, hn = m(t["x"], states)
        if cls is torch.nn.LSTM:
            return {"output": out, "h_n": hn[0], "c_n": hn[1]}
        return {"output": out, "h_n": hn}
    return ref


def main(ctx):
    rng = np.random.default_rng(5)
    c = Cases(ctx)

    def case(name, cls, b, t, i, h, bias, states, dtypes=("f32", "f16")):
        g = 4 if cls is torch.nn.LSTM else 3
        s = 1 / np.sqrt(h)  # nn.GRU / nn.LSTM init range
        u = lambda *shape: rng.uniform(-s, s, shape).astype(np.float32)  # noqa: E731
        ins = {"x": rng.standard_normal((b, t, i)).astype(np.float32), "weight_ih_l0": u(g * h, i),
               "weight_hh_l0": u(g * h, h)}
        if bias:
            ins.update(bias_ih_l0=u(g * h), bias_hh_l0=u(g * h))
        if states:
            ins["h0"] = rng.uniform(-1, 1, (1, b, h)).astype(np.float32)
            if cls is torch.nn.LSTM:
                ins["c0"] = rng.uniform(-1, 1, (1, b, h)).astype(np.float32)
        c.run(name, "lstm" if g == 4 else "gru", ins, [], module_ref(cls, i, h, bias), dtypes=dtypes)

    case("gru biases h0", torch.nn.GRU, 3, 7, 10, 20, True, True)
    case("gru H 300 no bias, zero h0", torch.nn.GRU, 2, 5, 16, 300, False, False, dtypes=("f32",))
    case("lstm biases h0 c0", torch.nn.LSTM, 3, 6, 12, 33, True, True)
    case("lstm H 257 zero states", torch.nn.LSTM, 2, 4, 7, 257, True, False, dtypes=("f32",))
    return c.finish()


runner.main(main)
