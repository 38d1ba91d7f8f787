# vkattn-test: host
"""vkattn bench compare on two hand-made result files: rows matched by their identifying
columns (not by order, not by repetition counts), the ratio B/A per measure, the direction of
'better' (times and memory down, rates up), the run-to-run spread widening the threshold,
exit status 1 on a regression and 0 without one, clear errors on bad input."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner  # noqa: E402


def write(path, rows, device="dev"):
    with open(path, "w") as f:
        json.dump({"benchmark": "gemm", "device": device, "driver": "drv", "date": "2026-12-05", "rows": rows}, f)


def expect(cond, msg):
    if not cond:
        print("FAIL " + msg)
    return bool(cond)


def main(ctx):
    os.makedirs(ctx.workdir, exist_ok=True)
    a, b, md = (os.path.join(ctx.workdir, n) for n in ("a.json", "b.json", "cmp"))
    write(a, [{"M": 1, "weights": "f16", "ms": 2.0, "GFLOP/s": 10.0, "runs": 5},
              {"M": 16, "weights": "f16", "ms": 4.0, "GFLOP/s": 20.0, "runs": 5},
              {"model": "x", "test": "tg8", "tok_s": 10.0, "stddev": 1.0},
              {"M": 99, "weights": "q4_0", "ms": 1.0}])
    # reordered; M=1 twice as fast (ms halves, GFLOP/s doubles); M=16 25% slower;
    # tg8 15% slower but inside 3 x its 10% stddev; M=99 absent
    write(b, [{"model": "x", "test": "tg8", "tok_s": 8.5, "stddev": 1.0},
              {"M": 16, "weights": "f16", "ms": 5.0, "GFLOP/s": 16.0, "runs": 3},
              {"M": 1, "weights": "f16", "ms": 1.0, "GFLOP/s": 20.0, "runs": 7}], device="other")
    ok = True
    rc, out, err = ctx.cli("bench", "compare", a, b, "-o", md)
    table = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and "=" in cells[0]:
            table[(cells[0], cells[1])] = (float(cells[4]), cells[5])
    want = {("M=1 weights=f16", "ms"): (0.5, "better"), ("M=1 weights=f16", "GFLOP/s"): (2.0, "better"),
            ("M=16 weights=f16", "ms"): (1.25, "REGRESSION"), ("M=16 weights=f16", "GFLOP/s"): (0.8, "REGRESSION"),
            ("model=x test=tg8", "tok_s"): (0.85, "~ (within spread)")}
    for k, (ratio, verdict) in want.items():
        got = table.get(k)
        if not got or abs(got[0] - ratio) > 1e-3 or got[1] != verdict:
            print(f"FAIL {k}: got {got}, expected {(ratio, verdict)}\n{out}")
            ok = False
    if len(table) != len(want):
        print(f"FAIL {len(table)} compared measures, expected {len(want)}\n{out}")
        ok = False
    if rc != 1 or "1 of A's rows not in B" not in out:
        print(f"FAIL a regression must exit 1 and the unmatched row be counted: rc {rc}\n{out}")
        ok = False
    if not os.path.exists(md + ".md") or "REGRESSION" not in open(md + ".md").read():
        print("FAIL -o did not write the Markdown table")
        ok = False
    # no regression: B = A -> exit 0; a wider threshold hides the 25% slowdown
    rc, out, _ = ctx.cli("bench", "compare", a, a)
    ok &= expect(rc == 0, f"identical files: rc {rc}\n{out}")
    rc, out, _ = ctx.cli("bench", "compare", a, b, "--threshold", "0.3")
    ok &= expect(rc == 0 and "REGRESSION" not in out, f"--threshold 0.3: rc {rc}\n{out}")
    # bad input
    bad = os.path.join(ctx.workdir, "bad.json")
    with open(bad, "w") as f:
        f.write("{not json")
    for args, phrase in ((["bench", "compare", a, bad], "not a vkattn bench result"),
                         (["bench", "compare", a, "/nonexistent.json"], "cannot open"),
                         (["bench", "compare", a], "two result files"),
                         (["bench", "compare", a, b, "--threshold", "x"], "--threshold")):
        rc, out, err = ctx.cli(*args)
        ok &= expect(rc != 0 and phrase in err, f"{args}: rc {rc}, stderr {err!r}")
    return ok


runner.main(main)
