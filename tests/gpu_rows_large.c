/* Row-wise ops on a tensor larger than maxStorageBufferRange (128 MiB on
 * lavapipe): argmax, topk, softmax and rms_norm run in row chunks that each bind
 * only their rows. x [280, 130000] f32 = 145.6 MB. Checked against the references
 * on every row (argmax) or on the rows around the chunk boundary (the others,
 * OT_TOL_F32). Skipped where one binding holds the whole tensor (SwiftShader: 1 GiB). */
#include "opstest.h"

#include <string.h>

#define ROWS 280
#define V 130000

int main(void) {
    vkattn_context *ctx = th_context();
    const vkattn_device_info *info = vkattn_context_device(ctx);
    if (info->max_storage_buffer_range > 256ull << 20) th_skip(ctx, "maxStorageBufferRange above 256 MiB: nothing to split");
    th_seed(37);
    size_t n = (size_t)ROWS * V;
    float *x = th_alloc(n);
    th_fill_uniform(x, n, -8, 8);
    int64_t xs[2] = {ROWS, V}, is[1] = {ROWS}, ks[2] = {ROWS, 20};
    vkattn_tensor *tx = th_tensor(ctx, VKATTN_F32, 2, xs, x), *ti, *tk, *tv = th_tensor(ctx, VKATTN_F32, 2, ks, NULL);
    CHECK(vkattn_tensor_bytes(tx) > info->max_storage_buffer_range, "x does not exceed the binding limit");
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, is, &ti));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, ks, &tk));
    vkattn_stats s0, s1;
    vkattn_context_stats(ctx, &s0);
    CHECK_OK(ctx, vkattn_argmax(ctx, tx, ti));
    vkattn_context_stats(ctx, &s1);
    CHECK(s1.dispatches - s0.dispatches >= 2, "argmax ran in %llu dispatch(es), expected chunks",
          (unsigned long long)(s1.dispatches - s0.dispatches));
    CHECK_OK(ctx, vkattn_topk(ctx, tx, 20, tv, tk));
    int32_t *gi = calloc(ROWS, 4), *wi = calloc(ROWS, 4), gk[ROWS * 20], wk[20];
    float *gv = th_download(ctx, tv), wv[20];
    CHECK_OK(ctx, vkattn_tensor_download(ti, gi, ROWS * 4));
    CHECK_OK(ctx, vkattn_tensor_download(tk, gk, sizeof gk));
    ref_argmax(x, ROWS, V, wi);
    int bad = 0;
    for (int r = 0; r < ROWS; r++) bad += gi[r] != wi[r];
    CHECK(bad == 0, "argmax: %d of %d rows differ", bad, ROWS);
    static const int rows[] = {0, 1, 255, 256, 257, 258, ROWS - 1};
    for (size_t j = 0; j < sizeof rows / sizeof rows[0]; j++) {
        int r = rows[j];
        ref_topk(x + (size_t)r * V, 1, V, 20, wv, wk);
        CHECK(memcmp(wk, gk + r * 20, sizeof wk) == 0 && memcmp(wv, gv + r * 20, sizeof wv) == 0, "topk row %d differs", r);
    }
    /* softmax, then rms_norm of that, in place; the sampled rows are downloaded through row views */
    float *want = th_alloc(V), *soft = th_alloc(sizeof rows / sizeof rows[0] * V), *got = th_alloc(V);
    int64_t rs[2] = {1, V}, st[2] = {V, 1};
    CHECK_OK(ctx, vkattn_softmax(ctx, tx, tx));
    for (size_t j = 0; j < sizeof rows / sizeof rows[0]; j++) {
        vkattn_tensor *row;
        CHECK_OK(ctx, vkattn_tensor_view(tx, (uint64_t)rows[j] * V, 2, rs, st, &row));
        CHECK_OK(ctx, vkattn_tensor_download_f32(row, soft + j * V, V));
        ref_softmax(x + (size_t)rows[j] * V, 1, V, want);
        th_expect_close("softmax, chunked rows", soft + j * V, want, V, OT_TOL_F32);
        vkattn_tensor_destroy(row);
    }
    CHECK_OK(ctx, vkattn_rms_norm(ctx, tx, NULL, 1e-6f, tx));
    for (size_t j = 0; j < sizeof rows / sizeof rows[0]; j++) {
        vkattn_tensor *row;
        CHECK_OK(ctx, vkattn_tensor_view(tx, (uint64_t)rows[j] * V, 2, rs, st, &row));
        CHECK_OK(ctx, vkattn_tensor_download_f32(row, got, V));
        ref_rms_norm(soft + j * V, NULL, 1e-6f, 1, V, want);
        th_expect_close("rms_norm, chunked rows", got, want, V, OT_TOL_F32);
        vkattn_tensor_destroy(row);
    }
    free(x), free(gi), free(wi), free(gv), free(want), free(soft), free(got);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ti), vkattn_tensor_destroy(tk), vkattn_tensor_destroy(tv);
    return th_finish(ctx);
}
