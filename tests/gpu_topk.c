/* argmax and top-k against ref_argmax / ref_topk, exactly (indices and
 * values): heavy ties (values on a 1/4 grid), -inf / +inf / NaN entries,
 * vocabulary rows (32000, 152000), k = 1 .. 256 and k = V, strided rows,
 * values omitted, f32 and f16; argmax again with subgroup arithmetic off. */
#include "opstest.h"

#include <math.h>

/* Values on a grid of 1/4 in [-8, 8): many ties; a few specials. */
static float *tie_data(size_t n, vkattn_dtype dt, int specials) {
    float *x = ot_data(n, -8, 8, dt);
    for (size_t i = 0; i < n; i++) x[i] = floorf(x[i] * 4) / 4;
    if (specials && n > 8) {
        x[n / 3] = -INFINITY;
        x[n / 2] = INFINITY;
        x[n - 1] = INFINITY; /* a tie at +inf: the lower index first */
        x[1] = -0.0f;
    }
    return x;
}

static int count_diff_i(const int32_t *a, const int32_t *b, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad += a[i] != b[i];
    return bad;
}

static void check_argmax(vkattn_context *ctx, vkattn_dtype dt, size_t rows, size_t v, int specials) {
    float *x = tie_data(rows * v, dt, specials);
    int32_t *want = calloc(rows, 4), *got = calloc(rows, 4);
    int64_t xs[2] = {(int64_t)rows, (int64_t)v}, is[1] = {(int64_t)rows};
    vkattn_tensor *tx = th_tensor(ctx, dt, 2, xs, x), *ti;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, is, &ti));
    CHECK_OK(ctx, vkattn_argmax(ctx, tx, ti));
    CHECK_OK(ctx, vkattn_tensor_download(ti, got, rows * 4));
    ref_argmax(x, rows, v, want);
    int bad = count_diff_i(got, want, rows);
    CHECK(bad == 0, "argmax %s %zux%zu specials=%d: %d rows differ (first row: got %d want %d)",
          vkattn_dtype_string(dt), rows, v, specials, bad, got[0], want[0]);
    free(x), free(want), free(got);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ti);
}

static void check_topk(vkattn_context *ctx, vkattn_dtype dt, size_t rows, size_t v, uint32_t k, int specials,
                       int with_values) {
    float *x = tie_data(rows * v, dt, specials), *wv = th_alloc(rows * k);
    int32_t *wi = calloc(rows * k, 4), *gi = calloc(rows * k, 4);
    int64_t xs[2] = {(int64_t)rows, (int64_t)v}, os[2] = {(int64_t)rows, k};
    vkattn_tensor *tx = th_tensor(ctx, dt, 2, xs, x), *tv = with_values ? th_tensor(ctx, dt, 2, os, NULL) : NULL, *ti;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, os, &ti));
    CHECK_OK(ctx, vkattn_topk(ctx, tx, k, tv, ti));
    CHECK_OK(ctx, vkattn_tensor_download(ti, gi, rows * k * 4));
    ref_topk(x, rows, v, k, wv, wi);
    int bad = count_diff_i(gi, wi, rows * k);
    CHECK(bad == 0, "topk %s %zux%zu k=%u: %d indices differ (first: got %d want %d)", vkattn_dtype_string(dt), rows, v,
          k, bad, gi[0], wi[0]);
    if (tv) {
        float *gv = th_download(ctx, tv);
        int vbad = 0;
        for (size_t i = 0; i < rows * k; i++) vbad += !(gv[i] == wv[i]);
        CHECK(vbad == 0, "topk %s %zux%zu k=%u: %d values differ", vkattn_dtype_string(dt), rows, v, k, vbad);
        free(gv);
    }
    free(x), free(wv), free(wi), free(gi);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tv), vkattn_tensor_destroy(ti);
}

/* Rows as columns: x [v, rows] storage, the view [rows, v] has last-dim stride rows. */
static void check_strided(vkattn_context *ctx, vkattn_dtype dt) {
    size_t rows = 6, v = 500;
    uint32_t k = 17;
    float *x = tie_data(rows * v, dt, 1), *store = th_alloc(rows * v), *wv = th_alloc(rows * k);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < v; i++) store[i * rows + r] = x[r * v + i];
    int64_t ss[2] = {(int64_t)v, (int64_t)rows}, vs[2] = {(int64_t)rows, (int64_t)v}, st[2] = {1, (int64_t)rows},
            os[2] = {(int64_t)rows, k}, as[2] = {(int64_t)rows, 1};
    int32_t wi[6 * 17], gi[6 * 17], wa[6], ga[6];
    vkattn_tensor *base = th_tensor(ctx, dt, 2, ss, store), *view, *ti, *ta;
    CHECK_OK(ctx, vkattn_tensor_view(base, 0, 2, vs, st, &view));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, os, &ti));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, as, &ta));
    CHECK_OK(ctx, vkattn_topk(ctx, view, k, NULL, ti));
    CHECK_OK(ctx, vkattn_argmax(ctx, view, ta));
    CHECK_OK(ctx, vkattn_tensor_download(ti, gi, sizeof gi));
    CHECK_OK(ctx, vkattn_tensor_download(ta, ga, sizeof ga));
    ref_topk(x, rows, v, k, wv, wi);
    ref_argmax(x, rows, v, wa);
    CHECK(count_diff_i(gi, wi, rows * k) == 0, "topk on a strided view differs");
    CHECK(count_diff_i(ga, wa, rows) == 0, "argmax on a strided view differs");
    free(x), free(store), free(wv);
    vkattn_tensor_destroy(view), vkattn_tensor_destroy(base), vkattn_tensor_destroy(ti), vkattn_tensor_destroy(ta);
}

static void check_nan(vkattn_context *ctx) {
    float x[7] = {1, 5, NAN, 2, NAN, 5, -1};
    int64_t xs[2] = {1, 7}, is[1] = {1}, ks[2] = {1, 3};
    int32_t got, gk[3];
    vkattn_tensor *tx = th_tensor(ctx, VKATTN_F32, 2, xs, x), *ti, *tk;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, is, &ti));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, ks, &tk));
    CHECK_OK(ctx, vkattn_argmax(ctx, tx, ti));
    CHECK_OK(ctx, vkattn_topk(ctx, tx, 3, NULL, tk));
    CHECK_OK(ctx, vkattn_tensor_download(ti, &got, 4));
    CHECK_OK(ctx, vkattn_tensor_download(tk, gk, sizeof gk));
    CHECK(got == 2, "argmax with NaN: got %d, want 2 (NaN ranks highest)", got);
    CHECK(gk[0] == 2 && gk[1] == 4 && gk[2] == 1, "topk with NaN: got %d %d %d, want 2 4 1", gk[0], gk[1], gk[2]);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ti), vkattn_tensor_destroy(tk);
}

static void check_all(vkattn_context *ctx) {
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    for (int j = 0; j < ndt; j++) {
        vkattn_dtype dt = dts[j];
        check_argmax(ctx, dt, 3, 1, 0);
        check_argmax(ctx, dt, 5, 37, 1);
        check_argmax(ctx, dt, 300, 70, 0);
        check_argmax(ctx, dt, 2, 32000, 1);
        check_argmax(ctx, dt, 1, 152000, 1);
    }
    check_nan(ctx);
}

static void check_topk_all(vkattn_context *ctx) {
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    for (int j = 0; j < ndt; j++) {
        vkattn_dtype dt = dts[j];
        check_topk(ctx, dt, 3, 1, 1, 0, 1);
        check_topk(ctx, dt, 5, 37, 5, 1, 1);
        check_topk(ctx, dt, 5, 37, 37, 1, 1); /* k = V */
        check_topk(ctx, dt, 4, 1000, 64, 1, 0);
        check_topk(ctx, dt, 2, 32000, 256, 1, 1);
        check_topk(ctx, dt, 1, 152000, 200, 1, 1);
        check_topk(ctx, dt, 1, 152000, 1, 0, 1);
        check_strided(ctx, dt);
    }
}

static void check_errors(vkattn_context *ctx) {
    int64_t xs[2] = {3, 300}, o5[2] = {3, 5}, o4[2] = {3, 4}, one[1] = {3}, big[2] = {3, 257};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 2, xs, NULL), *vf = th_tensor(ctx, VKATTN_F32, 2, o5, NULL);
    vkattn_tensor *i5, *i4, *i1, *ibig;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, o5, &i5));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, o4, &i4));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, one, &i1));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, big, &ibig));
    CHECK_STATUS(ctx, vkattn_topk(ctx, x, 0, NULL, i5), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_topk(ctx, x, 257, NULL, ibig), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_topk(ctx, x, 5, NULL, i4), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_topk(ctx, x, 5, NULL, vf), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_topk(ctx, x, 5, i5, i5), VKATTN_ERROR_INVALID_ARGUMENT); /* values must be f32 here */
    CHECK_OK(ctx, vkattn_topk(ctx, x, 5, vf, i5));
    CHECK_STATUS(ctx, vkattn_argmax(ctx, x, i5), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_argmax(ctx, x, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_OK(ctx, vkattn_argmax(ctx, x, i1));
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(vf), vkattn_tensor_destroy(i5);
    vkattn_tensor_destroy(i4), vkattn_tensor_destroy(i1), vkattn_tensor_destroy(ibig);
}

static void check_topk_and_errors(vkattn_context *ctx) {
    check_topk_all(ctx);
    check_errors(ctx);
}

int main(void) { return ot_main_twice(23, check_all, check_topk_and_errors); }
