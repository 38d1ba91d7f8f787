# vkattn-test: host
"""Host dequantization of every GGUF block type vkattn loads (vkattn_dequantize through
`vkattn inspect --dump`) bit-identical to an independent numpy decoder (tests/pyref/quants.py,
written from ggml's layouts): random blocks (random bytes, finite f16 scales, some subnormal and
zero), rows of several blocks; also that an unsupported type (IQ2_XXS) is refused by name with the
supported list. No GPU needed."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import quants, runner  # noqa: E402
import gguf_writer as gw  # noqa: E402


def main(vk):
    rng = np.random.default_rng(10)
    w = gw.GGUFWriter()
    w.add_string("general.architecture", "test")
    cases = {}
    for name, (type_id, qk, size, _) in quants.TYPES.items():
        rows, blocks = 3, (5 if qk == 32 else 2)
        raw = bytearray(quants.random_blocks(name, rows * blocks, rng))
        if qk == 256 or name == "Q4_1":  # a subnormal and a zero scale in the first two blocks
            _, _, _, offs = quants.TYPES[name]
            raw[offs[0]:offs[0] + 2] = np.float16(3e-6).tobytes()
            raw[size + offs[0]:size + offs[0] + 2] = np.float16(0).tobytes()
        tname = f"t.{name.lower()}"
        w.tensors.append((tname, (qk * blocks, rows), type_id, bytes(raw)))
        cases[tname] = (name, bytes(raw), rows * qk * blocks)
    w.tensors.append(("t.iq2_xxs", (256, 1), 16, b"\0" * 66))
    os.makedirs(vk.workdir, exist_ok=True)
    path = os.path.join(vk.workdir, "blocks.gguf")
    w.write(path)

    ok = True
    for tname, (name, raw, count) in cases.items():
        out = os.path.join(vk.workdir, tname + ".f32")
        rc, _, err = vk.cli("inspect", path, "--dump", tname, out)
        if rc != 0:
            print(f"FAIL {name}: vkattn inspect --dump: rc {rc}: {err.strip()}")
            ok = False
            continue
        got = np.fromfile(out, "<f4")
        want = quants.dequantize(name, raw, count)
        same = got.shape == want.shape and np.array_equal(got.view(np.uint32), want.view(np.uint32))
        bad = int(np.count_nonzero(got.view(np.uint32) != want.view(np.uint32))) if got.shape == want.shape else -1
        print(f"{'ok  ' if same else 'FAIL'} {name}: {count} values bit-identical to numpy "
              f"(max |v| {float(np.abs(want).max()):.3g}){'' if same else f', {bad} differ'}")
        ok &= same
    rc, _, err = vk.cli("inspect", path, "--dump", "t.iq2_xxs", os.path.join(vk.workdir, "x.f32"))
    good = rc != 0 and "IQ2_XXS" in err and "Q4_K" in err and "IQ4_XS" in err
    print(f"{'ok  ' if good else 'FAIL'} unsupported type refused: rc {rc}: {err.strip()}")
    return ok and good


if __name__ == "__main__":
    runner.main(main)
