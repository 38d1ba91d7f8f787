"""`vkattn serve --embedding-model DIR`: /v1/embeddings pools and normalises as the directory prescribes, exactly as
`vkattn embed` does on the same directory. Tiny BERTs (scripts/gen_hf_models.py, seeded) in the sentence-transformers
layout (modules.json, 1_Pooling/config.json, a Normalize module, sentence_bert_config.json with max_seq_length 8,
which truncates two of the texts) with mean + Normalize (all-MiniLM-L6-v2's) and lasttoken + Normalize, and a
plain BERT directory (no modules.json: [CLS], not normalised; py_encoders covers the other Pooling modes through
`vkattn embed`). For each, one server (the built-in demo model for generation) and four texts of different lengths
in one request:
  - the server's vectors (base64: the exact f32) = `vkattn embed`'s (--out: the exact f32): max abs diff <= 1e-6;
  - both = an independent PyTorch computation (float64 BERT + sentence-transformers' Pooling / Normalize) within
    1e-4 relative to the output's scale (runner.compare), the same tolerance as py_encoders;
  - usage.prompt_tokens = the tokens after truncation; vectors are unit length exactly when Normalize is there.
"""
import base64
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from pyref import runner, st  # noqa: E402
import gen_hf_models as gen  # noqa: E402
import py_serve as ps  # noqa: E402

TOL = 1e-4        # against float64 PyTorch, relative to the scale (as py_encoders)
SAME_TOL = 1e-6   # server vs `vkattn embed`: the same encoder on the same batch
MSL = 8
TEXTS = ["The cat sat on the mat.", "hello world", "Unaffable dogs were playing; a VERY lazy fox jumped over it!",
         "naïve café résumé 你好世界"]
CASES = [("mean", True), ("lasttoken", True), (None, False)]  # None: no sentence-transformers files ([CLS], as-is)


def check(cond, what):
    return ps.check(cond, what)


def one_case(vk, cfg, mode, norm, idx):
    name = f"{mode} + Normalize" if mode and norm else mode or "plain BERT (no modules.json)"
    path = os.path.join(vk.workdir, f"emb{idx}")
    w = gen.write_dir(path, cfg, gen.bert_weights(cfg, 20 + idx, classifier=False, prefix=""),
                      tokenizer_config={"do_lower_case": True})
    if mode:
        gen.write_sentence_transformers(path, cfg["hidden_size"], mode, norm, MSL)
    ids = [gen.bert_ids(t, gen.VOCAB, max_len=MSL if mode else None) for t in TEXTS]
    lens = [len(i) for i in ids]
    ref = gen.st_pool(gen.bert_reference(cfg, w, ids, prefix="")["hidden"], lens, mode or "cls", norm)

    out = os.path.join(vk.workdir, f"embed{idx}.safetensors")
    rc, _, err = vk.cli("embed", "-m", path, "--out", out, *TEXTS)
    if not check(rc == 0, f"{name}: vkattn embed: {err.strip()[-300:]}"):
        return
    cli = st.load(out)["pooled"]

    srv = ps.Server(vk.vkattn, ["--parallel", "1", "-c", "64", "--embedding-model", path],
                    os.path.join(vk.workdir, f"serve{idx}.log"))
    try:
        code, j = ps.cjson(srv, "POST", "/v1/embeddings", {"input": TEXTS, "encoding_format": "base64"}, auth=False)
    finally:
        rc = srv.stop()
    check(rc == 0, f"{name}: server exit status {rc}")
    good = code == 200 and len(j.get("data", [])) == len(TEXTS)
    if not check(good, f"{name}: /v1/embeddings {code}" + ("" if good else f" {str(j)[:300]}")):
        return
    got = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in j["data"]])
    diff = float(np.max(np.abs(got.astype(np.float64) - cli))) if got.shape == cli.shape else float("inf")
    check(diff <= SAME_TOL, f"{name}: server = vkattn embed (max abs diff {diff:.3g}, tol {SAME_TOL:g})")
    check(runner.compare(f"{name}: server vs PyTorch", got, ref, TOL), f"{name}: server vs PyTorch")
    check(j["usage"]["prompt_tokens"] == sum(lens), f"{name}: usage.prompt_tokens {j['usage']['prompt_tokens']} = "
                                                    f"{sum(lens)} (lengths {lens})")
    norms = np.linalg.norm(got.astype(np.float64), axis=1)
    check(np.all(np.abs(norms - 1) < 1e-5) == norm, f"{name}: norms {np.round(norms, 4).tolist()} "
                                                   f"({'unit' if norm else 'not normalised'})")


def main(vk):
    os.makedirs(vk.workdir, exist_ok=True)
    cfg = gen.bert_config()
    for i, (mode, norm) in enumerate(CASES):
        one_case(vk, cfg, mode, norm, i)
    print(f"{ps.checks['n']} checks, {ps.checks['failed']} failed")
    return ps.checks["failed"] == 0


if __name__ == "__main__":
    runner.main(main)
