/* Tensor handles: shape, strides, dtype, storage; host <-> device copies. */
#include "core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGING_CHUNK (64ull * 1024 * 1024)

static int is_block_type(vkattn_dtype d) { return vkattn_dtype_block(d) > 1; }

/* ---- handles ------------------------------------------------------------------ */

static void contiguous_strides(vkattn_tensor *t) {
    int64_t s = 1;
    for (int i = (int)t->ndim - 1; i >= 0; i--) {
        t->strides[i] = s;
        s *= t->shape[i];
    }
}

vkattn_status vkattn_tensor_create(vkattn_context *ctx, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape,
                                   vkattn_tensor **out) {
    if (!out) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_create: out is NULL");
    *out = NULL;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_create: ctx is NULL");
    if (ndim == 0 || ndim > VKATTN_MAX_DIMS || !shape)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_create: ndim must be 1..%d", VKATTN_MAX_DIMS);
    if ((unsigned)dtype > VKATTN_IQ4_XS) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_create: bad dtype %d", (int)dtype);
    uint64_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) {
        if (shape[i] <= 0 || shape[i] > (int64_t)1 << 40)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_create: dimension %u is %lld",
                                i, (long long)shape[i]);
        if (n > (UINT64_MAX >> 8) / (uint64_t)shape[i])
            return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "tensor_create: element count overflows");
        n *= (uint64_t)shape[i];
    }
    if (shape[ndim - 1] % vkattn_dtype_block(dtype))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "tensor_create: %s needs the last dimension to be a multiple of %u (is %lld)",
                            vkattn_dtype_string(dtype), vkattn_dtype_block(dtype), (long long)shape[ndim - 1]);
    vkattn_tensor *t = calloc(1, sizeof *t);
    if (!t) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    t->ctx = ctx;
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->shape, shape, ndim * sizeof *shape);
    contiguous_strides(t);
    vkattn_status st = vkattn__alloc_memory(ctx, vkattn_dtype_bytes(dtype, n), &t->alloc);
    if (st) {
        free(t);
        return st;
    }
    *out = t;
    return VKATTN_OK;
}

vkattn_status vkattn_tensor_view(vkattn_tensor *base, uint64_t offset, uint32_t ndim, const int64_t *shape,
                                 const int64_t *strides, vkattn_tensor **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_view: out is NULL");
    *out = NULL;
    if (!base) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_view: base is NULL");
    vkattn_context *ctx = base->ctx;
    if (is_block_type(base->dtype))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_view: no views of block-quantized tensors");
    if (ndim == 0 || ndim > VKATTN_MAX_DIMS || !shape || !strides)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_view: ndim must be 1..%d", VKATTN_MAX_DIMS);
    /* the furthest element must stay inside the base's storage */
    uint64_t last = base->offset + offset, cap = base->alloc.size / vkattn_dtype_bytes(base->dtype, 1);
    for (uint32_t i = 0; i < ndim; i++) {
        if (shape[i] <= 0 || strides[i] < 0)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_view: dimension %u: size %lld stride %lld",
                                i, (long long)shape[i], (long long)strides[i]);
        last += (uint64_t)(shape[i] - 1) * (uint64_t)strides[i];
    }
    if (last >= cap)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "tensor_view: the view reaches element %llu, past the base's %llu elements",
                            (unsigned long long)last, (unsigned long long)cap);
    vkattn_tensor *t = calloc(1, sizeof *t);
    if (!t) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    *t = *base;
    t->is_view = 1;
    t->ndim = ndim;
    t->offset = base->offset + offset;
    memset(t->shape, 0, sizeof t->shape);
    memset(t->strides, 0, sizeof t->strides);
    memcpy(t->shape, shape, ndim * sizeof *shape);
    memcpy(t->strides, strides, ndim * sizeof *strides);
    *out = t;
    return VKATTN_OK;
}

void vkattn_tensor_destroy(vkattn_tensor *t) {
    if (!t) return;
    if (!t->is_view) {
        /* a batch may still read it: finish first */
        if (t->ctx->recording) vkattn__fail(t->ctx, VKATTN_ERROR_STATE, "tensor destroyed inside a batch");
        vkattn__free(t->ctx, &t->alloc);
    }
    free(t);
}

vkattn_dtype vkattn_tensor_dtype(const vkattn_tensor *t) { return t->dtype; }
uint32_t vkattn_tensor_ndim(const vkattn_tensor *t) { return t->ndim; }
int64_t vkattn_tensor_dim(const vkattn_tensor *t, uint32_t i) { return i < t->ndim ? t->shape[i] : 1; }
int64_t vkattn_tensor_stride(const vkattn_tensor *t, uint32_t i) { return i < t->ndim ? t->strides[i] : 0; }

uint64_t vkattn_tensor_numel(const vkattn_tensor *t) {
    uint64_t n = 1;
    for (uint32_t i = 0; i < t->ndim; i++) n *= (uint64_t)t->shape[i];
    return n;
}

uint64_t vkattn_tensor_bytes(const vkattn_tensor *t) { return vkattn_dtype_bytes(t->dtype, vkattn_tensor_numel(t)); }

int vkattn_tensor_is_contiguous(const vkattn_tensor *t) {
    int64_t s = 1;
    for (int i = (int)t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->strides[i] != s) return 0;
        s *= t->shape[i];
    }
    return 1;
}

vkattn_status vkattn__check_tensor(vkattn_context *ctx, const vkattn_tensor *t, const char *op, const char *name) {
    if (!t) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", op, name);
    if (t->ctx != ctx) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s belongs to another context", op, name);
    return VKATTN_OK;
}

/* ---- host <-> device ------------------------------------------------------------ */

static vkattn_status check_copy(const vkattn_tensor *t, const void *data, size_t bytes, const char *what) {
    if (!t) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: tensor is NULL", what);
    vkattn_context *ctx = t->ctx;
    if (!data) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: data is NULL", what);
    if (ctx->recording)
        return vkattn__fail(ctx, VKATTN_ERROR_STATE, "%s: not allowed inside a batch; call vkattn_submit first", what);
    if (!vkattn_tensor_is_contiguous(t))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: tensor is a strided view; copy it to a contiguous tensor", what);
    if (bytes != vkattn_tensor_bytes(t))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %zu bytes given, tensor holds %llu", what, bytes,
                            (unsigned long long)vkattn_tensor_bytes(t));
    return VKATTN_OK;
}

static uint64_t byte_offset(const vkattn_tensor *t) {
    return t->alloc.offset + vkattn_dtype_bytes(t->dtype, t->offset);
}

vkattn_status vkattn_tensor_upload(vkattn_tensor *t, const void *data, size_t bytes) {
    vkattn_status st = check_copy(t, data, bytes, "tensor_upload");
    if (st) return st;
    vkattn_context *ctx = t->ctx;
    vkattn__block *b = t->alloc.block;
    if ((st = vkattn__wait_idle(ctx))) return st;
    if (b->mapped) {
        memcpy(b->mapped + byte_offset(t), data, bytes);
        return VKATTN_OK;
    }
    for (uint64_t done = 0; done < bytes;) {
        uint64_t n = bytes - done < STAGING_CHUNK ? bytes - done : STAGING_CHUNK;
        vkattn__block *s;
        if ((st = vkattn__staging(ctx, n, &s))) return st;
        memcpy(s->mapped, (const uint8_t *)data + done, n);
        if ((st = vkattn__run_copy(ctx, s->buffer, 0, b->buffer, byte_offset(t) + done, n))) return st;
        done += n;
    }
    return VKATTN_OK;
}

vkattn_status vkattn_tensor_download(const vkattn_tensor *t, void *data, size_t bytes) {
    vkattn_status st = check_copy(t, data, bytes, "tensor_download");
    if (st) return st;
    vkattn_context *ctx = t->ctx;
    vkattn__block *b = t->alloc.block;
    if ((st = vkattn__wait_idle(ctx))) return st;
    if (b->mapped) {
        memcpy(data, b->mapped + byte_offset(t), bytes);
        return VKATTN_OK;
    }
    for (uint64_t done = 0; done < bytes;) {
        uint64_t n = bytes - done < STAGING_CHUNK ? bytes - done : STAGING_CHUNK;
        vkattn__block *s;
        if ((st = vkattn__staging(ctx, n, &s))) return st;
        if ((st = vkattn__run_copy(ctx, b->buffer, byte_offset(t) + done, s->buffer, 0, n))) return st;
        memcpy((uint8_t *)data + done, s->mapped, n);
        done += n;
    }
    return VKATTN_OK;
}

vkattn_status vkattn_tensor_upload_f32(vkattn_tensor *t, const float *data, size_t count) {
    if (!t) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_upload_f32: tensor is NULL");
    if (count != vkattn_tensor_numel(t))
        return vkattn__fail(t->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_upload_f32: %zu values given, tensor has %llu",
                            count, (unsigned long long)vkattn_tensor_numel(t));
    if (t->dtype == VKATTN_F32) return vkattn_tensor_upload(t, data, count * 4);
    if (t->dtype != VKATTN_F16 && t->dtype != VKATTN_BF16)
        return vkattn__fail(t->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_upload_f32: tensor is %s, not a float type",
                            vkattn_dtype_string(t->dtype));
    uint16_t *h = malloc(count * 2 + 1);
    if (!h) return vkattn__fail(t->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (size_t i = 0; i < count; i++)
        h[i] = t->dtype == VKATTN_F16 ? vkattn__f32_to_f16(data[i]) : vkattn__f32_to_bf16(data[i]);
    vkattn_status st = vkattn_tensor_upload(t, h, count * 2);
    free(h);
    return st;
}

vkattn_status vkattn_tensor_download_f32(const vkattn_tensor *t, float *data, size_t count) {
    if (!t) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_download_f32: tensor is NULL");
    if (count != vkattn_tensor_numel(t))
        return vkattn__fail(t->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_download_f32: %zu values asked, tensor has %llu",
                            count, (unsigned long long)vkattn_tensor_numel(t));
    if (t->dtype == VKATTN_F32) return vkattn_tensor_download(t, data, count * 4);
    if (t->dtype != VKATTN_F16 && t->dtype != VKATTN_BF16)
        return vkattn__fail(t->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "tensor_download_f32: tensor is %s, not a float type",
                            vkattn_dtype_string(t->dtype));
    uint16_t *h = malloc(count * 2 + 1);
    if (!h) return vkattn__fail(t->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    vkattn_status st = vkattn_tensor_download(t, h, count * 2);
    for (size_t i = 0; st == VKATTN_OK && i < count; i++)
        data[i] = t->dtype == VKATTN_F16 ? vkattn__f16_to_f32(h[i]) : vkattn__bf16_to_f32(h[i]);
    free(h);
    return st;
}
