/* embedding (y = table[ids]) against ref_embedding: every table dtype (f32, f16,
 * every block type; block tables against their dequantized values) into f32 and f16 y
 * (float16_t with 16-bit storage, packed words without); odd D; ids of several shapes including out-of-range ones
 * (zero rows); views at offsets; a table beyond maxStorageBufferRange (bound in
 * slices); argument errors. Exact for f32 y (a copy of what the device holds),
 * f16 rounding (2^-11 relative) for f16 y. */
#include "harness.h"
#include "vkattn_ref.h"
#include "weights.h"

#include <string.h>

#define TOL_F16_OUT 1e-3

/* ids: random rows of [0, V) with out-of-range values (and row V - 1) mixed in. */
static int32_t *make_ids(size_t n, int64_t V) {
    int32_t *ids = calloc(n, sizeof *ids);
    CHECK(ids != NULL, "out of memory");
    static const int32_t bad[] = {-1, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)(th_uniform(0, 1) * (float)V) % (int32_t)V;
    if (n > 2) ids[n - 1] = (int32_t)V - 1;
    for (size_t i = 1; i < n; i += 5) ids[i] = i % 10 == 1 ? (int32_t)V : bad[(i / 5) % 3];
    return ids;
}

static vkattn_tensor *ids_tensor(vkattn_context *ctx, uint32_t ndim, const int64_t *shape, const int32_t *ids, size_t n) {
    vkattn_tensor *t = NULL;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, ndim, shape, &t));
    CHECK_OK(ctx, vkattn_tensor_upload(t, ids, n * sizeof *ids));
    return t;
}

/* One case: table [V, D] of tdt, n ids shaped [2, n/2] (y [2, n/2, D]) when nd2, else [n] (y [n, D]). */
static void run_case(vkattn_context *ctx, vkattn_dtype tdt, vkattn_dtype ydt, int64_t V, int64_t D, size_t n, int nd2) {
    float *table = th_alloc((size_t)(V * D)), *want = th_alloc(n * (size_t)D);
    th_fill_uniform(table, (size_t)(V * D), -3, 3);
    vkattn_tensor *tt = th_weight(ctx, tdt, V, D, table); /* table now holds what the device holds */
    if (ydt == VKATTN_F16) th_round_f16(table, (size_t)(V * D));
    int32_t *ids = make_ids(n, V);
    int64_t is2[2] = {2, (int64_t)n / 2}, is1[1] = {(int64_t)n}, ys3[3] = {2, (int64_t)n / 2, D}, ys2[2] = {(int64_t)n, D};
    vkattn_tensor *ti = ids_tensor(ctx, nd2 ? 2 : 1, nd2 ? is2 : is1, ids, n);
    vkattn_tensor *ty = th_tensor(ctx, ydt, nd2 ? 3 : 2, nd2 ? ys3 : ys2, NULL);
    ref_embedding(table, V, D, ids, n, want);
    CHECK_OK(ctx, vkattn_embedding(ctx, tt, ti, ty));
    char what[128];
    snprintf(what, sizeof what, "embedding V=%lld D=%lld n=%zu table %s y %s", (long long)V, (long long)D, n,
             vkattn_dtype_string(tdt), vkattn_dtype_string(ydt));
    float *got = th_download(ctx, ty);
    th_expect_close(what, got, want, n * (size_t)D, ydt == VKATTN_F16 ? TOL_F16_OUT : 0.0);
    free(table), free(want), free(ids), free(got);
    vkattn_tensor_destroy(tt), vkattn_tensor_destroy(ti), vkattn_tensor_destroy(ty);
}

static void test_dtypes(vkattn_context *ctx) {
    static const int64_t float_shapes[][3] = {{1, 1, 3}, {7, 33, 10}, {50, 5, 31}, {300, 130, 64}, {2, 4097, 4}};
    static const int64_t block_shapes[][3] = {{3, 32, 5}, {40, 96, 20}, {129, 64, 33}};
    const vkattn_dtype ydts[2] = {VKATTN_F32, VKATTN_F16};
    const int nyd = 2; /* an f16 y: float16_t, or packed words without 16-bit storage */
    for (int yi = 0; yi < nyd; yi++) {
        for (size_t i = 0; i < sizeof float_shapes / sizeof float_shapes[0]; i++)
            for (int f16 = 0; f16 < 2; f16++)
                run_case(ctx, f16 ? VKATTN_F16 : VKATTN_F32, ydts[yi], float_shapes[i][0], float_shapes[i][1],
                         (size_t)float_shapes[i][2], (int)(i & 1));
        for (size_t i = 0; i < sizeof block_shapes / sizeof block_shapes[0]; i++)
            for (int q4 = 0; q4 < 2; q4++)
                run_case(ctx, q4 ? VKATTN_Q4_0 : VKATTN_Q8_0, ydts[yi], block_shapes[i][0], block_shapes[i][1],
                         (size_t)block_shapes[i][2], (int)(i & 1));
    }
    /* the other block types, one shape each (D of 3 blocks of 32 or 2 of 256; rows of Q5_0, IQ4_NL, Q3_K
     * and Q6_K start 2 bytes off a word) */
    static const vkattn_dtype types[] = {VKATTN_Q4_1, VKATTN_Q5_0, VKATTN_Q5_1, VKATTN_IQ4_NL, VKATTN_Q2_K,
                                         VKATTN_Q3_K, VKATTN_Q4_K, VKATTN_Q5_K, VKATTN_Q6_K, VKATTN_IQ4_XS};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (int yi = 0; yi < nyd; yi++)
            run_case(ctx, types[t], ydts[yi], 7, vkattn_dtype_block(types[t]) == 32 ? 96 : 512, 10, (int)(t & 1));
}

/* table, ids and y as views at odd element offsets of larger tensors; y f32 and f16 (an odd
 * offset and odd D put y's first and last values in words shared with its neighbours, which
 * must keep their values). */
static void test_views(vkattn_context *ctx, vkattn_dtype ydt) {
    const int64_t V = 9, D = 7;
    const size_t n = 6;
    int64_t big[1] = {200}, ts[2] = {V, D}, tst[2] = {D, 1}, is[1] = {(int64_t)n}, ist[1] = {1}, ys[2] = {(int64_t)n, D},
            yst[2] = {D, 1};
    float tb[200], yb[200], want[n * D];
    th_fill_uniform(tb, 200, -1, 1);
    th_fill_uniform(yb, 200, -1, 1);
    if (ydt == VKATTN_F16) th_round_f16(yb, 200);
    int32_t ids[20] = {0};
    int32_t *mine = ids + 3;
    for (size_t i = 0; i < n; i++) mine[i] = (int32_t)((i * 4 + 1) % (size_t)V);
    mine[2] = -5;
    vkattn_tensor *tbig = th_tensor(ctx, VKATTN_F32, 1, big, tb), *ibig = NULL, *ybig = th_tensor(ctx, ydt, 1, big, yb);
    int64_t ib[1] = {20};
    ibig = ids_tensor(ctx, 1, ib, ids, 20);
    vkattn_tensor *tt = NULL, *ti = NULL, *ty = NULL;
    CHECK_OK(ctx, vkattn_tensor_view(tbig, 11, 2, ts, tst, &tt));
    CHECK_OK(ctx, vkattn_tensor_view(ibig, 3, 1, is, ist, &ti));
    CHECK_OK(ctx, vkattn_tensor_view(ybig, 5, 2, ys, yst, &ty));
    ref_embedding(tb + 11, V, D, mine, n, want);
    if (ydt == VKATTN_F16) th_round_f16(want, n * D);
    CHECK_OK(ctx, vkattn_embedding(ctx, tt, ti, ty));
    float *got = th_download(ctx, ybig);
    memcpy(yb + 5, want, sizeof want);
    th_expect_close(ydt == VKATTN_F16 ? "embedding through views at offsets 11, 3, 5; f16 y" : "embedding through views at offsets 11, 3, 5",
                    got, yb, 200, ydt == VKATTN_F16 ? TOL_F16_OUT : 0.0);
    free(got);
    vkattn_tensor_destroy(tt), vkattn_tensor_destroy(ti), vkattn_tensor_destroy(ty);
    vkattn_tensor_destroy(tbig), vkattn_tensor_destroy(ibig), vkattn_tensor_destroy(ybig);
}

static void test_errors(vkattn_context *ctx) {
    int64_t ts[2] = {10, 8}, is[2] = {2, 3}, ys[3] = {2, 3, 8}, yflat[2] = {6, 8}, ybad[2] = {6, 7}, ybad2[2] = {5, 8};
    vkattn_tensor *t = th_tensor(ctx, VKATTN_F32, 2, ts, NULL), *y = th_tensor(ctx, VKATTN_F32, 3, ys, NULL),
                  *yf = th_tensor(ctx, VKATTN_F32, 2, yflat, NULL), *yb = th_tensor(ctx, VKATTN_F32, 2, ybad, NULL),
                  *yb2 = th_tensor(ctx, VKATTN_F32, 2, ybad2, NULL), *fids = th_tensor(ctx, VKATTN_F32, 2, is, NULL);
    int32_t idv[6] = {0, 1, 2, 3, 4, 9};
    vkattn_tensor *ids = ids_tensor(ctx, 2, is, idv, 6);
    CHECK_OK(ctx, vkattn_embedding(ctx, t, ids, y));
    CHECK_OK(ctx, vkattn_embedding(ctx, t, ids, yf)); /* flat [N, D] accepted too */
    CHECK_STATUS(ctx, vkattn_embedding(ctx, t, ids, yb), VKATTN_ERROR_INVALID_ARGUMENT);  /* D mismatch */
    CHECK_STATUS(ctx, vkattn_embedding(ctx, t, ids, yb2), VKATTN_ERROR_INVALID_ARGUMENT); /* N mismatch */
    CHECK_STATUS(ctx, vkattn_embedding(ctx, t, fids, y), VKATTN_ERROR_INVALID_ARGUMENT);  /* f32 ids */
    CHECK_STATUS(ctx, vkattn_embedding(ctx, t, ids, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_embedding(ctx, NULL, ids, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_embedding(NULL, t, ids, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_embedding(ctx, ids, ids, y), VKATTN_ERROR_INVALID_ARGUMENT); /* i32 table */
    /* y viewing the table's memory */
    vkattn_tensor *alias = NULL, *tr = NULL;
    int64_t as[2] = {6, 8}, ast[2] = {8, 1}, trs[2] = {8, 10}, trst[2] = {1, 8};
    CHECK_OK(ctx, vkattn_tensor_view(t, 8, 2, as, ast, &alias));
    CHECK_STATUS(ctx, vkattn_embedding(ctx, t, ids, alias), VKATTN_ERROR_INVALID_ARGUMENT);
    /* transposed (strided) table */
    CHECK_OK(ctx, vkattn_tensor_view(t, 0, 2, trs, trst, &tr));
    CHECK_STATUS(ctx, vkattn_embedding(ctx, tr, ids, yb2), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(alias), vkattn_tensor_destroy(tr), vkattn_tensor_destroy(t), vkattn_tensor_destroy(y);
    vkattn_tensor_destroy(yf), vkattn_tensor_destroy(yb), vkattn_tensor_destroy(yb2), vkattn_tensor_destroy(fids);
    vkattn_tensor_destroy(ids);
}

/* A table just beyond maxStorageBufferRange: f32 [33000, 1040] = 137 MB (128 MiB on lavapipe).
 * Ids hit both slices, the rows at the slice boundary, the last row and out-of-range values. */
static void test_large(vkattn_context *ctx) {
    const vkattn_device_info *info = vkattn_context_device(ctx);
    if (info->max_storage_buffer_range > 256ull << 20) {
        printf("note: maxStorageBufferRange above 256 MiB: large-table split not exercised here\n");
        return;
    }
    const int64_t V = 33000, D = 1040;
    const size_t n = 64;
    float *table = th_alloc((size_t)(V * D)), *want = th_alloc(n * D);
    th_fill_uniform(table, (size_t)(V * D), -1, 1);
    int64_t ts[2] = {V, D}, is[1] = {(int64_t)n}, ys[2] = {(int64_t)n, D};
    vkattn_tensor *tt = th_tensor(ctx, VKATTN_F32, 2, ts, table), *ty = th_tensor(ctx, VKATTN_F32, 2, ys, NULL);
    CHECK(vkattn_tensor_bytes(tt) > info->max_storage_buffer_range, "table does not exceed the binding limit");
    int32_t *ids = make_ids(n, V);
    /* rows around where one binding ends */
    int32_t edge = (int32_t)((info->max_storage_buffer_range - 4 - info->min_storage_offset_alignment) / (D * 4));
    for (int i = 0; i < 6; i++) ids[10 + i] = edge - 3 + i;
    ids[20] = 0;
    vkattn_tensor *ti = ids_tensor(ctx, 1, is, ids, n);
    vkattn_stats s0, s1;
    vkattn_context_stats(ctx, &s0);
    CHECK_OK(ctx, vkattn_embedding(ctx, tt, ti, ty));
    vkattn_context_stats(ctx, &s1);
    CHECK(s1.dispatches - s0.dispatches >= 2, "a %llu-byte table ran in %llu dispatch(es), expected slices",
          (unsigned long long)vkattn_tensor_bytes(tt), (unsigned long long)(s1.dispatches - s0.dispatches));
    ref_embedding(table, V, D, ids, n, want);
    float *got = th_download(ctx, ty);
    th_expect_close("embedding, table beyond maxStorageBufferRange", got, want, n * D, 0.0);
    free(table), free(want), free(ids), free(got);
    vkattn_tensor_destroy(tt), vkattn_tensor_destroy(ti), vkattn_tensor_destroy(ty);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(41);
    test_errors(ctx);
    test_views(ctx, VKATTN_F32);
    test_views(ctx, VKATTN_F16);
    test_dtypes(ctx);
    test_large(ctx);
    return th_finish(ctx);
}
