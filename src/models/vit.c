/* ViT (ViTForImageClassification / ViTModel parameter names):
 *   image -> resize (preprocessor_config.json) -> (x - mean) / std, CHW              host
 *   patches [B, 1 + Np, 3*P*P] (row 0 zero: the [CLS] slot), im2col on the host
 *   x = patches W^T + base       base [1 + Np, D]: row 0 cls + pos[0], row i conv bias + pos[i]
 *                                (the Conv2d(kernel = stride = P) as one GEMM, no bias so row 0 stays 0)
 *   pre-LN encoder layers (encoder.c), final LayerNorm                               device
 *   logits = classifier(h[CLS])                                                      host */
#include "core/core.h"
#include "hf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vkattn__layer_names vit_names = {
    .q = "encoder.layer.%u.attention.attention.query", .k = "encoder.layer.%u.attention.attention.key",
    .v = "encoder.layer.%u.attention.attention.value", .o = "encoder.layer.%u.attention.output.dense",
    .ln1 = "encoder.layer.%u.layernorm_before", .up = "encoder.layer.%u.intermediate.dense",
    .down = "encoder.layer.%u.output.dense", .ln2 = "encoder.layer.%u.layernorm_after"};

/* preprocessor_config.json (optional): do_resize, size (int or {height, width}), do_normalize, image_mean/std. */
static vkattn_status load_preprocessor(vkattn__hf *hf, vkattn_encoder_info *in) {
    cJSON *pc = NULL;
    vkattn_status st = vkattn__hf_json(hf, "preprocessor_config.json", 0, &pc);
    if (st) return st;
    for (int c = 0; c < 3; c++) in->image_mean[c] = 0.5f, in->image_std[c] = 0.5f; /* ViTImageProcessor defaults */
    in->do_resize = vkattn__hf_bool(pc, "do_resize", 1);
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(pc, "size");
    uint32_t h = in->image_size, w = in->image_size;
    if (size && cJSON_IsObject(size)) {
        if (!(st = vkattn__hf_u32(hf, size, "height", 1, 0, &h))) st = vkattn__hf_u32(hf, size, "width", 1, 0, &w);
    } else if (size) {
        st = vkattn__hf_u32(hf, pc, "size", 1, 0, &h), w = h;
    }
    if (!st && (h != in->image_size || w != in->image_size))
        st = vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/preprocessor_config.json: size %ux%u differs from config.json's "
                          "image_size %u", hf->dir, w, h, in->image_size);
    const char *keys[2] = {"image_mean", "image_std"};
    float *dst[2] = {in->image_mean, in->image_std};
    for (int k = 0; k < 2 && !st && vkattn__hf_bool(pc, "do_normalize", 1); k++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(pc, keys[k]);
        if (!a) continue;
        if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3) {
            st = vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/preprocessor_config.json: %s must be 3 numbers", hf->dir, keys[k]);
            break;
        }
        for (int c = 0; c < 3; c++) {
            const cJSON *v = cJSON_GetArrayItem(a, c);
            if (!cJSON_IsNumber(v) || (k == 1 && !(v->valuedouble > 0)))
                st = vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/preprocessor_config.json: %s[%d] is not a %s number",
                                  hf->dir, keys[k], c, k ? "positive" : "");
            else dst[k][c] = (float)v->valuedouble;
        }
    }
    if (!st && !vkattn__hf_bool(pc, "do_normalize", 1))
        for (int c = 0; c < 3; c++) in->image_mean[c] = 0, in->image_std[c] = 1;
    cJSON_Delete(pc);
    return st;
}

vkattn_status vkattn__vit_create(vkattn__hf *hf, vkattn_encoder *enc) {
    vkattn_encoder_info *in = &enc->info;
    in->arch = VKATTN_ENCODER_VIT;
    enc->pre_ln = 1;
    uint32_t channels;
    vkattn_status st;
    if ((st = vkattn__hf_u32(hf, NULL, "hidden_size", 1, 0, &in->hidden_size)) ||
        (st = vkattn__hf_u32(hf, NULL, "num_hidden_layers", 1, 0, &in->num_layers)) ||
        (st = vkattn__hf_u32(hf, NULL, "num_attention_heads", 1, 0, &in->num_heads)) ||
        (st = vkattn__hf_u32(hf, NULL, "intermediate_size", 1, 0, &in->intermediate_size)) ||
        (st = vkattn__hf_u32(hf, NULL, "image_size", 0, 224, &in->image_size)) ||
        (st = vkattn__hf_u32(hf, NULL, "patch_size", 0, 16, &in->patch_size)) ||
        (st = vkattn__hf_u32(hf, NULL, "num_channels", 0, 3, &channels)) ||
        (st = vkattn__hf_f32(hf, NULL, "layer_norm_eps", 1e-12f, &enc->eps)) || (st = vkattn__enc_act(hf, &enc->act)))
        return st;
    const uint32_t D = in->hidden_size, P = in->patch_size;
    if (!D || !in->num_heads || D % in->num_heads || D / in->num_heads > 256 || !in->num_layers || !in->intermediate_size ||
        !P || in->image_size % P || in->image_size > 4096 || channels != 3)
        return vkattn__fail(enc->ctx, VKATTN_ERROR_FORMAT, "%s/config.json: inconsistent sizes (hidden_size %u, heads %u, "
                            "image_size %u, patch_size %u, num_channels %u: 3 channels and image_size %% patch_size == 0 "
                            "needed)", hf->dir, D, in->num_heads, in->image_size, P, channels);
    if (vkattn__hf_bool(hf->config, "qkv_bias", 1) == 0)
        return vkattn__fail(enc->ctx, VKATTN_ERROR_UNSUPPORTED, "%s/config.json: qkv_bias false is not supported", hf->dir);
    in->grid = in->image_size / P;
    in->max_tokens = 1 + in->grid * in->grid;
    in->st_pooling = -1; /* no sentence-transformers modules for images */
    in->max_seq_length = in->max_tokens;
    if ((st = load_preprocessor(hf, in))) return st;
    const char *prefix = vkattn__hf_has(hf, "vit.embeddings.cls_token") ? "vit." : "";
    const int64_t K = 3 * (int64_t)P * P, T = in->max_tokens;
    char name[256];
    float *cls = NULL, *pos = NULL, *pw = NULL, *pb = NULL, *base = NULL;
    snprintf(name, sizeof name, "%sembeddings.cls_token", prefix);
    if (!(st = vkattn__hf_read(hf, name, 3, (int64_t[]){1, 1, D}, &cls))) {
        snprintf(name, sizeof name, "%sembeddings.position_embeddings", prefix);
        st = vkattn__hf_read(hf, name, 3, (int64_t[]){1, T, D}, &pos);
    }
    if (!st) {
        snprintf(name, sizeof name, "%sembeddings.patch_embeddings.projection.weight", prefix);
        st = vkattn__hf_read(hf, name, 4, (int64_t[]){D, 3, P, P}, &pw); /* [D, 3, P, P] is already [D, K] row-major */
    }
    if (!st) {
        snprintf(name, sizeof name, "%sembeddings.patch_embeddings.projection.bias", prefix);
        st = vkattn__hf_read(hf, name, 1, (int64_t[]){D}, &pb);
    }
    if (!st && !(base = malloc((size_t)T * D * sizeof *base)))
        st = vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (!st) {
        for (int64_t t = 0; t < T; t++)
            for (uint32_t d = 0; d < D; d++) base[t * D + d] = pos[t * D + d] + (t ? pb[d] : cls[d]);
        if (!(st = vkattn__upload_new(enc->ctx, pw, 2, (int64_t[]){D, K}, &enc->patch_w)))
            st = vkattn__upload_new(enc->ctx, base, 2, (int64_t[]){T, D}, &enc->tok_base);
    }
    free(cls), free(pos), free(pw), free(pb), free(base);
    if (st) return st;
    if (!(enc->layers = calloc(in->num_layers, sizeof *enc->layers)))
        return vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t i = 0; i < in->num_layers; i++)
        if ((st = vkattn__enc_load_layer(hf, enc, prefix, &vit_names, i))) return st;
    snprintf(name, sizeof name, "%slayernorm.weight", prefix);
    if ((st = vkattn__hf_tensor(hf, name, 1, (int64_t[]){D}, &enc->final_ln_w))) return st;
    snprintf(name, sizeof name, "%slayernorm.bias", prefix);
    if ((st = vkattn__hf_tensor(hf, name, 1, (int64_t[]){D}, &enc->final_ln_b))) return st;
    if (vkattn__hf_has(hf, "classifier.weight")) {
        const cJSON *map = cJSON_GetObjectItemCaseSensitive(hf->config, "id2label");
        uint32_t n = 0;
        if ((st = vkattn__hf_u32(hf, NULL, "num_labels", 0, cJSON_IsObject(map) ? (uint32_t)cJSON_GetArraySize(map) : 2, &n)) ||
            (st = vkattn__hf_read(hf, "classifier.weight", 2, (int64_t[]){n, D}, &enc->cls_w)) ||
            (st = vkattn__hf_read(hf, "classifier.bias", 1, (int64_t[]){n}, &enc->cls_b)) ||
            (st = vkattn__enc_load_labels(hf, enc, n)))
            return st;
    }
    return VKATTN_OK;
}

/* Image b -> rows [1, 1 + Np) of patches [1 + Np, 3*P*P] (row 0 left zero), features in (c, ky, kx) order. */
static vkattn_status im2col(const vkattn_encoder *enc, const vkattn_image *img, float *chw, float *rows) {
    const vkattn_encoder_info *in = &enc->info;
    const uint32_t S = in->image_size, P = in->patch_size, G = in->grid, K = 3 * P * P;
    vkattn_image sized = {0};
    const vkattn_image *use = img;
    if ((uint32_t)img->width != S || (uint32_t)img->height != S) {
        if (!in->do_resize)
            return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "vit: image is %dx%d, the model takes %ux%u and its "
                                "preprocessor does not resize", img->width, img->height, S, S);
        vkattn_status st = vkattn_image_resize(img, (int)S, (int)S, &sized);
        if (st) return vkattn__fail(enc->ctx, st, "%s", vkattn_context_error(NULL));
        use = &sized;
    }
    vkattn_status st = vkattn_image_to_chw(use, in->image_mean, in->image_std, chw);
    vkattn_image_free(&sized);
    if (st) return vkattn__fail(enc->ctx, st, "%s", vkattn_context_error(NULL));
    for (uint32_t gy = 0; gy < G; gy++)
        for (uint32_t gx = 0; gx < G; gx++) {
            float *r = rows + (size_t)(1 + gy * G + gx) * K;
            for (uint32_t c = 0; c < 3; c++)
                for (uint32_t ky = 0; ky < P; ky++)
                    memcpy(r + (c * P + ky) * P, chw + ((size_t)c * S + gy * P + ky) * S + gx * P, P * sizeof *r);
        }
    return VKATTN_OK;
}

vkattn_status vkattn_encoder_forward_images(vkattn_encoder *enc, const vkattn_image *images, uint32_t batch,
                                            vkattn_encoder_outputs *out) {
    if (!enc || !images || !batch || !out)
        return vkattn__fail(enc ? enc->ctx : NULL, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward_images: NULL argument "
                            "or batch 0");
    if (enc->info.arch != VKATTN_ENCODER_VIT)
        return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward_images: a text model takes tokens");
    if (enc->ctx->recording) return vkattn__fail(enc->ctx, VKATTN_ERROR_STATE, "encoder_forward_images: not inside a batch");
    if (out->logits && !enc->info.num_labels)
        return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward_images: the model has no classifier");
    const uint32_t S = enc->info.image_size, P = enc->info.patch_size, T = enc->info.max_tokens, K = 3 * P * P;
    for (uint32_t b = 0; b < batch; b++)
        if (!images[b].rgb || images[b].width <= 0 || images[b].height <= 0)
            return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward_images: image %u is empty", b);
    float *rows = calloc((size_t)batch * T * K, sizeof *rows), *chw = malloc((size_t)3 * S * S * sizeof *chw);
    vkattn_status st = rows && chw ? VKATTN_OK : vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t b = 0; b < batch && !st; b++) st = im2col(enc, &images[b], chw, rows + (size_t)b * T * K);
    free(chw);
    if (!st) st = vkattn__enc_run(enc, rows, NULL, batch, T, out);
    free(rows);
    return st;
}
