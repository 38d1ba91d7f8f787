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
    fails += special_values(a.vkattn, model)
    fails += prefill_progress(a.vkattn)
    print(f"{fails} failed")
    return 1 if fails else 0


def prefill_progress(vkattn):
    """A prompt longer than one chunk (-b) shows "prefill D/N tokens" on a terminal stderr, nothing in a pipe."""
    import pty
    args = [vkattn, "run", "-p", " ".join(PROMPTS * 3), "-n", "1", "-b", "8", "--temp", "0"]
    master, slave = pty.openpty()
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child's side is closed and drained
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    tty = tty.decode(errors="replace")
    piped = subprocess.run(args, capture_output=True, text=True)
    ok = r.returncode == 0 and "prefill 8/" in tty and "prefill 16/" in tty and piped.returncode == 0 and \
        "prefill" not in piped.stderr
    print(("ok   " if ok else "FAIL ") + "prefill progress on a terminal only" +
          ("" if ok else f": tty {tty[-300:]!r}, pipe {piped.stderr[-300:]!r}"))
    return not ok


def special_values(vkattn, model):
    """llama.cpp's special values: -n -1 generates until the context is full (here with --ignore-eos), -c 0
    takes the model's training context, --seed -1 a random seed."""
    fails = 0
    prompt = PROMPTS[0]
    n_prompt = 1 + len(encode(model, prompt))
    r = subprocess.run([vkattn, "run", "-p", prompt, "--temp", "0", "-n", "-1", "-c", "16", "--ignore-eos", "--print-ids"],
                       capture_output=True, text=True)
    got = r.stdout.split()
    want = 16 - n_prompt + 1  # the last token is sampled from the last slot's logits
    ok = r.returncode == 0 and len(got) == want
    fails += not ok
    print(("ok   " if ok else "FAIL ") + f"-n -1 -c 16: {len(got)} tokens, want {want} (a full context)" +
          ("" if ok else f"\n{r.stderr[-400:]}"))
    n_ctx_train = model.meta["llama.context_length"]
    r = subprocess.run([vkattn, "run", "-p", prompt, "-n", "2", "-c", "0", "--seed", "-1"], capture_output=True, text=True)
    ok = r.returncode == 0 and f", {n_ctx_train} tokens\n" in r.stderr
    fails += not ok
    print(("ok   " if ok else "FAIL ") + f"-c 0 --seed -1: KV cache of the training context, {n_ctx_train} tokens" +
          ("" if ok else f"\n{r.stderr[-400:]}"))
    return fails


if __name__ == "__main__":
    sys.exit(main())
