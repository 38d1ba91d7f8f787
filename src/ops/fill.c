/* fill: every element = value. Records shaders/fill.comp (word-wise). */
#include "../core/core.h"

typedef struct { uint32_t off, n, word; } fill_push; /* matches shaders/fill.comp */

vkattn_status vkattn_fill(vkattn_context *ctx, vkattn_tensor *dst, float value) {
    vkattn_status st;
    if ((st = vkattn__check_tensor(ctx, dst, "fill", "dst"))) return st;
    if (!vkattn_tensor_is_contiguous(dst))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "fill: dst must be contiguous");
    uint64_t n = vkattn_tensor_numel(dst), first = dst->offset;
    uint32_t word;
    switch (dst->dtype) {
    case VKATTN_F32: word = vkattn__f2u(value); break;
    case VKATTN_I32: word = (uint32_t)(int32_t)value; break;
    case VKATTN_F16:
    case VKATTN_BF16: {
        uint32_t h = dst->dtype == VKATTN_F16 ? vkattn__f32_to_f16(value) : vkattn__f32_to_bf16(value);
        /* two halves per word: needs an even start; the tail word stays in the allocation's padding */
        if (first % 2 || (dst->is_view && n % 2))
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "fill: 16-bit views must start and end on an even element");
        word = h | (h << 16);
        first /= 2;
        n = (n + 1) / 2;
        break;
    }
    default:
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "fill: %s tensors cannot be filled", vkattn_dtype_string(dst->dtype));
    }
    uint32_t wg = ctx->info.max_workgroup_invocations < 256 ? ctx->info.max_workgroup_invocations : 256;
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    /* Bind at most maxStorageBufferRange at a time (aligned), so any tensor can be filled. */
    uint64_t align = ctx->info.min_storage_offset_alignment < 4 ? 4 : ctx->info.min_storage_offset_alignment;
    uint64_t chunk = (ctx->info.max_storage_buffer_range / align) * align / 4; /* words */
    uint64_t start = first * 4 / align * align / 4;                           /* aligned word to bind from */
    for (uint64_t w = start; st == VKATTN_OK && w < first + n; w += chunk) {
        uint64_t lo = w > first ? w : first, hi = w + chunk < first + n ? w + chunk : first + n;
        fill_push p = {(uint32_t)(lo - w), (uint32_t)(hi - lo), word};
        vkattn__dispatch d = {.shader = "fill", .spec = {wg}, .n_spec = 1, .push = &p, .push_size = sizeof p,
                              .args = {{dst, VKATTN__WRITE, w * 4, (hi - w) * 4}}, .n_args = 1};
        vkattn__grid_1d(vkattn__div_up(hi - lo, wg), d.groups);
        st = vkattn__record(ctx, &d);
    }
    return vkattn__op_end(ctx, implicit, st);
}
