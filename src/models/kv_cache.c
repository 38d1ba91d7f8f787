/* The KV cache of a decoder: per layer K and V of [n_ctx, n_head_kv, head_dim] on the device.
 * Token-major (as llama.cpp's) so a projection writes rows [pos, pos + n) directly; attention reads
 * [1, Hkv, len, hd] through strided views. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

vkattn_tensor vkattn__view(const vkattn_tensor *base, uint64_t offset, uint32_t ndim, const int64_t *shape,
                           const int64_t *strides) {
    vkattn_tensor t = *base;
    t.is_view = 1;
    t.ndim = ndim;
    t.offset = base->offset + offset;
    memset(t.shape, 0, sizeof t.shape);
    memset(t.strides, 0, sizeof t.strides);
    memcpy(t.shape, shape, ndim * sizeof *shape);
    memcpy(t.strides, strides, ndim * sizeof *strides);
    return t;
}

vkattn_tensor vkattn__rows(const vkattn_tensor *base, uint64_t r0, uint64_t n) {
    const int64_t cols = base->shape[base->ndim - 1];
    const int64_t shape[2] = {(int64_t)n, cols}, strides[2] = {cols, 1};
    return vkattn__view(base, r0 * (uint64_t)cols, 2, shape, strides);
}

uint64_t vkattn__kv_bytes(vkattn_dtype dtype, uint32_t n_layer, uint64_t n_tokens, uint32_t n_head_kv, uint32_t head_dim) {
    return 2ull * n_layer * vkattn_dtype_bytes(dtype, n_tokens * n_head_kv * head_dim);
}

vkattn_status vkattn__kv_create(vkattn_context *ctx, vkattn__kv_cache *kv, vkattn_dtype dtype, uint32_t n_layer,
                                uint32_t n_ctx, uint32_t n_seq, uint32_t n_head_kv, uint32_t head_dim) {
    memset(kv, 0, sizeof *kv);
    kv->dtype = dtype;
    kv->n_ctx = n_ctx;
    kv->n_seq = n_seq;
    kv->n_layer = n_layer;
    kv->row = n_head_kv * head_dim;
    kv->k = calloc(n_layer, sizeof *kv->k);
    kv->v = calloc(n_layer, sizeof *kv->v);
    if (!kv->k || !kv->v) {
        vkattn__kv_destroy(kv);
        return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "KV cache: out of host memory");
    }
    const int64_t shape[2] = {(int64_t)n_ctx * n_seq, kv->row};
    vkattn_status st = VKATTN_OK;
    for (uint32_t l = 0; l < n_layer && !st; l++) {
        st = vkattn_tensor_create(ctx, dtype, 2, shape, &kv->k[l]);
        if (!st) st = vkattn_tensor_create(ctx, dtype, 2, shape, &kv->v[l]);
        /* zeros: never-written rows are masked by the causal mask, but keep them finite anyway */
        if (!st) st = vkattn_fill(ctx, kv->k[l], 0.0f);
        if (!st) st = vkattn_fill(ctx, kv->v[l], 0.0f);
    }
    if (st) vkattn__kv_destroy(kv);
    return st;
}

void vkattn__kv_destroy(vkattn__kv_cache *kv) {
    for (uint32_t l = 0; l < kv->n_layer; l++) {
        if (kv->k) vkattn_tensor_destroy(kv->k[l]);
        if (kv->v) vkattn_tensor_destroy(kv->v[l]);
    }
    free(kv->k);
    free(kv->v);
    memset(kv, 0, sizeof *kv);
}

vkattn_tensor vkattn__kv_rows(const vkattn__kv_cache *kv, uint32_t l, int is_v, uint32_t seq, uint32_t pos, uint32_t n) {
    return vkattn__rows(is_v ? kv->v[l] : kv->k[l], (uint64_t)seq * kv->n_ctx + pos, n);
}

vkattn_tensor vkattn__kv_heads(const vkattn__kv_cache *kv, uint32_t l, int is_v, uint32_t seq, uint32_t len,
                               uint32_t head_dim) {
    const int64_t hkv = kv->row / head_dim;
    const int64_t shape[4] = {1, hkv, len, head_dim};
    const int64_t strides[4] = {(int64_t)kv->n_ctx * kv->row, head_dim, kv->row, 1};
    return vkattn__view(is_v ? kv->v[l] : kv->k[l], (uint64_t)seq * kv->n_ctx * kv->row, 4, shape, strides);
}
