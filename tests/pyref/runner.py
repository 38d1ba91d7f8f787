"""Runs `vkattn op` on numpy inputs and compares outputs (see docs/ops.md).

A test file tests/py_<name>.py looks like:

    from pyref import runner
    def main(vk):                        # vk: runner.Ctx with .vkattn and .workdir
        x = np.random.default_rng(0).standard_normal((3, 5), dtype=np.float32)
        out = vk.run_op("copy", {"x": x}, [])
        return runner.compare("copy f32", out["y"], x, 0.0)
    runner.main(main)

run_op raises runner.Skip when the device lacks a feature (exit status 3), which
main turns into exit 77 (ctest: skipped) unless other cases ran.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

from . import st

EXIT_UNSUPPORTED = 3


class Skip(Exception):
    """The op is not supported on this device (vkattn op exited with 3)."""


class OpError(Exception):
    """vkattn op failed; the message holds its stderr."""

    def __init__(self, rc, stderr):
        super().__init__(f"vkattn op exited with {rc}: {stderr.strip()}")
        self.rc, self.stderr = rc, stderr


_counter = [0]


def run_cli(vkattn, args, check=False):
    """Runs the CLI with validation on; returns (returncode, stdout, stderr)."""
    env = dict(os.environ, VKATTN_VALIDATION="1")
    p = subprocess.run([vkattn] + list(args), capture_output=True, text=True, env=env, timeout=600)
    if check and p.returncode != 0:
        raise OpError(p.returncode, p.stderr)
    return p.returncode, p.stdout, p.stderr


def run_op(vkattn, op, inputs, args, workdir):
    """Writes `inputs` (dict of numpy / st.BF16) to a safetensors file, runs
    `vkattn op OP --in IN --out OUT ARGS`, returns the outputs as a dict of numpy arrays."""
    os.makedirs(workdir, exist_ok=True)
    _counter[0] += 1
    base = os.path.join(workdir, f"{op}_{_counter[0]}")
    st.save(base + ".in.safetensors", inputs)
    rc, _, err = run_cli(vkattn, ["op", op, "--in", base + ".in.safetensors", "--out", base + ".out.safetensors"]
                         + [str(a) for a in args])
    if rc == EXIT_UNSUPPORTED:
        raise Skip(err.strip())
    if rc != 0:
        raise OpError(rc, err)
    return st.load(base + ".out.safetensors")


def compare(name, got, want, tol):
    """Prints the max abs error and that relative to the output's scale (max |want|);
    True when the shapes match, nothing is NaN/Inf where want is finite, and rel <= tol."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        print(f"FAIL {name}: shape {got.shape}, expected {want.shape}")
        return False
    finite = np.isfinite(want)
    bad = int(np.count_nonzero(~np.isfinite(got) & finite))
    err = float(np.max(np.abs(got - want)[finite])) if finite.any() else 0.0
    scale = float(np.max(np.abs(want[finite]))) if finite.any() else 0.0
    rel = err / scale if scale > 1e-30 else err
    ok = rel <= tol and bad == 0 and np.array_equal(np.isnan(got), np.isnan(want))
    print(f"{'ok  ' if ok else 'FAIL'} {name}: max abs err {err:.3g}, rel {rel:.3g} (tol {tol:g}, scale {scale:.3g})"
          + (f", {bad} non-finite" if bad else ""))
    return ok


def device_bytes_ok(name, path, err):
    """The weights on the device take the bytes the file stores them in (f16/bf16 matrices twice that as f32 on
    devices without 16-bit storage, which then keep an f32 KV cache): nothing was converted to f32 at load.
    Checks the "(X MiB on the device)" of `vkattn run`'s summary."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
    from gguf_reader import read_gguf
    storage16 = "KV cache f16" in err
    want = 0
    for data, tname, shape in read_gguf(path, raw=True)[1].values():
        if len(shape) == 1:
            want += 4 * shape[0]  # norms, biases: f32 parameters
        else:
            want += len(data) * (2 if tname in ("F16", "BF16") and not storage16 else 1)
    try:
        got = float(err.split("MiB on the device")[0].rsplit("(", 1)[1]) * 1048576
    except (IndexError, ValueError):
        print(f"FAIL {name}: no device weight size in vkattn run's summary: {err.strip()[-300:]}")
        return False
    ok = abs(got - want) <= 0.0005 * 1048576
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {got / 1048576:.3f} MiB of weights on the device, the file's "
          f"{want / 1048576:.3f} MiB as stored")
    return ok


class Ctx:
    """What a test's main gets: the CLI path, the work directory, and run_op bound to them."""

    def __init__(self, vkattn, workdir):
        self.vkattn, self.workdir = vkattn, workdir
        self.skipped = []

    def run_op(self, op, inputs, args=(), allow_skip=False):
        """run_op with this context; with allow_skip, an unsupported case is noted in
        self.skipped and gives None instead of raising Skip."""
        try:
            return run_op(self.vkattn, op, inputs, list(args), self.workdir)
        except Skip as e:
            if not allow_skip:
                raise
            print(f"skip {op} {' '.join(map(str, args))}: {e}")
            self.skipped.append(e)
            return None

    def cli(self, *args):
        return run_cli(self.vkattn, args)


def main(test):
    """Parses --vkattn/--workdir, runs test(ctx) -> bool; exits 0 pass, 1 fail, 77 skip."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    ctx = Ctx(a.vkattn, a.workdir)
    try:
        ok = test(ctx)
    except Skip as e:
        print(f"skipped: {e}")
        sys.exit(77)
    except OpError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    sys.exit(0 if ok else 1)
