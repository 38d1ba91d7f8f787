/* The encoder handle shared by BERT (bert.c) and ViT (vit.c): creation from a directory, transformer encoder
 * layers, labels, pooling. A layer reads as its dispatches:
 *   post-LN (BERT): a = mha(x); x = LN1(x + a); x = LN2(x + down(act(up(x))))
 *   pre-LN (ViT):   h = x + mha(LN1(x)); x = h + down(act(up(LN2(h)))) */
#include "core/core.h"
#include "hf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Weight matrices (2-D) in the file's precision, vectors f32. */
static vkattn_status layer_tensor(vkattn__hf *hf, const char *prefix, const char *pattern, uint32_t i, const char *suffix,
                                  uint32_t ndim, const int64_t *shape, vkattn_tensor **out) {
    char fmt[256], name[320];
    snprintf(fmt, sizeof fmt, "%%s%s.%s", pattern, suffix);
    snprintf(name, sizeof name, fmt, prefix, i);
    return ndim == 2 ? vkattn__hf_weight(hf, name, ndim, shape, out) : vkattn__hf_tensor(hf, name, ndim, shape, out);
}

vkattn_status vkattn__enc_act(vkattn__hf *hf, vkattn_ffn_act *out) {
    const char *act = vkattn__hf_str(hf->config, "hidden_act");
    if (!act || strcmp(act, "gelu") == 0) *out = VKATTN_FFN_GELU;
    else if (strcmp(act, "gelu_new") == 0 || strcmp(act, "gelu_pytorch_tanh") == 0) *out = VKATTN_FFN_GELU_TANH;
    else if (strcmp(act, "relu") == 0) *out = VKATTN_FFN_RELU;
    else
        return vkattn__fail(hf->ctx, VKATTN_ERROR_UNSUPPORTED, "%s/config.json: hidden_act \"%s\" is not supported (gelu, "
                            "gelu_new, gelu_pytorch_tanh, relu)", hf->dir, act);
    return VKATTN_OK;
}

vkattn_status vkattn__enc_load_layer(vkattn__hf *hf, vkattn_encoder *enc, const char *prefix,
                                     const vkattn__layer_names *nm, uint32_t i) {
    vkattn__enc_layer *l = &enc->layers[i];
    const int64_t D = enc->info.hidden_size, I = enc->info.intermediate_size;
    const int64_t dd[2] = {D, D}, d1[1] = {D}, up[2] = {I, D}, down[2] = {D, I}, i1[1] = {I};
    /* q, k, v fused: rows q | k | v, as nn.MultiheadAttention's in_proj */
    float *w[3] = {0}, *b[3] = {0}, *qkv = NULL, *qkvb = NULL;
    const char *parts[3] = {nm->q, nm->k, nm->v};
    vkattn_status st = VKATTN_OK;
    int all_f16 = 1; /* the fused matrix is f16 when q, k and v all are */
    for (int p = 0; p < 3 && !st; p++) {
        char fmt[256], name[320];
        snprintf(fmt, sizeof fmt, "%%s%s.weight", parts[p]);
        snprintf(name, sizeof name, fmt, prefix, i);
        all_f16 &= vkattn__hf_file_dtype(hf, name) == VKATTN_F16;
        if (!(st = vkattn__hf_read(hf, name, 2, dd, &w[p]))) {
            snprintf(fmt, sizeof fmt, "%%s%s.bias", parts[p]);
            snprintf(name, sizeof name, fmt, prefix, i);
            st = vkattn__hf_read(hf, name, 1, d1, &b[p]);
        }
    }
    if (!st && (!(qkv = malloc(3 * D * D * sizeof *qkv)) || !(qkvb = malloc(3 * D * sizeof *qkvb))))
        st = vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (!st) {
        for (int p = 0; p < 3; p++) memcpy(qkv + p * D * D, w[p], D * D * sizeof *qkv), memcpy(qkvb + p * D, b[p], D * sizeof *qkvb);
        if (!(st = vkattn__upload_as(enc->ctx, all_f16 ? VKATTN_F16 : VKATTN_F32, qkv, 2, (int64_t[]){3 * D, D}, &l->qkv_w)))
            st = vkattn__upload_new(enc->ctx, qkvb, 1, (int64_t[]){3 * D}, &l->qkv_b);
    }
    for (int p = 0; p < 3; p++) free(w[p]), free(b[p]);
    free(qkv), free(qkvb);
    if (st || (st = layer_tensor(hf, prefix, nm->o, i, "weight", 2, dd, &l->o_w)) ||
        (st = layer_tensor(hf, prefix, nm->o, i, "bias", 1, d1, &l->o_b)) ||
        (st = layer_tensor(hf, prefix, nm->ln1, i, "weight", 1, d1, &l->ln1_w)) ||
        (st = layer_tensor(hf, prefix, nm->ln1, i, "bias", 1, d1, &l->ln1_b)) ||
        (st = layer_tensor(hf, prefix, nm->up, i, "weight", 2, up, &l->up_w)) ||
        (st = layer_tensor(hf, prefix, nm->up, i, "bias", 1, i1, &l->up_b)) ||
        (st = layer_tensor(hf, prefix, nm->down, i, "weight", 2, down, &l->down_w)) ||
        (st = layer_tensor(hf, prefix, nm->down, i, "bias", 1, d1, &l->down_b)) ||
        (st = layer_tensor(hf, prefix, nm->ln2, i, "weight", 1, d1, &l->ln2_w)) ||
        (st = layer_tensor(hf, prefix, nm->ln2, i, "bias", 1, d1, &l->ln2_b)))
        return st;
    vkattn_mha_desc md = {.embed_dim = (uint32_t)D, .num_heads = enc->info.num_heads, .in_proj_weight = l->qkv_w,
                          .in_proj_bias = l->qkv_b, .out_proj_weight = l->o_w, .out_proj_bias = l->o_b};
    return vkattn_mha_create(enc->ctx, &md, &l->mha);
}

vkattn_status vkattn__enc_load_labels(vkattn__hf *hf, vkattn_encoder *enc, uint32_t n) {
    if (!n) return VKATTN_OK;
    if (!(enc->labels = calloc(n, sizeof *enc->labels)))
        return vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    enc->info.num_labels = n;
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(hf->config, "id2label");
    for (uint32_t i = 0; i < n; i++) {
        char key[16], dflt[32];
        snprintf(key, sizeof key, "%u", i);
        snprintf(dflt, sizeof dflt, "LABEL_%u", i);
        const char *s = vkattn__hf_str(map, key);
        if (!s) s = dflt;
        if (!(enc->labels[i] = malloc(strlen(s) + 1)))
            return vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        strcpy(enc->labels[i], s);
    }
    return VKATTN_OK;
}

vkattn_status vkattn__enc_layers(vkattn_encoder *enc, vkattn_tensor *x, const vkattn_tensor *kv_len, vkattn_tensor *probs,
                                 uint32_t probs_layer) {
    vkattn_context *ctx = enc->ctx;
    const int64_t B = vkattn_tensor_dim(x, 0), L = vkattn_tensor_dim(x, 1), D = enc->info.hidden_size;
    const int64_t shape[3] = {B, L, D};
    vkattn_status st = VKATTN_OK;
    for (uint32_t i = 0; i < enc->info.num_layers && !st; i++) {
        const vkattn__enc_layer *l = &enc->layers[i];
        vkattn_attention_desc ad = {.kv_len = kv_len, .probs = i == probs_layer ? probs : NULL};
        vkattn_ffn_weights fw = {.up = l->up_w, .up_bias = l->up_b, .down = l->down_w, .down_bias = l->down_b};
        vkattn_tensor *a = NULL, *h = NULL;
        if ((st = vkattn__scratch(ctx, VKATTN_F32, 3, shape, &a)) || (st = vkattn__scratch(ctx, VKATTN_F32, 3, shape, &h)))
            break;
        if (enc->pre_ln) {
            if (!(st = vkattn_layer_norm(ctx, x, l->ln1_w, l->ln1_b, enc->eps, h)) &&
                !(st = vkattn_mha_forward(l->mha, h, NULL, NULL, a, &ad)) && !(st = vkattn_add(ctx, x, a, x)) &&
                !(st = vkattn_layer_norm(ctx, x, l->ln2_w, l->ln2_b, enc->eps, h)))
                st = vkattn_ffn(ctx, h, &fw, enc->act, x, x);
        } else {
            if (!(st = vkattn_mha_forward(l->mha, x, NULL, NULL, a, &ad)) && !(st = vkattn_add(ctx, x, a, h)) &&
                !(st = vkattn_layer_norm(ctx, h, l->ln1_w, l->ln1_b, enc->eps, x)) &&
                !(st = vkattn_ffn(ctx, x, &fw, enc->act, x, h)))
                st = vkattn_layer_norm(ctx, h, l->ln2_w, l->ln2_b, enc->eps, x);
        }
    }
    return st;
}

void vkattn__host_linear(const float *x, const float *w, const float *b, uint32_t n_out, uint32_t n_in, float *y) {
    for (uint32_t o = 0; o < n_out; o++) {
        double s = b ? b[o] : 0;
        for (uint32_t k = 0; k < n_in; k++) s += (double)w[(size_t)o * n_in + k] * x[k];
        y[o] = (float)s;
    }
}

void vkattn__enc_pool(const vkattn_encoder *enc, const float *hidden, uint32_t B, uint32_t L, const uint32_t *lens,
                      vkattn_pooling pooling, int normalize, float *pooled) {
    const uint32_t D = enc->info.hidden_size;
    for (uint32_t b = 0; b < B; b++) {
        float *p = pooled + (size_t)b * D;
        const float *h = hidden + (size_t)b * L * D;
        uint32_t n = lens ? lens[b] : L;
        for (uint32_t d = 0; d < D; d++) {
            double s = 0;
            if (pooling == VKATTN_POOL_MEAN || pooling == VKATTN_POOL_MEAN_SQRT_LEN) {
                for (uint32_t t = 0; t < n; t++) s += h[(size_t)t * D + d];
                s /= pooling == VKATTN_POOL_MEAN ? (n ? n : 1) : sqrt(n ? n : 1);
            } else if (pooling == VKATTN_POOL_MAX) {
                s = n ? h[d] : 0;
                for (uint32_t t = 1; t < n; t++) s = h[(size_t)t * D + d] > s ? h[(size_t)t * D + d] : s;
            } else if (pooling == VKATTN_POOL_LAST) { /* right padding: the row of the last real token */
                s = h[(size_t)(n ? n - 1 : 0) * D + d];
            } else {
                s = h[d];
            }
            p[d] = (float)s;
        }
        if (normalize) { /* F.normalize: x / max(||x||, 1e-12) */
            double ss = 0;
            for (uint32_t d = 0; d < D; d++) ss += (double)p[d] * p[d];
            double nrm = sqrt(ss) > 1e-12 ? sqrt(ss) : 1e-12;
            for (uint32_t d = 0; d < D; d++) p[d] = (float)(p[d] / nrm);
        }
    }
}

/* ---- forward passes ----------------------------------------------------------------------------------- */

/* Rows of the batch per device pass so the largest activation ([rows, L, max(I, 3D)] f32, and the probabilities
 * [rows, H, L, L] when asked for) fits in one storage binding. */
static uint32_t rows_per_pass(const vkattn_encoder *enc, uint32_t L, int probs) {
    const vkattn_encoder_info *in = &enc->info;
    uint64_t w = in->intermediate_size > 3 * in->hidden_size ? in->intermediate_size : 3 * in->hidden_size;
    uint64_t per = (uint64_t)L * w * 4;
    if (probs && (uint64_t)in->num_heads * L * L * 4 > per) per = (uint64_t)in->num_heads * L * L * 4;
    uint64_t r = enc->ctx->info.max_storage_buffer_range / per;
    return r < 1 ? 1 : r > 1024 ? 1024 : (uint32_t)r;
}

/* One device pass over nb inputs padded to L: in_host int32 ids [nb, L] (BERT) or float patch rows [nb, L, 3*P*P]
 * (ViT) -> hidden [nb, L, D]; attn: one head's probabilities [nb, L, L] or NULL. */
static vkattn_status encode_pass(vkattn_encoder *enc, const void *in_host, const int32_t *lens, uint32_t nb, uint32_t L,
                                 float *hidden, const vkattn_encoder_outputs *out, float *attn) {
    vkattn_context *ctx = enc->ctx;
    const int64_t D = enc->info.hidden_size, H = enc->info.num_heads;
    vkattn_tensor *in = NULL, *x = NULL, *kv = NULL, *probs = NULL, *pos = NULL;
    vkattn_status st;
    if (enc->patch_w) {
        st = vkattn__upload_new(ctx, in_host, 3, (int64_t[]){nb, L, vkattn_tensor_dim(enc->patch_w, 1)}, &in);
    } else if (!(st = vkattn_tensor_create(ctx, VKATTN_I32, 2, (int64_t[]){nb, L}, &in))) {
        st = vkattn_tensor_upload(in, in_host, (size_t)nb * L * sizeof(int32_t));
        if (!st) st = vkattn_tensor_view(enc->pos_type_emb, 0, 2, (int64_t[]){L, D}, (int64_t[]){D, 1}, &pos); /* rows 0..L */
    }
    if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 3, (int64_t[]){nb, L, D}, &x);
    if (!st && lens && !(st = vkattn_tensor_create(ctx, VKATTN_I32, 1, (int64_t[]){nb}, &kv)))
        st = vkattn_tensor_upload(kv, lens, nb * sizeof *lens);
    if (!st && attn) st = vkattn_tensor_create(ctx, VKATTN_F32, 4, (int64_t[]){nb, H, L, L}, &probs);
    int implicit = 0;
    if (!st && !(st = vkattn__op_begin(ctx, &implicit))) {
        if (enc->patch_w) { /* patch embedding GEMM, then [CLS] / conv bias / positions in one broadcast add */
            if (!(st = vkattn_linear(ctx, in, enc->patch_w, NULL, x))) st = vkattn_add(ctx, x, enc->tok_base, x);
        } else if (!(st = vkattn_embedding(ctx, enc->word_emb, in, x)) && !(st = vkattn_add(ctx, x, pos, x))) {
            st = vkattn_layer_norm(ctx, x, enc->emb_ln_w, enc->emb_ln_b, enc->eps, x);
        }
        if (!st) st = vkattn__enc_layers(enc, x, kv, probs, out->attn_layer);
        if (!st && enc->final_ln_w) st = vkattn_layer_norm(ctx, x, enc->final_ln_w, enc->final_ln_b, enc->eps, x);
        st = vkattn__op_end(ctx, implicit, st);
    }
    if (!st) st = vkattn_tensor_download_f32(x, hidden, (size_t)nb * L * D);
    if (!st && attn) {
        float *p = malloc((size_t)nb * H * L * L * sizeof *p);
        if (!p) st = vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        else if (!(st = vkattn_tensor_download_f32(probs, p, (size_t)nb * H * L * L)))
            for (uint32_t b = 0; b < nb; b++)
                memcpy(attn + (size_t)b * L * L, p + ((size_t)b * H + out->attn_head) * L * L, (size_t)L * L * sizeof *p);
        free(p);
    }
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(pos), vkattn_tensor_destroy(in), vkattn_tensor_destroy(kv),
        vkattn_tensor_destroy(probs);
    return st;
}

vkattn_status vkattn__enc_run(vkattn_encoder *enc, const void *in_host, const uint32_t *lens, uint32_t B, uint32_t L,
                              vkattn_encoder_outputs *out) {
    const uint32_t D = enc->info.hidden_size;
    const size_t W = enc->patch_w ? (size_t)vkattn_tensor_dim(enc->patch_w, 1) : 1; /* ViT: floats per patch row */
    if (out->attn_probs && (out->attn_layer >= enc->info.num_layers || out->attn_head >= enc->info.num_heads))
        return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder: attention layer %u / head %u out of range "
                            "(%u layers, %u heads)", out->attn_layer, out->attn_head, enc->info.num_layers, enc->info.num_heads);
    float *hidden = out->hidden ? out->hidden : malloc((size_t)B * L * D * sizeof *hidden);
    int32_t *kv = lens ? malloc(B * sizeof *kv) : NULL;
    if (!hidden || (lens && !kv)) {
        if (!out->hidden) free(hidden);
        free(kv);
        return vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    for (uint32_t b = 0; lens && b < B; b++) kv[b] = (int32_t)lens[b];
    uint32_t step = rows_per_pass(enc, L, out->attn_probs != NULL);
    vkattn_status st = VKATTN_OK;
    for (uint32_t b0 = 0; b0 < B && !st; b0 += step) {
        uint32_t nb = B - b0 < step ? B - b0 : step;
        const void *in = enc->patch_w ? (const void *)((const float *)in_host + (size_t)b0 * L * W)
                                      : (const void *)((const int32_t *)in_host + (size_t)b0 * L);
        st = encode_pass(enc, in, kv ? kv + b0 : NULL, nb, L, hidden + (size_t)b0 * L * D, out,
                         out->attn_probs ? out->attn_probs + (size_t)b0 * L * L : NULL);
    }
    if (!st && out->pooled) vkattn__enc_pool(enc, hidden, B, L, lens, out->pooling, out->normalize, out->pooled);
    if (!st && out->logits) {
        const uint32_t n = enc->info.num_labels;
        float *t = malloc(D * sizeof *t);
        if (!t) st = vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        for (uint32_t b = 0; t && b < B; b++) {
            const float *cls = hidden + (size_t)b * L * D;
            if (enc->pool_w) { /* BERT: classifier(tanh(pooler(h[CLS]))) */
                vkattn__host_linear(cls, enc->pool_w, enc->pool_b, D, D, t);
                for (uint32_t d = 0; d < D; d++) t[d] = tanhf(t[d]);
                vkattn__host_linear(t, enc->cls_w, enc->cls_b, n, D, out->logits + (size_t)b * n);
            } else { /* ViT: classifier(h[CLS]) */
                vkattn__host_linear(cls, enc->cls_w, enc->cls_b, n, D, out->logits + (size_t)b * n);
            }
        }
        free(t);
    }
    if (!out->hidden) free(hidden);
    free(kv);
    return st;
}

/* ---- the public handle --------------------------------------------------------------------------------- */

void vkattn__encoder_free_weights(vkattn_encoder *enc) {
    for (uint32_t i = 0; enc->layers && i < enc->info.num_layers; i++) {
        vkattn__enc_layer *l = &enc->layers[i];
        vkattn_mha_destroy(l->mha);
        vkattn_tensor *t[] = {l->qkv_w, l->qkv_b, l->o_w, l->o_b, l->ln1_w, l->ln1_b, l->up_w, l->up_b, l->down_w, l->down_b,
                              l->ln2_w, l->ln2_b};
        for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) vkattn_tensor_destroy(t[k]);
    }
    free(enc->layers);
    for (uint32_t i = 0; enc->labels && i < enc->info.num_labels; i++) free(enc->labels[i]);
    free(enc->labels);
    vkattn_wordpiece_destroy(enc->wp);
    free(enc->pool_w), free(enc->pool_b), free(enc->cls_w), free(enc->cls_b);
    vkattn_tensor *t[] = {enc->word_emb, enc->pos_type_emb, enc->emb_ln_w, enc->emb_ln_b, enc->patch_w, enc->tok_base, enc->final_ln_w, enc->final_ln_b};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) vkattn_tensor_destroy(t[k]);
}

vkattn_status vkattn_encoder_create(vkattn_context *ctx, const char *dir, vkattn_encoder **out) {
    if (!out) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_create: out is NULL");
    *out = NULL;
    if (!ctx || !dir) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_create: ctx or dir is NULL");
    if (ctx->recording) return vkattn__fail(ctx, VKATTN_ERROR_STATE, "encoder_create: not inside a batch (it uploads weights)");
    vkattn__hf hf;
    vkattn_status st = vkattn__hf_open(ctx, dir, &hf);
    vkattn_encoder *enc = st ? NULL : calloc(1, sizeof *enc);
    if (!st && !enc) st = vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (!st) {
        enc->ctx = ctx;
        const char *type = vkattn__hf_str(hf.config, "model_type");
        if (!type) st = vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "%s/config.json: required key \"model_type\" is missing", dir);
        else if (strcmp(type, "bert") == 0) st = vkattn__bert_create(&hf, enc);
        else if (strcmp(type, "vit") == 0) st = vkattn__vit_create(&hf, enc);
        else st = vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED, "%s/config.json: model_type \"%s\" is not an encoder vkattn "
                               "knows (bert, vit)", dir, type);
    }
    vkattn__hf_close(&hf);
    if (st) {
        vkattn_encoder_destroy(enc);
        return st;
    }
    *out = enc;
    return VKATTN_OK;
}

void vkattn_encoder_destroy(vkattn_encoder *enc) {
    if (!enc) return;
    vkattn__encoder_free_weights(enc);
    free(enc);
}

void vkattn_encoder_get_info(const vkattn_encoder *enc, vkattn_encoder_info *info) {
    if (enc && info) *info = enc->info;
}

void vkattn_encoder_default_pooling(const vkattn_encoder *enc, vkattn_pooling *pooling, int *normalize) {
    const int st = enc && enc->info.st_pooling >= 0;
    if (pooling) *pooling = st ? (vkattn_pooling)enc->info.st_pooling : VKATTN_POOL_CLS;
    if (normalize) *normalize = st ? enc->info.st_normalize : 0;
}

const char *vkattn_encoder_label(const vkattn_encoder *enc, uint32_t i) {
    return enc && enc->labels && i < enc->info.num_labels ? enc->labels[i] : NULL;
}

const vkattn_wordpiece *vkattn_encoder_wordpiece(const vkattn_encoder *enc) { return enc ? enc->wp : NULL; }

/* ---- host -> device (hf_config.c reads, without Vulkan; the uploads are here) ---------------------------- */

vkattn_status vkattn__upload_as(vkattn_context *ctx, vkattn_dtype dtype, const float *data, uint32_t ndim,
                                const int64_t *shape, vkattn_tensor **out) {
    vkattn_status st = vkattn_tensor_create(ctx, dtype, ndim, shape, out);
    if (!st && (st = vkattn_tensor_upload_f32(*out, data, vkattn_tensor_numel(*out)))) vkattn_tensor_destroy(*out), *out = NULL;
    return st;
}

vkattn_status vkattn__upload_new(vkattn_context *ctx, const float *data, uint32_t ndim, const int64_t *shape,
                                 vkattn_tensor **out) {
    return vkattn__upload_as(ctx, VKATTN_F32, data, ndim, shape, out);
}

static vkattn_status hf_upload(vkattn__hf *hf, const char *name, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape,
                               vkattn_tensor **out) {
    float *d;
    *out = NULL;
    vkattn_status st = vkattn__hf_read(hf, name, ndim, shape, &d);
    if (!st) st = vkattn__upload_as(hf->ctx, dtype, d, ndim, shape, out);
    free(d);
    return st;
}

vkattn_status vkattn__hf_tensor(vkattn__hf *hf, const char *name, uint32_t ndim, const int64_t *shape, vkattn_tensor **out) {
    return hf_upload(hf, name, VKATTN_F32, ndim, shape, out);
}

/* f16 -> f32 -> f16 is exact, so the device holds the file's values */
vkattn_status vkattn__hf_weight(vkattn__hf *hf, const char *name, uint32_t ndim, const int64_t *shape, vkattn_tensor **out) {
    return hf_upload(hf, name, vkattn__hf_file_dtype(hf, name) == VKATTN_F16 ? VKATTN_F16 : VKATTN_F32, ndim, shape, out);
}
