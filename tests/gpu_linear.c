/* linear (y = x W^T + b) against ref_linear on odd shapes, for every storage
 * combination the device supports; block-quantized weights (Q8_0/Q4_0 from the host
 * quantizer, the other GGUF block types as random blocks) against the reference on the
 * dequantized weights; a stacked projection's parts of different types writing their columns of
 * one output (vkattn__linear_cols); argument errors. */
#include "harness.h"
#include "vkattn_ref.h"
#include "weights.h"
#include "ops/linear.h"

#include <stdlib.h>
#include <string.h>

/* f32 accumulation over K <= a few hundred: errors ~1e-7 of the output's scale. */
#define TOL_F32 1e-5
/* an f16 output adds its rounding, 2^-11 of the value */
#define TOL_F16_OUT 1e-3

static void round_to(vkattn_dtype dt, float *v, size_t n) {
    if (dt == VKATTN_F16) th_round_f16(v, n);
}

/* Weight magnitude: 1e-3 makes block scales f16 subnormals, which the shader must decode too. */
static float w_scale = 1.0f;

/* One case: x [lead..., K] -> y [lead..., N]; lead = {B, M/B} when B > 1. */
static void run_case(vkattn_context *ctx, int64_t B, int64_t M, int64_t N, int64_t K, vkattn_dtype xdt, vkattn_dtype wdt,
                     vkattn_dtype ydt, int with_bias) {
    size_t nx = (size_t)(M * K), nw = (size_t)(N * K), ny = (size_t)(M * N);
    float *x = th_alloc(nx), *w = th_alloc(nw), *b = th_alloc((size_t)N), *want = th_alloc(ny);
    th_fill_uniform(x, nx, -1, 1);
    th_fill_uniform(w, nw, -w_scale, w_scale);
    th_fill_uniform(b, (size_t)N, -w_scale, w_scale);
    round_to(xdt, x, nx);
    int64_t xs3[3] = {B, M / B, K}, ys3[3] = {B, M / B, N}, xs2[2] = {M, K}, ys2[2] = {M, N}, bs[1] = {N};
    uint32_t nd = B > 1 ? 3 : 2;
    vkattn_tensor *tx = th_tensor(ctx, xdt, nd, B > 1 ? xs3 : xs2, x);
    vkattn_tensor *tw = th_weight(ctx, wdt, N, K, w);
    vkattn_tensor *tb = with_bias ? th_tensor(ctx, VKATTN_F32, 1, bs, b) : NULL;
    vkattn_tensor *ty = th_tensor(ctx, ydt, nd, B > 1 ? ys3 : ys2, NULL);
    ref_linear(x, w, with_bias ? b : NULL, want, M, N, K);
    CHECK_OK(ctx, vkattn_linear(ctx, tx, tw, tb, ty));
    float *got = th_download(ctx, ty);
    char what[128];
    snprintf(what, sizeof what, "linear M=%lld N=%lld K=%lld x %s w %s y %s%s", (long long)M, (long long)N, (long long)K,
             vkattn_dtype_string(xdt), vkattn_dtype_string(wdt), vkattn_dtype_string(ydt), with_bias ? " +bias" : "");
    th_expect_close(what, got, want, ny, ydt == VKATTN_F16 ? TOL_F16_OUT : TOL_F32);
    free(x), free(w), free(b), free(want), free(got);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tw), vkattn_tensor_destroy(tb), vkattn_tensor_destroy(ty);
}

static const int64_t float_shapes[][3] = { /* M, N, K: edges of every tile, K = 1, N = 1, M = 1 */
    {1, 1, 1}, {1, 7, 5}, {3, 1, 9}, {1, 33, 1}, {5, 2, 3}, {17, 33, 65}, {64, 64, 64}, {9, 130, 96}, {130, 70, 37},
    {19, 300, 1024}, /* gemm_ubo: 19 slices of 16 rows of f32 W (10 of 32 of f16), the last one partial */
};
static const int64_t quant_shapes[][3] = { /* K multiple of 32 */
    {1, 1, 32}, {1, 13, 64}, {3, 1, 96}, {7, 33, 96}, {33, 70, 128}, {130, 9, 32},
    {1, 9, 256}, {2, 17, 1152}, {1, 40, 2048}, /* whole 4-block groups (gemm_ks reads them as 64-bit words) */
};

static void test_float(vkattn_context *ctx, vkattn_dtype xdt, vkattn_dtype wdt, vkattn_dtype ydt) {
    for (size_t i = 0; i < sizeof float_shapes / sizeof float_shapes[0]; i++)
        run_case(ctx, 1, float_shapes[i][0], float_shapes[i][1], float_shapes[i][2], xdt, wdt, ydt, (int)(i & 1));
}

static void test_quant(vkattn_context *ctx, vkattn_dtype xdt, vkattn_dtype wdt, vkattn_dtype ydt) {
    for (size_t i = 0; i < sizeof quant_shapes / sizeof quant_shapes[0]; i++)
        run_case(ctx, 1, quant_shapes[i][0], quant_shapes[i][1], quant_shapes[i][2], xdt, wdt, ydt, (int)(i & 1));
}

/* The other block types: a GEMV and a small GEMM each (K of 3 blocks of 32 or 2 of 256: rows of
 * Q5_0, IQ4_NL, Q3_K and Q6_K start 2 bytes off a word), and with an f16 x and y. */
static void test_block_types(vkattn_context *ctx) {
    static const vkattn_dtype types[] = {VKATTN_Q4_1, VKATTN_Q5_0, VKATTN_Q5_1, VKATTN_IQ4_NL, VKATTN_Q2_K,
                                         VKATTN_Q3_K, VKATTN_Q4_K, VKATTN_Q5_K, VKATTN_Q6_K, VKATTN_IQ4_XS};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        const int64_t qk = vkattn_dtype_block(types[t]);
        run_case(ctx, 1, 1, 9, qk == 32 ? 96 : 512, VKATTN_F32, types[t], VKATTN_F32, 1);
        run_case(ctx, 1, 7, 33, qk == 32 ? 64 : 256, VKATTN_F32, types[t], VKATTN_F32, 0);
        run_case(ctx, 1, 3, 5, qk == 32 ? 96 : 256, VKATTN_F16, types[t], VKATTN_F16, 0);
    }
    w_scale = 1e-3f; /* subnormal scales */
    run_case(ctx, 1, 2, 5, 256, VKATTN_F32, VKATTN_Q6_K, VKATTN_F32, 0);
    run_case(ctx, 1, 2, 5, 256, VKATTN_F32, VKATTN_Q4_K, VKATTN_F32, 0);
    w_scale = 1.0f;
}

/* gemm_ks reads the 32-value block types as 64-bit words in groups of 4 blocks (qgroup64.glsl; for
 * Q4_1, Q5_0, Q5_1 and IQ4_NL at one row of x per workgroup row: decoding, and short prompts on CPU
 * drivers): 20 groups per row (more than a subgroup's lanes), every block offset mod 8 the type has,
 * f16 x and y, bias. With the device's choice and with VKATTN_GEMM=ks (blocks of 4 rows of x at
 * M = 6). Run after the case list (whose random data stays as it was). */
static void test_group_gemv(vkattn_context *ctx) {
    static const vkattn_dtype group[] = {VKATTN_Q4_1, VKATTN_Q5_0, VKATTN_Q5_1, VKATTN_IQ4_NL, VKATTN_Q8_0, VKATTN_Q4_0};
    static const char *const kernels[] = {"", "ks"};
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        CHECK(setenv("VKATTN_GEMM", kernels[k], 1) == 0, "setenv");
        for (size_t t = 0; t < sizeof group / sizeof group[0]; t++) {
            run_case(ctx, 1, 1, 5, 2560, VKATTN_F16, group[t], VKATTN_F16, 1);
            run_case(ctx, 1, 6, 3, 1152, VKATTN_F32, group[t], VKATTN_F32, (int)(t & 1));
        }
    }
    CHECK(unsetenv("VKATTN_GEMM") == 0, "unsetenv");
}

/* gemm_ks reads the K-quant and IQ4_XS GEMVs as 64-bit words, half a super-block per lane: 18 halves
 * (more than a subgroup's lanes), Q3_K and Q6_K blocks at every even offset mod 8 (Q2_K's at 0 and
 * 4: its rows and blocks are multiples of 4 bytes), f16 x and y, subnormal scales. Run once, after
 * the case list (whose random data stays as it was). */
static void test_wide_gemv(vkattn_context *ctx) {
    static const vkattn_dtype wide[] = {VKATTN_Q2_K, VKATTN_Q3_K, VKATTN_Q4_K, VKATTN_Q5_K, VKATTN_Q6_K, VKATTN_IQ4_XS};
    for (size_t t = 0; t < sizeof wide / sizeof wide[0]; t++)
        run_case(ctx, 1, 1, 5, 2304, VKATTN_F16, wide[t], VKATTN_F16, 1);
    run_case(ctx, 1, 3, 4, 2304, VKATTN_F32, VKATTN_Q3_K, VKATTN_F32, 0);
    run_case(ctx, 1, 3, 4, 2304, VKATTN_F32, VKATTN_Q2_K, VKATTN_F32, 1);
    /* short prompts on CPU drivers take the same path, one row of x per workgroup row */
    run_case(ctx, 1, 6, 5, 512, VKATTN_F32, VKATTN_Q4_K, VKATTN_F16, 1);
    run_case(ctx, 2, 4, 3, 256, VKATTN_F16, VKATTN_Q6_K, VKATTN_F32, 0);
    w_scale = 1e-3f;
    run_case(ctx, 1, 1, 5, 256, VKATTN_F32, VKATTN_Q6_K, VKATTN_F32, 0);
    run_case(ctx, 1, 1, 5, 256, VKATTN_F32, VKATTN_Q4_K, VKATTN_F32, 0);
    w_scale = 1.0f;
}

static void test_errors(vkattn_context *ctx) {
    int64_t xs[2] = {4, 8}, ws[2] = {6, 8}, ys[2] = {4, 6}, bad_w[2] = {6, 9}, bad_y[2] = {4, 5}, bs[1] = {5};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 2, xs, NULL), *w = th_tensor(ctx, VKATTN_F32, 2, ws, NULL),
                  *y = th_tensor(ctx, VKATTN_F32, 2, ys, NULL), *w9 = th_tensor(ctx, VKATTN_F32, 2, bad_w, NULL),
                  *y5 = th_tensor(ctx, VKATTN_F32, 2, bad_y, NULL), *b5 = th_tensor(ctx, VKATTN_F32, 1, bs, NULL);
    CHECK_STATUS(ctx, vkattn_linear(ctx, x, w9, NULL, y), VKATTN_ERROR_INVALID_ARGUMENT); /* K mismatch */
    CHECK_STATUS(ctx, vkattn_linear(ctx, x, w, NULL, y5), VKATTN_ERROR_INVALID_ARGUMENT); /* N mismatch */
    CHECK_STATUS(ctx, vkattn_linear(ctx, x, w, b5, y), VKATTN_ERROR_INVALID_ARGUMENT);    /* bias length */
    CHECK_STATUS(ctx, vkattn_linear(ctx, x, w, NULL, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_linear(NULL, x, w, NULL, y), VKATTN_ERROR_INVALID_ARGUMENT);
    /* y viewing x's memory */
    vkattn_tensor *alias = NULL;
    int64_t as[2] = {4, 6}, ast[2] = {6, 1};
    CHECK_OK(ctx, vkattn_tensor_view(x, 0, 2, as, ast, &alias));
    CHECK_STATUS(ctx, vkattn_linear(ctx, x, w, NULL, alias), VKATTN_ERROR_INVALID_ARGUMENT);
    /* transposed (strided) x */
    vkattn_tensor *xt = NULL;
    int64_t ts[2] = {8, 4}, tst[2] = {1, 8};
    CHECK_OK(ctx, vkattn_tensor_view(x, 0, 2, ts, tst, &xt));
    CHECK_STATUS(ctx, vkattn_linear(ctx, xt, w, NULL, y), VKATTN_ERROR_INVALID_ARGUMENT);
    /* i32 x */
    vkattn_tensor *xi = NULL;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, xs, &xi));
    CHECK_STATUS(ctx, vkattn_linear(ctx, xi, w, NULL, y), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(alias), vkattn_tensor_destroy(xt), vkattn_tensor_destroy(xi);
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(w), vkattn_tensor_destroy(y), vkattn_tensor_destroy(w9);
    vkattn_tensor_destroy(y5), vkattn_tensor_destroy(b5);
}

/* x and y as views at non-zero offsets, and two linears chained in one batch. */
static void test_views_batch(vkattn_context *ctx) {
    const int64_t M = 5, K = 12, N = 7;
    int64_t big[1] = {100}, xs[2] = {M, K}, xst[2] = {K, 1}, ws[2] = {N, K}, ws2[2] = {3, N}, ys[2] = {M, N}, zs[2] = {M, 3};
    float xb[100], w[N * K], w2[3 * N], mid[M * N], want[M * 3];
    th_fill_uniform(xb, 100, -1, 1);
    th_fill_uniform(w, (size_t)(N * K), -1, 1);
    th_fill_uniform(w2, (size_t)(3 * N), -1, 1);
    vkattn_tensor *tb = th_tensor(ctx, VKATTN_F32, 1, big, xb), *tx = NULL, *tw = th_tensor(ctx, VKATTN_F32, 2, ws, w),
                  *tw2 = th_tensor(ctx, VKATTN_F32, 2, ws2, w2), *ty = th_tensor(ctx, VKATTN_F32, 2, ys, NULL),
                  *tz = th_tensor(ctx, VKATTN_F32, 2, zs, NULL);
    CHECK_OK(ctx, vkattn_tensor_view(tb, 13, 2, xs, xst, &tx));
    ref_linear(xb + 13, w, NULL, mid, M, N, K);
    ref_linear(mid, w2, NULL, want, M, 3, N);
    CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_OK(ctx, vkattn_linear(ctx, tx, tw, NULL, ty));
    CHECK_OK(ctx, vkattn_linear(ctx, ty, tw2, NULL, tz));
    CHECK_OK(ctx, vkattn_submit(ctx));
    float *got = th_download(ctx, tz);
    th_expect_close("linear chained, x a view at offset 13", got, want, (size_t)(M * 3), TOL_F32);
    free(got);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tb), vkattn_tensor_destroy(tw), vkattn_tensor_destroy(tw2);
    vkattn_tensor_destroy(ty), vkattn_tensor_destroy(tz);
}

/* An f16 weight takes half the device memory of an f32 one, with or without 16-bit storage. */
static void test_f16_bytes(vkattn_context *ctx, const vkattn_device_info *info) {
    const int64_t s[2] = {96, 250};
    uint64_t used[2];
    for (int h = 0; h < 2; h++) {
        vkattn_stats a, b;
        vkattn_context_stats(ctx, &a);
        vkattn_tensor *t = th_tensor(ctx, h ? VKATTN_F16 : VKATTN_F32, 2, s, NULL);
        vkattn_context_stats(ctx, &b);
        used[h] = b.device_bytes_in_use - a.device_bytes_in_use;
        vkattn_tensor_destroy(t);
    }
    CHECK(used[0] == 96 * 250 * 4 && used[1] * 2 == used[0], "f32 weight takes %llu bytes, f16 %llu (16-bit storage: %s)",
          (unsigned long long)used[0], (unsigned long long)used[1], info->storage16 ? "yes" : "no");
    printf("f16 weight [96, 250]: %llu bytes, f32: %llu (16-bit storage: %s)\n", (unsigned long long)used[1],
           (unsigned long long)used[0], info->storage16 ? "yes" : "no");
}

/* vkattn__linear_cols (the model loader's stacks whose parts differ in type): parts q4_K, q6_K and f32 each
 * write their columns of one y [M, 16] with one bias [16]; equal to one linear over the stacked rows. A
 * column range outside y is an argument error. */
static void test_cols(vkattn_context *ctx, int64_t M) {
    enum { K = 256, NP = 3, NY = 16 };
    static const vkattn_dtype types[NP] = {VKATTN_Q4_K, VKATTN_Q6_K, VKATTN_F32};
    static const int64_t rows[NP] = {9, 4, 3};
    float *x = th_alloc((size_t)(M * K)), *w = th_alloc(NY * K), *b = th_alloc(NY), *want = th_alloc((size_t)(M * NY));
    th_fill_uniform(x, (size_t)(M * K), -1, 1);
    th_fill_uniform(w, NY * K, -1, 1);
    th_fill_uniform(b, NY, -1, 1);
    int64_t xs[2] = {M, K}, ys[2] = {M, NY}, bs[1] = {NY};
    vkattn_tensor *tx = th_tensor(ctx, VKATTN_F32, 2, xs, x), *tb = th_tensor(ctx, VKATTN_F32, 1, bs, b);
    vkattn_tensor *ty = th_tensor(ctx, VKATTN_F32, 2, ys, NULL), *tw[NP];
    int64_t col = 0;
    for (int i = 0; i < NP; i++) {
        tw[i] = th_weight(ctx, types[i], rows[i], K, w + col * K); /* w holds the decoded values afterwards */
        col += rows[i];
    }
    col = 0;
    CHECK_OK(ctx, vkattn_begin(ctx));
    for (int i = 0; i < NP; i++) {
        CHECK_OK(ctx, vkattn__linear_cols(ctx, tx, tw[i], tb, ty, col));
        col += rows[i];
    }
    CHECK_OK(ctx, vkattn_submit(ctx));
    ref_linear(x, w, b, want, M, NY, K);
    float *got = th_download(ctx, ty);
    char what[64];
    snprintf(what, sizeof what, "linear_cols M=%lld: q4_K | q6_K | f32 parts, one bias", (long long)M);
    th_expect_close(what, got, want, (size_t)(M * NY), TOL_F32);
    CHECK_STATUS(ctx, vkattn__linear_cols(ctx, tx, tw[0], tb, ty, NY - rows[0] + 1), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn__linear_cols(ctx, tx, tw[0], tb, ty, -1), VKATTN_ERROR_INVALID_ARGUMENT);
    free(x), free(w), free(b), free(want), free(got);
    for (int i = 0; i < NP; i++) vkattn_tensor_destroy(tw[i]);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tb), vkattn_tensor_destroy(ty);
}

/* The whole case list, with the kernel vkattn_linear picks for the device or the one forced by VKATTN_GEMM. */
static void test_all(vkattn_context *ctx) {
    test_views_batch(ctx);
    test_float(ctx, VKATTN_F32, VKATTN_F32, VKATTN_F32);
    test_quant(ctx, VKATTN_F32, VKATTN_Q8_0, VKATTN_F32);
    test_quant(ctx, VKATTN_F32, VKATTN_Q4_0, VKATTN_F32);
    run_case(ctx, 3, 12, 20, 9, VKATTN_F32, VKATTN_F32, VKATTN_F32, 1); /* 3-D x */
    test_block_types(ctx);
    test_cols(ctx, 7);
    test_cols(ctx, 1);
    w_scale = 1e-3f; /* subnormal block scales */
    run_case(ctx, 1, 5, 9, 64, VKATTN_F32, VKATTN_Q8_0, VKATTN_F32, 0);
    run_case(ctx, 1, 5, 9, 64, VKATTN_F32, VKATTN_Q4_0, VKATTN_F32, 0);
    w_scale = 1.0f;
    /* f16 x, W, y: float16_t with 16-bit storage, packed words without (the "_pk" kernels) */
    test_float(ctx, VKATTN_F16, VKATTN_F16, VKATTN_F16);
    test_float(ctx, VKATTN_F32, VKATTN_F16, VKATTN_F32);
    test_float(ctx, VKATTN_F16, VKATTN_F32, VKATTN_F32);
    test_float(ctx, VKATTN_F32, VKATTN_F32, VKATTN_F16);
    test_quant(ctx, VKATTN_F16, VKATTN_Q8_0, VKATTN_F16);
    test_quant(ctx, VKATTN_F16, VKATTN_Q4_0, VKATTN_F32);
    test_quant(ctx, VKATTN_F32, VKATTN_Q4_0, VKATTN_F16);
}

int main(void) {
    vkattn_context *ctx = th_context();
    const vkattn_device_info *info = vkattn_context_device(ctx);
    th_seed(4);
    test_errors(ctx);
    /* VKATTN_GEMM: an unknown kernel name is an argument error */
    {
        int64_t s[2] = {2, 4};
        vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 2, s, NULL), *w = th_tensor(ctx, VKATTN_F32, 2, s, NULL),
                      *y = th_tensor(ctx, VKATTN_F32, 2, (int64_t[2]){2, 2}, NULL);
        CHECK(setenv("VKATTN_GEMM", "fast", 1) == 0, "setenv");
        CHECK_STATUS(ctx, vkattn_linear(ctx, x, w, NULL, y), VKATTN_ERROR_INVALID_ARGUMENT);
        CHECK(strstr(vkattn_context_error(ctx), "VKATTN_GEMM") != NULL, "message: %s", vkattn_context_error(ctx));
        vkattn_tensor_destroy(x), vkattn_tensor_destroy(w), vkattn_tensor_destroy(y);
    }
    /* the device's choice, then every kernel forced (ks and ubo run only where the device has subgroup
     * arithmetic and 64-bit integers; elsewhere they run the blocked kernel; ubo only on f32/f16 W
     * whose rows fit, ks elsewhere) */
    static const char *const kernels[] = {"", "tiled", "blocked", "ks", "ubo"};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        CHECK(setenv("VKATTN_GEMM", kernels[i], 1) == 0, "setenv");
        printf("VKATTN_GEMM=%s\n", kernels[i]);
        test_all(ctx);
    }
    CHECK(unsetenv("VKATTN_GEMM") == 0, "unsetenv");
    test_wide_gemv(ctx);
    test_group_gemv(ctx);
    test_f16_bytes(ctx, info);
    return th_finish(ctx);
}
