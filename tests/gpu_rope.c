/* RoPE against ref_rope (double): NeoX and GPT-J forms, full and partial
 * rotary dims (odd D), theta 1e4 / 5e5, [B, L, H, D] and [B, H, L, D] and 3-D
 * views, KV-cache offsets, per-token position tensors, frequency tables (f32,
 * f16), the k part of a packed qkv tensor rotated in place, f32 and f16.
 * Tolerance relative to the output's scale: OT_TOL_F32 / OT_TOL_F16 plus
 * 3e-7 x the largest position (the f32 angle pos * inv_freq, as in PyTorch,
 * carries ~1.5e-7 relative error from inv_freq and the product). */
#include "opstest.h"

typedef struct {
    const char *name;
    uint32_t ndim;
    int64_t shape[4];
    vkattn_rope_desc desc;
    int pos_kind;  /* 0 none, 1 [L], 2 [B, L] */
    int freq_kind; /* 0 none, 1 f32 table, 2 f16 table */
    int inplace;
} rope_case;

static double tol_for(vkattn_dtype dt, double max_pos) { return ot_tol(dt) + 3e-7 * max_pos; }

static void check_case(vkattn_context *ctx, vkattn_dtype dt, const rope_case *c) {
    int64_t s4[4] = {1, 1, 1, 1};
    for (uint32_t i = 0; i < c->ndim; i++) s4[4 - c->ndim + i] = c->shape[i];
    size_t n = (size_t)(s4[0] * s4[1] * s4[2] * s4[3]);
    int seq = c->desc.layout == VKATTN_ROPE_BHLD ? 2 : 1;
    int64_t len = s4[seq], batch = s4[0], d = s4[3];
    int rd = c->desc.rotary_dims ? (int)c->desc.rotary_dims : (int)d;
    float *x = ot_data(n, -2, 2, dt), *want = th_alloc(n), freq[512];
    int32_t pos[4096];
    double max_pos = (double)c->desc.offset + (double)len;
    vkattn_rope_desc desc = c->desc;
    vkattn_tensor *tpos = NULL, *tfreq = NULL;
    if (c->pos_kind) {
        for (int64_t i = 0; i < batch * len; i++) pos[i] = (int32_t)((i * 7919) % 173); /* scattered, repeated */
        max_pos = (double)c->desc.offset + 173;
        int64_t ps[2] = {c->pos_kind == 2 ? batch : len, len};
        CHECK_OK(ctx,
                 vkattn_tensor_create(ctx, VKATTN_I32, (uint32_t)c->pos_kind, c->pos_kind == 2 ? ps : ps + 1, &tpos));
        CHECK_OK(ctx, vkattn_tensor_upload(tpos, pos, (size_t)(c->pos_kind == 2 ? batch : 1) * (size_t)len * 4));
        desc.positions = tpos;
    }
    if (c->freq_kind) {
        for (int i = 0; i < rd / 2; i++) freq[i] = 0.9f / (float)(1 + i * i); /* not theta-shaped */
        if (c->freq_kind == 2) th_round_f16(freq, (size_t)rd / 2);
        int64_t fs[1] = {rd / 2};
        tfreq = th_tensor(ctx, c->freq_kind == 2 ? VKATTN_F16 : VKATTN_F32, 1, fs, freq);
        desc.inv_freq = tfreq;
    }
    vkattn_tensor *tx = th_tensor(ctx, dt, c->ndim, c->shape, x);
    vkattn_tensor *ty = c->inplace ? tx : th_tensor(ctx, dt, c->ndim, c->shape, NULL);
    CHECK_OK(ctx, vkattn_rope(ctx, tx, ty, &desc));
    double theta = c->desc.theta ? c->desc.theta : 10000.0;
    ref_rope(x, s4, seq, c->desc.mode == VKATTN_ROPE_GPTJ, rd, theta, c->freq_kind ? freq : NULL, c->desc.offset,
             c->pos_kind ? pos : NULL, c->pos_kind == 2 ? len : 0, want);
    char what[128];
    snprintf(what, sizeof what, "rope %s %s", c->name, vkattn_dtype_string(dt));
    ot_check(ctx, what, ty, want, tol_for(dt, max_pos));
    free(x), free(want);
    if (!c->inplace) vkattn_tensor_destroy(ty);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tpos), vkattn_tensor_destroy(tfreq);
}

/* k of a packed qkv [B, L, 3 H D] is the view [B, L, H, D] at offset H D,
 * strides (L 3HD, 3HD, D, 1); rotated in place, q and v must stay as they were. */
static void check_packed_qkv(vkattn_context *ctx, vkattn_dtype dt) {
    int64_t b = 2, l = 5, h = 3, d = 16, qkv[3] = {b, l, 3 * h * d}, vs[4] = {b, l, h, d},
            st[4] = {l * 3 * h * d, 3 * h * d, d, 1}, k4[4] = {b, l, h, d};
    size_t n = (size_t)(b * l * 3 * h * d), nk = (size_t)(b * l * h * d);
    float *x = ot_data(n, -1, 1, dt), *k = th_alloc(nk), *kr = th_alloc(nk), *want = th_alloc(n);
    for (size_t i = 0; i < nk; i++) {
        size_t row = i / (size_t)(h * d), col = i % (size_t)(h * d);
        k[i] = x[row * (size_t)(3 * h * d) + (size_t)(h * d) + col];
    }
    vkattn_rope_desc desc = {.mode = VKATTN_ROPE_NEOX, .offset = 11};
    ref_rope(k, k4, 1, 0, (int)d, 10000.0, NULL, 11, NULL, 0, kr);
    for (size_t i = 0; i < n; i++) want[i] = x[i];
    for (size_t i = 0; i < nk; i++) {
        size_t row = i / (size_t)(h * d), col = i % (size_t)(h * d);
        want[row * (size_t)(3 * h * d) + (size_t)(h * d) + col] = kr[i];
    }
    vkattn_tensor *t = th_tensor(ctx, dt, 3, qkv, x), *view;
    CHECK_OK(ctx, vkattn_tensor_view(t, (uint64_t)(h * d), 4, vs, st, &view));
    CHECK_OK(ctx, vkattn_rope(ctx, view, view, &desc));
    ot_check(ctx, "rope k of packed qkv, in place", t, want, tol_for(dt, 16));
    free(x), free(k), free(kr), free(want);
    vkattn_tensor_destroy(view), vkattn_tensor_destroy(t);
}

static void check_errors(vkattn_context *ctx) {
    int64_t s[4] = {1, 3, 2, 8}, s2[2] = {3, 8}, ps[1] = {3}, pb[1] = {4}, fs[1] = {3};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 4, s, NULL), *x2 = th_tensor(ctx, VKATTN_F32, 2, s2, NULL);
    vkattn_tensor *pf = th_tensor(ctx, VKATTN_F32, 1, ps, NULL), *f3 = th_tensor(ctx, VKATTN_F32, 1, fs, NULL), *p4,
                  *p3;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, pb, &p4));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, ps, &p3));
    vkattn_rope_desc d = {.rotary_dims = 7};
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "rotary_dims") != NULL, "message: %s", vkattn_context_error(ctx));
    d.rotary_dims = 10;
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    d = (vkattn_rope_desc){.theta = -1};
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    d = (vkattn_rope_desc){.mode = (vkattn_rope_mode)5};
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    d = (vkattn_rope_desc){.positions = pf};
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    d = (vkattn_rope_desc){.positions = p4};
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    d = (vkattn_rope_desc){.positions = p3, .inv_freq = f3};
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    d = (vkattn_rope_desc){.positions = p3, .layout = VKATTN_ROPE_BHLD}; /* BHLD: L = 2 */
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x, &d), VKATTN_ERROR_INVALID_ARGUMENT);
    d = (vkattn_rope_desc){.positions = p3};
    CHECK_OK(ctx, vkattn_rope(ctx, x, x, &d));
    CHECK_STATUS(ctx, vkattn_rope(ctx, x2, x2, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_rope(ctx, x, x2, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(x2), vkattn_tensor_destroy(pf), vkattn_tensor_destroy(f3);
    vkattn_tensor_destroy(p4), vkattn_tensor_destroy(p3);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(17);
    static const rope_case cases[] = {
        {"neox BLHD", 4, {2, 5, 3, 64}, {.mode = VKATTN_ROPE_NEOX}, 0, 0, 0},
        {"gptj BLHD offset 100", 4, {1, 7, 2, 64}, {.mode = VKATTN_ROPE_GPTJ, .offset = 100}, 0, 0, 0},
        {"neox partial 20/80", 4, {2, 4, 3, 80}, {.rotary_dims = 20}, 0, 0, 0},
        {"gptj partial 64/256 in place", 4, {1, 3, 5, 256}, {.mode = VKATTN_ROPE_GPTJ, .rotary_dims = 64}, 0, 0, 1},
        {"neox partial 32/33 in place", 4, {1, 3, 2, 33}, {.rotary_dims = 32, .offset = 5}, 0, 0, 1},
        {"neox BHLD theta 5e5 offset 37",
         4,
         {2, 3, 9, 34},
         {.layout = VKATTN_ROPE_BHLD, .theta = 5e5f, .offset = 37},
         0,
         0,
         0},
        {"gptj 3-D [L, H, D]", 3, {6, 4, 16}, {.mode = VKATTN_ROPE_GPTJ}, 0, 0, 0},
        {"neox 3-D [H, L, D] BHLD", 3, {4, 6, 16}, {.layout = VKATTN_ROPE_BHLD, .offset = 3}, 0, 0, 0},
        {"neox positions [L]", 4, {1, 9, 2, 32}, {.offset = 2}, 1, 0, 0},
        {"gptj positions [B, L] BHLD",
         4,
         {3, 2, 9, 32},
         {.mode = VKATTN_ROPE_GPTJ, .layout = VKATTN_ROPE_BHLD},
         2,
         0,
         0},
        {"neox inv_freq f32", 4, {1, 4, 2, 24}, {.offset = 9}, 0, 1, 0},
        {"gptj inv_freq f16 partial", 4, {1, 4, 2, 24}, {.mode = VKATTN_ROPE_GPTJ, .rotary_dims = 12}, 0, 2, 0},
        {"neox offset 8000", 4, {1, 3, 2, 128}, {.offset = 8000}, 0, 0, 0},
    };
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    for (int k = 0; k < ndt; k++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(ctx, dts[k], &cases[i]);
        check_packed_qkv(ctx, dts[k]);
    }
    check_errors(ctx);
    return th_finish(ctx);
}
