"""BERT encoders from Hugging Face directories through `vkattn embed` / `vkattn classify`, against independent
PyTorch code (scripts/gen_hf_models.py, float64, the same weights as stored). Models are generated here, into the
work directory: tiny (hidden 32, 4 heads, 2 layers), seeded.

Cases: a classifier (bert. prefix, f32) on a padded batch of 4 texts of different lengths: hidden states of the
real tokens, CLS / mean / L2-normalised pooling, logits and labels; a BertModel (bare names) stored as F16 and as
BF16 in 2 shards (model.safetensors.index.json): hidden states and mean pooling; every input alone equals its
batched result; WordPiece on known sequences and against the Python port on mixed text; malformed directories
(missing config key, wrong tensor shape, missing tensor, I32 weight, missing vocab.txt, unknown model_type) fail
with a message naming the problem.

Tolerance: max abs error relative to the output's scale (runner.compare): 1e-4 (f32 weights and activations
against float64; weights stored f16/bf16 are compared with the reference on the same rounded values)."""
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from pyref import runner, st  # noqa: E402
import gen_hf_models as gen  # noqa: E402

TOL = 1e-4
TEXTS = ["The cat sat on the mat.", "hello world", "Unaffable dogs were playing; a VERY lazy fox jumped over it!",
         "naïve café résumé 你好世界"]


def embed(ctx, model, texts, *args):
    out = os.path.join(ctx.workdir, f"out{len(os.listdir(ctx.workdir))}.safetensors")
    rc, so, se = ctx.cli("embed", "-m", model, "--out", out, *args, *texts)
    if rc:
        raise runner.OpError(rc, se)
    return json.loads(so), st.load(out)


def check_hidden(name, got, ref):
    lens = got["lens"].astype(int)
    ok = True
    for b, n in enumerate(lens):
        ok &= runner.compare(f"{name}: hidden states of input {b} ({n} tokens)", got["hidden"][b, :n], ref["hidden"][b, :n],
                             TOL)
    return ok


def test_bert_classifier(ctx, root):
    cfg = gen.bert_config(labels=["negative", "neutral", "positive"])
    path = os.path.join(root, "bert-cls")
    w = gen.write_dir(path, cfg, gen.bert_weights(cfg, 7), tokenizer_config={"do_lower_case": True})
    ids = [gen.bert_ids(t, gen.VOCAB) for t in TEXTS]
    ref = gen.bert_reference(cfg, w, ids)
    ok = True
    j, got = embed(ctx, path, TEXTS, "--pooling", "cls")
    ok &= check_hidden("classifier model, batch of 4", got, ref)
    ok &= runner.compare("CLS pooling", got["pooled"], ref["cls"], TOL)
    ok &= runner.compare("CLS pooling (JSON)", np.array(j["embeddings"]), ref["cls"], TOL)
    j, got = embed(ctx, path, TEXTS, "--pooling", "mean", "--normalize", "--similarity")
    mean = ref["mean"] / np.linalg.norm(ref["mean"], axis=1, keepdims=True)
    ok &= runner.compare("mean pooling, L2-normalised", got["pooled"], mean, TOL)
    ok &= runner.compare("cosine similarity matrix", np.array(j["similarity"]), mean @ mean.T, TOL)
    out = os.path.join(ctx.workdir, "logits.safetensors")
    rc, so, se = ctx.cli("classify", "-m", path, "--out", out, *TEXTS)
    if rc:
        raise runner.OpError(rc, se)
    ok &= runner.compare("classifier logits", st.load(out)["logits"], ref["logits"], TOL)
    labels = [r["label"] for r in json.loads(so)]
    want = [cfg["id2label"][str(i)] for i in ref["logits"].argmax(1)]
    print(f"{'ok  ' if labels == want else 'FAIL'} labels {labels} (expected {want})")
    ok &= labels == want
    for layer, head in ((0, 0), (1, 3)):  # attention maps: the probabilities behind the PNG
        png, raw = os.path.join(ctx.workdir, f"map{layer}{head}.png"), os.path.join(ctx.workdir, "probs.safetensors")
        rc, so, se = ctx.cli("attn-map", "-m", path, "-p", TEXTS[2], "--layer", str(layer), "--head", str(head), "-o", png,
                             "--out", raw)
        if rc:
            raise runner.OpError(rc, se)
        ok &= runner.compare(f"attn-map layer {layer} head {head} probabilities", st.load(raw)["probs"],
                             gen.bert_reference(cfg, w, [ids[2]])["probs"][layer][0, head], TOL)
        with open(png, "rb") as f:
            sig = f.read(8) == b"\x89PNG\r\n\x1a\n"
        print(f"{'ok  ' if sig else 'FAIL'} {png} is a PNG")
        ok &= sig
    rc, _, se = ctx.cli("attn-map", "-m", path, "-p", "x", "--layer", "2", "-o", os.path.join(ctx.workdir, "bad.png"))
    good = rc == 1 and "layer 2" in se
    print(f"{'ok  ' if good else 'FAIL'} attn-map --layer 2 of 2 layers refused: {se.strip()}")
    ok &= good
    for i, t in enumerate(TEXTS):  # padding must not change a sequence's result
        _, alone = embed(ctx, path, [t])
        n = len(ids[i])
        ok &= runner.compare(f"input {i} alone == batched", alone["hidden"][0, :n], ref["hidden"][i, :n], TOL)
    return ok


def test_bert_dtypes(ctx, root):
    ok = True
    cfg = gen.bert_config(hidden=48, heads=3, inter=80, act="gelu_new")
    nbytes = {}
    for dtype, shards in (("f32", 1), ("f16", 1), ("bf16", 2)):
        path = os.path.join(root, f"bert-{dtype}")
        w = gen.write_dir(path, cfg, gen.bert_weights(cfg, 3, classifier=False, prefix=""), dtype=dtype, shards=shards)
        ids = [gen.bert_ids(t, gen.VOCAB) for t in TEXTS[:3]]
        ref = gen.bert_reference(cfg, w, ids, prefix="")
        j, got = embed(ctx, path, TEXTS[:3], "--pooling", "mean")
        nbytes[dtype] = j["weight_bytes"]
        ok &= check_hidden(f"BertModel {dtype} weights, {shards} shard(s)", got, ref)
        ok &= runner.compare(f"{dtype}: mean pooling", got["pooled"], ref["mean"], TOL)
    # F16 files keep f16 matrices (word embeddings, q|k|v, o, up, down) on the device; BF16 becomes f32
    mats = [v.size for k, v in w.items() if v.ndim == 2 and ("word_embeddings" in k or "encoder.layer" in k)]
    want = nbytes["f32"] - 2 * sum(mats)
    good = nbytes["bf16"] == nbytes["f32"] and abs(nbytes["f16"] - want) <= 256 * len(mats)  # allocation alignment
    print(f"{'ok  ' if good else 'FAIL'} device bytes of the weights: f32 {nbytes['f32']}, bf16 {nbytes['bf16']}, "
          f"f16 {nbytes['f16']} (f32 - 2 bytes x {sum(mats)} elements of {len(mats)} matrices = {want})")
    return ok and good


KNOWN = [  # (text, do_lower_case, tokens): hand-checked against Hugging Face's BertTokenizer rules
    ("unaffable", True, ["un", "##aff", "##able"]),
    ("Hello, World!", True, ["hello", ",", "world", "!"]),
    ("Hello, World!", False, ["Hello", ",", "World", "!"]),
    ("naïve  CAFÉ\tRésumé", True, ["naive", "cafe", "resume"]),
    ("你好世界", True, ["你", "好", "世", "界"]),
    ("été", False, ["été"]),
    ("don't stop", True, ["d", "##o", "##n", "'", "t", "s", "##t", "##o", "##p"]),
    ("xyz\u00ad\u200bq", True, ["x", "##y", "##z", "##q"]),   # soft hyphen and zero-width space are Cf: dropped
    ("Ωmega", True, ["[UNK]"]),                               # no piece covers "ω"
    ("a" * 101, True, ["[UNK]"]),                              # longer than max_input_chars_per_word
    ("", True, []),
]


def test_wordpiece(ctx, root):
    ok = True
    idx = {t: i for i, t in enumerate(gen.VOCAB)}
    for lower in (True, False):
        path = os.path.join(root, f"wp-{int(lower)}")
        cfg = gen.bert_config(hidden=8, heads=2, inter=8, layers=1)
        gen.write_dir(path, cfg, gen.bert_weights(cfg, 1, classifier=False, prefix=""),
                      tokenizer_config={"do_lower_case": lower})
        cases = [(t, want) for t, lo, want in KNOWN if lo == lower]
        mixed = ["The QUICK brown fox's résumé (2024): naïve? 你好, 世界!", "play playing played runs Runs",
                 "  multiple   spaces\nand\ttabs ", "ÀÉÎÕÜ àéîõü ñ ç ß", "\u3000ideographic\u3000space"]
        cases += [(t, gen.wordpiece(t, set(gen.VOCAB), lower)) for t in mixed]
        rc, so, se = ctx.cli("embed", "-m", path, "--tokens", *[t for t, _ in cases])
        if rc:
            raise runner.OpError(rc, se)
        got = json.loads(so)["tokens"]
        for (t, want), g in zip(cases, got):
            w = [idx["[CLS]"]] + [idx[x] for x in want] + [idx["[SEP]"]]
            good = g == w
            ok &= good
            print(f"{'ok  ' if good else 'FAIL'} wordpiece lower={lower} {t[:30]!r}: "
                  f"{[gen.VOCAB[i] for i in g]}" + ("" if good else f" expected {[gen.VOCAB[i] for i in w]}"))
    return ok


def test_malformed(ctx, root):
    cfg = gen.bert_config(hidden=8, heads=2, inter=8, layers=1)
    base = os.path.join(root, "good")
    weights = gen.bert_weights(cfg, 1, classifier=False, prefix="")
    gen.write_dir(base, cfg, weights)
    ok = True

    def case(name, expect, edit):
        nonlocal ok
        path = os.path.join(root, "bad-" + name.replace(" ", "-"))
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(base, path)
        edit(path)
        rc, _, se = ctx.cli("embed", "-m", path, "hello")
        good = rc != 0 and expect in se and "Traceback" not in se
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} malformed: {name}: rc {rc}, {se.strip()}")

    def cfg_edit(fn):
        def edit(path):
            c = dict(cfg)
            fn(c)
            json.dump(c, open(os.path.join(path, "config.json"), "w"))
        return edit

    def weights_edit(fn):
        def edit(path):
            w = dict(weights)
            fn(w)
            st.save(os.path.join(path, "model.safetensors"), w)
        return edit

    case("missing config key", '"num_attention_heads" is missing', cfg_edit(lambda c: c.pop("num_attention_heads")))
    case("unknown model_type", 'model_type "gpt9"', cfg_edit(lambda c: c.update(model_type="gpt9")))
    case("wrong tensor shape", '"encoder.layer.0.intermediate.dense.weight" has shape [9,8]',
         weights_edit(lambda w: w.update({"encoder.layer.0.intermediate.dense.weight": np.zeros((9, 8), np.float32)})))
    case("missing tensor", '"encoder.layer.0.output.LayerNorm.bias" is missing',
         weights_edit(lambda w: w.pop("encoder.layer.0.output.LayerNorm.bias")))
    case("I32 weight", '"embeddings.LayerNorm.weight" is i32',
         weights_edit(lambda w: w.update({"embeddings.LayerNorm.weight": np.zeros(8, np.int32)})))
    case("missing vocab.txt", "vocab.txt", lambda p: os.remove(os.path.join(p, "vocab.txt")))
    case("truncated safetensors", "model.safetensors", lambda p: open(os.path.join(p, "model.safetensors"), "r+b").truncate(100))
    case("missing directory", "config.json", lambda p: shutil.rmtree(p))
    return ok


def test_sentence_transformers(ctx, root):
    """A sentence-transformers directory: no flags gives what its modules prescribe (all-MiniLM-L6-v2: mean
    pooling, Normalize, max_seq_length truncation); each pooling mode; flags override; unsupported modes refused."""
    cfg = gen.bert_config()
    path = os.path.join(root, "st-minilm")
    w = gen.write_dir(path, cfg, gen.bert_weights(cfg, 11, classifier=False, prefix=""), tokenizer_config={"do_lower_case": True})
    msl = 8  # truncates TEXTS[2] and TEXTS[3]
    ids = [gen.bert_ids(t, gen.VOCAB, max_len=msl) for t in TEXTS]
    lens = [len(i) for i in ids]
    ref = gen.bert_reference(cfg, w, ids, prefix="")
    ok = True
    for mode, norm in (("mean", True), ("cls", False), ("max", True), ("mean_sqrt_len", False), ("lasttoken", True)):
        gen.write_sentence_transformers(path, cfg["hidden_size"], mode, norm, msl)
        j, got = embed(ctx, path, TEXTS)
        want = gen.st_pool(ref["hidden"], lens, mode, norm)
        good = j["pooling"] == mode and j["normalized"] == norm and list(got["lens"].astype(int)) == lens
        print(f"{'ok  ' if good else 'FAIL'} {mode}{' + Normalize' if norm else ''}: defaults from the directory "
              f"(pooling {j['pooling']}, normalized {j['normalized']}, lengths {list(got['lens'].astype(int))} want {lens})")
        ok &= good
        ok &= runner.compare(f"sentence-transformers {mode}{' + Normalize' if norm else ''}, no flags", got["pooled"], want, TOL)
    gen.write_sentence_transformers(path, cfg["hidden_size"], "mean", True, msl)
    j, got = embed(ctx, path, TEXTS, "--pooling", "cls", "--no-normalize")
    ok &= runner.compare("flags override the directory (--pooling cls --no-normalize)", got["pooled"],
                         gen.st_pool(ref["hidden"], lens, "cls", False), TOL)
    gen.write_sentence_transformers(path, cfg["hidden_size"], "weightedmean", True, msl)
    rc, _, se = ctx.cli("embed", "-m", path, "hello")
    good = rc != 0 and "weightedmean" in se
    print(f"{'ok  ' if good else 'FAIL'} unsupported pooling mode refused: {se.strip()}")
    ok &= good
    return ok


def main(ctx):
    root = os.path.join(ctx.workdir, f"models{os.getpid()}")
    ctx.workdir = root
    os.makedirs(root, exist_ok=True)
    ok = test_wordpiece(ctx, root)
    ok &= test_bert_classifier(ctx, root)
    ok &= test_bert_dtypes(ctx, root)
    ok &= test_malformed(ctx, root)
    ok &= test_sentence_transformers(ctx, root)
    return ok


runner.main(main)
