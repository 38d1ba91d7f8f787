#!/usr/bin/python3
"""PyTorch on the same CPU cores as the peer of `vkattn bench encoder` (issue 13: encoders at least as fast as
PyTorch): BERT-base-shaped and ViT-B/16-shaped nn.TransformerEncoder stacks (hidden 768, 12 layers, 12 heads,
FFN 3072, GELU, post-LN for BERT, pre-LN for ViT) in float32 inference mode with random weights, timed as
`vkattn bench encoder` times its rows (fastest of --reps runs after one untimed warm-up), embeddings and heads
excluded (they are under 1% of either model's time).

    /usr/bin/python3 bench/encoder/torch_peer.py [--shapes 128x1,512x1,128x4] [--images 1,4] [--reps 3] [-o PREFIX]

Writes PREFIX.json / PREFIX.md with the load average before the run and torch's version and thread count."""
import argparse
import datetime
import json
import os
import time

import torch


def stack(pre_ln):
    layer = torch.nn.TransformerEncoderLayer(768, 12, 3072, dropout=0.0, activation="gelu", batch_first=True,
                                             norm_first=pre_ln)
    return torch.nn.TransformerEncoder(layer, 12, enable_nested_tensor=False).eval()


def timed(model, x, reps):
    with torch.inference_mode():
        model(x)
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            model(x)
            best = min(best, time.perf_counter() - t)
    return best * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="128x1,512x1,128x4")
    ap.add_argument("--images", default="1,4")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("-o", dest="out")
    a = ap.parse_args()
    load = os.getloadavg()
    torch.manual_seed(0)
    rows = []
    bert, vit = stack(False), stack(True)
    for s in a.shapes.split(","):
        seq, batch = (int(v) for v in s.split("x"))
        ms = timed(bert, torch.randn(batch, seq, 768), a.reps)
        rows.append({"model": "bert-base", "seq": seq, "batch": batch, "ms_per_batch": ms, "items_per_s": batch / ms * 1000})
        print(rows[-1], flush=True)
    for b in (int(v) for v in a.images.split(",") if v and v != "0"):
        ms = timed(vit, torch.randn(b, 197, 768), a.reps)
        rows.append({"model": "vit-b16", "seq": 197, "batch": b, "ms_per_batch": ms, "items_per_s": b / ms * 1000})
        print(rows[-1], flush=True)
    res = {"benchmark": "encoder-torch", "device": "CPU (PyTorch %s, %d threads)" % (torch.__version__, torch.get_num_threads()),
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "notes": ["load average when the benchmark started (1, 5, 15 min): %.2f, %.2f, %.2f" % load,
                     "nn.TransformerEncoder, float32, inference_mode, random weights; embeddings and heads excluded"],
           "rows": rows}
    if a.out:
        with open(a.out + ".json", "w") as f:
            json.dump(res, f, indent=1)
        with open(a.out + ".md", "w") as f:
            f.write("# PyTorch encoder peer\n\n- device: %s\n- date: %s\n\n" % (res["device"], res["date"]))
            f.write("| model | seq | batch | ms_per_batch | items_per_s |\n|---|---|---|---|---|\n")
            for r in rows:
                f.write("| %s | %d | %d | %.1f | %.2f |\n" % (r["model"], r["seq"], r["batch"], r["ms_per_batch"], r["items_per_s"]))
            f.write("\n" + "".join("- %s\n" % n for n in res["notes"]))


if __name__ == "__main__":
    main()
