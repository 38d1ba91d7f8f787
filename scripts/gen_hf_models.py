"""Small encoder models with seeded random weights in Hugging Face layout, and their outputs computed by
independent PyTorch code (float64; the BERT / ViT math written out, no `transformers`).

    /usr/bin/python3 scripts/gen_hf_models.py --out DIR      # DIR/bert-tiny, DIR/bert-tiny-cls, ...

Used by tests/py_encoders.py (which generates into the build directory at test time) and for the README's
example attention map. Layout written: config.json, model.safetensors (or shards + model.safetensors.index.json),
vocab.txt, tokenizer_config.json.
"""
import argparse
import json
import os
import sys
import unicodedata

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from pyref import st  # noqa: E402

# ---- a tiny WordPiece vocabulary --------------------------------------------------------------------------

VOCAB = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(".,!?'-\"():;") + list("abcdefghijklmnopqrstuvwxyz0123456789")
         + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]
         + ["the", "cat", "sat", "on", "mat", "dog", "a", "is", "was", "good", "bad", "movie", "very", "not", "hello",
            "world", "un", "##aff", "##able", "play", "##ing", "##ed", "run", "##s", "attention", "all", "you", "need",
            "cafe", "naive", "resume", "\u4f60", "\u597d", "\u4e16", "\u754c", "\u00e9t\u00e9", "Hello", "World",
            "##ly", "quick", "brown", "fox", "jump", "over", "lazy", "this", "it", "great"])


# ---- reference WordPiece (a port of Hugging Face's BasicTokenizer + WordpieceTokenizer) -----------------

def _is_ws(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def _is_control(c):
    return c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf")


def _is_punct(c):
    cp = ord(c)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or unicodedata.category(c).startswith("P")


def _is_cjk(cp):
    return any(a <= cp <= b for a, b in ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                         (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


def wordpiece(text, vocab, lower=True, strip=None, max_chars=100):
    """Token strings of text (no [CLS]/[SEP])."""
    strip = lower if strip is None else strip
    text = "".join(" " if _is_ws(c) else c for c in text if not (ord(c) in (0, 0xFFFD) or _is_control(c)))
    text = "".join(f" {c} " if _is_cjk(ord(c)) else c for c in text)
    out = []
    for tok in text.split():
        if lower:
            tok = tok.lower()
        if strip:
            tok = "".join(c for c in unicodedata.normalize("NFD", tok) if unicodedata.category(c) != "Mn")
        pieces, cur = [], ""
        for c in tok:
            if _is_punct(c):
                if cur:
                    pieces.append(cur)
                pieces.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            pieces.append(cur)
        for p in pieces:
            if len(p) > max_chars:
                out.append("[UNK]")
                continue
            sub, start, bad = [], 0, False
            while start < len(p):
                end, found = len(p), None
                while start < end:
                    s = p[start:end] if start == 0 else "##" + p[start:end]
                    if s in vocab:
                        found = s
                        break
                    end -= 1
                if found is None:
                    bad = True
                    break
                sub.append(found)
                start = end
            out.extend(["[UNK]"] if bad else sub)
    return out


def bert_ids(text, vocab_list, lower=True, max_len=None):
    idx = {t: i for i, t in enumerate(vocab_list)}
    toks = wordpiece(text, set(vocab_list), lower)
    if max_len is not None:
        toks = toks[:max_len - 2]
    return [idx["[CLS]"]] + [idx[t] for t in toks] + [idx["[SEP]"]]


# ---- weights and files ------------------------------------------------------------------------------------

def _lin(rng, n_out, n_in, scale=None):
    s = scale if scale is not None else 1 / np.sqrt(n_in)
    return rng.uniform(-s, s, (n_out, n_in)).astype(np.float32), rng.uniform(-s, s, n_out).astype(np.float32)


def _ln(rng, d):
    return (1 + 0.1 * rng.standard_normal(d)).astype(np.float32), (0.1 * rng.standard_normal(d)).astype(np.float32)


def _layer(rng, w, p, D, I, names):
    for key, (n_out, n_in) in (("q", (D, D)), ("k", (D, D)), ("v", (D, D)), ("o", (D, D)), ("up", (I, D)),
                               ("down", (D, I))):
        w[p + names[key] + ".weight"], w[p + names[key] + ".bias"] = _lin(rng, n_out, n_in)
    for key in ("ln1", "ln2"):
        w[p + names[key] + ".weight"], w[p + names[key] + ".bias"] = _ln(rng, D)


BERT_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
              "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "up": "intermediate.dense",
              "down": "output.dense", "ln2": "output.LayerNorm"}
VIT_NAMES = {"q": "attention.attention.query", "k": "attention.attention.key", "v": "attention.attention.value",
             "o": "attention.output.dense", "ln1": "layernorm_before", "up": "intermediate.dense", "down": "output.dense",
             "ln2": "layernorm_after"}


def bert_config(hidden=32, layers=2, heads=4, inter=64, max_pos=64, labels=None, act="gelu"):
    c = {"model_type": "bert", "architectures": ["BertForSequenceClassification" if labels else "BertModel"],
         "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": inter,
         "vocab_size": len(VOCAB), "max_position_embeddings": max_pos, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
         "hidden_act": act}
    if labels:
        c["id2label"] = {str(i): l for i, l in enumerate(labels)}
        c["label2id"] = {l: i for i, l in enumerate(labels)}
    return c


def bert_weights(cfg, seed, classifier=True, prefix="bert."):
    """name -> float32 array, BertForSequenceClassification names (prefix "bert.") or BertModel ("")."""
    rng = np.random.default_rng(seed)
    D, I, V, P = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"]
    w = {}
    e = prefix + "embeddings."
    w[e + "word_embeddings.weight"] = rng.standard_normal((V, D)).astype(np.float32)
    w[e + "position_embeddings.weight"] = (0.5 * rng.standard_normal((P, D))).astype(np.float32)
    w[e + "token_type_embeddings.weight"] = (0.5 * rng.standard_normal((cfg["type_vocab_size"], D))).astype(np.float32)
    w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"] = _ln(rng, D)
    for i in range(cfg["num_hidden_layers"]):
        _layer(rng, w, f"{prefix}encoder.layer.{i}.", D, I, BERT_NAMES)
    w[prefix + "pooler.dense.weight"], w[prefix + "pooler.dense.bias"] = _lin(rng, D, D)
    if classifier:
        w["classifier.weight"], w["classifier.bias"] = _lin(rng, len(cfg["id2label"]), D)
    return w


def _cast(w, dtype):
    """The stored form (f16 / bf16 / f32) and the float32 values a reader sees."""
    if dtype == "f16":
        s = w.astype(np.float16)
        return s, s.astype(np.float32)
    if dtype == "bf16":
        s = st.BF16.from_f32(w)
        return s, s.to_f32()
    return w, w


def write_dir(path, cfg, weights, dtype="f32", shards=1, vocab=VOCAB, tokenizer_config=None, extra=None):
    """Writes the model directory; returns the weights as read back (rounded to dtype), as float32."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    if vocab is not None:
        with open(os.path.join(path, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(vocab) + "\n")
    if tokenizer_config is not None:
        with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
            json.dump(tokenizer_config, f)
    for name, content in (extra or {}).items():
        with open(os.path.join(path, name), "w") as f:
            json.dump(content, f)
    stored, seen = {}, {}
    for k, v in weights.items():
        stored[k], seen[k] = _cast(v, dtype)
    if shards == 1:
        st.save(os.path.join(path, "model.safetensors"), stored)
    else:
        names = list(stored)
        wmap = {}
        for s in range(shards):
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {k: stored[k] for k in names[s::shards]}
            st.save(os.path.join(path, fname), part)
            wmap.update({k: fname for k in part})
        with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 0}, "weight_map": wmap}, f)
    return seen


# ---- reference math (float64) -----------------------------------------------------------------------------

def _t(w, k):
    return torch.from_numpy(np.asarray(w[k], dtype=np.float64))


def _attention(x, w, p, names, H, key_mask):
    """Self-attention of x [B, L, D]; key_mask [B, L] bool (True = real) or None. Returns (out, probs)."""
    B, L, D = x.shape
    hd = D // H

    def proj(key):
        return F.linear(x, _t(w, p + names[key] + ".weight"), _t(w, p + names[key] + ".bias"))

    q, k, v = (proj(n).view(B, L, H, hd).transpose(1, 2) for n in ("q", "k", "v"))
    s = q @ k.transpose(-1, -2) / np.sqrt(hd)
    if key_mask is not None:
        s = s.masked_fill(~key_mask[:, None, None, :], float("-inf"))
    pr = torch.softmax(s, -1)
    o = (pr @ v).transpose(1, 2).reshape(B, L, D)
    return F.linear(o, _t(w, p + names["o"] + ".weight"), _t(w, p + names["o"] + ".bias")), pr


def _ffn(x, w, p, names, act):
    h = F.linear(x, _t(w, p + names["up"] + ".weight"), _t(w, p + names["up"] + ".bias"))
    h = F.gelu(h) if act == "gelu" else F.gelu(h, approximate="tanh") if act in ("gelu_new", "gelu_pytorch_tanh") else F.relu(h)
    return F.linear(h, _t(w, p + names["down"] + ".weight"), _t(w, p + names["down"] + ".bias"))


def _ln_apply(x, w, p, eps):
    return F.layer_norm(x, (x.shape[-1],), _t(w, p + ".weight"), _t(w, p + ".bias"), eps)


def bert_reference(cfg, w, ids_list, prefix="bert."):
    """Hidden states [B, L, D] (padded rows zeroed), CLS and masked-mean pooling, logits, probs per layer."""
    B, L = len(ids_list), max(len(i) for i in ids_list)
    D, H, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg.get("layer_norm_eps", 1e-12)
    ids = torch.zeros((B, L), dtype=torch.long)
    mask = torch.zeros((B, L), dtype=torch.bool)
    for b, s in enumerate(ids_list):
        ids[b, :len(s)] = torch.tensor(s)
        mask[b, :len(s)] = True
    e = prefix + "embeddings."
    x = _t(w, e + "word_embeddings.weight")[ids] + _t(w, e + "position_embeddings.weight")[:L][None] \
        + _t(w, e + "token_type_embeddings.weight")[0]
    x = _ln_apply(x, w, e + "LayerNorm", eps)
    probs = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{i}."
        a, pr = _attention(x, w, p, BERT_NAMES, H, mask)
        probs.append(pr)
        x = _ln_apply(x + a, w, p + BERT_NAMES["ln1"], eps)
        x = _ln_apply(x + _ffn(x, w, p, BERT_NAMES, cfg.get("hidden_act", "gelu")), w, p + BERT_NAMES["ln2"], eps)
    m = mask[..., None].double()
    out = {"hidden": (x * m).numpy(), "cls": x[:, 0].numpy(), "mean": ((x * m).sum(1) / m.sum(1)).numpy(),
           "probs": [pr.numpy() for pr in probs], "mask": mask.numpy()}
    if "classifier.weight" in w:
        pooled = torch.tanh(F.linear(x[:, 0], _t(w, prefix + "pooler.dense.weight"), _t(w, prefix + "pooler.dense.bias")))
        out["logits"] = F.linear(pooled, _t(w, "classifier.weight"), _t(w, "classifier.bias")).numpy()
    return out


# ---- sentence-transformers layout ------------------------------------------------------------------------------

ST_MODES = {"cls": "pooling_mode_cls_token", "mean": "pooling_mode_mean_tokens", "max": "pooling_mode_max_tokens",
            "mean_sqrt_len": "pooling_mode_mean_sqrt_len_tokens", "lasttoken": "pooling_mode_lasttoken",
            "weightedmean": "pooling_mode_weightedmean_tokens"}


def write_sentence_transformers(path, dim, pooling="mean", normalize=True, max_seq_length=None):
    """modules.json (Transformer, Pooling, optionally Normalize), 1_Pooling/config.json and
    sentence_bert_config.json, as sentence-transformers saves all-MiniLM-L6-v2."""
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    with open(os.path.join(path, "modules.json"), "w") as f:
        json.dump(modules, f, indent=2)
    os.makedirs(os.path.join(path, "1_Pooling"), exist_ok=True)
    cfg = {"word_embedding_dimension": dim, **{k: m == pooling for m, k in ST_MODES.items()}, "include_prompt": True}
    with open(os.path.join(path, "1_Pooling", "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(path, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": max_seq_length, "do_lower_case": False} if max_seq_length else {}, f)


def st_pool(hidden, lens, pooling, normalize):
    """sentence-transformers' Pooling (+ Normalize) over hidden [B, L, D] with lens real tokens each (torch, float64)."""
    x = torch.tensor(hidden, dtype=torch.float64)
    mask = torch.zeros(x.shape[:2], dtype=torch.float64)
    for b, n in enumerate(lens):
        mask[b, :n] = 1
    m = mask[..., None].expand(x.shape)
    if pooling == "cls":
        out = x[:, 0]
    elif pooling == "lasttoken":  # right padding: the last real token's row
        out = x[torch.arange(x.shape[0]), torch.tensor(lens) - 1]
    elif pooling == "max":
        out = torch.where(m == 0, torch.full_like(x, -1e9), x).max(1).values
    else:
        s = (x * m).sum(1)
        n = torch.clamp(m.sum(1), min=1e-9)
        out = s / n if pooling == "mean" else s / torch.sqrt(n)
    if normalize:
        out = F.normalize(out, p=2, dim=1)
    return out.numpy()


# ---- ViT ------------------------------------------------------------------------------------------------------

def vit_config(hidden=32, layers=2, heads=4, inter=64, image=32, patch=8, labels=None, act="gelu"):
    c = {"model_type": "vit", "architectures": ["ViTForImageClassification"], "hidden_size": hidden,
         "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": inter, "image_size": image,
         "patch_size": patch, "num_channels": 3, "layer_norm_eps": 1e-12, "hidden_act": act, "qkv_bias": True}
    labels = labels or [f"class {i}" for i in range(7)]
    c["id2label"] = {str(i): l for i, l in enumerate(labels)}
    c["label2id"] = {l: i for i, l in enumerate(labels)}
    return c


def vit_preprocessor(cfg, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
    return {"image_processor_type": "ViTImageProcessor", "do_resize": True, "do_rescale": True,
            "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": list(mean), "image_std": list(std),
            "size": {"height": cfg["image_size"], "width": cfg["image_size"]}, "resample": 2}


def vit_weights(cfg, seed, prefix="vit."):
    rng = np.random.default_rng(seed)
    D, I, S, P = cfg["hidden_size"], cfg["intermediate_size"], cfg["image_size"], cfg["patch_size"]
    T = 1 + (S // P) ** 2
    w = {}
    e = prefix + "embeddings."
    w[e + "cls_token"] = rng.standard_normal((1, 1, D)).astype(np.float32)
    w[e + "position_embeddings"] = (0.5 * rng.standard_normal((1, T, D))).astype(np.float32)
    k = 1 / np.sqrt(3 * P * P)
    w[e + "patch_embeddings.projection.weight"] = rng.uniform(-k, k, (D, 3, P, P)).astype(np.float32)
    w[e + "patch_embeddings.projection.bias"] = rng.uniform(-k, k, D).astype(np.float32)
    for i in range(cfg["num_hidden_layers"]):
        _layer(rng, w, f"{prefix}encoder.layer.{i}.", D, I, VIT_NAMES)
    w[prefix + "layernorm.weight"], w[prefix + "layernorm.bias"] = _ln(rng, D)
    w["classifier.weight"], w["classifier.bias"] = _lin(rng, len(cfg["id2label"]), D)
    return w


def write_png(path, rgb):
    """rgb: uint8 [H, W, 3] -> an 8-bit RGB PNG (zlib + struct; no imaging library needed)."""
    import struct
    import zlib
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def vit_reference(cfg, w, images, pre, prefix="vit."):
    """images: uint8 [B, S, S, 3] at the model's size. Hidden states, logits, probs per layer."""
    D, H, P, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["patch_size"], cfg["layer_norm_eps"]
    x = torch.from_numpy(images.astype(np.float64) / 255).permute(0, 3, 1, 2)
    mean, std = torch.tensor(pre["image_mean"], dtype=torch.float64), torch.tensor(pre["image_std"], dtype=torch.float64)
    x = (x - mean[None, :, None, None]) / std[None, :, None, None]
    e = prefix + "embeddings."
    x = F.conv2d(x, _t(w, e + "patch_embeddings.projection.weight"), _t(w, e + "patch_embeddings.projection.bias"), stride=P)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([_t(w, e + "cls_token").expand(x.shape[0], 1, D), x], 1) + _t(w, e + "position_embeddings")
    probs = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{i}."
        a, pr = _attention(_ln_apply(x, w, p + VIT_NAMES["ln1"], eps), w, p, VIT_NAMES, H, None)
        probs.append(pr)
        x = x + a
        x = x + _ffn(_ln_apply(x, w, p + VIT_NAMES["ln2"], eps), w, p, VIT_NAMES, cfg["hidden_act"])
    x = _ln_apply(x, w, prefix + "layernorm", eps)
    return {"hidden": x.numpy(), "logits": F.linear(x[:, 0], _t(w, "classifier.weight"), _t(w, "classifier.bias")).numpy(),
            "probs": [pr.numpy() for pr in probs]}


# ---- the original Transformer (nn.Transformer) -----------------------------------------------------------------

def seq2seq_config(d_model=32, nhead=4, enc=2, dec=2, ff=64, act="relu", norm_first=False, max_len=40):
    return {"model_type": "transformer", "d_model": d_model, "nhead": nhead, "num_encoder_layers": enc,
            "num_decoder_layers": dec, "dim_feedforward": ff, "activation": act, "norm_first": norm_first,
            "layer_norm_eps": 1e-5, "src_vocab_size": len(VOCAB), "tgt_vocab_size": len(VOCAB), "max_len": max_len,
            "bos_token_id": VOCAB.index("[CLS]"), "eos_token_id": VOCAB.index("[SEP]"), "pad_token_id": 0}


class Seq2Seq(torch.nn.Module):
    """nn.Transformer + embeddings (scaled by sqrt(d_model), sinusoidal positions) + generator: the state dict
    names vkattn reads."""

    def __init__(self, cfg):
        super().__init__()
        D = cfg["d_model"]
        self.cfg = cfg
        self.transformer = torch.nn.Transformer(D, cfg["nhead"], cfg["num_encoder_layers"], cfg["num_decoder_layers"],
                                                cfg["dim_feedforward"], dropout=0.0, activation=cfg["activation"],
                                                layer_norm_eps=cfg["layer_norm_eps"], batch_first=True,
                                                norm_first=cfg["norm_first"])
        self.src_embed = torch.nn.Embedding(cfg["src_vocab_size"], D)
        self.tgt_embed = torch.nn.Embedding(cfg["tgt_vocab_size"], D)
        self.generator = torch.nn.Linear(D, cfg["tgt_vocab_size"])

    def pe(self, L):
        D = self.cfg["d_model"]
        pos = torch.arange(L, dtype=torch.float64)[:, None]
        div = torch.pow(10000.0, torch.arange(0, D, 2, dtype=torch.float64) / D)
        pe = torch.zeros(L, D, dtype=torch.float64)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos / div), torch.cos(pos / div)
        return pe

    def embed(self, table, ids):
        return table(ids) * np.sqrt(self.cfg["d_model"]) + self.pe(ids.shape[1])

    def encode(self, src):
        return self.transformer.encoder(self.embed(self.src_embed, src))

    def logits(self, mem, tgt):
        """Logits [B, T, V] of every prefix of tgt [B, T] (a causal decoder pass: no cache)."""
        T = tgt.shape[1]
        mask = torch.triu(torch.full((T, T), float("-inf"), dtype=torch.float64), 1)
        y = self.transformer.decoder(self.embed(self.tgt_embed, tgt), mem, tgt_mask=mask)
        return self.generator(y)


def seq2seq_model(cfg, seed):
    torch.manual_seed(seed)
    m = Seq2Seq(cfg).double().eval()
    with torch.no_grad():  # LayerNorms away from 1 / 0 so they matter
        for name, p in m.named_parameters():
            if "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    return m


def seq2seq_weights(m):
    return {k: v.detach().numpy().astype(np.float32) for k, v in m.state_dict().items()}


def seq2seq_greedy(m, src_ids, steps):
    """Greedy tokens (no BOS/EOS) and the logits of every step, recomputing the whole prefix each step."""
    cfg = m.cfg
    with torch.no_grad():
        mem = m.encode(torch.tensor([src_ids]))
        tgt, out, logits = [cfg["bos_token_id"]], [], []
        for _ in range(steps):
            z = m.logits(mem, torch.tensor([tgt]))[0, -1]
            logits.append(z.numpy())
            tok = int(z.argmax())
            if tok == cfg["eos_token_id"]:
                break
            out.append(tok)
            tgt.append(tok)
    return out, np.array(logits)


def seq2seq_teacher(m, src_ids, tokens):
    """Logits [len(tokens) + 1, V] after BOS + each prefix of tokens."""
    with torch.no_grad():
        mem = m.encode(torch.tensor([src_ids]))
        return m.logits(mem, torch.tensor([[m.cfg["bos_token_id"]] + list(tokens)]))[0].numpy()


def seq2seq_beam(m, src_ids, beam, steps, penalty=0.0):
    """Beam search as vkattn's: the best 2*beam (score, beam, token) per step, ties to the earlier beam and token;
    EOS ends a hypothesis (score / len^penalty with len counting EOS); stops once beam hypotheses finished."""
    cfg = m.cfg
    eos = cfg["eos_token_id"]
    with torch.no_grad():
        mem = m.encode(torch.tensor([src_ids]))
        live, done = [(0.0, [])], []
        for t in range(steps):
            cands = []
            for b, (sc, toks) in enumerate(live):
                z = m.logits(mem, torch.tensor([[cfg["bos_token_id"]] + toks]))[0, -1]
                lp = torch.log_softmax(z, -1).numpy()
                cands += [(sc + float(lp[v]), b, v) for v in range(len(lp))]
            cands.sort(key=lambda c: (-c[0], c[1], c[2]))
            nxt = []
            for sc, b, v in cands[:2 * beam]:
                if len(nxt) == beam:
                    break
                if v == eos:
                    if len(done) < beam:
                        done.append((sc / (t + 1) ** penalty if penalty > 0 else sc, live[b][1]))
                    continue
                nxt.append((sc, live[b][1] + [v]))
            if len(done) >= beam:
                break
            live = nxt
        if done:
            return max(done, key=lambda d: d[0])[1]
        return max(live, key=lambda d: d[0] / max(len(d[1]), 1) ** penalty if penalty > 0 else d[0])[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    cfg = bert_config(labels=["negative", "positive"])
    write_dir(os.path.join(a.out, "bert-tiny-cls"), cfg, bert_weights(cfg, 1), tokenizer_config={"do_lower_case": True})
    # bert-demo: layer 0's queries and keys are 2 x identity, so a token attends to the tokens whose (normalised)
    # embeddings are like its own: itself, and other occurrences of the same word. A readable example map.
    w = bert_weights(cfg, 1)
    D = cfg["hidden_size"]
    for n in ("query", "key"):
        w[f"bert.encoder.layer.0.attention.self.{n}.weight"] = 2 * np.eye(D, dtype=np.float32)
        w[f"bert.encoder.layer.0.attention.self.{n}.bias"] = np.zeros(D, np.float32)
    write_dir(os.path.join(a.out, "bert-demo"), cfg, w, tokenizer_config={"do_lower_case": True})
    print(f"wrote {a.out}/bert-tiny-cls, {a.out}/bert-demo")


if __name__ == "__main__":
    main()
