"""`vkattn serve` driven by real clients on loopback: curl and the official OpenAI SDK (npm "openai", installed
into the build tree by `scripts/npm-deps.sh openai`; without npm or a registry that part is skipped). One server with the built-in demo model, 8 slots, an API key, a
small queue, a small body limit and a tiny BERT encoder (scripts/gen_hf_models.py; sentence-transformers layout,
mean pooling + Normalize; the other poolings: py_serve_embed) for /v1/embeddings:
  - /health without the key, /v1/models, /metrics; every other endpoint 401 without the key or with a wrong one;
  - greedy completion = `vkattn run --temp 0` on the same prompt (text), also with repeat / frequency / presence
    penalties (llama-server's fields = run's flags; they change the text), SSE stream = the whole reply, [DONE]
    last, usage = /tokenize's count, finish_reason length / stop; stop strings cut the text;
  - /tokenize, /detokenize round trip, /apply-template;
  - a greedy request gives the same text alone as among seven others sent at the same time (batched decoding);
  - the OpenAI SDK: chat (whole and streamed), completions (whole and streamed), models, embeddings (its base64
    default and floats) against an independent PyTorch mean-pooled, L2-normalised BERT (tol 1e-4), a 400;
  - errors: malformed JSON, wrong types, unknown role, max_tokens beyond the context, 404, 405, 413;
  - 8 long streams fill the slots, 2 more wait, the next gets 503; killing the clients frees every slot
    (/metrics) and the server answers again;
  - SIGTERM: exits 0 (no validation messages).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import runner  # noqa: E402

KEY = "test-key-123"
SLOTS, QUEUE = 8, 2
CTX_PER_SLOT = 128
MAX_BODY = 65536
EMB_TOL = 1e-4

checks = {"n": 0, "failed": 0}


def check(cond, what):
    checks["n"] += 1
    if not cond:
        checks["failed"] += 1
    print(("ok   " if cond else "FAIL ") + what)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, vkattn, args, log):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, VKATTN_VALIDATION="1")
        self.log = open(log, "w")
        self.p = subprocess.Popen([vkattn, "serve", "--port", str(self.port)] + args, stdout=self.log, stderr=self.log,
                                  env=env)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise RuntimeError(f"vkattn serve exited with {self.p.returncode}: {open(log).read()}")
            try:
                if curl(self, "GET", "/health", auth=False)[0] == 200:
                    return
            except Exception:
                pass
            time.sleep(0.3)
        raise RuntimeError("vkattn serve did not answer /health within 120 s")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        self.log.close()
        return rc


def curl_args(srv, method, path, body=None, auth=True, key=KEY, stream=False, raw=None):
    a = ["curl", "-sS", "--max-time", "300", "-X", method, srv.base + path, "-w", "\n%{http_code}"]
    if stream:
        a.insert(1, "-N")
    if auth:
        a += ["-H", f"Authorization: Bearer {key}"]
    if body is not None or raw is not None:
        a += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
    return a


def curl(srv, method, path, body=None, auth=True, key=KEY, stream=False, raw=None):
    """(status, text body) of one request made by curl."""
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    p = subprocess.run(curl_args(srv, method, path, body, auth, key, stream, raw), input=data, capture_output=True,
                       text=True, timeout=330)
    out, _, code = p.stdout.rpartition("\n")
    return int(code or 0), out


def cjson(srv, method, path, body=None, **kw):
    st, out = curl(srv, method, path, body, **kw)
    try:
        return st, json.loads(out)
    except ValueError:
        return st, {"unparsed": out}


def sse_events(text):
    ev = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    return ev


def completion(prompt, n, **kw):
    return dict({"prompt": prompt, "max_tokens": n, "temperature": 0}, **kw)


def test_basics(vk, srv):
    st, _ = curl(srv, "GET", "/health", auth=False)
    check(st == 200, "/health without a key: 200")
    for method, path in [("GET", "/v1/models"), ("GET", "/metrics"), ("POST", "/v1/completions"), ("POST", "/tokenize")]:
        st, j = cjson(srv, method, path, {"prompt": "x", "content": "x"}, auth=False)
        check(st == 401 and j.get("error", {}).get("type") == "authentication_error", f"{method} {path} without key: {st}")
        st, _ = cjson(srv, method, path, {"prompt": "x", "content": "x"}, key="wrong")
        check(st == 401, f"{method} {path} with a wrong key: {st}")
    st, j = cjson(srv, "GET", "/v1/models")
    check(st == 200 and j["data"][0]["id"] == "vkattn-demo", f"/v1/models: {j}")
    st, m = curl(srv, "GET", "/metrics")
    check(st == 200 and "vkattn_slots_total 8" in m and "vkattn_requests_total" in m, "/metrics: Prometheus text")


def test_generation(vk, srv):
    prompt = "The meaning of life"
    st, j = cjson(srv, "POST", "/v1/completions", completion(prompt, 12))
    check(st == 200, f"completion: {st} {j}")
    text = j["choices"][0]["text"]
    rc, out, err = vk.cli("run", "-p", prompt, "-n", "12", "--temp", "0")
    check(rc == 0 and out.startswith(prompt) and out[len(prompt):].rstrip("\n") == text,
          f"greedy completion = vkattn run: {text!r} vs {out[len(prompt):]!r}")
    # penalties, llama-server's fields: the same greedy text as `vkattn run` with the same flags, and not the plain one
    pen = {"repeat_penalty": 1.5, "repeat_last_n": 16, "frequency_penalty": 0.5, "presence_penalty": 0.25}
    st, jp = cjson(srv, "POST", "/v1/completions", completion(prompt, 12, **pen))
    ptext = jp["choices"][0]["text"] if st == 200 else None
    rc, out, err = vk.cli("run", "-p", prompt, "-n", "12", "--temp", "0", "--repeat-penalty", "1.5", "--repeat-last-n", "16",
                          "--frequency-penalty", "0.5", "--presence-penalty", "0.25")
    check(st == 200 and rc == 0 and out[len(prompt):].rstrip("\n") == ptext,
          f"penalized greedy completion = vkattn run with the same penalties: {ptext!r} vs {out[len(prompt):]!r}")
    check(ptext != text, f"the penalties change the greedy text ({text!r} -> {ptext!r})")
    st, tk = cjson(srv, "POST", "/tokenize", {"content": prompt, "add_special": True})
    check(st == 200 and j["usage"]["prompt_tokens"] == len(tk["tokens"]) and j["usage"]["completion_tokens"] == 12
          and j["usage"]["total_tokens"] == 12 + len(tk["tokens"]), f"usage {j['usage']} vs {len(tk['tokens'])} tokens")
    check(j["choices"][0]["finish_reason"] == "length" and j["object"] == "text_completion", "finish_reason length")
    # streamed: the same text in chunks, [DONE] last, usage chunk when asked
    st, body = curl(srv, "POST", "/v1/completions", completion(prompt, 12, stream=True,
                                                               stream_options={"include_usage": True}), stream=True)
    ev = sse_events(body)
    chunks = [json.loads(e) for e in ev[:-1]]
    streamed = "".join(c["choices"][0]["text"] for c in chunks if c["choices"])
    check(st == 200 and ev[-1] == "[DONE]" and streamed == text, f"SSE stream = whole reply ({len(ev)} events)")
    check(chunks[-1].get("usage", {}).get("completion_tokens") == 12, "SSE usage chunk")
    check([c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "length", "SSE finish_reason")
    # a stop string inside the greedy text cuts it there
    cut = text.find(" ", 3)
    if check(cut > 0, f"a word break in {text!r}"):
        stop = text[cut:cut + 3]
        st, j2 = cjson(srv, "POST", "/v1/completions", completion(prompt, 12, stop=[stop, "zzzz"]))
        check(st == 200 and j2["choices"][0]["text"] == text[:text.find(stop)] and j2["choices"][0]["finish_reason"] == "stop",
              f"stop {stop!r}: {j2['choices'][0]['text']!r}")
        st, body = curl(srv, "POST", "/v1/completions", completion(prompt, 12, stop=stop, stream=True), stream=True)
        s2 = "".join(json.loads(e)["choices"][0]["text"] for e in sse_events(body)[:-1])
        check(s2 == text[:text.find(stop)], f"streamed stop: {s2!r}")
    # tokenize / detokenize / apply-template
    st, tk = cjson(srv, "POST", "/tokenize", {"content": "A fool and his money", "with_pieces": True})
    ids = [t["id"] for t in tk["tokens"]]
    check(st == 200 and "".join(t["piece"] for t in tk["tokens"]) == "A fool and his money", "tokenize with pieces")
    st, dt = cjson(srv, "POST", "/detokenize", {"tokens": ids})
    check(st == 200 and dt["content"] == "A fool and his money", f"detokenize round trip: {dt}")
    st, dt = cjson(srv, "POST", "/detokenize", {"tokens": [10 ** 6]})
    check(st == 400, f"detokenize out of the vocabulary: {st}")
    st, at = cjson(srv, "POST", "/apply-template", {"messages": [{"role": "user", "content": "hi"}]})
    check(st == 200 and "hi" in at.get("prompt", "") and at["prompt"] != "hi", f"apply-template: {at}")
    st, j = cjson(srv, "POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 6,
                                                         "temperature": 0})
    check(st == 200 and j["object"] == "chat.completion" and j["choices"][0]["message"]["role"] == "assistant"
          and j["usage"]["completion_tokens"] <= 6, f"chat completion: {j}")


def test_concurrent(vk, srv):
    """The probe alone, then with seven others at once: same greedy text; all eight succeed."""
    probe = completion("A fool and his money", 16)
    st, alone = cjson(srv, "POST", "/v1/completions", probe)
    others = ["The meaning of life", "Once upon a time", "You will", "Never", "The cat", "Why", "Life is"]
    procs = []
    for i, p in enumerate([None] + others):
        body = probe if p is None else completion(p, 16 - i)
        procs.append(subprocess.Popen(curl_args(srv, "POST", "/v1/completions", body), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True))
        procs[-1].stdin.write(json.dumps(body))
        procs[-1].stdin.close()
    res = []
    for p in procs:
        out = p.stdout.read()
        p.wait(300)
        body, _, code = out.rpartition("\n")
        res.append((int(code or 0), json.loads(body) if body.startswith("{") else {}))
    check(all(r[0] == 200 for r in res), f"8 concurrent requests: statuses {[r[0] for r in res]}")
    got = res[0][1]["choices"][0]["text"]
    want = alone["choices"][0]["text"]
    check(got == want, f"greedy probe among 7 others = alone: {got!r} vs {want!r}")
    check(all(r[1]["usage"]["completion_tokens"] <= 16 for r in res), "each within its max_tokens")


def openai_dir():
    """scripts/npm-deps.sh openai: the directory holding node_modules/openai, or None (no npm / network: skipped)."""
    p = subprocess.run(["bash", os.path.join(HERE, "..", "scripts", "npm-deps.sh"), "openai"], capture_output=True,
                       text=True, timeout=600)
    if p.returncode == 77:
        print(f"SKIP the OpenAI SDK part: {p.stderr.strip()}")
        return None
    check(p.returncode == 0, f"scripts/npm-deps.sh openai: {p.stderr.strip()}")
    return p.stdout.strip().splitlines()[-1] if p.returncode == 0 else None


def test_openai_sdk(vk, srv, npm_dir, emb_ref):
    if npm_dir is None:
        return
    p = subprocess.run(["node", os.path.join(HERE, "serve_openai.mjs"), npm_dir, srv.base + "/v1", KEY, "embeddings"],
                       capture_output=True, text=True, timeout=600)
    if not check(p.returncode == 0, f"node serve_openai.mjs: {p.stderr.strip()[-2000:]}"):
        return
    r = json.loads(p.stdout)
    check(r["chat"]["object"] == "chat.completion" and r["chat"]["finish"] in ("length", "stop"), f"SDK chat: {r['chat']}")
    check(r["chat_stream"]["content"] == r["chat"]["content"] and r["chat_stream"]["usage"] == r["chat"]["usage"],
          "SDK chat stream = whole reply, usage")
    check(r["completion_stream"]["text"] == r["completion"]["text"] and r["completion"]["usage"]["completion_tokens"] <= 8,
          f"SDK completions: {r['completion']}")
    check(r["models"] == ["vkattn-demo"], "SDK models.list")
    check(r["bad_role"]["status"] == 400 and "wizard" in r["bad_role"]["message"], f"SDK sees a 400: {r['bad_role']}")
    ok = runner.compare("SDK embeddings (base64) vs PyTorch mean pooling, L2-normalised", np.array(r["embeddings"]),
                        emb_ref, EMB_TOL)
    ok &= runner.compare("SDK embeddings (float)", np.array(r["embeddings_float"]), emb_ref[:1], EMB_TOL)
    check(ok, "embeddings")


def test_errors(vk, srv):
    cases = [
        ("malformed JSON", "/v1/chat/completions", '{"messages": [', None),
        ("not an object", "/v1/completions", "[1, 2]", None),
        ("messages wrong type", "/v1/chat/completions", {"messages": "hi"}, "messages"),
        ("unknown role", "/v1/chat/completions", {"messages": [{"role": "robot", "content": "x"}]}, "messages"),
        ("temperature wrong type", "/v1/completions", {"prompt": "x", "temperature": "hot"}, "temperature"),
        ("max_tokens beyond the context", "/v1/completions", {"prompt": "x", "max_tokens": CTX_PER_SLOT + 1}, "max_tokens"),
        ("prompt + max_tokens beyond the context", "/v1/completions", {"prompt": "The meaning of life", "max_tokens": CTX_PER_SLOT - 1},
         "max_tokens"),
        ("prompt beyond the context", "/v1/completions", {"prompt": "word " * 400}, "prompt"),
        ("stream wrong type", "/v1/completions", {"prompt": "x", "stream": "yes"}, "stream"),
        ("frequency_penalty out of range", "/v1/completions", {"prompt": "x", "frequency_penalty": 3}, "frequency_penalty"),
        ("logit_bias (not implemented)", "/v1/completions", {"prompt": "x", "logit_bias": {"5": -100}}, "logit_bias"),
    ]
    for what, path, body, param in cases:
        raw = body if isinstance(body, str) else None
        st, j = cjson(srv, "POST", path, None if raw else body, raw=raw)
        e = j.get("error", {})
        check(st == 400 and e.get("code") == 400 and e.get("type") == "invalid_request_error" and e.get("message")
              and (param is None or e.get("param") == param), f"{what}: {st} {e.get('message')}")
    st, j = cjson(srv, "GET", "/v2/nothing")
    check(st == 404 and j["error"]["type"] == "not_found_error", f"404: {st}")
    st, j = cjson(srv, "GET", "/v1/completions")
    check(st == 405, f"405: {st}")
    st, j = cjson(srv, "POST", "/v1/completions", raw=json.dumps({"prompt": "x" * (MAX_BODY + 10)}))
    check(st == 413 and "limit" in j["error"]["message"], f"413: {st}")
    st, j = cjson(srv, "POST", "/v1/embeddings", {"input": ["x"] * 300})
    check(st == 400, f"too many inputs: {st}")


def metrics_now(srv):
    """All /metrics gauges from one in-process read (curl's process start is too slow for the queue test)."""
    import urllib.request
    req = urllib.request.Request(srv.base + "/metrics", headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
    return {ln.split()[0]: float(ln.split()[1]) for ln in text.splitlines() if ln and not ln.startswith("#")}


def metric(srv, name):
    return metrics_now(srv).get(name)


def post_now(srv, path, body):
    """(status, json) of one in-process POST."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(srv.base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def fill_slots_and_probe(srv):
    """Starts SLOTS + QUEUE long streams and, the moment /metrics shows them all in (and no stream has ended, which
    would free a slot), sends one more request. Returns (status, json, procs), or (None, why, procs) when a stream
    ended first (a fast machine outran the probe: the caller retries)."""
    long_body = completion("The meaning of life", CTX_PER_SLOT - 8, stream=True)
    procs = []
    for i in range(SLOTS + QUEUE):
        p = subprocess.Popen(curl_args(srv, "POST", "/v1/completions", long_body, stream=True), stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        p.stdin.write(json.dumps(long_body))
        p.stdin.close()
        procs.append(p)
    deadline = time.time() + 120
    while time.time() < deadline:
        m = metrics_now(srv)
        if any(p.poll() is not None for p in procs):
            return None, "a long stream ended before the slots were seen full", procs
        if m["vkattn_slots_busy"] == SLOTS and m["vkattn_requests_deferred"] == QUEUE:
            st, j = post_now(srv, "/v1/completions", completion("x", 4))
            return st, j, procs
        time.sleep(0.02)
    return None, f"the slots were never seen full: {m}", procs


def test_queue_and_disconnect(vk, srv):
    """8 long streams fill the slots, 2 wait in the queue, one more gets 503; killed clients free every slot."""
    for attempt in range(3):
        st, j, procs = fill_slots_and_probe(srv)
        if st is not None or attempt == 2:
            break
        print(f"note: attempt {attempt + 1}: {j}; again")
        for p in procs:
            p.kill()
            p.wait()
        while metrics_now(srv)["vkattn_slots_busy"] or metrics_now(srv)["vkattn_requests_deferred"]:
            time.sleep(0.1)
    check(st is not None, f"{SLOTS} slots busy, {QUEUE} waiting" + ("" if st is not None else f": {j}"))
    check(st == 503 and j.get("error", {}).get("type") == "unavailable_error", f"queue full: {st}")
    for p in procs:
        p.kill()
        p.wait()
    deadline = time.time() + 60
    while time.time() < deadline and (metric(srv, "vkattn_slots_busy") or metric(srv, "vkattn_requests_deferred")):
        time.sleep(0.2)
    check(metric(srv, "vkattn_slots_busy") == 0 and metric(srv, "vkattn_requests_deferred") == 0,
          "disconnected clients freed every slot")
    st, j = cjson(srv, "POST", "/v1/completions", completion("Once", 4))
    check(st == 200, f"serving again after the disconnects: {st}")


def main(vk):
    os.makedirs(vk.workdir, exist_ok=True)
    npm_dir = openai_dir()
    import gen_hf_models as gen
    emb_dir = os.path.join(vk.workdir, "bert")
    cfg = gen.bert_config()
    w = gen.write_dir(emb_dir, cfg, gen.bert_weights(cfg, 5, classifier=False, prefix=""),
                      tokenizer_config={"do_lower_case": True})
    gen.write_sentence_transformers(emb_dir, cfg["hidden_size"], "mean", True)  # as all-MiniLM-L6-v2
    ids = [gen.bert_ids(t, gen.VOCAB) for t in ("first text", "second text")]
    ref = gen.bert_reference(cfg, w, ids, prefix="")["mean"]
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)

    srv = Server(vk.vkattn, ["--parallel", str(SLOTS), "-c", str(SLOTS * CTX_PER_SLOT), "--queue", str(QUEUE),
                             "--api-key", KEY, "--max-body", str(MAX_BODY), "--embedding-model", emb_dir],
                 os.path.join(vk.workdir, "serve.log"))
    try:
        test_basics(vk, srv)
        test_generation(vk, srv)
        test_concurrent(vk, srv)
        test_openai_sdk(vk, srv, npm_dir, ref)
        test_errors(vk, srv)
        test_queue_and_disconnect(vk, srv)
    finally:
        rc = srv.stop()
    check(rc == 0, f"SIGTERM: exit status {rc} (log: {os.path.join(vk.workdir, 'serve.log')})")
    if rc != 0:
        print(open(os.path.join(vk.workdir, "serve.log")).read()[-3000:])
    print(f"{checks['n']} checks, {checks['failed']} failed")
    return checks["failed"] == 0


if __name__ == "__main__":
    runner.main(main)
