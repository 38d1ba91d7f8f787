/* The original Transformer encoder-decoder (PyTorch nn.Transformer names, batch_first), greedy and beam decoding.
 *
 *   encoder:  x = src_embed[src] * sqrt(D) + PE     (vkattn_embedding, scale, sinusoidal);  N x encoder layer (encoder.c: post-LN, or pre-LN with norm_first);
 *             mem = encoder.norm(x);  per decoder layer: mem K|V = mem W_kv^T + b_kv (once, [B, S, 2D])
 *   a step:   x = tgt_embed[tok] * sqrt(D) + PE[t]     one new token per beam
 *             per decoder layer (post-LN; pre-LN moves each norm in front of its sublayer):
 *               qkv = x W_in^T + b;  K/V rows -> the layer's cache at t;  a = attention(q, K[0..t], V[0..t])
 *               x = norm1(x + out(a));  x = norm2(x + out(attention(x W_q^T + b, mem K, mem V)))
 *               x = norm3(x + ffn(x))
 *             logits = generator(decoder.norm(x))   downloaded; the next token chosen on the host
 * The beams are the batch: caches [beam, max_len, D], reordered on the device after every step. */
#include "core/core.h"
#include "hf.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dec_layer {
    vkattn_tensor *sa_w, *sa_b, *sa_o_w, *sa_o_b;   /* self_attn: in_proj [3D, D], out_proj */
    vkattn_tensor *ca_q_w, *ca_q_b, *ca_kv_w, *ca_kv_b, *ca_o_w, *ca_o_b; /* multihead_attn: in_proj split q | kv */
    vkattn_tensor *n_w[3], *n_b[3];                  /* norm1..3 */
    vkattn_tensor *up_w, *up_b, *down_w, *down_b;    /* linear1, linear2 */
    vkattn_tensor *k_cache, *v_cache, *k_tmp, *v_tmp; /* [beam, T, D] during a generate call */
    vkattn_tensor *mem_kv;                            /* [beam, S, 2D] */
} dec_layer;

struct vkattn_seq2seq {
    vkattn_encoder enc;            /* the encoder stack (ctx, sizes, eps, act, pre_ln, layers) */
    vkattn_seq2seq_info info;
    vkattn_tensor *src_emb, *tgt_emb; /* [V, D] */
    vkattn_tensor *enc_norm_w, *enc_norm_b, *dec_norm_w, *dec_norm_b, *gen_w, *gen_b;
    dec_layer *dec;
};

#define CHECK(expr) \
    do { \
        if ((st = (expr))) return st; \
    } while (0)

static vkattn_status load(vkattn__hf *hf, const char *prefix, const char *fmt, uint32_t i, uint32_t ndim,
                          const int64_t *shape, vkattn_tensor **out) {
    char pat[256], name[320];
    snprintf(pat, sizeof pat, "%%s%s", fmt);
    snprintf(name, sizeof name, pat, prefix, i);
    return vkattn__hf_tensor(hf, name, ndim, shape, out);
}

/* Rows [r0, r0 + n) of in_proj_weight [3D, D] (or of its bias) as a new device tensor. */
static vkattn_status load_rows(vkattn__hf *hf, const char *prefix, const char *fmt, uint32_t i, int64_t D, int64_t r0,
                               int64_t n, int bias, vkattn_tensor **out) {
    char pat[256], name[320];
    snprintf(pat, sizeof pat, "%%s%s", fmt);
    snprintf(name, sizeof name, pat, prefix, i);
    float *all;
    vkattn_status st = bias ? vkattn__hf_read(hf, name, 1, (int64_t[]){3 * D}, &all)
                            : vkattn__hf_read(hf, name, 2, (int64_t[]){3 * D, D}, &all);
    if (st) return st;
    const int64_t w = bias ? 1 : D;
    st = bias ? vkattn__upload_new(hf->ctx, all + r0, 1, (int64_t[]){n}, out)
              : vkattn__upload_new(hf->ctx, all + r0 * w, 2, (int64_t[]){n, D}, out);
    free(all);
    return st;
}

static vkattn_status load_encoder_layer(vkattn__hf *hf, vkattn_seq2seq *s, const char *p, uint32_t i) {
    vkattn__enc_layer *l = &s->enc.layers[i];
    const int64_t D = s->info.d_model, F = s->info.dim_feedforward;
    vkattn_status st;
    CHECK(load(hf, p, "encoder.layers.%u.self_attn.in_proj_weight", i, 2, (int64_t[]){3 * D, D}, &l->qkv_w));
    CHECK(load(hf, p, "encoder.layers.%u.self_attn.in_proj_bias", i, 1, (int64_t[]){3 * D}, &l->qkv_b));
    CHECK(load(hf, p, "encoder.layers.%u.self_attn.out_proj.weight", i, 2, (int64_t[]){D, D}, &l->o_w));
    CHECK(load(hf, p, "encoder.layers.%u.self_attn.out_proj.bias", i, 1, (int64_t[]){D}, &l->o_b));
    CHECK(load(hf, p, "encoder.layers.%u.linear1.weight", i, 2, (int64_t[]){F, D}, &l->up_w));
    CHECK(load(hf, p, "encoder.layers.%u.linear1.bias", i, 1, (int64_t[]){F}, &l->up_b));
    CHECK(load(hf, p, "encoder.layers.%u.linear2.weight", i, 2, (int64_t[]){D, F}, &l->down_w));
    CHECK(load(hf, p, "encoder.layers.%u.linear2.bias", i, 1, (int64_t[]){D}, &l->down_b));
    CHECK(load(hf, p, "encoder.layers.%u.norm1.weight", i, 1, (int64_t[]){D}, &l->ln1_w));
    CHECK(load(hf, p, "encoder.layers.%u.norm1.bias", i, 1, (int64_t[]){D}, &l->ln1_b));
    CHECK(load(hf, p, "encoder.layers.%u.norm2.weight", i, 1, (int64_t[]){D}, &l->ln2_w));
    CHECK(load(hf, p, "encoder.layers.%u.norm2.bias", i, 1, (int64_t[]){D}, &l->ln2_b));
    vkattn_mha_desc md = {.embed_dim = (uint32_t)D, .num_heads = s->info.nhead, .in_proj_weight = l->qkv_w,
                          .in_proj_bias = l->qkv_b, .out_proj_weight = l->o_w, .out_proj_bias = l->o_b};
    return vkattn_mha_create(s->enc.ctx, &md, &l->mha);
}

static vkattn_status load_decoder_layer(vkattn__hf *hf, vkattn_seq2seq *s, const char *p, uint32_t i) {
    dec_layer *l = &s->dec[i];
    const int64_t D = s->info.d_model, F = s->info.dim_feedforward;
    const char *ca_w = "decoder.layers.%u.multihead_attn.in_proj_weight", *ca_b = "decoder.layers.%u.multihead_attn.in_proj_bias";
    vkattn_status st;
    CHECK(load(hf, p, "decoder.layers.%u.self_attn.in_proj_weight", i, 2, (int64_t[]){3 * D, D}, &l->sa_w));
    CHECK(load(hf, p, "decoder.layers.%u.self_attn.in_proj_bias", i, 1, (int64_t[]){3 * D}, &l->sa_b));
    CHECK(load(hf, p, "decoder.layers.%u.self_attn.out_proj.weight", i, 2, (int64_t[]){D, D}, &l->sa_o_w));
    CHECK(load(hf, p, "decoder.layers.%u.self_attn.out_proj.bias", i, 1, (int64_t[]){D}, &l->sa_o_b));
    CHECK(load_rows(hf, p, ca_w, i, D, 0, D, 0, &l->ca_q_w));
    CHECK(load_rows(hf, p, ca_b, i, D, 0, D, 1, &l->ca_q_b));
    CHECK(load_rows(hf, p, ca_w, i, D, D, 2 * D, 0, &l->ca_kv_w));
    CHECK(load_rows(hf, p, ca_b, i, D, D, 2 * D, 1, &l->ca_kv_b));
    CHECK(load(hf, p, "decoder.layers.%u.multihead_attn.out_proj.weight", i, 2, (int64_t[]){D, D}, &l->ca_o_w));
    CHECK(load(hf, p, "decoder.layers.%u.multihead_attn.out_proj.bias", i, 1, (int64_t[]){D}, &l->ca_o_b));
    CHECK(load(hf, p, "decoder.layers.%u.linear1.weight", i, 2, (int64_t[]){F, D}, &l->up_w));
    CHECK(load(hf, p, "decoder.layers.%u.linear1.bias", i, 1, (int64_t[]){F}, &l->up_b));
    CHECK(load(hf, p, "decoder.layers.%u.linear2.weight", i, 2, (int64_t[]){D, F}, &l->down_w));
    CHECK(load(hf, p, "decoder.layers.%u.linear2.bias", i, 1, (int64_t[]){D}, &l->down_b));
    for (uint32_t k = 0; k < 3; k++) {
        char w[64], b[64];
        snprintf(w, sizeof w, "decoder.layers.%%u.norm%u.weight", k + 1);
        snprintf(b, sizeof b, "decoder.layers.%%u.norm%u.bias", k + 1);
        CHECK(load(hf, p, w, i, 1, (int64_t[]){D}, &l->n_w[k]));
        CHECK(load(hf, p, b, i, 1, (int64_t[]){D}, &l->n_b[k]));
    }
    return VKATTN_OK;
}

static void free_caches(vkattn_seq2seq *s) {
    for (uint32_t i = 0; s->dec && i < s->info.num_decoder_layers; i++) {
        dec_layer *l = &s->dec[i];
        vkattn_tensor **t[] = {&l->k_cache, &l->v_cache, &l->k_tmp, &l->v_tmp, &l->mem_kv};
        for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) vkattn_tensor_destroy(*t[k]), *t[k] = NULL;
    }
}

void vkattn_seq2seq_destroy(vkattn_seq2seq *s) {
    if (!s) return;
    free_caches(s);
    for (uint32_t i = 0; s->dec && i < s->info.num_decoder_layers; i++) {
        dec_layer *l = &s->dec[i];
        vkattn_tensor *t[] = {l->sa_w, l->sa_b, l->sa_o_w, l->sa_o_b, l->ca_q_w, l->ca_q_b, l->ca_kv_w, l->ca_kv_b, l->ca_o_w,
                              l->ca_o_b, l->n_w[0], l->n_b[0], l->n_w[1], l->n_b[1], l->n_w[2], l->n_b[2], l->up_w, l->up_b,
                              l->down_w, l->down_b};
        for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) vkattn_tensor_destroy(t[k]);
    }
    free(s->dec);
    vkattn_tensor *t[] = {s->src_emb, s->tgt_emb, s->enc_norm_w, s->enc_norm_b, s->dec_norm_w, s->dec_norm_b, s->gen_w, s->gen_b};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) vkattn_tensor_destroy(t[k]);
    vkattn__encoder_free_weights(&s->enc);
    free(s);
}

static vkattn_status configure(vkattn__hf *hf, vkattn_seq2seq *s) {
    vkattn_seq2seq_info *in = &s->info;
    uint32_t bos, eos;
    vkattn_status st;
    const char *type = vkattn__hf_str(hf->config, "model_type");
    if (!type || strcmp(type, "transformer") != 0)
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/config.json: model_type must be \"transformer\" (is %s%s%s)",
                            hf->dir, type ? "\"" : "", type ? type : "missing", type ? "\"" : "");
    CHECK(vkattn__hf_u32(hf, NULL, "d_model", 1, 0, &in->d_model));
    CHECK(vkattn__hf_u32(hf, NULL, "nhead", 1, 0, &in->nhead));
    CHECK(vkattn__hf_u32(hf, NULL, "num_encoder_layers", 1, 0, &in->num_encoder_layers));
    CHECK(vkattn__hf_u32(hf, NULL, "num_decoder_layers", 1, 0, &in->num_decoder_layers));
    CHECK(vkattn__hf_u32(hf, NULL, "dim_feedforward", 1, 0, &in->dim_feedforward));
    CHECK(vkattn__hf_u32(hf, NULL, "src_vocab_size", 1, 0, &in->src_vocab_size));
    CHECK(vkattn__hf_u32(hf, NULL, "tgt_vocab_size", 1, 0, &in->tgt_vocab_size));
    CHECK(vkattn__hf_u32(hf, NULL, "max_len", 0, 256, &in->max_len));
    CHECK(vkattn__hf_u32(hf, NULL, "bos_token_id", 1, 0, &bos));
    CHECK(vkattn__hf_u32(hf, NULL, "eos_token_id", 1, 0, &eos));
    CHECK(vkattn__hf_f32(hf, NULL, "layer_norm_eps", 1e-5f, &s->enc.eps));
    in->bos_id = (int32_t)bos, in->eos_id = (int32_t)eos;
    in->norm_first = vkattn__hf_bool(hf->config, "norm_first", 0);
    const char *act = vkattn__hf_str(hf->config, "activation");
    if (!act || strcmp(act, "relu") == 0) s->enc.act = VKATTN_FFN_RELU;
    else if (strcmp(act, "gelu") == 0) s->enc.act = VKATTN_FFN_GELU;
    else return vkattn__fail(hf->ctx, VKATTN_ERROR_UNSUPPORTED, "%s/config.json: activation \"%s\" (relu or gelu)", hf->dir, act);
    const uint32_t D = in->d_model;
    if (!D || !in->nhead || D % in->nhead || D / in->nhead > 256 || !in->num_encoder_layers || !in->num_decoder_layers ||
        !in->dim_feedforward || !in->src_vocab_size || !in->tgt_vocab_size || in->max_len < 2 || in->max_len > 65536 ||
        bos >= in->tgt_vocab_size || eos >= in->tgt_vocab_size)
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/config.json: inconsistent sizes (d_model %u, nhead %u, layers "
                            "%u/%u, dim_feedforward %u, vocab %u/%u, max_len %u, bos %u, eos %u)", hf->dir, D, in->nhead,
                            in->num_encoder_layers, in->num_decoder_layers, in->dim_feedforward, in->src_vocab_size,
                            in->tgt_vocab_size, in->max_len, bos, eos);
    vkattn_encoder_info *ei = &s->enc.info;
    ei->hidden_size = D, ei->num_heads = in->nhead, ei->num_layers = in->num_encoder_layers;
    ei->intermediate_size = in->dim_feedforward, ei->max_tokens = in->max_len;
    s->enc.pre_ln = in->norm_first;
    return VKATTN_OK;
}

vkattn_status vkattn_seq2seq_create(vkattn_context *ctx, const char *dir, vkattn_seq2seq **out) {
    if (!out) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "seq2seq_create: out is NULL");
    *out = NULL;
    if (!ctx || !dir) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "seq2seq_create: ctx or dir is NULL");
    if (ctx->recording) return vkattn__fail(ctx, VKATTN_ERROR_STATE, "seq2seq_create: not inside a batch");
    vkattn__hf hf;
    vkattn_status st = vkattn__hf_open(ctx, dir, &hf);
    vkattn_seq2seq *s = st ? NULL : calloc(1, sizeof *s);
    if (!st && !s) st = vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (s) s->enc.ctx = ctx;
    if (!st) st = configure(&hf, s);
    if (!st) {
        cJSON *tc = NULL;
        char path[1200];
        snprintf(path, sizeof path, "%s/vocab.txt", dir);
        if (!(st = vkattn__hf_json(&hf, "tokenizer_config.json", 0, &tc))) {
            vkattn_wordpiece_desc d = {.vocab_path = path, .lower_case = vkattn__hf_bool(tc, "do_lower_case", 1),
                                       .strip_accents = -1};
            if ((st = vkattn_wordpiece_create(&d, &s->enc.wp))) st = vkattn__fail(ctx, st, "%s", vkattn_context_error(NULL));
            else if (vkattn_wordpiece_vocab_size(s->enc.wp) > s->info.src_vocab_size ||
                     vkattn_wordpiece_vocab_size(s->enc.wp) > s->info.tgt_vocab_size)
                st = vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "%s: more tokens than src/tgt_vocab_size", path);
        }
        cJSON_Delete(tc);
    }
    const char *p = "transformer.";
    if (!st && !vkattn__hf_has(&hf, "transformer.encoder.norm.weight") && vkattn__hf_has(&hf, "encoder.norm.weight")) p = "";
    const int64_t D = s ? s->info.d_model : 0;
    if (!st) st = vkattn__hf_tensor(&hf, "src_embed.weight", 2, (int64_t[]){s->info.src_vocab_size, D}, &s->src_emb);
    if (!st) st = vkattn__hf_tensor(&hf, "tgt_embed.weight", 2, (int64_t[]){s->info.tgt_vocab_size, D}, &s->tgt_emb);
    if (!st) st = vkattn__hf_tensor(&hf, "generator.weight", 2, (int64_t[]){s->info.tgt_vocab_size, D}, &s->gen_w);
    if (!st) st = vkattn__hf_tensor(&hf, "generator.bias", 1, (int64_t[]){s->info.tgt_vocab_size}, &s->gen_b);
    if (!st) st = load(&hf, p, "encoder.norm.weight", 0, 1, &D, &s->enc_norm_w);
    if (!st) st = load(&hf, p, "encoder.norm.bias", 0, 1, &D, &s->enc_norm_b);
    if (!st) st = load(&hf, p, "decoder.norm.weight", 0, 1, &D, &s->dec_norm_w);
    if (!st) st = load(&hf, p, "decoder.norm.bias", 0, 1, &D, &s->dec_norm_b);
    if (!st && (!(s->enc.layers = calloc(s->info.num_encoder_layers, sizeof *s->enc.layers)) ||
                !(s->dec = calloc(s->info.num_decoder_layers, sizeof *s->dec))))
        st = vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t i = 0; !st && i < s->info.num_encoder_layers; i++) st = load_encoder_layer(&hf, s, p, i);
    for (uint32_t i = 0; !st && i < s->info.num_decoder_layers; i++) st = load_decoder_layer(&hf, s, p, i);
    vkattn__hf_close(&hf);
    if (st) {
        vkattn_seq2seq_destroy(s);
        return st;
    }
    *out = s;
    return VKATTN_OK;
}

void vkattn_seq2seq_get_info(const vkattn_seq2seq *s, vkattn_seq2seq_info *info) {
    if (s && info) *info = s->info;
}

const vkattn_wordpiece *vkattn_seq2seq_wordpiece(const vkattn_seq2seq *s) { return s ? s->enc.wp : NULL; }

/* ---- decoding --------------------------------------------------------------------------------------------- */

/* [B, L, H*hd] rows of width `width` starting at column col0, viewed as [B, H, L, hd]; batch stride bstride. */
static vkattn_status heads(vkattn_tensor *t, int64_t B, int64_t L, int64_t H, int64_t hd, int64_t width, int64_t bstride,
                           int64_t col0, vkattn_tensor **out) {
    return vkattn_tensor_view(t, (uint64_t)col0, 4, (int64_t[]){B, H, L, hd}, (int64_t[]){bstride, hd, width, 1}, out);
}

/* Multi-head attention of one query row per beam: q rows (width qw, at q0) against keys/values [B, L, *]. */
static vkattn_status attend(vkattn_seq2seq *s, vkattn_tensor *q, int64_t qw, int64_t q0, vkattn_tensor *k, vkattn_tensor *v,
                            int64_t kvw, int64_t kvstride, int64_t k0, int64_t v0, int64_t L, vkattn_tensor *o) {
    const int64_t B = vkattn_tensor_dim(o, 0), H = s->info.nhead, D = s->info.d_model, hd = D / H;
    vkattn_tensor *qv = NULL, *kv = NULL, *vv = NULL, *ov = NULL;
    vkattn_status st;
    if (!(st = heads(q, B, 1, H, hd, qw, qw, q0, &qv)) && !(st = heads(k, B, L, H, hd, kvw, kvstride, k0, &kv)) &&
        !(st = heads(v, B, L, H, hd, kvw, kvstride, v0, &vv)) && !(st = heads(o, B, 1, H, hd, D, D, 0, &ov)))
        st = vkattn_attention(s->enc.ctx, qv, kv, vv, ov, NULL);
    vkattn_tensor_destroy(qv), vkattn_tensor_destroy(kv), vkattn_tensor_destroy(vv), vkattn_tensor_destroy(ov);
    return st;
}

/* Self-attention of the new rows x [B, 1, D] at position t: K/V into the cache, attention over rows 0..t, out_proj. */
static vkattn_status self_attn(vkattn_seq2seq *s, dec_layer *l, const vkattn_tensor *x, int64_t t, vkattn_tensor *out) {
    vkattn_context *ctx = s->enc.ctx;
    const int64_t B = vkattn_tensor_dim(x, 0), D = s->info.d_model, T = s->info.max_len;
    vkattn_tensor *qkv = NULL, *o = NULL, *src = NULL, *dst = NULL;
    vkattn_status st;
    CHECK(vkattn__scratch(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, 3 * D}, &qkv));
    CHECK(vkattn__scratch(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, D}, &o));
    CHECK(vkattn_linear(ctx, x, l->sa_w, l->sa_b, qkv));
    for (int kv = 0; kv < 2 && !st; kv++) { /* cache[b, t, :] = qkv[b, 0, (1 + kv) D : (2 + kv) D] */
        if (!(st = vkattn_tensor_view(qkv, (uint64_t)((1 + kv) * D), 2, (int64_t[]){B, D}, (int64_t[]){3 * D, 1}, &src)) &&
            !(st = vkattn_tensor_view(kv ? l->v_cache : l->k_cache, (uint64_t)(t * D), 2, (int64_t[]){B, D},
                                      (int64_t[]){T * D, 1}, &dst)))
            st = vkattn_copy(ctx, src, dst);
        vkattn_tensor_destroy(src), vkattn_tensor_destroy(dst), src = dst = NULL;
    }
    if (!st) st = attend(s, qkv, 3 * D, 0, l->k_cache, l->v_cache, D, T * D, 0, 0, t + 1, o);
    if (!st) st = vkattn_linear(ctx, o, l->sa_o_w, l->sa_o_b, out);
    return st;
}

static vkattn_status cross_attn(vkattn_seq2seq *s, dec_layer *l, const vkattn_tensor *x, int64_t S, vkattn_tensor *out) {
    vkattn_context *ctx = s->enc.ctx;
    const int64_t B = vkattn_tensor_dim(x, 0), D = s->info.d_model;
    vkattn_tensor *q = NULL, *o = NULL;
    vkattn_status st;
    CHECK(vkattn__scratch(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, D}, &q));
    CHECK(vkattn__scratch(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, D}, &o));
    CHECK(vkattn_linear(ctx, x, l->ca_q_w, l->ca_q_b, q));
    CHECK(attend(s, q, D, 0, l->mem_kv, l->mem_kv, 2 * D, S * 2 * D, 0, D, S, o));
    return vkattn_linear(ctx, o, l->ca_o_w, l->ca_o_b, out);
}

/* table[ids] * sqrt(D) + PE (positions from offset) into x [B, L, D]. */
static vkattn_status embed(vkattn_seq2seq *s, const vkattn_tensor *table, const vkattn_tensor *ids, int64_t offset,
                           vkattn_tensor *x) {
    vkattn_context *ctx = s->enc.ctx;
    vkattn_status st;
    CHECK(vkattn_embedding(ctx, table, ids, x));
    CHECK(vkattn_scale(ctx, x, sqrtf((float)s->info.d_model), x));
    return vkattn_sinusoidal(ctx, x, x, offset);
}

/* One decoder step: the tokens ids [B, 1] at position t -> x [B, 1, D] -> logits [B, 1, V]. */
static vkattn_status decode_step(vkattn_seq2seq *s, const vkattn_tensor *ids, vkattn_tensor *x, int64_t t, int64_t S,
                                 vkattn_tensor *logits) {
    vkattn_context *ctx = s->enc.ctx;
    const int64_t B = vkattn_tensor_dim(x, 0), D = s->info.d_model;
    const float eps = s->enc.eps;
    vkattn_tensor *a = NULL, *n = NULL;
    vkattn_status st;
    CHECK(embed(s, s->tgt_emb, ids, t, x));
    CHECK(vkattn__scratch(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, D}, &a));
    CHECK(vkattn__scratch(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, D}, &n));
    for (uint32_t i = 0; i < s->info.num_decoder_layers; i++) {
        dec_layer *l = &s->dec[i];
        vkattn_ffn_weights fw = {.up = l->up_w, .up_bias = l->up_b, .down = l->down_w, .down_bias = l->down_b};
        if (s->info.norm_first) { /* x += sa(norm1(x)); x += ca(norm2(x)); x += ffn(norm3(x)) */
            CHECK(vkattn_layer_norm(ctx, x, l->n_w[0], l->n_b[0], eps, n));
            CHECK(self_attn(s, l, n, t, a));
            CHECK(vkattn_add(ctx, x, a, x));
            CHECK(vkattn_layer_norm(ctx, x, l->n_w[1], l->n_b[1], eps, n));
            CHECK(cross_attn(s, l, n, S, a));
            CHECK(vkattn_add(ctx, x, a, x));
            CHECK(vkattn_layer_norm(ctx, x, l->n_w[2], l->n_b[2], eps, n));
            CHECK(vkattn_ffn(ctx, n, &fw, s->enc.act, x, x));
        } else { /* x = norm1(x + sa(x)); x = norm2(x + ca(x)); x = norm3(x + ffn(x)) */
            CHECK(self_attn(s, l, x, t, a));
            CHECK(vkattn_add(ctx, x, a, n));
            CHECK(vkattn_layer_norm(ctx, n, l->n_w[0], l->n_b[0], eps, x));
            CHECK(cross_attn(s, l, x, S, a));
            CHECK(vkattn_add(ctx, x, a, n));
            CHECK(vkattn_layer_norm(ctx, n, l->n_w[1], l->n_b[1], eps, x));
            CHECK(vkattn_ffn(ctx, x, &fw, s->enc.act, x, n));
            CHECK(vkattn_layer_norm(ctx, n, l->n_w[2], l->n_b[2], eps, x));
        }
    }
    CHECK(vkattn_layer_norm(ctx, x, s->dec_norm_w, s->dec_norm_b, eps, n));
    return vkattn_linear(ctx, n, s->gen_w, s->gen_b, logits);
}

/* Encoder over B copies of the source, then every decoder layer's cross-attention K|V of it. */
static vkattn_status encode(vkattn_seq2seq *s, const int32_t *src, uint32_t S, uint32_t B) {
    vkattn_context *ctx = s->enc.ctx;
    const uint32_t D = s->info.d_model;
    int32_t *ih = malloc((size_t)B * S * sizeof *ih);
    if (!ih) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t b = 0; b < B; b++) memcpy(ih + (size_t)b * S, src, S * sizeof *ih);
    vkattn_tensor *x = NULL, *ids = NULL;
    vkattn_status st = vkattn_tensor_create(ctx, VKATTN_I32, 2, (int64_t[]){B, S}, &ids);
    if (!st) st = vkattn_tensor_upload(ids, ih, (size_t)B * S * sizeof *ih);
    if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 3, (int64_t[]){B, S, D}, &x);
    free(ih);
    for (uint32_t i = 0; !st && i < s->info.num_decoder_layers; i++)
        st = vkattn_tensor_create(ctx, VKATTN_F32, 3, (int64_t[]){B, S, 2 * D}, &s->dec[i].mem_kv);
    int implicit = 0;
    if (!st && !(st = vkattn__op_begin(ctx, &implicit))) {
        if (!(st = embed(s, s->src_emb, ids, 0, x)) && !(st = vkattn__enc_layers(&s->enc, x, NULL, NULL, UINT32_MAX)))
            st = vkattn_layer_norm(ctx, x, s->enc_norm_w, s->enc_norm_b, s->enc.eps, x);
        for (uint32_t i = 0; !st && i < s->info.num_decoder_layers; i++)
            st = vkattn_linear(ctx, x, s->dec[i].ca_kv_w, s->dec[i].ca_kv_b, s->dec[i].mem_kv);
        st = vkattn__op_end(ctx, implicit, st);
    }
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(ids);
    return st;
}

/* After a beam step: cache rows [0, t] of beam b come from beam parent[b] (through the tmp caches, then swapped). */
static vkattn_status reorder(vkattn_seq2seq *s, const uint32_t *parent, uint32_t B, int64_t t) {
    vkattn_context *ctx = s->enc.ctx;
    const int64_t D = s->info.d_model, T = s->info.max_len;
    vkattn_status st = VKATTN_OK;
    int implicit = 0;
    CHECK(vkattn__op_begin(ctx, &implicit));
    for (uint32_t i = 0; !st && i < s->info.num_decoder_layers; i++) {
        dec_layer *l = &s->dec[i];
        for (uint32_t b = 0; !st && b < B; b++)
            for (int kv = 0; kv < 2 && !st; kv++) {
                vkattn_tensor *src = NULL, *dst = NULL;
                if (!(st = vkattn_tensor_view(kv ? l->v_cache : l->k_cache, (uint64_t)(parent[b] * T * D), 2,
                                              (int64_t[]){t + 1, D}, (int64_t[]){D, 1}, &src)) &&
                    !(st = vkattn_tensor_view(kv ? l->v_tmp : l->k_tmp, (uint64_t)(b * T * D), 2, (int64_t[]){t + 1, D},
                                              (int64_t[]){D, 1}, &dst)))
                    st = vkattn_copy(ctx, src, dst);
                vkattn_tensor_destroy(src), vkattn_tensor_destroy(dst);
            }
    }
    st = vkattn__op_end(ctx, implicit, st);
    for (uint32_t i = 0; !st && i < s->info.num_decoder_layers; i++) {
        dec_layer *l = &s->dec[i];
        vkattn_tensor *k = l->k_cache, *v = l->v_cache;
        l->k_cache = l->k_tmp, l->v_cache = l->v_tmp, l->k_tmp = k, l->v_tmp = v;
    }
    return st;
}

typedef struct hyp {
    double score;
    uint32_t len;
    int32_t *tok; /* max_new_tokens */
} hyp;

static double final_score(double score, uint32_t len, float penalty) {
    return penalty > 0 ? score / pow(len ? len : 1, penalty) : score;
}

vkattn_status vkattn_seq2seq_generate(vkattn_seq2seq *s, const int32_t *src, uint32_t src_len,
                                      const vkattn_seq2seq_desc *desc, int32_t *out, uint32_t capacity, uint32_t *n) {
    if (!s || !src || !n || (!out && capacity))
        return vkattn__fail(s ? s->enc.ctx : NULL, VKATTN_ERROR_INVALID_ARGUMENT, "seq2seq_generate: NULL argument");
    vkattn_context *ctx = s->enc.ctx;
    const vkattn_seq2seq_info *in = &s->info;
    if (ctx->recording) return vkattn__fail(ctx, VKATTN_ERROR_STATE, "seq2seq_generate: not inside a batch");
    if (!src_len || src_len > in->max_len)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "seq2seq_generate: %u source tokens (1..%u allowed)", src_len,
                            in->max_len);
    for (uint32_t i = 0; i < src_len; i++)
        if (src[i] < 0 || (uint32_t)src[i] >= in->src_vocab_size)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "seq2seq_generate: source id %d out of range", src[i]);
    uint32_t steps = desc && desc->max_new_tokens ? desc->max_new_tokens : in->max_len - 1;
    if (steps > in->max_len - 1) steps = in->max_len - 1; /* BOS + steps positions fit the caches */
    const uint32_t B = desc && desc->beam_size > 1 ? desc->beam_size : 1, V = in->tgt_vocab_size, D = in->d_model;
    if (B > 64) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "seq2seq_generate: beam_size %u > 64", B);
    const float penalty = desc ? desc->length_penalty : 0;
    float *step_logits = desc && B == 1 ? desc->step_logits : NULL;

    vkattn_status st = encode(s, src, src_len, B);
    for (uint32_t i = 0; !st && i < in->num_decoder_layers; i++) {
        const int64_t shape[3] = {B, in->max_len, D};
        dec_layer *l = &s->dec[i];
        if (!(st = vkattn_tensor_create(ctx, VKATTN_F32, 3, shape, &l->k_cache)) &&
            !(st = vkattn_tensor_create(ctx, VKATTN_F32, 3, shape, &l->v_cache)) && B > 1 &&
            !(st = vkattn_tensor_create(ctx, VKATTN_F32, 3, shape, &l->k_tmp)))
            st = vkattn_tensor_create(ctx, VKATTN_F32, 3, shape, &l->v_tmp);
    }
    vkattn_tensor *x = NULL, *logits_t = NULL, *ids = NULL;
    if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, D}, &x);
    if (!st) st = vkattn_tensor_create(ctx, VKATTN_I32, 2, (int64_t[]){B, 1}, &ids);
    if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 3, (int64_t[]){B, 1, V}, &logits_t);
    float *logits = malloc((size_t)B * V * sizeof *logits);
    hyp *live = calloc(B, sizeof *live), *next = calloc(B, sizeof *next), *done = calloc(B, sizeof *done);
    int32_t *cur = malloc(B * sizeof *cur);
    uint32_t *parent = malloc(B * sizeof *parent), n_done = 0;
    /* candidates of one step: (score, beam, token), the best 2B kept */
    double *cs = malloc(2 * B * sizeof *cs);
    uint32_t *cb = malloc(2 * B * sizeof *cb), *ct = malloc(2 * B * sizeof *ct);
    int oom = !logits || !live || !next || !done || !cur || !parent || !cs || !cb || !ct;
    for (uint32_t b = 0; !oom && b < B; b++)
        oom = !(live[b].tok = malloc((steps + 1) * sizeof(int32_t))) || !(next[b].tok = malloc((steps + 1) * sizeof(int32_t))) ||
              !(done[b].tok = malloc((steps + 1) * sizeof(int32_t)));
    if (!st && oom) st = vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t b = 0; !st && b < B; b++) cur[b] = in->bos_id, live[b].score = b ? -INFINITY : 0; /* one live beam at first */
    uint32_t t = 0;
    for (; !st && t < steps; t++) {
        if ((st = vkattn_tensor_upload(ids, cur, B * sizeof *cur))) break;
        int implicit = 0;
        if (!(st = vkattn__op_begin(ctx, &implicit)))
            st = vkattn__op_end(ctx, implicit, decode_step(s, ids, x, t, src_len, logits_t));
        if (st || (st = vkattn_tensor_download_f32(logits_t, logits, (size_t)B * V))) break;
        if (step_logits) memcpy(step_logits + (size_t)t * V, logits, V * sizeof *logits);
        /* log-softmax per beam; keep the best 2B (score, beam, token) */
        uint32_t nc = 0;
        for (uint32_t b = 0; b < B; b++) {
            if (live[b].score == -INFINITY) continue;
            const float *z = logits + (size_t)b * V;
            double mx = -DBL_MAX, sum = 0;
            for (uint32_t v = 0; v < V; v++) mx = z[v] > mx ? z[v] : mx;
            for (uint32_t v = 0; v < V; v++) sum += exp(z[v] - mx);
            const double lse = mx + log(sum);
            for (uint32_t v = 0; v < V; v++) {
                double sc = live[b].score + z[v] - lse;
                if (nc == 2 * B && sc <= cs[nc - 1]) continue;
                uint32_t k = nc < 2 * B ? nc++ : nc - 1; /* insertion into the sorted list (ties: earlier wins) */
                while (k > 0 && cs[k - 1] < sc) cs[k] = cs[k - 1], cb[k] = cb[k - 1], ct[k] = ct[k - 1], k--;
                cs[k] = sc, cb[k] = b, ct[k] = v;
            }
        }
        uint32_t nn = 0;
        for (uint32_t c = 0; c < nc && nn < B; c++) {
            const hyp *h = &live[cb[c]];
            if ((int32_t)ct[c] == in->eos_id) { /* a finished hypothesis (without EOS) */
                if (n_done < B) {
                    done[n_done].score = final_score(cs[c], t + 1, penalty), done[n_done].len = t;
                    memcpy(done[n_done].tok, h->tok, t * sizeof *h->tok), n_done++;
                }
                if (B == 1) break;
                continue;
            }
            next[nn].score = cs[c], next[nn].len = t + 1;
            memcpy(next[nn].tok, h->tok, t * sizeof *h->tok);
            next[nn].tok[t] = (int32_t)ct[c];
            parent[nn] = cb[c], cur[nn] = (int32_t)ct[c], nn++;
        }
        if (n_done >= B || (B == 1 && n_done)) {
            t++;
            break;
        }
        for (uint32_t b = nn; b < B; b++) next[b].score = -INFINITY, parent[b] = 0, cur[b] = in->eos_id;
        for (uint32_t b = 0; b < B; b++) {
            hyp h = live[b];
            live[b] = next[b], next[b] = h;
        }
        if (B > 1 && t + 1 < steps && (st = reorder(s, parent, B, t))) break;
    }
    if (!st) { /* the best finished hypothesis, or the best live one when none finished */
        const hyp *best = NULL;
        double bs = -INFINITY;
        for (uint32_t i = 0; i < n_done; i++)
            if (!best || done[i].score > bs) best = &done[i], bs = done[i].score;
        for (uint32_t b = 0; !n_done && b < B; b++) {
            double f = final_score(live[b].score, live[b].len, penalty);
            if (live[b].score > -INFINITY && (!best || f > bs)) best = &live[b], bs = f;
        }
        *n = best ? best->len : 0;
        if (*n > capacity) st = vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "seq2seq_generate: %u tokens, room for %u", *n,
                                             capacity);
        else if (best) memcpy(out, best->tok, *n * sizeof *out);
    }
    for (uint32_t b = 0; live && next && done && b < B; b++) free(live[b].tok), free(next[b].tok), free(done[b].tok);
    free(logits), free(live), free(next), free(done), free(cur), free(parent), free(cs), free(cb), free(ct);
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(logits_t), vkattn_tensor_destroy(ids);
    free_caches(s);
    return st;
}
