/* copy: dst = src for any strides, f32/f16 either side (f16 as packed words on devices without
 * 16-bit storage). Records shaders/copy.comp or copy_words.comp. */
#include "../core/core.h"

#include <string.h>

typedef struct {
    uint32_t shape[4], src_stride[4], dst_stride[4];
    uint32_t src_off, dst_off, n;
} copy_push; /* matches shaders/copy.comp */

/* Right-aligns a tensor's shape/strides into 4 slots (leading dims of size 1). */
static void to4(const vkattn_tensor *t, uint32_t shape[4], uint32_t stride[4]) {
    uint32_t pad = 4 - t->ndim;
    for (uint32_t i = 0; i < 4; i++) {
        shape[i] = i < pad ? 1 : (uint32_t)t->shape[i - pad];
        stride[i] = i < pad ? 0 : (uint32_t)t->strides[i - pad];
    }
}

vkattn_status vkattn_copy(vkattn_context *ctx, const vkattn_tensor *src, vkattn_tensor *dst) {
    vkattn_status st;
    if ((st = vkattn__check_tensor(ctx, src, "copy", "src")) || (st = vkattn__check_tensor(ctx, dst, "copy", "dst"))) return st;
    if (src->ndim != dst->ndim || memcmp(src->shape, dst->shape, src->ndim * sizeof src->shape[0]))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "copy: src and dst shapes differ");
    int sf = src->dtype == VKATTN_F16, df = dst->dtype == VKATTN_F16;
    if ((src->dtype != VKATTN_F32 && !sf) || (dst->dtype != VKATTN_F32 && !df))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "copy: %s -> %s not supported (f32/f16 only)",
                            vkattn_dtype_string(src->dtype), vkattn_dtype_string(dst->dtype));
    uint32_t wg = ctx->info.max_workgroup_invocations < 256 ? ctx->info.max_workgroup_invocations : 256;
    vkattn__dispatch d = {
        .label = "copy", .spec = {wg}, .n_spec = 1,
        .args = {{src, VKATTN__READ, 0, 0}, {dst, VKATTN__WRITE, 0, 0}}, .n_args = 2,
    };
    copy_push p = {.src_off = (uint32_t)src->offset, .dst_off = (uint32_t)dst->offset,
                   .n = (uint32_t)vkattn_tensor_numel(src)};
    struct { uint32_t src_off, dst_off, n; } wp; /* matches shaders/copy_words.comp */
    /* contiguous, same dtype, 16-byte aligned: a plain copy of 16-byte units */
    uint64_t sb = vkattn_dtype_bytes(src->dtype, src->offset), db = vkattn_dtype_bytes(dst->dtype, dst->offset),
             bytes = vkattn_tensor_bytes(src);
    if (src->dtype == dst->dtype && vkattn_tensor_is_contiguous(src) && vkattn_tensor_is_contiguous(dst) && sb % 16 == 0 &&
        db % 16 == 0 && bytes % 16 == 0 && (sb + bytes) / 16 < UINT32_MAX && (db + bytes) / 16 < UINT32_MAX) {
        wp.src_off = (uint32_t)(sb / 16), wp.dst_off = (uint32_t)(db / 16), wp.n = (uint32_t)(bytes / 16);
        d.shader = ctx->info.shader_int64 ? "copy_words_w64" : "copy_words";
        d.push = &wp, d.push_size = sizeof wp;
    } else {
        to4(src, p.shape, p.src_stride);
        to4(dst, p.shape, p.dst_stride);
        /* f16 without 16-bit storage: the "_pk" variants (packed words) */
        const int pk = (sf || df) && !ctx->info.storage16;
        d.shader = sf && df ? (pk ? "copy_f16_pk" : "copy_f16")
                   : sf     ? (pk ? "copy_f16_f32_pk" : "copy_f16_f32")
                   : df     ? (pk ? "copy_f32_f16_pk" : "copy_f32_f16")
                            : "copy";
        d.push = &p, d.push_size = sizeof p;
    }
    vkattn__grid_1d(vkattn__div_up(d.push == &wp ? wp.n : p.n, wg), d.groups);
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    return vkattn__op_end(ctx, implicit, vkattn__record(ctx, &d));
}
