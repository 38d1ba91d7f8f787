"""The original Transformer encoder-decoder through `vkattn seq2seq`, against PyTorch's nn.Transformer itself
(batch_first, dropout 0, float64) with the same weights (scripts/gen_hf_models.py: Seq2Seq = nn.Transformer +
embeddings scaled by sqrt(d_model) + sinusoidal positions + generator). d_model 32, 4 heads, 2 + 2 layers.

vkattn decodes incrementally (encoder output's cross-attention K/V and per-layer self-attention K/V cached on the
device); the reference recomputes the whole causal decoder for every prefix. Checked: the greedy tokens are equal;
every step's logits equal the reference's teacher-forced logits on the same tokens (max abs error relative to their
scale <= 1e-4); beam search (3 and 4 beams, with a length penalty) gives the reference beam search's tokens, also
on a model biased towards EOS where hypotheses finish early.
Post-LN ReLU with f32 weights, and pre-LN (norm_first) GELU with BF16 weights (the reference runs on the rounded
values). Malformed directories: a missing config key and a missing decoder tensor are named."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from pyref import runner, st  # noqa: E402
import gen_hf_models as gen  # noqa: E402

TOL = 1e-4
SOURCES = ["the cat sat on the mat", "attention is all you need!", "hello"]


def run(ctx, path, src, *args):
    out = os.path.join(ctx.workdir, "s2s.safetensors")
    rc, so, se = ctx.cli("seq2seq", "-m", path, "--src", src, "--out", out, *args)
    if rc:
        raise runner.OpError(rc, se)
    return json.loads(so), st.load(out)


def main(ctx):
    root = os.path.join(ctx.workdir, f"models{os.getpid()}")
    ctx.workdir = root
    os.makedirs(root, exist_ok=True)
    ok = True
    for name, dtype, kw in (("post-LN relu f32", "f32", {}),
                            ("pre-LN gelu bf16", "bf16", {"norm_first": True, "act": "gelu"})):
        cfg = gen.seq2seq_config(**kw)
        m = gen.seq2seq_model(cfg, 3)
        path = os.path.join(root, dtype)
        seen = gen.write_dir(path, cfg, gen.seq2seq_weights(m), dtype=dtype)
        m.load_state_dict({k: torch.from_numpy(v).double() for k, v in seen.items()})
        for src in SOURCES:
            ids = [gen.VOCAB.index(t) for t in gen.wordpiece(src, set(gen.VOCAB))] + [cfg["eos_token_id"]]
            steps = 10
            j, got = run(ctx, path, src, "--max-tokens", str(steps))
            want, _ = gen.seq2seq_greedy(m, ids, steps)
            good = j["ids"] == want and list(got["src_ids"]) == ids
            print(f"{'ok  ' if good else 'FAIL'} {name} {src!r}: greedy {j['ids']} {j['text']!r}"
                  + ("" if good else f", expected {want}"))
            ok &= good
            n = len(j["ids"]) + (1 if len(j["ids"]) < steps else 0)  # steps run (the last one may have chosen EOS)
            ref = gen.seq2seq_teacher(m, ids, j["ids"])[:n]
            ok &= runner.compare(f"{name} {src!r}: logits of {n} steps", got["step_logits"][:n], ref, TOL)
        src = SOURCES[0]
        ids = [gen.VOCAB.index(t) for t in gen.wordpiece(src, set(gen.VOCAB))] + [cfg["eos_token_id"]]
        for beam, pen in ((3, 0.0), (4, 1.0)):
            j, _ = run(ctx, path, src, "--max-tokens", "8", "--beam", str(beam), "--length-penalty", str(pen))
            want = gen.seq2seq_beam(m, ids, beam, 8, pen)
            good = j["ids"] == want
            print(f"{'ok  ' if good else 'FAIL'} {name}: beam {beam} (length penalty {pen}) {j['ids']}"
                  + ("" if good else f", expected {want}"))
            ok &= good
    # EOS made likely (generator bias +1): hypotheses end early, greedy and beam stop on EOS
    cfg = gen.seq2seq_config()
    m = gen.seq2seq_model(cfg, 3)
    with torch.no_grad():
        m.generator.bias[cfg["eos_token_id"]] += 1.0
    path = os.path.join(root, "eos")
    gen.write_dir(path, cfg, gen.seq2seq_weights(m))
    for src in ("y", "z", "1"):
        ids = [gen.VOCAB.index(src), cfg["eos_token_id"]]
        for beam, pen in ((1, 0.0), (3, 0.0), (3, 1.0)):
            j, _ = run(ctx, path, src, "--max-tokens", "10", "--beam", str(beam), "--length-penalty", str(pen))
            want = gen.seq2seq_greedy(m, ids, 10)[0] if beam == 1 else gen.seq2seq_beam(m, ids, beam, 10, pen)
            good = j["ids"] == want
            print(f"{'ok  ' if good else 'FAIL'} EOS-biased {src!r}: beam {beam} (length penalty {pen}) {j['ids']}"
                  + ("" if good else f", expected {want}"))
            ok &= good
    weights = gen.seq2seq_weights(gen.seq2seq_model(cfg, 3))
    bad = dict(cfg)
    bad.pop("d_model")
    gen.write_dir(os.path.join(root, "bad1"), bad, weights)
    w2 = dict(weights)
    w2.pop("transformer.decoder.layers.1.multihead_attn.out_proj.bias")
    gen.write_dir(os.path.join(root, "bad2"), cfg, w2)
    for d, expect in (("bad1", '"d_model" is missing'), ("bad2", '"transformer.decoder.layers.1.multihead_attn.out_proj.bias" is missing')):
        rc, _, se = ctx.cli("seq2seq", "-m", os.path.join(root, d), "--src", "x")
        good = rc == 1 and expect in se
        print(f"{'ok  ' if good else 'FAIL'} malformed {d}: {se.strip()}")
        ok &= good
    return ok


runner.main(main)
