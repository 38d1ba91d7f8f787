/* Rotary position embedding (NeoX half-split and GPT-J interleaved forms,
 * partial rotary dims, any theta, KV-cache offset, per-token positions, scaled
 * frequency tables) on [B, L, H, D] or [B, H, L, D] views. Records shaders/rope.comp. */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], xs[4], ys[4];
    uint32_t x_off, y_off, n, units;
    uint32_t half_rot, pos_off, pos_bstride, pos_lstride;
    uint32_t flags;
    int32_t offset;
    float c_hi, c_lo;
    uint32_t f_off, f_stride;
} rope_push; /* matches shaders/rope.comp */

static int same_view(const vkattn_tensor *a, const vkattn_tensor *b) {
    return ou_same_storage(a, b) && a->offset == b->offset &&
           memcmp(a->strides, b->strides, sizeof a->strides) == 0 && a->dtype == b->dtype;
}

vkattn_status vkattn_rope(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y, const vkattn_rope_desc *desc) {
    static const vkattn_rope_desc defaults = {0};
    const char *op = "rope";
    vkattn_status st;
    char s1[80], s2[80];
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "rope: ctx is NULL");
    if (!desc) desc = &defaults;
    /* f16 on any device: packed words without 16-bit storage (the "_pk" variant) */
    if ((st = ou_check_param(ctx, x, op, "x")) || (st = ou_check_param(ctx, y, op, "y"))) return st;
    if (!ou_same_shape(x, y) || x->dtype != y->dtype)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "rope: x and y must have the same shape and dtype");
    if (x->ndim < 3)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "rope: x %s must be [B, L, H, D] / [B, H, L, D] (or without B)",
                            ou_shape_str(x, s1, sizeof s1));
    if (desc->mode != VKATTN_ROPE_NEOX && desc->mode != VKATTN_ROPE_GPTJ)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "rope: unknown mode %d", (int)desc->mode);
    if (desc->layout != VKATTN_ROPE_BLHD && desc->layout != VKATTN_ROPE_BHLD)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "rope: unknown layout %d", (int)desc->layout);
    rope_push p = {.x_off = (uint32_t)x->offset, .y_off = (uint32_t)y->offset};
    ou_layout4(x, p.shape, p.xs);
    ou_layout4(y, NULL, p.ys);
    uint32_t d = p.shape[3], rd = desc->rotary_dims ? desc->rotary_dims : d;
    if (rd % 2 || rd > d)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "rope: rotary_dims %u must be even and <= D = %u", rd,
                            d);
    double theta = desc->theta == 0 ? 10000.0 : desc->theta;
    if (!(theta > 0) || !isfinite(theta))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "rope: theta must be > 0 (is %g)", theta);
    uint32_t seq = desc->layout == VKATTN_ROPE_BHLD ? 2 : 1, len = p.shape[seq], batch = p.shape[0];
    if (desc->offset < -(int64_t)INT32_MAX || desc->offset + len > (int64_t)INT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "rope: offset %lld out of the 32-bit position range",
                            (long long)desc->offset);
    p.half_rot = rd / 2;
    p.offset = (int32_t)desc->offset;
    p.flags = (desc->mode == VKATTN_ROPE_GPTJ ? 1u : 0u) | (seq == 2 ? 2u : 0u);
    ou_freq_split(theta, rd, &p.c_hi, &p.c_lo);

    const vkattn_tensor *pos = desc->positions, *freq = desc->inv_freq;
    if (pos) {
        if ((st = vkattn__check_tensor(ctx, pos, op, "positions")) ||
            (st = ou_check_index_range(ctx, pos, op, "positions")))
            return st;
        int ok = pos->dtype == VKATTN_I32 && ((pos->ndim == 1 && pos->shape[0] == len) ||
                                              (pos->ndim == 2 && pos->shape[0] == batch && pos->shape[1] == len));
        if (!ok)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                                "rope: positions %s %s must be i32 [%u] or [%u, %u]", ou_shape_str(pos, s1, sizeof s1),
                                vkattn_dtype_string(pos->dtype), len, batch, len);
        p.flags |= 4u;
        p.pos_off = (uint32_t)pos->offset;
        p.pos_bstride = pos->ndim == 2 ? (uint32_t)pos->strides[0] : 0;
        p.pos_lstride = (uint32_t)pos->strides[pos->ndim - 1];
    }
    if (freq) {
        if ((st = ou_check_param(ctx, freq, op, "inv_freq"))) return st;
        if (freq->ndim != 1 || freq->shape[0] != rd / 2)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                                "rope: inv_freq %s must be [rotary_dims / 2] = [%u]", ou_shape_str(freq, s2, sizeof s2),
                                rd / 2);
        p.flags |= 8u | (freq->dtype == VKATTN_F16 ? 16u : 0u);
        p.f_off = (uint32_t)freq->offset;
        p.f_stride = (uint32_t)freq->strides[0];
    }
    /* in place, the dims past rotary_dims are already where they belong */
    p.units = p.half_rot + (same_view(x, y) ? 0 : d - rd);
    p.n = (uint32_t)(vkattn_tensor_numel(x) / d * p.units);
    uint32_t wg = ou_wg(ctx, 256);
    char name[32];
    vkattn__dispatch dp = {.shader = ou_variant(ctx, name, sizeof name, "rope", x->dtype),
                           .spec = {wg},
                           .n_spec = 1,
                           .push = &p,
                           .push_size = sizeof p,
                           /* absent positions / table bind x: never read */
                           .args = {{x, VKATTN__READ, 0, 0},
                                    {y, VKATTN__WRITE, 0, 0},
                                    {pos ? pos : x, VKATTN__READ, 0, 0},
                                    {freq ? freq : x, VKATTN__READ, 0, 0}},
                           .n_args = 4};
    vkattn__grid_1d(vkattn__div_up(p.n, wg), dp.groups);
    return ou_run(ctx, &dp);
}
