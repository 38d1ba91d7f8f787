"""vkattn op attention / additive-attention / mha against PyTorch (torch 1.13 here: it has no
F.scaled_dot_product_attention, so the reference writes the math out in float64 torch).

Covers grouped-query heads (the reference repeat_interleaves k/v heads), causal masking aligned to the
bottom-right with Lq != Lk (both Lq < Lk and Lq > Lk), each mask kind ([Lq,Lk], [B,1,Lq,Lk], [B,Hq,Lq,Lk] with
-inf entries), kv_len, fully masked rows, a custom scale, the probabilities, every --impl, f32 and f16 storage,
and large logits (about +-80 after scaling) in f16; additive attention against a torch implementation and mha
against torch.nn.MultiheadAttention(batch_first=True).

Fully masked rows: torch's softmax gives NaN there; vkattn's semantics is zeros, so such rows are compared
against zeros (the count is printed per case).
Tolerance: max abs error relative to the output's scale (max |want|): 1e-4 with f32 storage, 3e-3 with f16.
f16 runs everywhere (packed words on devices without 16-bit storage, e.g. SwiftShader). Head dims are 40 and 64-256: other
sizes are the C tests' job, and power-of-two head dims below 64 take seconds each to compile on lavapipe."""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyref import runner, st  # noqa: E402

TOL = {"f32": 1e-4, "f16": 3e-3}
IMPLS = ["auto", "3pass", "flash", "decode"]
rng = np.random.default_rng(2024)


F16_SKIPPED = [0]  # f16 cases not run: after the first refusal the rest are not even started


def run_op(ctx, op, inputs, args, dtype):
    """ctx.run_op; f16 cases give None (noted) on a device without 16-bit storage."""
    if dtype == "f16" and ctx.skipped:
        F16_SKIPPED[0] += 1
        return None
    out = ctx.run_op(op, inputs, args, allow_skip=dtype == "f16")
    F16_SKIPPED[0] += out is None
    return out


def rand(*shape, amp=1.0, dtype="f32"):
    x = rng.uniform(-amp, amp, size=shape).astype(np.float32)
    # f16 storage: the reference takes exactly what the device holds
    return x.astype(np.float16).astype(np.float32) if dtype == "f16" else x


def t64(x):
    return torch.from_numpy(np.asarray(x)).double()


def sdpa_ref(q, k, v, scale=None, causal=False, mask=None, kv_len=None, window=0, softcap=0.0):
    """O = softmax(q k^T * scale + mask) v in float64; returns (o, p, number of fully masked rows).
    softcap as Gemma 2 (HF eager_attention_forward: tanh(s / cap) * cap before the mask); window as HF's
    sliding_window_overlay: query i (at position i + Lk - Lq) sees keys j > i + Lk - Lq - window."""
    q, k, v = t64(q), t64(k), t64(v)
    B, Hq, Lq, D = q.shape
    Hkv, Lk = k.shape[1], k.shape[2]
    k = k.repeat_interleave(Hq // Hkv, dim=1)
    v = v.repeat_interleave(Hq // Hkv, dim=1)
    s = q @ k.transpose(-1, -2) * (scale if scale else 1.0 / math.sqrt(D))
    if softcap:
        s = torch.tanh(s / softcap) * softcap
    if mask is not None:
        s = s + t64(mask)
    j = torch.arange(Lk)
    if causal:  # bottom-right: query i sees keys j <= i + Lk - Lq
        s = s.masked_fill(j[None, :] > torch.arange(Lq)[:, None] + Lk - Lq, -math.inf)
    if window:
        s = s.masked_fill(j[None, :] <= torch.arange(Lq)[:, None] + Lk - Lq - window, -math.inf)
    if kv_len is not None:
        s = s.masked_fill((j[None, :] >= torch.from_numpy(kv_len).long()[:, None])[:, None, None, :], -math.inf)
    p = torch.softmax(s, dim=-1)
    dead = torch.isnan(p).all(dim=-1)  # torch: NaN; vkattn: zeros
    p = torch.nan_to_num(p, nan=0.0)
    return (p @ v).numpy(), p.numpy(), int(dead.sum())


def run_attention(ctx, name, B, Hq, Hkv, Lq, Lk, D, Dv=None, dtype="f32", impl="auto", causal=False, mask=None,
                  kv_len=None, scale=None, probs=False, amp=1.0, qk=None, window=0, softcap=0.0):
    Dv = Dv or D
    if qk is None:
        q, k = rand(B, Hq, Lq, D, amp=amp, dtype=dtype), rand(B, Hkv, Lk, D, amp=amp, dtype=dtype)
    else:
        q, k = qk
    v = rand(B, Hkv, Lk, Dv, dtype=dtype)
    inputs = {"q": q, "k": k, "v": v}
    args = ["--impl", impl, "--dtype", dtype]
    if causal:
        args.append("--causal")
    if scale:
        args += ["--scale", repr(scale)]
    if probs:
        args.append("--probs")
    if window:
        args += ["--window", str(window)]
    if softcap:
        args += ["--softcap", repr(softcap)]
    if mask is not None:
        inputs["mask"] = mask
    if kv_len is not None:
        inputs["kv_len"] = kv_len
    label = f"attention {name} {dtype} {impl} B{B} H{Hq}/{Hkv} L{Lq}/{Lk} D{D}/{Dv}"
    if window or softcap:
        label += f" window {window} softcap {softcap}"
    out = run_op(ctx, "attention", inputs, args, dtype)
    if out is None:
        return True
    o, p, dead = sdpa_ref(q, k, v, scale, causal, mask, kv_len, window, softcap)
    if dead:
        label += f" [{dead} fully masked rows: torch NaN, compared with zeros]"
    ok = runner.compare(label, out["o"], o, TOL[dtype])
    if probs:
        ok &= runner.compare(label + " probs", out["p"], p, TOL[dtype])
    return ok


def neg_inf_mask(shape, frac=0.15, dead_row=None):
    m = rand(*shape, amp=2.0)
    m[rng.uniform(size=shape) < frac] = -np.inf
    if dead_row is not None:
        m[..., dead_row, :] = -np.inf
    return m


def attention_cases(ctx):
    ok = True
    for dtype in ["f32", "f16"]:
        for impl in IMPLS:
            ok &= run_attention(ctx, "basic", 2, 4, 4, 33, 33, 64, dtype=dtype, impl=impl)
            ok &= run_attention(ctx, "GQA cross causal", 1, 8, 2, 7, 300, 40, dtype=dtype, impl=impl, causal=True)
            ok &= run_attention(ctx, "MQA D!=Dv kv_len", 2, 8, 1, 5, 77, 40, 64, dtype=dtype, impl=impl,
                                kv_len=np.array([77, 0], np.int32))
            ok &= run_attention(ctx, "mask[B,Hq,Lq,Lk]", 2, 2, 2, 6, 40, 64, dtype=dtype, impl=impl,
                                mask=neg_inf_mask((2, 2, 6, 40), dead_row=3))
        # bottom-right causal with Lq > Lk: the first Lq - Lk queries see no key
        ok &= run_attention(ctx, "causal Lq>Lk", 1, 2, 2, 9, 5, 64, dtype=dtype, causal=True)
        ok &= run_attention(ctx, "mask[Lq,Lk] causal", 1, 4, 2, 17, 23, 80, dtype=dtype, causal=True,
                            mask=neg_inf_mask((17, 23), dead_row=0))
        ok &= run_attention(ctx, "mask[B,1,Lq,Lk] kv_len", 2, 4, 4, 12, 31, 96, dtype=dtype,
                            mask=neg_inf_mask((2, 1, 12, 31), dead_row=5), kv_len=np.array([20, 31], np.int32))
        ok &= run_attention(ctx, "scale probs", 2, 3, 1, 10, 50, 128, dtype=dtype, scale=0.3, probs=True,
                            mask=neg_inf_mask((10, 50), dead_row=2))
        ok &= run_attention(ctx, "D256", 1, 2, 2, 8, 64, 256, dtype=dtype)
        # sliding window (Gemma 2/3, Phi-3) and soft-capping (Gemma 2): prefill, and a few queries over a cache
        for impl in IMPLS:
            ok &= run_attention(ctx, "window", 1, 4, 2, 40, 40, 64, dtype=dtype, impl=impl, causal=True, window=7)
            ok &= run_attention(ctx, "window softcap decode", 1, 4, 2, 2, 290, 64, dtype=dtype, impl=impl, causal=True,
                                window=60, softcap=3.0, amp=3.0)
    # large logits in f16 storage: q.k up to about +-80 (scale 1), must neither overflow nor lose the softmax
    B, H, L, D = 1, 2, 40, 64
    q, k = rand(B, H, L, D, amp=0.05, dtype="f16"), rand(B, H, L, D, amp=0.05, dtype="f16")
    q[..., 0] = 9.0
    k[..., 0] = rng.choice([-1.0, 1.0], size=(B, H, L)) * rng.uniform(0.5, 1.0, size=(B, H, L))
    k[..., 0] = (9.0 * k[..., 0]).astype(np.float16).astype(np.float32)
    for impl in IMPLS:
        ok &= run_attention(ctx, "large logits ~80", B, H, H, L, L, D, dtype="f16", impl=impl, scale=1.0, qk=(q, k))
    return ok


def additive_cases(ctx):
    ok = True
    for dtype in ["f32", "f16"]:
        for B, T, Lk, Dh, Ds, A, masked in [(2, 5, 77, 40, 24, 33, True), (1, 1, 1, 64, 50, 1, False),
                                             (2, 3, 1000, 64, 32, 128, True)]:
            h, s = rand(B, Lk, Dh, dtype=dtype), rand(B, T, Ds, dtype=dtype)
            W_h, W_s = rand(A, Dh, amp=1 / math.sqrt(Dh), dtype=dtype), rand(A, Ds, amp=1 / math.sqrt(Ds), dtype=dtype)
            b, v = rand(A, amp=0.5), rand(A, amp=4 / math.sqrt(A))
            inputs = {"h": h, "s": s, "W_h": W_h, "W_s": W_s, "b": b, "v": v}
            label = f"additive {dtype} B{B} T{T} Lk{Lk} Dh{Dh} Ds{Ds} A{A}"
            keep = None
            if masked:  # batch 1 fully masked: zeros (torch: NaN)
                keep = (rng.uniform(size=(B, Lk)) < 0.7).astype(np.float32)
                keep[0, 0] = 1
                keep[1:] = 0
                inputs["mask"] = keep
                label += " mask [batch 1 fully masked: torch NaN, compared with zeros]"
            out = run_op(ctx, "additive-attention", inputs, ["--dtype", dtype], dtype)
            if out is None:
                continue
            hp = t64(h) @ t64(W_h).T                      # [B,Lk,A]
            sp = t64(s) @ t64(W_s).T + t64(b)             # [B,T,A]
            e = torch.tanh(hp[:, None, :, :] + sp[:, :, None, :]) @ t64(v)  # [B,T,Lk]
            if keep is not None:
                e = e.masked_fill(t64(keep)[:, None, :] == 0, -math.inf)
            alpha = torch.nan_to_num(torch.softmax(e, dim=-1), nan=0.0)
            c = alpha @ t64(h)
            ok &= runner.compare(label + ": c", out["c"], c.numpy(), TOL[dtype])
            ok &= runner.compare(label + ": alpha", out["alpha"], alpha.numpy(), TOL[dtype])
    return ok


def mha_cases(ctx):
    ok = True
    torch.manual_seed(7)
    # (B, Lq, Lk, E, H, kdim, vdim, self-attention, bias, causal, mask kind)
    for dtype in ["f32", "f16"]:
        for B, Lq, Lk, E, H, kdim, vdim, self_attn, bias, causal, mkind in [
                (2, 7, 7, 128, 2, None, None, True, True, True, None),
                (2, 9, 9, 80, 2, None, None, True, False, False, "key_padding"),
                (1, 5, 33, 160, 4, None, None, False, True, False, "attn_mask"),
                (2, 6, 21, 128, 2, 48, 40, False, True, False, None)]:
            m = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=True, kdim=kdim, vdim=vdim).double().eval()
            with torch.no_grad():  # non-zero biases (PyTorch initializes them to 0)
                for name, p in m.named_parameters():
                    if "bias" in name:
                        p.uniform_(-0.2, 0.2)
                    if dtype == "f16":
                        p.copy_(p.half().double())
            x = rand(B, Lq, E, dtype=dtype)
            key = x if self_attn else rand(B, Lk, kdim or E, dtype=dtype)
            value = x if self_attn else rand(B, Lk, vdim or E, dtype=dtype)
            inputs = {"query": x}
            if not self_attn:
                inputs.update(key=key, value=value)
            for name, p in m.state_dict().items():
                inputs[name] = p.numpy().astype(np.float32)
            args = ["--heads", H, "--dtype", dtype]
            kw = {}
            label = f"mha {dtype} B{B} Lq{Lq} Lk{Lk} E{E} H{H} kdim{kdim or E} vdim{vdim or E}" + \
                (" self" if self_attn else " cross") + (" bias" if bias else "")
            if causal:
                args.append("--causal")
                kw["attn_mask"] = torch.triu(torch.full((Lq, Lk), -math.inf, dtype=torch.float64), 1)
                label += " causal"
            if mkind == "key_padding":
                lens = np.array([Lk, Lk // 2], np.int32)
                inputs["kv_len"] = lens
                kw["key_padding_mask"] = torch.arange(Lk)[None, :] >= torch.from_numpy(lens).long()[:, None]
                label += " kv_len"
            if mkind == "attn_mask":
                am = neg_inf_mask((Lq, Lk))
                inputs["mask"] = am
                kw["attn_mask"] = t64(am)
                label += " mask[Lq,Lk]"
            out = run_op(ctx, "mha", inputs, args, dtype)
            if out is None:
                continue
            with torch.no_grad():
                want, _ = m(t64(x), t64(key), t64(value), need_weights=False, **kw)
            ok &= runner.compare(label, out["attn_output"], want.numpy(), TOL[dtype])
    return ok


def cli_errors(ctx):
    """Bad options get exit status 1 or 2 and a message naming the problem."""
    ok = True
    q = rand(1, 2, 4, 64)
    path = os.path.join(ctx.workdir, "attn_cli.in.safetensors")
    st.save(path, {"q": q, "k": q, "v": q, "query": q[0]})
    for args, rc, needle in [(["attention", "--impl", "fast"], 1, "--impl must be auto, 3pass, flash or decode"),
                             (["attention", "--impl", "flash", "--probs"], 1, "VKATTN_ERROR_INVALID_ARGUMENT"),
                             (["attention", "--scale", "x"], 2, "bad value \"x\" for --scale"),
                             (["mha"], 1, "--heads N is required"),
                             (["mha", "--heads", "2"], 1, "needs input tensor \"out_proj.weight\""),
                             (["additive-attention"], 1, "needs input tensor \"W_h\"")]:
        got, out, err = ctx.cli("op", args[0], "--in", path, *args[1:])
        good = got == rc and needle in out + err
        print(f"{'ok  ' if good else 'FAIL'} vkattn op {' '.join(args)} -> {got} (want {rc}, \"{needle}\")")
        if not good:
            print(out + err)
        ok &= good
    return ok


def main(ctx):
    # ctest runs this once per driver, possibly in parallel, with one --workdir: keep the files apart
    driver = os.path.splitext(os.path.basename(os.environ.get("VK_DRIVER_FILES", "") or "default"))[0]
    ctx.workdir = os.path.join(ctx.workdir, driver)
    os.makedirs(ctx.workdir, exist_ok=True)
    ok = cli_errors(ctx)
    ok &= attention_cases(ctx)
    ok &= additive_cases(ctx)
    ok &= mha_cases(ctx)
    if F16_SKIPPED[0]:
        print(f"{F16_SKIPPED[0]} f16 case(s) skipped: the device lacks 16-bit storage")
    return ok


runner.main(main)
