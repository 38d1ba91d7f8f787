"""vkattn op copy against numpy: the op runner framework end to end (safetensors both
ways, dtype conversions of inputs, --dtype, op flags, strided views, exit codes).
Copies are exact, so the tolerance is 0 except for the device's own f32 -> f16
conversion (--to f16), where GLSL leaves the rounding mode to the driver: 1e-3 of the
output's scale (f16 has an 11-bit significand: 2^-11 ~ 4.9e-4 relative per element)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner, st  # noqa: E402


def expect_cli(ctx, args, rc, needles):
    got_rc, out, err = ctx.cli(*args)
    text = out + err
    ok = got_rc == rc and all(n in text for n in needles)
    print(f"{'ok  ' if ok else 'FAIL'} vkattn {' '.join(args)} -> {got_rc} (want {rc})")
    if not ok:
        print(text)
    return ok


def main(ctx):
    rng = np.random.default_rng(1234)
    ok = True
    x = rng.standard_normal((3, 5, 7), dtype=np.float32)
    ok &= runner.compare("f32 3-D", ctx.run_op("copy", {"x": x})["y"], x, 0.0)
    big = rng.standard_normal((301, 300), dtype=np.float32)  # several hundred workgroups
    ok &= runner.compare("f32 301x300", ctx.run_op("copy", {"x": big})["y"], big, 0.0)
    m = rng.standard_normal((37, 19), dtype=np.float32)
    ok &= runner.compare("transpose 2-D", ctx.run_op("copy", {"x": m}, ["--transpose"])["y"], m.T, 0.0)
    x4 = rng.standard_normal((2, 3, 5, 7), dtype=np.float32)
    ok &= runner.compare("transpose 4-D", ctx.run_op("copy", {"x": x4}, ["--transpose"])["y"],
                         np.swapaxes(x4, -1, -2), 0.0)

    # file dtypes are converted to the device dtype by op_input
    h = rng.standard_normal((4, 9)).astype(np.float16)
    ok &= runner.compare("f16 input", ctx.run_op("copy", {"x": h})["y"], h.astype(np.float32), 0.0)
    b = st.BF16.from_f32(rng.standard_normal((6, 5), dtype=np.float32))
    ok &= runner.compare("bf16 input", ctx.run_op("copy", {"x": b})["y"], b.to_f32(), 0.0)
    i = rng.integers(-1000, 1000, size=(11,), dtype=np.int32)
    ok &= runner.compare("i32 input", ctx.run_op("copy", {"x": i})["y"], i.astype(np.float32), 0.0)

    # f16 device tensors (packed words without 16-bit storage, e.g. SwiftShader)
    out = ctx.run_op("copy", {"x": x}, ["--dtype", "f16"], allow_skip=True)
    if out is not None:
        ok &= runner.compare("--dtype f16", out["y"], x.astype(np.float16).astype(np.float32), 0.0)
    out = ctx.run_op("copy", {"x": m}, ["--dtype", "f16", "--to", "f32", "--transpose"], allow_skip=True)
    if out is not None:
        ok &= runner.compare("f16 -> f32 transposed", out["y"], m.T.astype(np.float16).astype(np.float32), 0.0)
    out = ctx.run_op("copy", {"x": big}, ["--to=f16"], allow_skip=True)
    if out is not None:
        ok &= runner.compare("f32 -> f16 on the device", out["y"], big.astype(np.float16).astype(np.float32), 1e-3)

    # the framework's checks and exit codes
    inp = os.path.join(ctx.workdir, "copy_cli.in.safetensors")
    st.save(inp, {"x": x, "other": i})
    ok &= expect_cli(ctx, ["op", "--help"], 0, ["copy", "y = x"])
    ok &= expect_cli(ctx, ["op", "copy", "--help"], 0, ["--transpose", "--to f32|f16", "--dtype"])
    ok &= expect_cli(ctx, ["op", "nosuchop"], 2, ["unknown op", "copy"])
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp, "--bogus"], 2, ["unknown flag \"--bogus\"", "--to f32|f16",
                                                                        "--transpose"])
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp, "stray"], 2, ["unknown argument \"stray\""])
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp, "--to"], 2, ["--to needs a value"])
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp, "--transpose=1"], 2, ["takes no value"])
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp, "--dtype", "bf16"], 2, ["--dtype must be f32 or f16"])
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp, "--to", "i8"], 1, ["--to must be f32 or f16"])
    ok &= expect_cli(ctx, ["op", "copy"], 1, ["needs input tensor \"x\"", "--in"])
    st.save(inp, {"y": x})
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp], 1, ["needs input tensor \"x\""])
    ok &= expect_cli(ctx, ["op", "copy", "--in", os.path.join(ctx.workdir, "missing.safetensors")], 1,
                     ["VKATTN_ERROR_IO", "missing.safetensors"])
    with open(inp, "wb") as f:
        bad = b'{"x": not json}'
        f.write(len(bad).to_bytes(8, "little") + bad)
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp], 1, ["VKATTN_ERROR_FORMAT", "not valid JSON"])
    ok &= expect_cli(ctx, ["op", "copy", "--in", inp.replace("cli.in", "1.in"), "--profile"], 0, ["copy", "total"])
    if ctx.skipped:
        print(f"{len(ctx.skipped)} f16 case(s) skipped: the device lacks 16-bit storage")
    return ok


runner.main(main)
