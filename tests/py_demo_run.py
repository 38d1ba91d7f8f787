#!/usr/bin/python3
"""`vkattn run` with no -m runs the built-in demo model (linked into the CLI): its greedy continuation
of a prompt is token for token the one of an independent PyTorch llama forward pass over
models/demo.gguf's weights (scripts/sample_demo.py, f32 from the F16 file), on this driver, and its
text is the decoding of those tokens."""
import argparse
import os
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from sample_demo import GGUFLlama, decode, encode  # noqa: E402

PROMPTS = ["The meaning of life", "A fool and his money", "Q: How many programmers does it take"]
N = 24


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    path = os.path.join(ROOT, "models", "demo.gguf")
    if not os.path.exists(path):
        print("skipped: models/demo.gguf is missing")
        return 77
    torch.set_num_threads(1)
    model = GGUFLlama(path)
    fails = 0
    for prompt in PROMPTS:
        ids = [model.bos] + encode(model, prompt)
        want = []
        with torch.no_grad():
            for _ in range(N):
                nxt = int(model.logits(ids + want)[-1].argmax())
                if nxt == model.eos:
                    break
                want.append(nxt)
        r = subprocess.run([a.vkattn, "run", "-p", prompt, "--temp", "0", "-n", str(N), "--print-ids"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {prompt!r}: vkattn run exited with {r.returncode}: {r.stderr.strip()[-500:]}")
            fails += 1
            continue
        got = [int(t) for t in r.stdout.split()]
        got = [t for t in got if t != model.eos]
        ok = got == want
        fails += not ok
        print(("ok   " if ok else "FAIL ") + f"{prompt!r} -> {decode(model, want)!r}" +
              ("" if ok else f"\n     vkattn {got}\n     torch  {want}"))
        t = subprocess.run([a.vkattn, "run", "-p", prompt, "--temp", "0", "-n", str(N)], capture_output=True,
                           text=True)
        text_ok = t.returncode == 0 and t.stdout.startswith(prompt + decode(model, want))
        fails += not text_ok
        print(("ok   " if text_ok else "FAIL ") + f"streamed text {t.stdout[:80]!r}")
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
