"""vkattn bench attention end to end on a tiny sweep: the JSON and Markdown it writes, one row
per case with the columns the report promises, every result spot-checked correct by the bench
itself (check "ok"), the decode case and the GEMM rows present, the target lines written, bad
options refused. Speed is never asserted (the machine is shared)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner  # noqa: E402

COLUMNS = ["case", "impl", "B*H", "Lq", "Lk", "D", "causal", "status", "ms", "GFLOP/s", "peak_MiB", "scratch_MiB",
           "splits", "runs", "rel_err", "check"]


def main(ctx):
    ok = True
    os.makedirs(ctx.workdir, exist_ok=True)
    prefix = os.path.join(ctx.workdir, "bench_attention")
    # L 128..1024, D 64, both causal settings, 3-pass and flash; decode over 1024 keys; GEMM at 1024
    rc, out, err = ctx.cli("bench", "attention", "--min-len", "128", "--max-len", "1024", "--dims", "64",
                           "--decode-len", "1024", "--budget-ms", "0", "-o", prefix)
    if rc != 0:
        print(f"FAIL bench attention -> {rc}\n{out}\n{err}")
        return False
    with open(prefix + ".json") as f:
        rep = json.load(f)
    rows = rep["rows"]
    sweep = [r for r in rows if r["case"] == "sweep"]
    decode = [r for r in rows if r["case"] == "decode"]
    gemm = [r for r in rows if r["case"] == "gemm"]
    checks = [
        ("device and date recorded", rep["device"] and rep["driver"].strip() and rep["date"]),
        ("4 lengths x 2 causal x 2 impls", len(sweep) == 16),
        ("decode vs flash rows", sorted(r["impl"] for r in decode) == ["decode", "flash"]),
        ("gemm rows", sorted(r["impl"] for r in gemm) == ["linear_pv", "linear_qk", "linear_qk+pv"]),
        ("columns", all(list(r.keys()) == COLUMNS for r in rows)),
        ("all ran", all(r["status"] == "ok" for r in rows)),
        ("all spot-checked correct", all(r["check"] == "ok" for r in rows)),
        ("decode splits > 1", all(r["splits"] > 1 for r in decode if r["impl"] == "decode")),
        ("decode target line", any(n.startswith("target 3 ") for n in rep["notes"])),
        ("progress on stderr", "[1/" in err and "flash L=128" in err),
    ]
    with open(prefix + ".md") as f:
        md = f.read()
    checks.append(("markdown table", "| case | impl |" in md and "target 3 " in md))
    for what, good in checks:
        print(f"{'ok  ' if good else 'FAIL'} {what}")
        ok &= bool(good)
    for args, needle in [(["--impl", "fast"], "bad value for --impl"), (["--dims", "0"], "for --dims"),
                         (["--min-len", "512", "--max-len", "256"], "exceeds --max-len"), (["--bogus"], "unknown")]:
        rc, out, err = ctx.cli("bench", "attention", *args)
        good = rc == 2 and needle in out + err
        print(f"{'ok  ' if good else 'FAIL'} bench attention {' '.join(args)} -> {rc}")
        ok &= good
    return ok


runner.main(main)
