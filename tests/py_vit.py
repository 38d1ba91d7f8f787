"""ViT image classifiers from Hugging Face directories through `vkattn classify-image` and `vkattn attn-map`,
against independent PyTorch code (scripts/gen_hf_models.py: conv2d patch embedding, pre-LN layers, float64).
Models generated here: hidden 32, 4 heads, 2 layers, 32x32 images in 8x8 patches (16 patches + [CLS]), 7 labels.

Cases: a batch of 3 PNG images at the model's size (ImageNet mean/std), f32 weights: logits, top-5 order; the same
model stored BF16 under ViTModel-style bare names with a classifier; the [CLS] attention probabilities behind the
attn-map overlay (layer 1, head 2); an image of another size is resized (finite logits, not compared: the resize
filter is stb's, not PIL's); a mismatched patch-embedding shape is refused with the tensor named.
Tolerance 1e-4 relative to the output's scale (runner.compare)."""
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


def main(ctx):
    root = os.path.join(ctx.workdir, f"models{os.getpid()}")
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(5)
    cfg = gen.vit_config()
    pre = gen.vit_preprocessor(cfg)
    S = cfg["image_size"]
    imgs = rng.integers(0, 256, (3, S, S, 3), dtype=np.uint8)
    imgs[1] = np.linspace(0, 255, S * S * 3).reshape(S, S, 3).astype(np.uint8)  # a smooth gradient
    paths = []
    for i, im in enumerate(imgs):
        paths.append(os.path.join(root, f"img{i}.png"))
        gen.write_png(paths[-1], im)
    ok = True
    for name, dtype, prefix in (("f32 ViTForImageClassification", "f32", "vit."), ("bf16 bare names", "bf16", "")):
        path = os.path.join(root, f"vit-{dtype}")
        w = gen.write_dir(path, cfg, gen.vit_weights(cfg, 9, prefix=prefix), dtype=dtype, vocab=None,
                          extra={"preprocessor_config.json": pre})
        ref = gen.vit_reference(cfg, w, imgs, pre, prefix=prefix)
        out = os.path.join(root, f"logits-{dtype}.safetensors")
        rc, so, se = ctx.cli("classify-image", "-m", path, "--out", out, *paths)
        if rc:
            raise runner.OpError(rc, se)
        ok &= runner.compare(f"{name}: logits of 3 images", st.load(out)["logits"], ref["logits"], TOL)
        got = [[t["id"] for t in r["top"]] for r in json.loads(so)]
        want = [list(np.argsort(-l, kind="stable")[:5]) for l in ref["logits"]]
        good = got == want
        print(f"{'ok  ' if good else 'FAIL'} {name}: top-5 {got}" + ("" if good else f", expected {want}"))
        ok &= good
    path = os.path.join(root, "vit-f32")
    w = gen.write_dir(path, cfg, gen.vit_weights(cfg, 9), vocab=None, extra={"preprocessor_config.json": pre})
    png, raw = os.path.join(root, "cls.png"), os.path.join(root, "probs.safetensors")
    rc, so, se = ctx.cli("attn-map", "-m", path, paths[1], "--layer", "1", "--head", "2", "-o", png, "--out", raw)
    if rc:
        raise runner.OpError(rc, se)
    ref = gen.vit_reference(cfg, w, imgs[1:2], pre)
    ok &= runner.compare("attn-map: attention probabilities, layer 1 head 2", st.load(raw)["probs"],
                         ref["probs"][1][0, 2], TOL)
    with open(png, "rb") as f:
        sig = f.read(8) == b"\x89PNG\r\n\x1a\n"
    print(f"{'ok  ' if sig else 'FAIL'} overlay PNG written")
    ok &= sig
    # an unwritable -o fails before the model loads or runs, with the OS's reason
    unwritable = os.path.join(paths[1], "map.png")  # under a file: ENOTDIR (root ignores permissions)
    rc, so, se = ctx.cli("attn-map", "-m", path, paths[1], "-o", unwritable)
    good = rc == 2 and f"cannot write -o {unwritable}: Not a directory" in se and "wrote" not in so
    print(f"{'ok  ' if good else 'FAIL'} attn-map -o to an unwritable path: rc {rc} {se.strip()}")
    ok &= good
    big = os.path.join(root, "big.png")
    gen.write_png(big, rng.integers(0, 256, (45, 61, 3), dtype=np.uint8))
    out = os.path.join(root, "big.safetensors")
    rc, so, se = ctx.cli("classify-image", "-m", path, "--out", out, big)
    good = rc == 0 and np.isfinite(st.load(out)["logits"]).all()
    print(f"{'ok  ' if good else 'FAIL'} a 61x45 image is resized to {S}x{S}: rc {rc} {se.strip()}")
    ok &= good
    bad = os.path.join(root, "vit-bad")
    shutil.rmtree(bad, ignore_errors=True)
    wb = gen.vit_weights(cfg, 9)
    wb["vit.embeddings.patch_embeddings.projection.weight"] = np.zeros((32, 3, 4, 4), np.float32)
    gen.write_dir(bad, cfg, wb, vocab=None)
    rc, _, se = ctx.cli("classify-image", "-m", bad, paths[0])
    good = rc == 1 and '"vit.embeddings.patch_embeddings.projection.weight" has shape [32,3,4,4]' in se
    print(f"{'ok  ' if good else 'FAIL'} malformed ViT refused: {se.strip()}")
    return ok and good


runner.main(main)
