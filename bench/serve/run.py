#!/usr/bin/python3
"""Aggregate generation throughput of `vkattn serve` with 1, 2, 4, 8 concurrent clients (issue 11's target: 8 clients
reach at least 4x the tokens/s of 1, on the 201M synthetic llama on lavapipe).

    /usr/bin/python3 bench/serve/run.py [--vkattn build/vkattn] [-m MODEL.gguf | --model-201m TYPE]
                                        [--clients 1,2,4,8] [-n 32] [--requests 2] [--parallel 8] [-o PREFIX]

One server (--parallel 8, a context per slot of prompt + n + 16) stays up for the whole run; after one warm-up
request, each concurrency level C runs C client threads that each send --requests completions (max_tokens n,
temperature 0.8, a seed per request) one after another; tokens/s = the completion tokens the server reports
(usage) over the wall time of the level. --model-201m F16|Q8_0 generates bench/peer-llamacpp/make_model.py's
model into the build tree. Writes PREFIX.json and PREFIX.md (device, driver, load average before and after,
the command) when -o is given. The machine must be quiet: a loaded machine gives meaningless figures."""
import argparse
import datetime
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROMPT = "Once upon a time"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def post(port, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    c.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {data[:300]!r}")
    return json.loads(data)


def level(port, clients, requests, n):
    tokens = [0] * clients
    errors = []

    def client(i):
        try:
            for k in range(requests):
                j = post(port, {"prompt": PROMPT, "max_tokens": n, "temperature": 0.8, "seed": 1000 * i + k})
                tokens[i] += j["usage"]["completion_tokens"]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(str(e))

    ts = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        raise RuntimeError(errors[0])
    return sum(tokens), dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vkattn", default=os.path.join(ROOT, "build", "vkattn"))
    ap.add_argument("-m", "--model")
    ap.add_argument("--model-201m", choices=["F16", "Q8_0"], help="generate and use the 201M synthetic llama")
    ap.add_argument("--clients", default="1,2,4,8")
    ap.add_argument("-n", type=int, default=32, help="tokens per request")
    ap.add_argument("--requests", type=int, default=2, help="requests per client per level")
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("-o", "--out", help="PREFIX for .json and .md")
    a = ap.parse_args()
    model = a.model
    if a.model_201m:
        model = os.path.join(os.path.dirname(os.path.abspath(a.vkattn)), f"bench-201m-{a.model_201m.lower()}.gguf")
        if not os.path.exists(model):
            subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "peer-llamacpp", "make_model.py"), model,
                            "--type", a.model_201m], check=True)
    clients = [int(c) for c in a.clients.split(",")]
    port = free_port()
    ctx = a.parallel * (64 + a.n + 16)
    cmd = [a.vkattn, "serve", "--port", str(port), "--parallel", str(a.parallel), "-c", str(ctx)] + (["-m", model] if model else [])
    load_before = os.getloadavg()
    log = open(os.path.join(os.path.dirname(os.path.abspath(a.vkattn)), "bench-serve.log"), "w+")
    srv = subprocess.Popen(cmd, stdout=log, stderr=log)
    results = []
    try:
        deadline = time.time() + 600
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if srv.poll() is not None or time.time() > deadline:
                log.seek(0)
                sys.exit(f"vkattn serve did not start: {log.read()}")
            time.sleep(0.5)
        post(port, {"prompt": PROMPT, "max_tokens": 4})  # warm-up: pipelines, caches
        for c in clients:
            tok, dt = level(port, c, a.requests, a.n)
            results.append({"clients": c, "tokens": tok, "seconds": round(dt, 3), "tokens_per_s": round(tok / dt, 3)})
            print(f"{c} client(s): {tok} tokens in {dt:.2f} s = {tok / dt:.2f} tok/s", flush=True)
    finally:
        srv.terminate()
        srv.wait(60)
    load_after = os.getloadavg()
    log.seek(0)
    m = re.search(r"vkattn serve: (.*) on (.*): (\d+) slots", log.read())
    base = results[0]["tokens_per_s"] if results and results[0]["clients"] == 1 else None
    for r in results:
        r["vs_1_client"] = round(r["tokens_per_s"] / base, 3) if base else None
    eight = next((r for r in results if r["clients"] == 8), None)
    target = {"what": "8 clients >= 4x the tokens/s of 1", "ratio": eight["vs_1_client"] if eight and base else None}
    target["met"] = target["ratio"] is not None and target["ratio"] >= 4
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "model": m.group(1) if m else model, "device": m.group(2) if m else "?",
              "vk_driver_files": os.environ.get("VK_DRIVER_FILES", ""), "command": " ".join(cmd),
              "tokens_per_request": a.n, "requests_per_client": a.requests, "load_average_before": load_before,
              "load_average_after": load_after, "results": results, "target": target}
    print(f"target {target['what']}: {target['ratio']}x, {'met' if target['met'] else 'NOT met'}")
    if a.out:
        with open(a.out + ".json", "w") as f:
            json.dump(report, f, indent=1)
        with open(a.out + ".md", "w") as f:
            f.write(f"# vkattn serve: aggregate generation throughput\n\n{report['date']}, {report['model']} on "
                    f"{report['device']}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}.\n\n"
                    f"`{report['command']}`, {a.requests} requests of {a.n} tokens per client per level.\n\n"
                    "| clients | tokens | seconds | tok/s | vs 1 client |\n|---:|---:|---:|---:|---:|\n")
            for r in results:
                f.write(f"| {r['clients']} | {r['tokens']} | {r['seconds']} | {r['tokens_per_s']} | {r['vs_1_client']} |\n")
            f.write(f"\nTarget ({target['what']}): {target['ratio']}x, {'met' if target['met'] else 'not met'}.\n")


if __name__ == "__main__":
    main()
