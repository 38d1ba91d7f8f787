/* Additive (Bahdanau) attention against ref/additive_attention_ref.c: odd sizes, key masks with fully masked
 * rows, strided views, f16 storage (packed words without 16-bit storage), batched recording, and argument errors.
 * Both the op on pre-projected inputs and the whole op (projections through vkattn_linear; f32, f16 and q8_0
 * weights, the reference using the dequantized weights). Tolerance: max abs error / max |ref| <= 1e-4 (f32 storage), 3e-3 (f16 storage), for c and alpha. */
#include "harness.h"
#include "vkattn_ref.h"
#include "weights.h"

#include <math.h>
#include <string.h>

#define TOL_F32 1e-4
#define TOL_F16 3e-3

typedef struct {
    int64_t B, T, Lk, A, Dh;
    int mask;      /* 0 none, 1 random i32 keep-mask with batch 1 fully masked, 2 the same as f32 */
    int views;     /* h, alpha and c as strided views */
} shape;

/* keep-mask: ~70% kept, batch 1 (if any) fully masked */
static int32_t *make_mask(int64_t B, int64_t Lk) {
    int32_t *m = calloc((size_t)(B * Lk), sizeof *m);
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < Lk; i++) m[b * Lk + i] = b == 1 ? 0 : (th_uniform(0, 1) < 0.7f || i == 0 ? (int32_t)(i % 5 + 1) : 0);
    return m;
}

/* A [d0,d1,d2] view into a fresh buffer [d1, d0, d2 + 3] at element offset 2 (dims 0 and 1 swapped, padded rows). */
static vkattn_tensor *strided(vkattn_context *ctx, vkattn_dtype dt, const int64_t s[3], vkattn_tensor **base) {
    int64_t bs[3] = {s[1], s[0], s[2] + 3}, st[3] = {s[2] + 3, s[0] * (s[2] + 3), 1};
    *base = th_tensor(ctx, dt, 3, bs, NULL);
    CHECK_OK(ctx, vkattn_fill(ctx, *base, 1e4f)); /* garbage around the view */
    vkattn_tensor *v = NULL;
    CHECK_OK(ctx, vkattn_tensor_view(*base, 2, 3, s, st, &v));
    return v;
}

/* Uploads x ([d0,d1,d2] contiguous) into a strided view (through a contiguous tensor and vkattn_copy). */
static vkattn_tensor *upload3(vkattn_context *ctx, vkattn_dtype dt, const int64_t s[3], const float *x, int view,
                              vkattn_tensor **base) {
    vkattn_tensor *c = th_tensor(ctx, dt, 3, s, x);
    if (!view) {
        *base = NULL;
        return c;
    }
    vkattn_tensor *v = strided(ctx, dt, s, base);
    CHECK_OK(ctx, vkattn_copy(ctx, c, v));
    vkattn_tensor_destroy(c);
    return v;
}

static void run_projected(vkattn_context *ctx, shape p, vkattn_dtype dt, int batched) {
    int64_t B = p.B, T = p.T, Lk = p.Lk, A = p.A, Dh = p.Dh;
    size_t nhp = (size_t)(B * Lk * A), nsp = (size_t)(B * T * A), nh = (size_t)(B * Lk * Dh);
    size_t nal = (size_t)(B * T * Lk), nc = (size_t)(B * T * Dh);
    float *hp = th_alloc(nhp), *sp = th_alloc(nsp), *v = th_alloc((size_t)A), *h = th_alloc(nh);
    float *al_ref = th_alloc(nal), *c_ref = th_alloc(nc);
    th_fill_uniform(hp, nhp, -2, 2);
    th_fill_uniform(sp, nsp, -2, 2);
    th_fill_uniform(v, (size_t)A, -1, 1);
    th_fill_uniform(h, nh, -3, 3);
    if (dt == VKATTN_F16) th_round_f16(hp, nhp), th_round_f16(sp, nsp), th_round_f16(h, nh);
    int32_t *mask = p.mask ? make_mask(B, Lk) : NULL;
    ref_additive_attention_projected(hp, sp, v, h, mask, B, T, Lk, A, Dh, al_ref, c_ref);

    int64_t s_hp[3] = {B, Lk, A}, s_sp[3] = {B, T, A}, s_h[3] = {B, Lk, Dh}, s_al[3] = {B, T, Lk}, s_c[3] = {B, T, Dh};
    vkattn_tensor *thp = th_tensor(ctx, dt, 3, s_hp, hp), *tsp = th_tensor(ctx, dt, 3, s_sp, sp);
    vkattn_tensor *tv = th_tensor(ctx, VKATTN_F32, 1, &A, v), *tm = NULL, *hb, *ab, *cb;
    vkattn_tensor *th = upload3(ctx, dt, s_h, h, p.views, &hb);
    vkattn_tensor *tal = p.views ? strided(ctx, VKATTN_F32, s_al, &ab) : th_tensor(ctx, VKATTN_F32, 3, s_al, NULL);
    vkattn_tensor *tc = p.views ? strided(ctx, dt, s_c, &cb) : th_tensor(ctx, dt, 3, s_c, NULL);
    if (!p.views) ab = cb = NULL;
    if (mask) {
        int64_t s_m[2] = {B, Lk};
        if (p.mask == 1) {
            CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, s_m, &tm));
            CHECK_OK(ctx, vkattn_tensor_upload(tm, mask, (size_t)(B * Lk) * sizeof *mask));
        } else {
            float *mf = th_alloc((size_t)(B * Lk));
            for (int64_t i = 0; i < B * Lk; i++) mf[i] = mask[i] ? (float)mask[i] * 0.5f : (i % 2 ? 0.0f : -0.0f);
            tm = th_tensor(ctx, VKATTN_F32, 2, s_m, mf);
            free(mf);
        }
    }
    if (batched) CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_OK(ctx, vkattn_additive_attention_projected(ctx, thp, tsp, tv, th, tm, tal, tc));
    if (batched) CHECK_OK(ctx, vkattn_submit(ctx));

    /* views: bring the results back through contiguous copies */
    vkattn_tensor *al_out = tal, *c_out = tc;
    if (p.views) {
        al_out = th_tensor(ctx, VKATTN_F32, 3, s_al, NULL);
        c_out = th_tensor(ctx, dt, 3, s_c, NULL);
        CHECK_OK(ctx, vkattn_copy(ctx, tal, al_out));
        CHECK_OK(ctx, vkattn_copy(ctx, tc, c_out));
    }
    float *al = th_download(ctx, al_out), *c = th_download(ctx, c_out);
    char what[160];
    double tol = dt == VKATTN_F16 ? TOL_F16 : TOL_F32;
    snprintf(what, sizeof what, "projected %s B%lld T%lld Lk%lld A%lld Dh%lld mask%d views%d batched%d",
             vkattn_dtype_string(dt), (long long)B, (long long)T, (long long)Lk, (long long)A, (long long)Dh, p.mask,
             p.views, batched);
    char w2[200];
    snprintf(w2, sizeof w2, "%s: alpha", what);
    th_expect_close(w2, al, al_ref, nal, tol);
    snprintf(w2, sizeof w2, "%s: c", what);
    th_expect_close(w2, c, c_ref, nc, tol);
    if (mask && B > 1) { /* the fully masked batch: exact zeros */
        int bad = 0;
        for (size_t i = (size_t)(T * Lk); i < (size_t)(2 * T * Lk); i++) bad += al[i] != 0.0f;
        for (size_t i = (size_t)(T * Dh); i < (size_t)(2 * T * Dh); i++) bad += c[i] != 0.0f;
        CHECK(bad == 0, "%s: %d non-zero outputs in the fully masked batch", what, bad);
    }
    if (p.views) vkattn_tensor_destroy(al_out), vkattn_tensor_destroy(c_out);
    free(al), free(c);
    vkattn_tensor *all[] = {thp, tsp, tv, tm, th, hb, tal, ab, tc, cb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) vkattn_tensor_destroy(all[i]);
    free(hp), free(sp), free(v), free(h), free(al_ref), free(c_ref), free(mask);
}

static void test_projected_errors(vkattn_context *ctx) {
    int64_t s_hp[3] = {2, 7, 5}, s_sp[3] = {2, 3, 5}, s_h[3] = {2, 7, 4}, s_al[3] = {2, 3, 7}, s_c[3] = {2, 3, 4}, A = 5;
    int64_t s_bad[3] = {2, 3, 6}, s_m[2] = {2, 7}, s_mbad[2] = {2, 6};
    vkattn_tensor *hp = th_tensor(ctx, VKATTN_F32, 3, s_hp, NULL), *sp = th_tensor(ctx, VKATTN_F32, 3, s_sp, NULL);
    vkattn_tensor *v = th_tensor(ctx, VKATTN_F32, 1, &A, NULL), *h = th_tensor(ctx, VKATTN_F32, 3, s_h, NULL);
    vkattn_tensor *al = th_tensor(ctx, VKATTN_F32, 3, s_al, NULL), *c = th_tensor(ctx, VKATTN_F32, 3, s_c, NULL);
    vkattn_tensor *bad = th_tensor(ctx, VKATTN_F32, 3, s_bad, NULL), *mbad = th_tensor(ctx, VKATTN_F32, 2, s_mbad, NULL);
    vkattn_tensor *m16 = NULL;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_BF16, 2, s_m, &m16));
    const vkattn_status E = VKATTN_ERROR_INVALID_ARGUMENT;
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, bad, v, h, NULL, al, c), E);  /* sp: A differs */
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, sp, v, h, NULL, al, bad), E); /* c: wrong Dh */
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, sp, v, h, NULL, bad, c), E);  /* alpha: wrong Lk */
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, sp, h, h, NULL, al, c), E);   /* v not [A] */
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, sp, v, h, mbad, al, c), E);   /* mask [B,Lk'] */
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, sp, v, h, m16, al, c), E);    /* mask dtype */
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, sp, v, h, NULL, NULL, c), E); /* alpha required */
    CHECK(strstr(vkattn_context_error(ctx), "alpha") != NULL, "message: %s", vkattn_context_error(ctx));
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(NULL, hp, sp, v, h, NULL, al, c), E);
    /* mixed storage dtypes */
    vkattn_tensor *h16 = NULL;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_F16, 3, s_h, &h16));
    CHECK_STATUS(ctx, vkattn_additive_attention_projected(ctx, hp, sp, v, h16, NULL, al, c), E);
    vkattn_tensor *all[] = {hp, sp, v, h, al, c, bad, mbad, m16, h16};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) vkattn_tensor_destroy(all[i]);
}

typedef struct {
    vkattn_tensor *w_h, *w_s, *b, *v;
    float *hw_h, *hw_s, *hb, *hv;
} weights;

static weights make_weights(vkattn_context *ctx, int64_t A, int64_t Dh, int64_t Ds, vkattn_dtype wdt, int bias) {
    weights w = {0};
    w.hw_h = th_alloc((size_t)(A * Dh)), w.hw_s = th_alloc((size_t)(A * Ds)), w.hb = th_alloc((size_t)A), w.hv = th_alloc((size_t)A);
    /* PyTorch-like init, v a little larger so the softmax is not flat */
    th_fill_uniform(w.hw_h, (size_t)(A * Dh), -1.0f / sqrtf((float)Dh), 1.0f / sqrtf((float)Dh));
    th_fill_uniform(w.hw_s, (size_t)(A * Ds), -1.0f / sqrtf((float)Ds), 1.0f / sqrtf((float)Ds));
    th_fill_uniform(w.hb, (size_t)A, -0.5f, 0.5f);
    th_fill_uniform(w.hv, (size_t)A, -4.0f / sqrtf((float)A), 4.0f / sqrtf((float)A));
    w.w_h = th_weight(ctx, wdt, A, Dh, w.hw_h);
    w.w_s = th_weight(ctx, wdt, A, Ds, w.hw_s);
    w.b = bias ? th_tensor(ctx, VKATTN_F32, 1, &A, w.hb) : NULL;
    w.v = th_tensor(ctx, VKATTN_F32, 1, &A, w.hv);
    return w;
}

static void free_weights(weights *w) {
    vkattn_tensor_destroy(w->w_h), vkattn_tensor_destroy(w->w_s), vkattn_tensor_destroy(w->b), vkattn_tensor_destroy(w->v);
    free(w->hw_h), free(w->hw_s), free(w->hb), free(w->hv);
}

/* One call of the whole op: the results are checked after the (possibly shared) batch completes. */
typedef struct {
    shape p;
    int64_t Ds;
    vkattn_dtype dt;
    float *c_ref, *al_ref;
    vkattn_tensor *h, *s, *mask, *c, *alpha;
} full_case;

static full_case full_record(vkattn_context *ctx, weights *w, shape p, int64_t Ds, vkattn_dtype dt, int want_alpha) {
    full_case lc = {p, Ds, dt};
    int64_t B = p.B, T = p.T, Lk = p.Lk, A = vkattn_tensor_dim(w->w_h, 0), Dh = p.Dh;
    size_t nh = (size_t)(B * Lk * Dh), ns = (size_t)(B * T * Ds);
    float *h = th_alloc(nh), *s = th_alloc(ns);
    th_fill_uniform(h, nh, -1, 1);
    th_fill_uniform(s, ns, -1, 1);
    if (dt == VKATTN_F16) th_round_f16(h, nh), th_round_f16(s, ns);
    int32_t *mask = p.mask ? make_mask(B, Lk) : NULL;
    lc.c_ref = th_alloc((size_t)(B * T * Dh));
    lc.al_ref = th_alloc((size_t)(B * T * Lk));
    ref_additive_attention(h, s, w->hw_h, w->hw_s, w->b ? w->hb : NULL, w->hv, mask, B, T, Lk, Dh, Ds, A, lc.c_ref, lc.al_ref);
    int64_t s_h[3] = {B, Lk, Dh}, s_s[3] = {B, T, Ds}, s_c[3] = {B, T, Dh}, s_al[3] = {B, T, Lk}, s_m[2] = {B, Lk};
    lc.h = th_tensor(ctx, dt, 3, s_h, h);
    lc.s = th_tensor(ctx, dt, 3, s_s, s);
    lc.c = th_tensor(ctx, dt, 3, s_c, NULL);
    lc.alpha = want_alpha ? th_tensor(ctx, VKATTN_F32, 3, s_al, NULL) : NULL;
    if (mask) {
        CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, s_m, &lc.mask));
        CHECK_OK(ctx, vkattn_tensor_upload(lc.mask, mask, (size_t)(B * Lk) * sizeof *mask));
    }
    free(h), free(s), free(mask);
    return lc;
}

static void full_check(vkattn_context *ctx, full_case *lc, vkattn_dtype wdt, const char *how) {
    shape p = lc->p;
    char what[200];
    snprintf(what, sizeof what, "full %s W %s B%lld T%lld Lk%lld Dh%lld Ds%lld mask%d %s: c", vkattn_dtype_string(lc->dt),
             vkattn_dtype_string(wdt), (long long)p.B, (long long)p.T, (long long)p.Lk, (long long)p.Dh, (long long)lc->Ds,
             p.mask, how);
    double tol = lc->dt == VKATTN_F16 ? TOL_F16 : TOL_F32;
    float *c = th_download(ctx, lc->c);
    th_expect_close(what, c, lc->c_ref, (size_t)(p.B * p.T * p.Dh), tol);
    free(c);
    if (lc->alpha) {
        float *al = th_download(ctx, lc->alpha);
        what[strlen(what) - 1] = 0;
        strncat(what, "alpha", sizeof what - strlen(what) - 1);
        th_expect_close(what, al, lc->al_ref, (size_t)(p.B * p.T * p.Lk), tol);
        free(al);
    }
    vkattn_tensor_destroy(lc->h), vkattn_tensor_destroy(lc->s), vkattn_tensor_destroy(lc->mask);
    vkattn_tensor_destroy(lc->c), vkattn_tensor_destroy(lc->alpha);
    free(lc->c_ref), free(lc->al_ref);
}

static void run_full(vkattn_context *ctx, shape p, int64_t Ds, vkattn_dtype dt, vkattn_dtype wdt, int want_alpha) {
    weights w = make_weights(ctx, p.A, p.Dh, Ds, wdt, p.Lk != 7);
    full_case lc = full_record(ctx, &w, p, Ds, dt, want_alpha);
    CHECK_OK(ctx, vkattn_additive_attention(ctx, lc.h, lc.s, w.w_h, w.w_s, w.b, w.v, lc.mask, lc.c, lc.alpha));
    full_check(ctx, &lc, wdt, want_alpha ? "alpha out" : "no alpha");
    free_weights(&w);
}

/* Several calls in one batch: each keeps its projections in scratch memory until the batch completes. */
static void test_full_batch(vkattn_context *ctx) {
    weights w = make_weights(ctx, 33, 40, 24, VKATTN_F32, 1);
    shape ps[3] = {{1, 1, 7, 33, 40, 0, 0}, {2, 5, 77, 33, 40, 1, 0}, {2, 3, 300, 33, 40, 0, 0}};
    full_case lc[3];
    for (int i = 0; i < 3; i++) lc[i] = full_record(ctx, &w, ps[i], 24, VKATTN_F32, i != 1);
    CHECK_OK(ctx, vkattn_begin(ctx));
    for (int i = 0; i < 3; i++)
        CHECK_OK(ctx, vkattn_additive_attention(ctx, lc[i].h, lc[i].s, w.w_h, w.w_s, w.b, w.v, lc[i].mask, lc[i].c, lc[i].alpha));
    CHECK_OK(ctx, vkattn_submit(ctx));
    for (int i = 0; i < 3; i++) full_check(ctx, &lc[i], VKATTN_F32, "3 in one batch");
    free_weights(&w);
}

static void test_full_errors(vkattn_context *ctx) {
    int64_t A = 5, s_wh[2] = {5, 4}, s_ws[2] = {5, 3}, s_bad[2] = {6, 3}, s_h[3] = {2, 7, 4}, s_s[3] = {2, 3, 3};
    int64_t s_c[3] = {2, 3, 4}, s_hbad[3] = {2, 7, 5};
    vkattn_tensor *wh = th_tensor(ctx, VKATTN_F32, 2, s_wh, NULL), *ws = th_tensor(ctx, VKATTN_F32, 2, s_ws, NULL);
    vkattn_tensor *bad = th_tensor(ctx, VKATTN_F32, 2, s_bad, NULL), *v = th_tensor(ctx, VKATTN_F32, 1, &A, NULL);
    vkattn_tensor *h = th_tensor(ctx, VKATTN_F32, 3, s_h, NULL), *s = th_tensor(ctx, VKATTN_F32, 3, s_s, NULL);
    vkattn_tensor *c = th_tensor(ctx, VKATTN_F32, 3, s_c, NULL), *hbad = th_tensor(ctx, VKATTN_F32, 3, s_hbad, NULL);
    const vkattn_status E = VKATTN_ERROR_INVALID_ARGUMENT;
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, h, s, wh, bad, NULL, v, NULL, c, NULL), E);  /* A differs */
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, h, s, wh, ws, NULL, h, NULL, c, NULL), E);    /* v not [A] */
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, h, s, wh, ws, wh, v, NULL, c, NULL), E);      /* b not [A] */
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, hbad, s, wh, ws, NULL, v, NULL, c, NULL), E); /* h: Dh != w_h's */
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, h, h, wh, ws, NULL, v, NULL, c, NULL), E);    /* s: Ds != w_s's */
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, h, s, wh, ws, NULL, v, NULL, hbad, NULL), E); /* c: wrong shape */
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, h, s, NULL, ws, NULL, v, NULL, c, NULL), E);
    CHECK_STATUS(ctx, vkattn_additive_attention(NULL, h, s, wh, ws, NULL, v, NULL, c, NULL), E);
    /* a failure inside an open batch leaves the batch usable */
    CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_STATUS(ctx, vkattn_additive_attention(ctx, h, s, wh, ws, NULL, v, NULL, hbad, NULL), E);
    CHECK_OK(ctx, vkattn_additive_attention(ctx, h, s, wh, ws, NULL, v, NULL, c, NULL));
    CHECK_OK(ctx, vkattn_submit(ctx));
    vkattn_tensor *all[] = {wh, ws, bad, v, h, s, c, hbad};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) vkattn_tensor_destroy(all[i]);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(3);
    static const int64_t Lks[] = {1, 7, 77, 1000}, As[] = {1, 33, 128}, Dhs[] = {40, 64}, Ts[] = {1, 5};
    int n = 0;
    for (size_t il = 0; il < 4; il++)
        for (size_t ia = 0; ia < 3; ia++)
            for (size_t id = 0; id < 2; id++)
                for (size_t it = 0; it < 2; it++, n++) {
                    shape p = {2, Ts[it], Lks[il], As[ia], Dhs[id], n % 3, n % 4 == 1};
                    run_projected(ctx, p, VKATTN_F32, n % 5 == 2);
                }
    /* f16 storage: float16_t with 16-bit storage, packed words without */
    shape f16[] = {{2, 5, 77, 33, 40, 1, 0}, {2, 1, 1000, 128, 64, 2, 1}, {1, 5, 7, 1, 64, 0, 0}};
    for (size_t i = 0; i < sizeof f16 / sizeof f16[0]; i++) run_projected(ctx, f16[i], VKATTN_F16, 0);
    test_projected_errors(ctx);

    /* the whole op: projections on the device (vkattn_linear) */
    n = 0;
    for (size_t il = 0; il < 4; il++)
        for (size_t ia = 0; ia < 3; ia++)
            for (size_t id = 0; id < 2; id++, n++) {
                shape p = {2, Ts[n % 2], Lks[il], As[ia], Dhs[id], n % 2, 0};
                int q8 = Dhs[id] == 64 && n % 3 == 1; /* block weights need K % 32 == 0 */
                run_full(ctx, p, q8 ? 32 : n % 3 ? 24 : 50, VKATTN_F32, q8 ? VKATTN_Q8_0 : VKATTN_F32, n % 4 != 1);
            }
    run_full(ctx, (shape){2, 5, 77, 33, 40, 1, 0}, 24, VKATTN_F16, VKATTN_F16, 1);
    run_full(ctx, (shape){2, 1, 1000, 128, 64, 0, 0}, 50, VKATTN_F16, VKATTN_F16, 1);
    run_full(ctx, (shape){1, 5, 7, 1, 64, 1, 0}, 24, VKATTN_F16, VKATTN_F32, 0);
    test_full_batch(ctx);
    test_full_errors(ctx);
    return th_finish(ctx);
}
