#!/usr/bin/python3
"""`vkattn selftest` on this driver (validation on): it passes, covers every kernel family with
every GEMM kernel and weight type, reports each check's error within its stated tolerance, and its
--json report agrees with its lines; with a corrupted result (the test-only
$VKATTN_SELFTEST_CORRUPT) exactly the corrupted checks fail and the exit status is 1; bad options
are usage errors. Under $VKATTN_TEST_IDLE_LANES the report says the subgroup kernels ran on
partial subgroups.

CI time: on lavapipe a fresh run compiles ~100 pipelines with LLVM (minutes of CPU), so lavapipe runs
--quick (the device's own GEMM kernel) and shares the test pipeline cache; SwiftShader compiles fast
and runs the whole self-test, every GEMM kernel and the GPU-shaped attention kernels forced. tests/gpu_linear.c forces every kernel on
every driver."""
import argparse
import json
import os
import subprocess
import sys

FAMILIES = ["linear", "attention 3pass", "attention flash", "attention decode", "attention auto", "mha ", "layer_norm",
            "rms_norm", "softmax", "rope neox", "rope gptj", "relu", "silu", "gelu ", "gelu_tanh", "swiglu", "geglu",
            "add ", "mul ", "copy", "argmax", "topk", "ffn swiglu", "ffn gelu", "gru", "lstm", "sinusoidal",
            "embedding table f32", "embedding table q8_0", "embedding table q4_K"]
WEIGHTS = ["f32", "f16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K",
           "iq4_xs"]


def selftest(vkattn, args, **env):
    e = dict(os.environ, VKATTN_VALIDATION="1", **env)
    if os.environ.get("VKATTN_TEST_CACHE_DIR"):
        e["VKATTN_CACHE_DIR"] = os.environ["VKATTN_TEST_CACHE_DIR"]
    return subprocess.run([vkattn, "selftest"] + args, capture_output=True, text=True, env=e, timeout=1200)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    return bool(cond)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    ok = True

    full = "swiftshader" in os.environ.get("VK_DRIVER_FILES", "")
    r = selftest(a.vkattn, ["--json"] + ([] if full else ["--quick"]))
    sys.stdout.write(r.stderr)
    ok &= check(r.returncode == 0, f"selftest exit status {r.returncode}")
    rep = json.loads(r.stdout)
    checks = rep["checks"]
    names = [c["name"] for c in checks]
    dev, plan = rep["device"], rep["plan"]
    ok &= check(rep["result"] == "PASS" and rep["failed"] == 0 and rep["validation_messages"] == 0,
                f"report: {rep['passed']} passed, {rep['failed']} failed, {rep['skipped']} skipped, "
                f"{rep['validation_messages']} validation messages in {rep['seconds']} s")
    ok &= check(rep["passed"] + rep["skipped"] == len(checks) and rep["passed"] > (100 if full else 60),
                f"{len(checks)} checks counted consistently")
    for c in checks:
        if c["status"] == "PASS" and not (c["rel"] <= c["tol"]):
            ok &= check(False, f"{c['name']}: PASS with rel {c['rel']} > tol {c['tol']}")
        line = [ln for ln in r.stderr.splitlines() if ln[6:].startswith(c["name"])]
        if not line or not line[0].startswith(c["status"]):
            ok &= check(False, f"{c['name']}: no {c['status']} line among the printed ones")
    for fam in FAMILIES:
        ok &= check(any(n.startswith(fam) and s == "PASS" for n, s in zip(names, (c["status"] for c in checks))),
                    f"family {fam.strip()!r} checked")
    f16 = dev["storage16"]
    # the device's choice, then (full) tiled, blocked and ks forced
    kernels = 1 if not full else 4 if plan["gemm_ks_available"] else 3
    for w in WEIGHTS:
        n = sum(n.startswith("linear") and f" w {w} " in n for n in names)
        ok &= check(n >= kernels * (3 if w == "f32" else 2), f"linear with {w} weights: {n} GEMV and GEMM checks")
    ks = [n for n in names if n.startswith("linear gemm_ks")]
    if full:
        ok &= check(all(any(n.startswith(f"linear {k} ") for n in names) for k in ("gemm_tiled", "gemm"))
                    and (ks if plan["gemm_ks_available"] else "linear gemm_ks (forced)" in names),
                    "forced kernels: gemm_tiled, gemm and gemm_ks (or its skip, with the reason)")
    if full:  # the GPU-shaped attention kernels forced (VKATTN_ATTN_KV=tiles), f32 and f16
        for impl in ("flash", "decode"):
            tiles = [n for n, st in zip(names, (c["status"] for c in checks)) if n.startswith(f"attention {impl} tiles ") and st == "PASS"]
            ok &= check(len(tiles) == 2, f"attention {impl} forced to the GPU-shaped kernel: {len(tiles)} checks passed")
    # f16 everywhere: with 16-bit storage, or as packed words (the "_pk" kernels) without it
    ok &= check(any(" f16 " in n or n.endswith(" f16") for n in names if n.startswith("attention"))
                and any(n.startswith("linear") and " x f16 " in n for n in names),
                f"f16 attention and linear checked ({'16-bit storage' if f16 else 'packed words'})")
    idle = os.environ.get("VKATTN_TEST_IDLE_LANES", "") not in ("", "0")
    ok &= check(plan["test_idle_lanes"] == idle, f"plan: test_idle_lanes = {plan['test_idle_lanes']}")
    ok &= check(plan["subgroup_planned"] == 0 or dev["subgroup_arithmetic"],
                f"plan: subgroup kernels planned for {plan['subgroup_planned']} lanes, required "
                f"{plan['subgroup_required']}{' (full)' if plan['full_subgroups'] else ''}")
    ok &= check(plan["unified_memory"] == (dev["type"] in ("cpu", "integrated")),
                f"plan: unified memory {plan['unified_memory']} on a {dev['type']} device")
    # planned as a GPU ($VKATTN_TEST_DEVICE_TYPE, the *-discrete and *-integrated runs): its type, staging copies
    # (discrete only) and the GPUs' GEMM choice (tiles for prefill, gemm_ks for 2-8 rows where it runs)
    as_type = os.environ.get("VKATTN_TEST_DEVICE_TYPE", "")
    ok &= check(plan["test_device_type"] == as_type and (not as_type or dev["type"] == as_type),
                f"plan: planned as {plan['test_device_type']!r}, device type {dev['type']}")
    if as_type in ("discrete", "integrated"):
        ok &= check(plan["unified_memory"] == (as_type == "integrated") and plan["gemm_mn"] == "gemm_tiled"
                    and plan["gemm_few"] == ("gemm_ks" if plan["gemm_ks_available"] else "gemm"),
                    f"{as_type}: unified memory {plan['unified_memory']}, GEMM {plan['gemm_few']} for 2-8 rows and "
                    f"{plan['gemm_mn']} for 64")

    # It can fail: one family's results corrupted (test-only knob) -> those checks FAIL, exit 1.
    r = selftest(a.vkattn, ["--quick", "--json", "--filter", "rope"], VKATTN_SELFTEST_CORRUPT="rope neox")
    rep = json.loads(r.stdout) if r.stdout else {"checks": [], "result": "?"}
    bad = [c["name"] for c in rep["checks"] if c["status"] == "FAIL"]
    good = [c["name"] for c in rep["checks"] if c["status"] == "PASS"]
    ok &= check(r.returncode == 1 and rep["result"] == "FAIL" and bad and all(n.startswith("rope neox") for n in bad)
                and good and all(n.startswith("rope gptj") for n in good) and "FAIL  rope neox" in r.stderr,
                f"--filter rope with rope neox corrupted: exit {r.returncode}, failed: {bad}, passed: {good}")
    r = selftest(a.vkattn, ["--filter", "no-such-check"])
    ok &= check(r.returncode == 2 and "no-such-check" in r.stderr, f"--filter matching nothing: exit {r.returncode}")

    r = selftest(a.vkattn, ["--bogus"])
    ok &= check(r.returncode == 2 and "--bogus" in r.stderr, f"unknown option: exit {r.returncode}")
    r = selftest(a.vkattn, ["--device", "no-such-device-name"])
    ok &= check(r.returncode == 1 and "no-such-device-name" in r.stderr, f"unknown device: exit {r.returncode}: "
                + r.stderr.strip()[-200:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
