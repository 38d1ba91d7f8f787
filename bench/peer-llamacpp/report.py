#!/usr/bin/python3
"""Combines bench/peer-llamacpp/run.sh's measurements into <out>.json and <out>.md: llama.cpp
(Vulkan on lavapipe, CPU) and vkattn (lavapipe, SwiftShader) pp512/tg128 tok/s per weight type,
with vkattn / llama.cpp-Vulkan ratios from the same run."""
import argparse
import datetime
import json
import os
import platform
import subprocess


def load(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def vkattn_rates(j):
    """pp/tg tok/s from `vkattn bench model --json`: top-level pp_tok_s/tg_tok_s, or rows with a test
    name (pp512 / tg128) and tok_s (or llama-bench's n_prompt/n_gen + avg_ts)."""
    if j is None:
        return None
    if "pp_tok_s" in j:
        return {"pp": j["pp_tok_s"], "tg": j["tg_tok_s"]}
    out = {}
    for r in j.get("rows", j if isinstance(j, list) else []):
        test = str(r.get("test", ""))
        rate = r.get("tok_s", r.get("avg_ts"))
        if test.startswith("pp") or r.get("n_gen") == 0:
            out["pp"] = rate
        elif test.startswith("tg") or r.get("n_prompt") == 0:
            out["tg"] = rate
    if "pp" not in out or "tg" not in out:
        raise SystemExit(f"report: cannot find pp/tg tok/s in vkattn's JSON: {json.dumps(j)[:300]}")
    return out


def vulkan_driver():
    try:
        out = subprocess.run(["vulkaninfo", "--summary"], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, VK_DRIVER_FILES="/usr/share/vulkan/icd.d/lvp_icd.x86_64.json")).stdout
        return " ".join(line.split("=", 1)[1].strip() for line in out.splitlines()
                        if line.strip().startswith(("deviceName", "driverInfo")))
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--types", default="F16 Q8_0")
    ap.add_argument("--commands")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows, notes = [], []
    first = None
    for t in a.types.split():
        k = t.lower()
        vul = load(f"{a.work}/llamacpp-vulkan-{k}.json")
        cpu = load(f"{a.work}/llamacpp-cpu-{k}.json")
        vk = vkattn_rates(load(f"{a.work}/vkattn-lavapipe-{k}.json"))
        sw = vkattn_rates(load(f"{a.work}/vkattn-swiftshader-{k}.json"))
        first = first or vul or cpu
        for test in ("pp", "tg"):
            r = {"type": t, "test": f"pp{vul['pp']}" if test == "pp" and vul else f"tg{vul['tg']}" if vul else test,
                 "llamacpp_vulkan_lavapipe_tok_s": vul and vul[f"{test}_tok_s"],
                 "llamacpp_cpu_tok_s": cpu and cpu[f"{test}_tok_s"],
                 "vkattn_lavapipe_tok_s": vk and vk[test],
                 "vkattn_swiftshader_tok_s": sw and sw[test]}
            r["vkattn_over_llamacpp_vulkan"] = (r["vkattn_lavapipe_tok_s"] / r["llamacpp_vulkan_lavapipe_tok_s"]
                                                if vk and vul else None)
            rows.append(r)
    if not any(r["vkattn_lavapipe_tok_s"] for r in rows):
        notes.append("vkattn: not measured in this run (no `vkattn bench model` in the build, or not reached yet)")
    notes.append("llama.cpp refuses SwiftShader (it requires 16-bit storage): vkattn alone there")
    notes.append("one run on a shared 2-core machine: compare the columns of a row (measured minutes apart), "
                 "not absolute numbers across runs")
    report = {
        "benchmark": "model-vs-llamacpp",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "driver": vulkan_driver(),
        "host": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "model": "synthetic llama, 12 layers, dim 1024, 16 heads, 4 KV heads, ff 2816, vocab 32000 (201M params), "
                 "seeded random weights (bench/peer-llamacpp/make_model.py)",
        "llamacpp": {"node_llama_cpp": first and first["node_llama_cpp"],
                     "llama_cpp_release": first and first["llama_cpp_release"],
                     "vulkan_device": first and first.get("device"), "threads": first and first["threads"],
                     "reps": first and first["reps"],
                     "method": "pp: fresh context, PP tokens in one batch (batch = ubatch = 512); tg: fresh context, "
                               "greedy single-token decodes; untimed warm-ups first, as llama-bench (a PP-token prompt, one generated token)"},
        "versions": load(f"{a.work}/versions.json"),
        "load_average_at_report": [round(x, 1) for x in os.getloadavg()],
        "commands": [c for c in open(a.commands).read().splitlines() if "report.py" not in c]
        if a.commands and os.path.exists(a.commands) else [],
        "notes": notes,
        "rows": rows,
    }
    with open(a.out + ".json", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    rel = report["llamacpp"]["llama_cpp_release"] or {}
    fmt = lambda v, d=2: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
    md = ["# vkattn vs llama.cpp (Vulkan, lavapipe): synthetic llama 201M", "",
          f"- date: {report['date']}", f"- driver: {report['driver']}", f"- host: {report['host']}",
          f"- model: {report['model']}",
          f"- llama.cpp: node-llama-cpp {report['llamacpp']['node_llama_cpp']}, prebuilt binaries tagged "
          f"{rel.get('repo')} {rel.get('release')}; {report['llamacpp']['method']}",
          f"- load average when the report was written (1, 5, 15 min): {report['load_average_at_report']}",
          f"- versions: {json.dumps(report['versions'])}", "",
          "| type | test | llama.cpp Vulkan lavapipe tok/s | llama.cpp CPU tok/s | vkattn lavapipe tok/s | "
          "vkattn / llama.cpp Vulkan | vkattn SwiftShader tok/s |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['type']} | {r['test']} | {fmt(r['llamacpp_vulkan_lavapipe_tok_s'])} | "
                  f"{fmt(r['llamacpp_cpu_tok_s'])} | {fmt(r['vkattn_lavapipe_tok_s'])} | "
                  f"{fmt(r['vkattn_over_llamacpp_vulkan'])} | {fmt(r['vkattn_swiftshader_tok_s'])} |")
    md += [""] + [f"- {n}" for n in notes] + ["", "Commands:", "", "```"] + report["commands"] + ["```", ""]
    with open(a.out + ".md", "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
