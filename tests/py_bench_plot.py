# vkattn-test: host
"""vkattn bench plot on hand-made result files: the SVG charts parse as XML, hold one line (or bar
group) per series with the legend naming it, and place the points where the values say (a faster
type is drawn higher; the copy and memcpy lines sit at their GB/s); files that are not plottable
get a clear error and a non-zero exit."""
import json
import math
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner  # noqa: E402

NS = "{http://www.w3.org/2000/svg}"


def write(path, kind, rows, notes=()):
    with open(path, "w") as f:
        json.dump({"benchmark": kind, "device": "dev <1>", "driver": "drv", "date": "2026-12-05",
                   "notes": list(notes), "rows": rows}, f)


def parse(path):
    """the SVG root, every text (title, ticks, legend) and the data lines in series order"""
    root = ET.parse(path).getroot()
    return root, [t.text for t in root.iter(NS + "text")], list(root.iter(NS + "polyline"))


def points(poly):
    return [tuple(float(v) for v in p.split(",")) for p in poly.get("points").split()]


def main(ctx):
    os.makedirs(ctx.workdir, exist_ok=True)
    ok = True

    def expect(cond, msg):
        nonlocal ok
        if not cond:
            print("FAIL " + msg)
            ok = False

    gemm = os.path.join(ctx.workdir, "gemm.json")
    rows = []
    for m in (1, 16, 512):
        for w, g in (("f32", 10.0 * m ** 0.5), ("q4_k", 5.0 * m ** 0.5)):
            r = {"M": m, "N": 256, "K": 512, "weights": w, "ms": 1.0, "GFLOP/s": g, "weight_GB/s": g / m,
                 "native_GFLOP/s": 40.0 * m ** 0.5}
            rows.append(r)
    write(gemm, "gemm", rows, ["copy 64 MiB f32 (read + write): Vulkan 9.20 GB/s, memcpy 33.56 GB/s, ratio 0.27"])
    rc, out, err = ctx.cli("bench", "plot", gemm, "-o", os.path.join(ctx.workdir, "g"))
    expect(rc == 0, f"plot gemm: rc {rc} {err}")
    chart = os.path.join(ctx.workdir, "g-gemm-256x512.svg")
    gemv = os.path.join(ctx.workdir, "g-gemv.svg")
    expect(os.path.exists(chart) and os.path.exists(gemv), f"charts not written: {out}")
    if os.path.exists(chart):
        root, texts, polys = parse(chart)
        expect(len(polys) == 3, f"GEMM chart: {len(polys)} lines, expected f32, q4_k and OpenBLAS")
        for name in ("f32", "q4_k", "OpenBLAS sgemm"):
            expect(name in texts, f"GEMM legend lacks {name}: {texts}")
        expect(any("dev <1>" in (t or "") for t in texts), "the title must name the device (escaped)")
        if len(polys) == 3:
            f32, blas, q4k = (points(p) for p in polys)  # series in the order the rows introduce them
            expect(len(f32) == 3 and len(q4k) == 3, f"3 points per series: {f32} {q4k}")
            # log-log: GFLOP/s doubles from q4_k to f32 and quadruples to OpenBLAS at every M, so the
            # vertical gaps are equal and in that order (SVG y grows downwards)
            for a, b, c in zip(q4k, f32, blas):
                expect(abs(a[0] - b[0]) < 0.01 and a[1] > b[1] > c[1], f"point order at x={a[0]}: {a} {b} {c}")
                expect(abs((a[1] - b[1]) * 2 - (b[1] - c[1])) < 0.2, f"log scale: {a} {b} {c}")
            xs = [p[0] for p in f32]
            expect(xs == sorted(xs) and abs((xs[1] - xs[0]) / (xs[2] - xs[1]) - math.log(16) / math.log(32)) < 0.01,
                   f"x positions must be log2(M): {xs}")
    if os.path.exists(gemv):
        root, texts, _ = parse(gemv)
        bars = [r for r in root.iter(NS + "rect") if r.get("fill", "").startswith("#") and r.get("height")
                and float(r.get("height")) > 4 and r.get("fill") != "white"]
        expect(len(bars) == 2, f"GEMV chart: {len(bars)} bars, expected one per type at M=1")
        expect("Vulkan copy 9.2 GB/s" in texts and "memcpy 33.6 GB/s" in texts, f"copy lines: {texts}")
        if len(bars) == 2:
            expect(float(bars[0].get("height")) > float(bars[1].get("height")), "f32 bar must be taller than q4_k")

    att = os.path.join(ctx.workdir, "att.json")
    arow = []
    for impl, k in (("3pass", 1.0), ("flash", 0.25)):
        for L in (128, 1024, 4096):
            arow.append({"case": "sweep", "impl": impl, "B*H": 2, "Lq": L, "Lk": L, "D": 64, "causal": "no",
                         "status": "ok", "ms": k * L * L / 1000})
    arow.append({"case": "sweep", "impl": "3pass", "B*H": 1, "Lq": 16384, "Lk": 16384, "D": 64, "causal": "no",
                 "status": "skipped", "ms": None})
    arow.append({"case": "decode", "impl": "decode", "B*H": 1, "Lq": 1, "Lk": 4096, "D": 64, "causal": "no",
                 "status": "ok", "ms": 0.5})
    write(att, "attention", arow)
    rc, out, err = ctx.cli("bench", "plot", att)
    svg = os.path.join(ctx.workdir, "att-time.svg")
    expect(rc == 0 and os.path.exists(svg), f"plot attention: rc {rc} {err}")
    if os.path.exists(svg):
        root, texts, polys = parse(svg)
        expect(len(polys) == 3, f"attention: {len(polys)} lines, expected 3pass, flash, decode")
        expect("3pass D=64" in texts and "decode (Lq=1) D=64" in texts, f"attention legend: {texts}")
        if len(polys) == 3:
            expect(len(points(polys[0])) == 3, "the skipped case must not be drawn")

    bad = os.path.join(ctx.workdir, "bad.json")
    with open(bad, "w") as f:
        f.write("{not json")
    model = os.path.join(ctx.workdir, "model.json")
    write(model, "model", [{"test": "pp512", "tok_s": 10}])
    for args, phrase in ((["bench", "plot", bad], "not a vkattn bench result"),
                         (["bench", "plot", "/nonexistent.json"], "cannot open"),
                         (["bench", "plot", model], "plots exist for attention and gemm"),
                         (["bench", "plot"], "give a result file")):
        rc, out, err = ctx.cli(*args)
        expect(rc != 0 and phrase in err, f"{args}: rc {rc}, stderr {err!r}")
    return ok


runner.main(main)
