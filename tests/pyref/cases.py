"""Runs one op case per storage dtype against a PyTorch reference (tests/py_ops.py,
py_ffn.py, py_rnn.py).

    cases = Cases(ctx)
    cases.run("layer-norm [3, 33]", "layer-norm", {"x": x, "weight": w}, ["--eps", "1e-5"],
              lambda t: {"y": F.layer_norm(t["x"], (33,), t["weight"])})
    return cases.finish()

For "f16" the float inputs are first rounded to f16, so the reference sees what the
device stores; the reference then runs in float64 (torch tensors of float64, from the
inputs as given). Outputs are compared relative to their scale (runner.compare) with
TOL[dtype]; integer outputs (indices) exactly. Once a device refuses an op in f16 (exit 3:
an op without packed-f16 kernels on a device without 16-bit storage), that op's remaining
f16 cases are reported as skipped without running.
"""
import os
import shutil

import numpy as np
import torch

from . import runner

TOL = {"f32": 1e-4, "f16": 3e-3}


class Cases:
    def __init__(self, ctx):
        self.ctx, self.ok, self.f16_refused, self.skipped = ctx, True, set(), 0
        # ctest runs one py test on several drivers at once with the same --workdir: keep the files apart
        ctx.workdir = os.path.join(ctx.workdir, f"run{os.getpid()}")

    def run(self, name, op, inputs, args, reference, dtypes=("f32", "f16"), exact=()):
        """reference(t) gets a dict of float64 / int torch tensors and returns {output: tensor};
        outputs named in `exact` must match exactly."""
        for dt in dtypes:
            if dt == "f16" and op in self.f16_refused:
                print(f"skip {name} f16: {op} needs 16-bit storage for f16, which this device lacks")
                self.skipped += 1
                continue
            ins = {k: (v.astype(np.float16).astype(np.float32) if dt == "f16" and v.dtype == np.float32 else v)
                   for k, v in inputs.items()}
            out = self.ctx.run_op(op, ins, list(args) + ["--dtype", dt], allow_skip=True)
            if out is None:
                self.f16_refused.add(op)
                self.skipped += 1
                continue
            want = reference({k: torch.from_numpy(v.astype(np.float64) if v.dtype == np.float32 else v)
                              for k, v in ins.items()})
            for k, w in want.items():
                w = w.detach().numpy() if isinstance(w, torch.Tensor) else np.asarray(w)
                tol = 0.0 if k in exact else TOL[dt]
                self.ok &= runner.compare(f"{name} {dt} {k}", out[k], w, tol)

    def finish(self):
        if self.ok:
            shutil.rmtree(self.ctx.workdir, ignore_errors=True)
        if self.skipped:
            print(f"{self.skipped} f16 case(s) skipped ({', '.join(sorted(self.f16_refused))}): "
                  "the device lacks 16-bit storage")
        return self.ok
