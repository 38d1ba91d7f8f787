/* Helpers shared by the elementwise, norm, position and selection ops
 * (norm.c unary.c glu.c add.c softmax.c rope.c sinusoidal.c argmax.c topk.c)
 * and the layers built on them. Internal. */
#ifndef VKATTN_OPSUTIL_H
#define VKATTN_OPSUTIL_H

#include "../core/core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A tensor's shape and element strides right-aligned into 4 slots (leading
 * dims of size 1, stride 0), the form every shader here takes. shape may be NULL. */
static inline void ou_layout4(const vkattn_tensor *t, uint32_t shape[4], uint32_t stride[4]) {
    uint32_t pad = 4 - t->ndim;
    for (uint32_t i = 0; i < 4; i++) {
        if (shape) shape[i] = i < pad ? 1 : (uint32_t)t->shape[i - pad];
        stride[i] = i < pad ? 0 : (uint32_t)t->strides[i - pad];
    }
}

/* Largest power of two <= min(want, the device's max invocations). The
 * shared-memory reductions need a power of two. */
static inline uint32_t ou_wg(const vkattn_context *ctx, uint32_t want) {
    uint32_t cap = ctx->info.max_workgroup_invocations < want ? ctx->info.max_workgroup_invocations : want;
    if (ctx->info.max_workgroup_size[0] < cap) cap = ctx->info.max_workgroup_size[0];
    uint32_t w = 1;
    while (w * 2 <= cap) w *= 2;
    return w;
}

/* Smallest power of two >= n (n <= 2^31). */
static inline uint32_t ou_pow2_ceil(uint64_t n) {
    uint32_t p = 1;
    while (p < n) p *= 2;
    return p;
}

/* Workgroup size for kernels that give each row a workgroup: enough lanes
 * for a row of n elements, 32..256. */
static inline uint32_t ou_row_wg(const vkattn_context *ctx, uint64_t n) {
    uint32_t w = n >= 256 ? 256 : ou_pow2_ceil(n);
    return ou_wg(ctx, w < 32 ? 32 : w);
}

/* Element index one past the furthest element t reaches in its allocation;
 * the shaders index with 32-bit integers. */
static inline vkattn_status ou_check_index_range(vkattn_context *ctx, const vkattn_tensor *t, const char *op,
                                                 const char *name) {
    uint64_t last = t->offset;
    for (uint32_t i = 0; i < t->ndim; i++) last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
    if (last >= UINT32_MAX || vkattn_tensor_numel(t) >= UINT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "%s: %s spans more than 2^32 elements; split it", op, name);
    return VKATTN_OK;
}

/* F32 or F16 on any device, any strides allowed by the caller's own checks: a parameter
 * read as packed words (shaders/packed.glsl), or a tensor of an op with "_pk" kernels (f16
 * as packed words without 16-bit storage). */
static inline vkattn_status ou_check_param(vkattn_context *ctx, const vkattn_tensor *t, const char *op,
                                           const char *name) {
    vkattn_status st = vkattn__check_tensor(ctx, t, op, name);
    if (st) return st;
    if (t->dtype != VKATTN_F32 && t->dtype != VKATTN_F16)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s is %s; f32 or f16 expected", op, name,
                            vkattn_dtype_string(t->dtype));
    return ou_check_index_range(ctx, t, op, name);
}

/* "<base>[_f16[_pk]]" for shaders built with `//! variants: f16` and `//! packed-f16`: f16 as
 * float16_t with 16-bit storage, as packed words without. */
static inline const char *ou_variant(const vkattn_context *ctx, char *buf, size_t n, const char *base, vkattn_dtype dt) {
    snprintf(buf, n, "%s%s", base, dt != VKATTN_F16 ? "" : ctx->info.storage16 ? "_f16" : "_f16_pk");
    return buf;
}

static inline int ou_same_shape(const vkattn_tensor *a, const vkattn_tensor *b) {
    return a->ndim == b->ndim && memcmp(a->shape, b->shape, a->ndim * sizeof a->shape[0]) == 0;
}

/* a and b are views of one allocation (so they may overlap). */
static inline int ou_same_storage(const vkattn_tensor *a, const vkattn_tensor *b) {
    return a->alloc.block == b->alloc.block && a->alloc.offset == b->alloc.offset;
}

/* a and b share bytes of one memory block (NULL never overlaps). */
static inline int ou_overlap(const vkattn_tensor *a, const vkattn_tensor *b) {
    if (!a || !b || a->alloc.block != b->alloc.block) return 0;
    uint64_t a0 = a->alloc.offset + vkattn_dtype_bytes(a->dtype, a->offset), a1 = a0 + vkattn_tensor_bytes(a);
    uint64_t b0 = b->alloc.offset + vkattn_dtype_bytes(b->dtype, b->offset), b1 = b0 + vkattn_tensor_bytes(b);
    return a0 < b1 && b0 < a1;
}

/* "[2, 3, 5]" into buf, for messages. */
static inline const char *ou_shape_str(const vkattn_tensor *t, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (uint32_t i = 0; i < t->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

/* The shader variant part naming a weight / table dtype (shaders/quant.glsl, linear.glsl):
 * "_wh" for f16, "_q8", "_q4", "_q41", ..., "_q6k", "_iq4nl", "_iq4xs" for block types, "" for f32. */
static inline const char *ou_wtype_suffix(vkattn_dtype d) {
    switch (d) {
    case VKATTN_F16: return "_wh";
    case VKATTN_Q8_0: return "_q8";
    case VKATTN_Q4_0: return "_q4";
    case VKATTN_Q4_1: return "_q41";
    case VKATTN_Q5_0: return "_q50";
    case VKATTN_Q5_1: return "_q51";
    case VKATTN_Q2_K: return "_q2k";
    case VKATTN_Q3_K: return "_q3k";
    case VKATTN_Q4_K: return "_q4k";
    case VKATTN_Q5_K: return "_q5k";
    case VKATTN_Q6_K: return "_q6k";
    case VKATTN_IQ4_NL: return "_iq4nl";
    case VKATTN_IQ4_XS: return "_iq4xs";
    default: return "";
    }
}

/* Shader name "<base>[_f16][_sg][_pk]" for ops built with `//! variants: f16 sg f16_sg`; _pk
 * (`//! packed-f16`) for f16 without 16-bit storage, which only ops that accept it reach. */
static inline const char *ou_shader(const vkattn_context *ctx, char *buf, size_t n, const char *base, int f16, int sg) {
    snprintf(buf, n, "%s%s%s%s", base, f16 ? "_f16" : "", sg ? "_sg" : "", f16 && !ctx->info.storage16 ? "_pk" : "");
    return buf;
}

/* An output of `rows` rows of per_row values: dtype want, contiguous, last dim
 * per_row (when > 1). */
static inline vkattn_status ou_check_rows_out(vkattn_context *ctx, const vkattn_tensor *out, vkattn_dtype want,
                                              uint64_t rows, uint64_t per_row, const char *op, const char *name) {
    vkattn_status st = vkattn__check_tensor(ctx, out, op, name);
    if (st) return st;
    char s[80];
    if (out->dtype != want || !vkattn_tensor_is_contiguous(out) || vkattn_tensor_numel(out) != rows * per_row ||
        (per_row > 1 && out->shape[out->ndim - 1] != (int64_t)per_row))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: %s %s %s must be contiguous %s with %llu rows%s of %llu", op, name,
                            ou_shape_str(out, s, sizeof s), vkattn_dtype_string(out->dtype), vkattn_dtype_string(want),
                            (unsigned long long)rows, per_row > 1 ? " (last dim)" : "", (unsigned long long)per_row);
    return ou_check_index_range(ctx, out, op, name);
}

/* c = -2 log2(theta) / r, the exponent step of theta^(-2i/r), split into a
 * 12-significant-bit head (i * hi is exact in f32 for i < 2048) and a tail, as
 * shaders/mathf.glsl inv_freq() takes it. */
static inline void ou_freq_split(double theta, uint32_t r, float *hi, float *lo) {
    double c = -2.0 * log2(theta) / r;
    int e;
    double m = frexp(c, &e);
    *hi = (float)ldexp(trunc(m * 4096.0) / 4096.0, e);
    *lo = (float)(c - *hi);
}

/* Records d into the open batch, or runs it at once. */
static inline vkattn_status ou_run(vkattn_context *ctx, const vkattn__dispatch *d) {
    int implicit;
    vkattn_status st = vkattn__op_begin(ctx, &implicit);
    if (st) return st;
    return vkattn__op_end(ctx, implicit, vkattn__record(ctx, d));
}

/* ---- row-wise ops over tensors beyond maxStorageBufferRange ----------------
 * norm, softmax, argmax and topk give each row a workgroup. When a row-indexed
 * tensor's allocation is larger than one binding may be, the rows run in chunks,
 * each binding only the bytes its rows touch; the shader adds `row0` to its row
 * index and the tensor's element offset becomes relative to the bound window
 * (32-bit wrap-around arithmetic makes the shader's index come out right). */
typedef struct {
    uint32_t arg;          /* index into the dispatch's args */
    uint32_t *off;         /* push constant with the tensor's element offset; NULL for a stand-in binding */
    const vkattn_tensor *t;
    uint64_t row_stride;   /* elements from one row to the next; 0 = rows not evenly spaced */
    uint64_t row_span;     /* elements one row touches */
} ou_rowbind;

/* Elements between consecutive rows when the leading three of a right-aligned
 * 4-D layout collapse into one evenly spaced row index; 0 otherwise. */
static inline uint64_t ou_row_stride(const uint32_t shape[4], const uint32_t stride[4]) {
    uint64_t rs = 0, expect = 0;
    for (int i = 2; i >= 0; i--) {
        if (shape[i] == 1) continue;
        if (rs && stride[i] != expect) return 0;
        if (!rs) rs = expect = stride[i];
        expect *= shape[i];
    }
    return rs ? rs : 1;
}

/* The row geometry of a tensor whose last dim is the row (see ou_layout4). */
static inline ou_rowbind ou_rows_of(uint32_t arg, uint32_t *off, const vkattn_tensor *t) {
    uint32_t shape[4], stride[4];
    ou_layout4(t, shape, stride);
    ou_rowbind rb = {arg, off, t, ou_row_stride(shape, stride), (uint64_t)(shape[3] - 1) * stride[3] + 1};
    return rb;
}

static inline vkattn_status ou_run_rows(vkattn_context *ctx, vkattn__dispatch *d, uint64_t rows, uint32_t *row0,
                                        const ou_rowbind *rb, uint32_t n) {
    uint64_t limit = ctx->info.max_storage_buffer_range, align = ctx->info.min_storage_offset_alignment, chunk = rows;
    int split = 0;
    for (uint32_t i = 0; i < n; i++) split |= rb[i].t->alloc.size > limit;
    *row0 = 0;
    if (!split) {
        vkattn__grid_1d(rows, d->groups);
        return ou_run(ctx, d);
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t es = vkattn_dtype_bytes(rb[i].t->dtype, 1), pitch = rb[i].row_stride * es, span = rb[i].row_span * es;
        if (!rb[i].row_stride || span + align > limit)
            return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE,
                                "%s: binding %u (%.1f MiB) exceeds maxStorageBufferRange (%.1f MiB) and its rows are not "
                                "evenly spaced (or one row alone is too long) to run in chunks; use a contiguous tensor",
                                d->shader, rb[i].arg, rb[i].t->alloc.size / 1048576.0, limit / 1048576.0);
        uint64_t fit = (limit - align - span) / pitch + 1;
        chunk = fit < chunk ? fit : chunk;
    }
    int implicit;
    vkattn_status st = vkattn__op_begin(ctx, &implicit);
    for (uint64_t r = 0; !st && r < rows; r += chunk) {
        uint64_t cnt = rows - r < chunk ? rows - r : chunk;
        for (uint32_t i = 0; i < n; i++) {
            const vkattn_tensor *t = rb[i].t;
            uint64_t es = vkattn_dtype_bytes(t->dtype, 1), first = t->offset + r * rb[i].row_stride;
            uint64_t begin = first * es / align * align, end = (first + (cnt - 1) * rb[i].row_stride + rb[i].row_span) * es;
            d->args[rb[i].arg].byte_offset = begin;
            d->args[rb[i].arg].size = end - begin;
            if (rb[i].off) *rb[i].off = (uint32_t)(t->offset - begin / es);
        }
        *row0 = (uint32_t)r;
        vkattn__grid_1d(cnt, d->groups);
        st = vkattn__record(ctx, d);
    }
    return vkattn__op_end(ctx, implicit, st);
}
#endif
