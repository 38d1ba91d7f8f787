/* Core: tensors, upload/download, fill, strided copy with f16 conversion,
 * batching and barriers, error paths. */
#include "harness.h"
#include "vkattn_ref.h"

#include <string.h>

static void test_roundtrip(vkattn_context *ctx) {
    int64_t shape[2] = {3, 5};
    float x[15], y[15] = {0};
    th_fill_uniform(x, 15, -4, 4);
    vkattn_tensor *t = th_tensor(ctx, VKATTN_F32, 2, shape, x);
    CHECK_OK(ctx, vkattn_tensor_download_f32(t, y, 15));
    CHECK(memcmp(x, y, sizeof x) == 0, "f32 round trip differs");
    CHECK_STATUS(ctx, vkattn_tensor_download_f32(t, y, 14), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(t);
}

static void test_fill(vkattn_context *ctx) {
    int64_t shape[1] = {1001};
    vkattn_tensor *t = th_tensor(ctx, VKATTN_F32, 1, shape, NULL);
    CHECK_OK(ctx, vkattn_fill(ctx, t, -1.5f));
    float *y = th_download(ctx, t);
    int bad = 0;
    for (int i = 0; i < 1001; i++) bad += y[i] != -1.5f;
    CHECK(bad == 0, "%d elements not filled", bad);
    free(y);
    vkattn_tensor_destroy(t);
    vkattn_tensor *i32;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, shape, &i32));
    CHECK_OK(ctx, vkattn_fill(ctx, i32, 7));
    int32_t iv[1001];
    CHECK_OK(ctx, vkattn_tensor_download(i32, iv, sizeof iv));
    CHECK(iv[0] == 7 && iv[1000] == 7, "i32 fill: %d %d", iv[0], iv[1000]);
    vkattn_tensor_destroy(i32);
}

/* A transposing strided copy, checked against ref_copy_strided. */
static void test_copy(vkattn_context *ctx, vkattn_dtype sdt, vkattn_dtype ddt) {
    int64_t shape[4] = {2, 3, 17, 9};
    size_t n = 2 * 3 * 17 * 9;
    float *x = th_alloc(n), *want = th_alloc(n);
    th_fill_uniform(x, n, -100, 100);
    if (sdt == VKATTN_F16 || ddt == VKATTN_F16) th_round_f16(x, n);
    vkattn_tensor *src = th_tensor(ctx, sdt, 4, shape, x);
    /* view of src as [2, 17, 3, 9] (swap dims 1 and 2) */
    int64_t vshape[4] = {2, 17, 3, 9}, vstride[4] = {3 * 17 * 9, 9, 17 * 9, 1};
    vkattn_tensor *view, *dst = th_tensor(ctx, ddt, 4, vshape, NULL);
    CHECK_OK(ctx, vkattn_tensor_view(src, 0, 4, vshape, vstride, &view));
    CHECK_OK(ctx, vkattn_copy(ctx, view, dst));
    int64_t dstride[4] = {17 * 3 * 9, 3 * 9, 9, 1};
    ref_copy_strided(x, vshape, vstride, want, dstride);
    float *got = th_download(ctx, dst);
    char what[64];
    snprintf(what, sizeof what, "copy %s->%s transposed", vkattn_dtype_string(sdt), vkattn_dtype_string(ddt));
    th_expect_close(what, got, want, n, 0);
    free(x), free(want), free(got);
    vkattn_tensor_destroy(view);
    vkattn_tensor_destroy(src);
    vkattn_tensor_destroy(dst);
}

/* Independent dispatches share a barrier interval; dependent ones get one. */
static void test_barriers(vkattn_context *ctx) {
    int64_t shape[1] = {256};
    vkattn_tensor *a = th_tensor(ctx, VKATTN_F32, 1, shape, NULL), *b = th_tensor(ctx, VKATTN_F32, 1, shape, NULL),
                  *c = th_tensor(ctx, VKATTN_F32, 1, shape, NULL);
    vkattn_stats s0, s1;
    CHECK_OK(ctx, vkattn_begin(ctx));
    vkattn_context_stats(ctx, &s0);
    CHECK_OK(ctx, vkattn_fill(ctx, a, 1));
    CHECK_OK(ctx, vkattn_fill(ctx, b, 2)); /* independent: no barrier */
    CHECK_OK(ctx, vkattn_copy(ctx, a, c)); /* reads a: barrier */
    CHECK_OK(ctx, vkattn_fill(ctx, b, 3)); /* b untouched since the barrier: none */
    CHECK_OK(ctx, vkattn_fill(ctx, a, 4)); /* a was read by the copy: barrier (WAR) */
    vkattn_context_stats(ctx, &s1);
    CHECK_OK(ctx, vkattn_submit(ctx));
    CHECK(s1.barriers - s0.barriers == 2, "expected 2 barriers, recorded %llu", (unsigned long long)(s1.barriers - s0.barriers));
    float *vc = th_download(ctx, c), *va = th_download(ctx, a);
    CHECK(vc[255] == 1 && va[0] == 4, "batched results wrong: c=%g a=%g", vc[255], va[0]);
    free(vc), free(va);
    vkattn_tensor_destroy(a), vkattn_tensor_destroy(b), vkattn_tensor_destroy(c);
}

static void test_errors(vkattn_context *ctx) {
    vkattn_tensor *t = NULL;
    int64_t bad[2] = {4, 0}, ok[2] = {4, 33};
    CHECK_STATUS(ctx, vkattn_tensor_create(ctx, VKATTN_F32, 2, bad, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(t == NULL, "out not cleared on failure");
    CHECK_STATUS(ctx, vkattn_tensor_create(ctx, VKATTN_Q8_0, 2, ok, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "multiple of 32") != NULL, "message: %s", vkattn_context_error(ctx));
    CHECK_STATUS(ctx, vkattn_submit(ctx), VKATTN_ERROR_STATE);
    vkattn_tensor_destroy(NULL);
    /* a view may not reach past its base */
    vkattn_tensor *base = th_tensor(ctx, VKATTN_F32, 2, ok, NULL), *v = NULL;
    int64_t vs[1] = {200}, st[1] = {1};
    CHECK_STATUS(ctx, vkattn_tensor_view(base, 0, 1, vs, st, &v), VKATTN_ERROR_INVALID_ARGUMENT);
    /* upload inside a batch is refused */
    float x[132] = {0};
    CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_STATUS(ctx, vkattn_tensor_upload_f32(base, x, 132), VKATTN_ERROR_STATE);
    CHECK_OK(ctx, vkattn_submit(ctx));
    vkattn_tensor_destroy(base);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(1);
    test_roundtrip(ctx);
    test_fill(ctx);
    test_copy(ctx, VKATTN_F32, VKATTN_F32);
    test_barriers(ctx);
    test_errors(ctx);
    /* f16: float16_t with 16-bit storage, packed words without */
    test_copy(ctx, VKATTN_F16, VKATTN_F16);
    test_copy(ctx, VKATTN_F32, VKATTN_F16);
    test_copy(ctx, VKATTN_F16, VKATTN_F32);
    return th_finish(ctx);
}
