/* The self-test's checks: each runs one op or layer on a small odd shape on the device and
 * compares with its ref/ reference (double accumulation) on the very values the device holds
 * (f16 inputs are rounded by a round trip through the device, block weights dequantized on the
 * host). A check passes when max |got - want| <= tol * max |want| and nothing is NaN/Inf where
 * want is finite. Tolerances: 1e-5 of the output's scale for f32 GEMMs and elementwise ops, 1e-4
 * for attention and layers (longer f32 chains, exp), 1e-3 for an f16 output of a short chain (its
 * rounding is 2^-11 of a value), 3e-3 for f16 attention and layers. */
#include "selftest.h"

#include "bench_report.h" /* bench_now_ms */
#include "vkattn_ref.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TOL_F32 1e-5
#define TOL_LAYER 1e-4
#define TOL_F16_OUT 1e-3
#define TOL_F16 3e-3

/* ---- the check being run: its name, what it allocated, its time ---- */
static struct {
    st_run *run;
    vkattn_context *ctx;
    char name[128];
    vkattn_tensor *t[48];
    int nt;
    void *m[48];
    int nm;
    int failed; /* reported already (a call failed) */
    double t0, ms;
} ck;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float uni(float lo, float hi) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return lo + (hi - lo) * (float)((rng >> 40) * (1.0 / 16777216.0));
}
static void fill(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = uni(lo, hi);
}

static st_result *add_result(int status) {
    st_run *r = ck.run;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        st_result *p = realloc(r->results, cap * sizeof *p);
        if (!p) return NULL;
        r->results = p, r->cap = cap;
    }
    st_result *x = &r->results[r->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", ck.name);
    x->status = status;
    x->ms = ck.ms;
    if (status == ST_PASS) r->passed++;
    else if (status == ST_FAIL) r->failed++;
    else r->skipped++;
    return x;
}

static void print_result(const st_result *x) {
    FILE *f = ck.run->out;
    if (x->status == ST_SKIP) fprintf(f, "SKIP  %-62s %s\n", x->name, x->message);
    else if (x->message[0]) fprintf(f, "FAIL  %-62s %s\n", x->name, x->message);
    else
        fprintf(f, "%s  %-62s max abs %.2e  rel %.2e  tol %.0e  %7.1f ms\n", x->status == ST_PASS ? "PASS" : "FAIL", x->name,
                x->max_abs, x->rel, x->tol, x->ms);
    fflush(f);
}

/* Starts a check; 0 when --filter leaves it out. */
static int ck_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ck_begin(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ck.name, sizeof ck.name, fmt, ap);
    va_end(ap);
    ck.nt = ck.nm = ck.failed = 0;
    ck.ms = 0;
    return !ck.run->filter || strstr(ck.name, ck.run->filter) != NULL;
}

static void ck_end(void) {
    while (ck.nt) vkattn_tensor_destroy(ck.t[--ck.nt]); /* views before their bases */
    while (ck.nm) free(ck.m[--ck.nm]);
}

static void ck_skip(const char *why) {
    st_result *x = add_result(ST_SKIP);
    if (x) snprintf(x->message, sizeof x->message, "%s", why), print_result(x);
}

/* A failed call: the check fails with the library's message. Returns 0 then. */
static int ck_ok(vkattn_status st) {
    if (st == VKATTN_OK) return 1;
    if (!ck.failed) {
        st_result *x = add_result(ST_FAIL);
        if (x) {
            snprintf(x->message, sizeof x->message, "%s: %s", vkattn_status_string(st), vkattn_context_error(ck.ctx));
            print_result(x);
        }
    }
    ck.failed = 1;
    return 0;
}

static void *ck_keep(void *p) {
    if (!p || ck.nm == (int)(sizeof ck.m / sizeof ck.m[0])) {
        free(p);
        ck_ok(VKATTN_ERROR_OUT_OF_HOST_MEMORY);
        return NULL;
    }
    return ck.m[ck.nm++] = p;
}
static float *ck_alloc(size_t n) { return ck_keep(calloc(n ? n : 1, sizeof(float))); }
static vkattn_tensor *ck_own(vkattn_tensor *t) {
    if (t) ck.t[ck.nt++] = t;
    return t;
}

/* A device tensor of dtype; data (may be NULL) is uploaded and, for f16, replaced by what the
 * device holds, so the reference sees the same values. */
static vkattn_tensor *ck_tensor(vkattn_dtype dt, uint32_t ndim, const int64_t *shape, float *data) {
    vkattn_tensor *t = NULL;
    if (ck.failed || ck.nt == (int)(sizeof ck.t / sizeof ck.t[0])) return NULL;
    if (!ck_ok(vkattn_tensor_create(ck.ctx, dt, ndim, shape, &t))) return NULL;
    ck_own(t);
    size_t n = (size_t)vkattn_tensor_numel(t);
    if (data && dt == VKATTN_I32 && !ck_ok(vkattn_tensor_upload(t, data, n * 4))) return NULL;
    if (data && dt != VKATTN_I32) {
        if (!ck_ok(vkattn_tensor_upload_f32(t, data, n))) return NULL;
        if (dt != VKATTN_F32 && !ck_ok(vkattn_tensor_download_f32(t, data, n))) return NULL;
    }
    return t;
}

/* A weight [n, k] of any linear weight type; w becomes the values the device holds. */
static vkattn_tensor *ck_weight(vkattn_dtype dt, int64_t n, int64_t k, float *w) {
    int64_t shape[2] = {n, k};
    if (vkattn_dtype_block(dt) == 1) return ck_tensor(dt, 2, shape, w);
    uint64_t cnt = (uint64_t)(n * k);
    uint8_t *q = ck_keep(malloc(vkattn_dtype_bytes(dt, cnt)));
    if (!q) return NULL;
    if (dt == VKATTN_Q8_0) vkattn_quantize_q8_0(w, cnt, q);
    else if (dt == VKATTN_Q4_0) vkattn_quantize_q4_0(w, cnt, q);
    else ref_random_blocks(dt, cnt, q, 1.0f, uni);
    vkattn_tensor *t = NULL;
    if (!ck_ok(vkattn_dequantize(dt, q, cnt, w)) || !ck_ok(vkattn_tensor_create(ck.ctx, dt, 2, shape, &t))) return NULL;
    ck_own(t);
    return ck_ok(vkattn_tensor_upload(t, q, vkattn_dtype_bytes(dt, cnt))) ? t : NULL;
}

static void ck_start(void) { ck.t0 = bench_now_ms(); }
/* Ends the timing of the op call; 0 when it failed. */
static int ck_stop(vkattn_status st) {
    ck.ms = bench_now_ms() - ck.t0;
    return ck_ok(st);
}

/* Compares got (n values) with want; records the result under the check's name + suffix. */
static void ck_compare_values(const char *suffix, float *got, const float *want, size_t n, double tol) {
    if (ck.run->corrupt && strstr(ck.name, ck.run->corrupt) && n) got[n / 2] += 1.0f + fabsf(want[n / 2]);
    double max_abs = 0, scale = 0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(want[i])) {
            if (!(got[i] == want[i] || (isnan(got[i]) && isnan(want[i])))) bad++;
            continue;
        }
        if (!isfinite(got[i])) bad++;
        double d = fabs((double)got[i] - (double)want[i]);
        if (d > max_abs) max_abs = d;
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
    }
    double rel = max_abs / (scale > 1e-30 ? scale : 1.0);
    const size_t k = strlen(ck.name), ks = suffix ? strlen(suffix) : 0;
    if (ks && k + ks < sizeof ck.name) memcpy(ck.name + k, suffix, ks + 1); /* the result's name: check + suffix */
    st_result *x = add_result(rel <= tol && !bad ? ST_PASS : ST_FAIL);
    ck.name[k] = 0;
    if (!x) return;
    x->max_abs = max_abs, x->rel = rel, x->tol = tol;
    if (bad)
        snprintf(x->message, sizeof x->message, "%zu non-finite value(s) where the reference is finite (max abs %.2e, rel %.2e)",
                 bad, max_abs, rel);
    print_result(x);
}

/* Downloads t (as f32) and compares it with want. */
static void ck_compare(const char *suffix, const vkattn_tensor *t, const float *want, double tol) {
    if (ck.failed) return;
    size_t n = (size_t)vkattn_tensor_numel(t);
    float *got = ck_alloc(n);
    if (!got) return;
    if (vkattn_tensor_dtype(t) == VKATTN_I32) {
        int32_t *ids = (int32_t *)ck_alloc(n);
        if (!ids || !ck_ok(vkattn_tensor_download(t, ids, n * 4))) return;
        for (size_t i = 0; i < n; i++) got[i] = (float)ids[i];
    } else if (!ck_ok(vkattn_tensor_download_f32(t, got, n))) {
        return;
    }
    ck_compare_values(suffix, got, want, n, tol);
}

static const char *dts(vkattn_dtype d) { return vkattn_dtype_string(d); }
static double tol_out(vkattn_dtype dt) { return dt == VKATTN_F16 ? TOL_F16_OUT : TOL_F32; }
static double tol_layer(vkattn_dtype dt) { return dt == VKATTN_F16 ? TOL_F16 : TOL_LAYER; }

/* The checks force kernels through the environment ($VKATTN_GEMM, $VKATTN_ATTN_KV): the user's value is
 * saved by env_save and put back by env_restore. */
typedef struct {
    const char *name;
    char value[32];
} env_saved;

static env_saved env_save(const char *name) {
    env_saved e = {name, ""};
    const char *v = getenv(name);
    snprintf(e.value, sizeof e.value, "%s", v ? v : "");
    return e;
}

static void env_restore(const env_saved *e) {
    if (e->value[0]) setenv(e->name, e->value, 1);
    else unsetenv(e->name);
}

/* ---- linear: every kernel, every weight type, GEMV and GEMM ---- */

static void check_linear(const char *kernel, vkattn_dtype xdt, vkattn_dtype wdt, vkattn_dtype ydt, int64_t M, int64_t N,
                         int64_t K, int bias) {
    if (!ck_begin("linear %s w %s x %s y %s M=%lld N=%lld K=%lld%s", kernel, dts(wdt), dts(xdt), dts(ydt), (long long)M,
             (long long)N, (long long)K, bias ? " +bias" : "")) return;
    const size_t nx = (size_t)(M * K), nw = (size_t)(N * K), ny = (size_t)(M * N);
    float *x = ck_alloc(nx), *w = ck_alloc(nw), *b = ck_alloc((size_t)N), *want = ck_alloc(ny);
    if (ck.failed) goto end;
    fill(x, nx, -1, 1), fill(w, nw, -1, 1), fill(b, (size_t)N, -1, 1);
    int64_t xs[2] = {M, K}, ys[2] = {M, N};
    vkattn_tensor *tx = ck_tensor(xdt, 2, xs, x), *tw = ck_weight(wdt, N, K, w);
    vkattn_tensor *tb = bias ? ck_tensor(VKATTN_F32, 1, &N, b) : NULL, *ty = ck_tensor(ydt, 2, ys, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(vkattn_linear(ck.ctx, tx, tw, tb, ty))) goto end;
    ref_linear(x, w, bias ? b : NULL, want, M, N, K);
    ck_compare(NULL, ty, want, tol_out(ydt));
end:
    ck_end();
}

static void linear_all(st_run *r, const vkattn_device_info *info) {
    static const vkattn_dtype wtypes[] = {VKATTN_F32,  VKATTN_F16,  VKATTN_Q8_0, VKATTN_Q4_0, VKATTN_Q4_1,
                                          VKATTN_Q5_0, VKATTN_Q5_1, VKATTN_IQ4_NL, VKATTN_Q2_K, VKATTN_Q3_K,
                                          VKATTN_Q4_K, VKATTN_Q5_K, VKATTN_Q6_K, VKATTN_IQ4_XS};
    static const char *const forced[] = {"", "tiled", "blocked", "ks", "ubo"};
    const env_saved saved = env_save("VKATTN_GEMM");
    for (size_t k = 0; k < (r->quick ? 1u : sizeof forced / sizeof forced[0]); k++) {
        if (k) setenv("VKATTN_GEMM", forced[k], 1);
        vkattn_context_plan plan;
        vkattn_context_get_plan(ck.ctx, &plan);
        char k1[48], kf[48], kn[48];
        snprintf(k1, sizeof k1, "%s%s", k ? "" : "auto:", plan.gemm_m1);
        snprintf(kf, sizeof kf, "%s%s", k ? "" : "auto:", plan.gemm_few);
        snprintf(kn, sizeof kn, "%s%s", k ? "" : "auto:", plan.gemm_mn);
        if (!strcmp(forced[k], "ubo")) /* gemm_ubo runs only where W's rows fit a uniform slice, else gemm_ks */
            snprintf(kf, sizeof kf, "gemm_ubo|ks"), snprintf(kn, sizeof kn, "gemm_ubo|ks");
        if ((!strcmp(forced[k], "ks") || !strcmp(forced[k], "ubo")) && !plan.gemm_ks_available) {
            if (ck_begin("linear gemm_%s (forced)", forced[k]))
                ck_skip("needs subgroup arithmetic and 64-bit integers in shaders (not on this device)");
            continue;
        }
        for (size_t t = 0; t < sizeof wtypes / sizeof wtypes[0]; t++) {
            const vkattn_dtype w = wtypes[t];
            const int64_t qk = vkattn_dtype_block(w);
            const int64_t kv = qk == 1 ? 67 : qk == 32 ? 96 : 512, km = qk == 1 ? 37 : qk == 32 ? 64 : 256;
            check_linear(k1, VKATTN_F32, w, VKATTN_F32, 1, 9, kv, 1);  /* GEMV: token generation */
            check_linear(kf, VKATTN_F32, w, VKATTN_F32, 7, 33, km, 0); /* a short prompt */
            if (qk == 1) { /* GEMM: prefill; the 64-row tiles' edges, and the 128-row ones' (discrete GPUs, forced) */
                check_linear(kn, VKATTN_F32, w, VKATTN_F32, 40, 70, 37, 1);
                check_linear(kn, VKATTN_F32, w, VKATTN_F32, 130, 9, 20, 0);
            }
            if (w == VKATTN_F16 || w == VKATTN_Q8_0 || w == VKATTN_Q4_K) {
                /* packed f16 (no 16-bit storage) has no gemm_ks variant: linear takes gemm there */
                const int pk = !info->storage16;
                check_linear(pk && strstr(k1, "gemm_ks") ? "gemm" : k1, VKATTN_F16, w, VKATTN_F16, 1, 9, kv, 0);
                check_linear(pk && strstr(kf, "gemm_ks") ? "gemm" : kf, VKATTN_F16, w, VKATTN_F16, 7, 33, km, 1);
            }
        }
    }
    env_restore(&saved);
}

/* ---- attention: 3-pass, flash, decode with causal + mask + kv_len + GQA ---- */

typedef struct {
    vkattn_attn_impl impl;
    int B, Hq, Hkv, Lq, Lk, D, causal, mask, kvlen, probs;
} attn_check;

/* kv_mode: the $VKATTN_ATTN_KV the check runs under ("" = the user's), part of its name. */
static void check_attention(const attn_check *c, vkattn_dtype dt, const char *kv_mode) {
    static const char *const impls[] = {"auto", "3pass", "flash", "decode"};
    if (!ck_begin("attention %s%s%s %s B%d H%d/%d L%d/%d D%d%s%s%s", impls[c->impl], *kv_mode ? " " : "", kv_mode, dts(dt), c->B, c->Hq,
                  c->Hkv, c->Lq, c->Lk, c->D, c->causal ? " causal" : "", c->mask ? " mask" : "", c->kvlen ? " kv_len" : ""))
        return;
    const int64_t B = c->B, Hq = c->Hq, Hkv = c->Hkv, Lq = c->Lq, Lk = c->Lk, D = c->D;
    const size_t nq = (size_t)(B * Hq * Lq * D), nk = (size_t)(B * Hkv * Lk * D), nm = (size_t)(B * Lq * Lk),
                 np = (size_t)(B * Hq * Lq * Lk);
    float *q = ck_alloc(nq), *k = ck_alloc(nk), *v = ck_alloc(nk), *m = ck_alloc(nm), *want = ck_alloc(nq),
          *pwant = ck_alloc(np);
    if (ck.failed) goto end;
    fill(q, nq, -1, 1), fill(k, nk, -1, 1), fill(v, nk, -1, 1), fill(m, nm, -2, 2);
    for (size_t i = 0; i < nm; i++)
        if (uni(0, 1) < 0.1f) m[i] = -INFINITY;
    int32_t kv[8];
    for (int64_t b = 0; b < B && b < 8; b++) kv[b] = (int32_t)(b % 2 ? Lk : Lk / 2 + 1);
    int64_t qs[4] = {B, Hq, Lq, D}, ks[4] = {B, Hkv, Lk, D}, ms[4] = {B, 1, Lq, Lk}, ps[4] = {B, Hq, Lq, Lk};
    vkattn_tensor *tq = ck_tensor(dt, 4, qs, q), *tk = ck_tensor(dt, 4, ks, k), *tv = ck_tensor(dt, 4, ks, v);
    vkattn_tensor *to = ck_tensor(dt, 4, qs, NULL);
    vkattn_attention_desc desc = {.causal = c->causal, .impl = c->impl};
    if (c->mask) desc.mask = ck_tensor(VKATTN_F32, 4, ms, m);
    if (c->kvlen) desc.kv_len = ck_tensor(VKATTN_I32, 1, &B, (float *)kv);
    if (c->probs) desc.probs = ck_tensor(VKATTN_F32, 4, ps, NULL);
    if (ck.failed || !ck_ok(vkattn_fill(ck.ctx, to, NAN))) goto end; /* every output element must be written */
    ck_start();
    if (!ck_stop(vkattn_attention(ck.ctx, tq, tk, tv, to, &desc))) goto end;
    ref_attention_args ra = {B, Hq, Hkv, Lq, Lk, D, D, 0, c->causal, c->mask ? m : NULL, {Lq * Lk, 0, Lk, 1},
                             c->kvlen ? kv : NULL, 0, 0};
    ref_attention(&ra, q, k, v, want, pwant);
    ck_compare(NULL, to, want, tol_layer(dt));
    if (c->probs) ck_compare(" (probs)", desc.probs, pwant, tol_layer(dt));
end:
    ck_end();
}

/* ---- multi-head attention layer (projections + attention + output projection) ---- */

static void check_mha(vkattn_dtype dt) {
    const int64_t B = 2, L = 9, E = 32, H = 4, Hkv = 2, hd = E / H, kvE = Hkv * hd;
    if (!ck_begin("mha %s B%lld L%lld E%lld H%lld/%lld causal", dts(dt), (long long)B, (long long)L, (long long)E, (long long)H,
             (long long)Hkv)) return;
    vkattn_mha *mha = NULL;
    const size_t nx = (size_t)(B * L * E);
    float *x = ck_alloc(nx), *wq = ck_alloc((size_t)(E * E)), *wk = ck_alloc((size_t)(kvE * E)),
          *wv = ck_alloc((size_t)(kvE * E)), *wo = ck_alloc((size_t)(E * E)), *bq = ck_alloc((size_t)E),
          *bo = ck_alloc((size_t)E), *want = ck_alloc(nx);
    if (ck.failed) goto end;
    const float s = 1.0f / sqrtf((float)E);
    fill(x, nx, -1, 1), fill(wq, (size_t)(E * E), -s, s), fill(wk, (size_t)(kvE * E), -s, s);
    fill(wv, (size_t)(kvE * E), -s, s), fill(wo, (size_t)(E * E), -s, s), fill(bq, (size_t)E, -1, 1), fill(bo, (size_t)E, -1, 1);
    int64_t xs[3] = {B, L, E}, sq[2] = {E, E}, skv[2] = {kvE, E};
    vkattn_mha_desc md = {.embed_dim = (uint32_t)E, .num_heads = (uint32_t)H, .num_kv_heads = (uint32_t)Hkv,
                          .q_proj_weight = ck_tensor(VKATTN_F32, 2, sq, wq), .k_proj_weight = ck_tensor(VKATTN_F32, 2, skv, wk),
                          .v_proj_weight = ck_tensor(VKATTN_F32, 2, skv, wv), .q_proj_bias = ck_tensor(VKATTN_F32, 1, &E, bq),
                          .out_proj_weight = ck_tensor(VKATTN_F32, 2, sq, wo), .out_proj_bias = ck_tensor(VKATTN_F32, 1, &E, bo)};
    vkattn_tensor *tx = ck_tensor(dt, 3, xs, x), *ty = ck_tensor(dt, 3, xs, NULL);
    if (ck.failed || !ck_ok(vkattn_mha_create(ck.ctx, &md, &mha))) goto end;
    vkattn_attention_desc ad = {.causal = 1};
    ck_start();
    if (!ck_stop(vkattn_mha_forward(mha, tx, NULL, NULL, ty, &ad))) goto end;
    ref_mha_args ra = {B, L, L, E, H, Hkv, E, E, wq, wk, wv, wo, bq, NULL, NULL, bo};
    ra.attn.causal = 1;
    ref_mha(&ra, x, x, x, want);
    ck_compare(NULL, ty, want, tol_layer(dt));
end:
    vkattn_mha_destroy(mha);
    ck_end();
}

/* ---- norms, softmax, elementwise, positions, selection ---- */

static void check_norm(vkattn_dtype dt, int rms) {
    const int64_t rows = 5, d = rms ? 1000 : 300;
    if (!ck_begin("%s %s [%lld, %lld]", rms ? "rms_norm" : "layer_norm", dts(dt), (long long)rows, (long long)d)) return;
    const size_t n = (size_t)(rows * d);
    float *x = ck_alloc(n), *w = ck_alloc((size_t)d), *b = ck_alloc((size_t)d), *want = ck_alloc(n);
    if (ck.failed) goto end;
    fill(x, n, -3, 5), fill(w, (size_t)d, 0.5f, 1.5f), fill(b, (size_t)d, -1, 1);
    int64_t s[2] = {rows, d};
    vkattn_tensor *tx = ck_tensor(dt, 2, s, x), *ty = ck_tensor(dt, 2, s, NULL), *tw = ck_tensor(VKATTN_F32, 1, &d, w),
                  *tb = ck_tensor(VKATTN_F32, 1, &d, b);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(rms ? vkattn_rms_norm(ck.ctx, tx, tw, 1e-5f, ty) : vkattn_layer_norm(ck.ctx, tx, tw, tb, 1e-5f, ty))) goto end;
    if (rms) ref_rms_norm(x, w, 1e-5f, (size_t)rows, (size_t)d, want);
    else ref_layer_norm(x, w, b, 1e-5f, (size_t)rows, (size_t)d, want);
    ck_compare(NULL, ty, want, tol_out(dt));
end:
    ck_end();
}

static void check_softmax(vkattn_dtype dt) {
    const int64_t rows = 6, d = 1000;
    if (!ck_begin("softmax %s [%lld, %lld] with -inf and a fully masked row", dts(dt), (long long)rows, (long long)d)) return;
    const size_t n = (size_t)(rows * d);
    float *x = ck_alloc(n), *want = ck_alloc(n);
    if (ck.failed) goto end;
    fill(x, n, -8, 8);
    for (size_t i = 0; i < n; i++)
        if (uni(0, 1) < 0.05f || i / (size_t)d == 2) x[i] = -INFINITY;
    int64_t s[2] = {rows, d};
    vkattn_tensor *tx = ck_tensor(dt, 2, s, x), *ty = ck_tensor(dt, 2, s, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(vkattn_softmax(ck.ctx, tx, ty))) goto end;
    ref_softmax(x, (size_t)rows, (size_t)d, want);
    ck_compare(NULL, ty, want, tol_out(dt));
end:
    ck_end();
}

static void check_rope(vkattn_dtype dt, vkattn_rope_mode mode) {
    const int gptj = mode == VKATTN_ROPE_GPTJ;
    /* NeoX: [B, L, H, D] at offset 5 with 24 of 32 dims rotating; GPT-J: [B, H, L, D], theta 500000 */
    int64_t s[4] = {2, gptj ? 3 : 7, gptj ? 7 : 3, 32};
    if (!ck_begin("rope %s %s [%lld, %lld, %lld, %lld]", gptj ? "gptj [B,H,L,D] theta 5e5" : "neox [B,L,H,D] offset 5 rot 24",
             dts(dt), (long long)s[0], (long long)s[1], (long long)s[2], (long long)s[3])) return;
    const size_t n = (size_t)(s[0] * s[1] * s[2] * s[3]);
    float *x = ck_alloc(n), *want = ck_alloc(n);
    if (ck.failed) goto end;
    fill(x, n, -2, 2);
    vkattn_rope_desc desc = {.mode = mode, .layout = gptj ? VKATTN_ROPE_BHLD : VKATTN_ROPE_BLHD,
                             .rotary_dims = gptj ? 0 : 24, .theta = gptj ? 500000.0f : 0, .offset = gptj ? 0 : 5};
    vkattn_tensor *tx = ck_tensor(dt, 4, s, x), *ty = ck_tensor(dt, 4, s, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(vkattn_rope(ck.ctx, tx, ty, &desc))) goto end;
    ref_rope(x, s, gptj ? 2 : 1, gptj, gptj ? 32 : 24, gptj ? 500000.0 : 10000.0, NULL, desc.offset, NULL, 0, want);
    ck_compare(NULL, ty, want, tol_out(dt));
end:
    ck_end();
}

static void check_unary(vkattn_dtype dt, ref_act act) {
    static const char *const names[] = {"relu", "silu", "gelu", "gelu_tanh"};
    if (!ck_begin("%s %s [777]", names[act], dts(dt))) return;
    const int64_t n = 777;
    float *x = ck_alloc((size_t)n), *want = ck_alloc((size_t)n);
    if (ck.failed) goto end;
    fill(x, (size_t)n, -6, 6);
    vkattn_tensor *tx = ck_tensor(dt, 1, &n, x), *ty = ck_tensor(dt, 1, &n, NULL);
    if (ck.failed) goto end;
    ck_start();
    vkattn_status st = act == REF_RELU   ? vkattn_relu(ck.ctx, tx, ty)
                       : act == REF_SILU ? vkattn_silu(ck.ctx, tx, ty)
                                         : vkattn_gelu(ck.ctx, tx, ty, act == REF_GELU_TANH);
    if (!ck_stop(st)) goto end;
    ref_unary(act, x, (size_t)n, want);
    ck_compare(NULL, ty, want, tol_out(dt));
end:
    ck_end();
}

static void check_glu(vkattn_dtype dt, int gelu) {
    if (!ck_begin("%s %s [5, 77]", gelu ? "geglu" : "swiglu", dts(dt))) return;
    int64_t s[2] = {5, 77};
    const size_t n = 5 * 77;
    float *g = ck_alloc(n), *u = ck_alloc(n), *want = ck_alloc(n);
    if (ck.failed) goto end;
    fill(g, n, -5, 5), fill(u, n, -2, 2);
    vkattn_tensor *tg = ck_tensor(dt, 2, s, g), *tu = ck_tensor(dt, 2, s, u), *ty = ck_tensor(dt, 2, s, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(gelu ? vkattn_geglu(ck.ctx, tg, tu, ty, 0) : vkattn_swiglu(ck.ctx, tg, tu, ty))) goto end;
    ref_glu(gelu ? REF_GELU : REF_SILU, g, u, n, want);
    ck_compare(NULL, ty, want, tol_out(dt));
end:
    ck_end();
}

static void check_add(vkattn_dtype dt, int mul) {
    if (!ck_begin("%s %s [3, 5, 7] by [5, 1] (broadcast)", mul ? "mul" : "add", dts(dt))) return;
    int64_t as[3] = {3, 5, 7}, bs[2] = {5, 1}, a4[4] = {1, 3, 5, 7}, b4[4] = {1, 1, 5, 1};
    float *a = ck_alloc(105), *b = ck_alloc(5), *want = ck_alloc(105);
    if (ck.failed) goto end;
    fill(a, 105, -3, 3), fill(b, 5, -2, 2);
    vkattn_tensor *ta = ck_tensor(dt, 3, as, a), *tb = ck_tensor(VKATTN_F32, 2, bs, b), *ty = ck_tensor(dt, 3, as, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(mul ? vkattn_mul(ck.ctx, ta, tb, ty) : vkattn_add(ck.ctx, ta, tb, ty))) goto end;
    ref_broadcast(a, a4, b, b4, mul, want);
    ck_compare(NULL, ty, want, tol_out(dt));
end:
    ck_end();
}

static void check_copy(vkattn_dtype dt) {
    if (!ck_begin("copy f32 transposed view [7, 5] -> %s contiguous", dts(dt))) return;
    int64_t s[2] = {5, 7}, vs[2] = {7, 5}, vst[2] = {1, 7}, s4[4] = {1, 1, 7, 5}, st4[4] = {0, 0, 1, 7},
            dst4[4] = {0, 0, 5, 1};
    float *x = ck_alloc(35), *want = ck_alloc(35);
    vkattn_tensor *view = NULL;
    if (ck.failed) goto end;
    fill(x, 35, -4, 4);
    vkattn_tensor *tx = ck_tensor(VKATTN_F32, 2, s, x), *ty = ck_tensor(dt, 2, vs, NULL);
    if (ck.failed || !ck_ok(vkattn_tensor_view(tx, 0, 2, vs, vst, &view))) goto end;
    ck_own(view);
    ck_start();
    if (!ck_stop(vkattn_copy(ck.ctx, view, ty))) goto end;
    ref_copy_strided(x, s4, st4, want, dst4);
    if (dt == VKATTN_F16) { /* the reference rounded as the device rounds: through an f16 tensor */
        vkattn_tensor *r = ck_tensor(VKATTN_F16, 2, vs, want);
        if (!r) goto end;
    }
    ck_compare(NULL, ty, want, 0);
end:
    ck_end();
}

static void check_sinusoidal(void) {
    if (!ck_begin("sinusoidal f32 [9, 30] offset 3")) return;
    int64_t s[2] = {9, 30};
    float *want = ck_alloc(270);
    vkattn_tensor *ty = ck_tensor(VKATTN_F32, 2, s, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(vkattn_sinusoidal(ck.ctx, NULL, ty, 3))) goto end;
    ref_sinusoidal(9, 30, 3, want);
    ck_compare(NULL, ty, want, TOL_F32);
end:
    ck_end();
}

static void check_embedding(vkattn_dtype tdt) {
    const int64_t V = 50, D = vkattn_dtype_block(tdt) == 256 ? 256 : 64;
    if (!ck_begin("embedding table %s [%lld, %lld] ids [3, 5] -> f32", dts(tdt), (long long)V, (long long)D)) return;
    int32_t ids[15];
    for (int i = 0; i < 15; i++) ids[i] = (int32_t)((i * 17 + 3) % V);
    ids[0] = 0, ids[14] = (int32_t)V - 1;
    int64_t is[2] = {3, 5}, ys[3] = {3, 5, D};
    float *table = ck_alloc((size_t)(V * D)), *want = ck_alloc((size_t)(15 * D));
    if (ck.failed) goto end;
    fill(table, (size_t)(V * D), -3, 3);
    vkattn_tensor *tt = ck_weight(tdt, V, D, table), *ti = ck_tensor(VKATTN_I32, 2, is, (float *)ids),
                  *ty = ck_tensor(VKATTN_F32, 3, ys, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(vkattn_embedding(ck.ctx, tt, ti, ty))) goto end;
    ref_embedding(table, V, D, ids, 15, want);
    ck_compare(NULL, ty, want, 1e-6);
end:
    ck_end();
}

static void check_select(vkattn_dtype dt, int topk) {
    const int64_t rows = 3, v = 3000, k = 7;
    if (!ck_begin("%s %s [%lld, %lld]%s", topk ? "topk" : "argmax", dts(dt), (long long)rows, (long long)v, topk ? " k=7" : "")) return;
    float *x = ck_alloc((size_t)(rows * v)), *vals = ck_alloc((size_t)(rows * k)), *idxf = ck_alloc((size_t)(rows * k));
    int32_t *idx = (int32_t *)ck_alloc((size_t)(rows * k));
    if (ck.failed) goto end;
    for (int64_t i = 0; i < rows * v; i++) x[i] = (float)((i * 7919) % 10007) / 10007.0f - 0.5f; /* distinct in f32 (f16 ties: lowest index) */
    int64_t s[2] = {rows, v}, os[2] = {rows, topk ? k : 1};
    vkattn_tensor *tx = ck_tensor(dt, 2, s, x), *ti = ck_tensor(VKATTN_I32, 2, os, NULL);
    vkattn_tensor *tv = topk ? ck_tensor(dt, 2, os, NULL) : NULL;
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(topk ? vkattn_topk(ck.ctx, tx, (uint32_t)k, tv, ti) : vkattn_argmax(ck.ctx, tx, ti))) goto end;
    if (topk) ref_topk(x, (size_t)rows, (size_t)v, (size_t)k, vals, idx);
    else ref_argmax(x, (size_t)rows, (size_t)v, idx);
    for (int64_t i = 0; i < rows * (topk ? k : 1); i++) idxf[i] = (float)idx[i];
    ck_compare(" (indices)", ti, idxf, 0);
    if (topk) ck_compare(" (values)", tv, vals, 0);
end:
    ck_end();
}

/* ---- layers: feed-forward, GRU, LSTM ---- */

static void check_ffn(vkattn_dtype dt, int gated) {
    const int64_t rows = 5, d = 24, f = 40;
    if (!ck_begin("ffn %s %s D%lld F%lld +residual", gated ? "swiglu" : "gelu", dts(dt), (long long)d, (long long)f)) return;
    float *x = ck_alloc((size_t)(rows * d)), *up = ck_alloc((size_t)(f * d)), *gate = ck_alloc((size_t)(f * d)),
          *down = ck_alloc((size_t)(d * f)), *bu = ck_alloc((size_t)f), *bd = ck_alloc((size_t)d),
          *res = ck_alloc((size_t)(rows * d)), *want = ck_alloc((size_t)(rows * d));
    if (ck.failed) goto end;
    fill(x, (size_t)(rows * d), -1, 1), fill(up, (size_t)(f * d), -0.3f, 0.3f), fill(gate, (size_t)(f * d), -0.3f, 0.3f);
    fill(down, (size_t)(d * f), -0.3f, 0.3f), fill(bu, (size_t)f, -1, 1), fill(bd, (size_t)d, -1, 1);
    fill(res, (size_t)(rows * d), -1, 1);
    int64_t xs[2] = {rows, d}, ws[2] = {f, d}, dws[2] = {d, f};
    vkattn_ffn_weights w = {.up = ck_tensor(VKATTN_F32, 2, ws, up), .up_bias = ck_tensor(VKATTN_F32, 1, &f, bu),
                            .gate = gated ? ck_tensor(VKATTN_F32, 2, ws, gate) : NULL,
                            .down = ck_tensor(VKATTN_F32, 2, dws, down), .down_bias = ck_tensor(VKATTN_F32, 1, &d, bd)};
    vkattn_tensor *tx = ck_tensor(dt, 2, xs, x), *tr = ck_tensor(dt, 2, xs, res), *ty = ck_tensor(dt, 2, xs, NULL);
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(vkattn_ffn(ck.ctx, tx, &w, gated ? VKATTN_FFN_SILU : VKATTN_FFN_GELU, tr, ty))) goto end;
    ref_ffn(x, (size_t)rows, (size_t)d, (size_t)f, (size_t)d, up, bu, gated ? gate : NULL, NULL, down, bd,
            gated ? REF_SILU : REF_GELU, res, want);
    ck_compare(NULL, ty, want, tol_layer(dt));
end:
    ck_end();
}

static void check_rnn(vkattn_dtype dt, int lstm) {
    const int64_t B = 2, T = 5, I = 12, H = 16, G = lstm ? 4 : 3;
    if (!ck_begin("%s %s B%lld T%lld I%lld H%lld with h0%s", lstm ? "lstm" : "gru", dts(dt), (long long)B, (long long)T,
             (long long)I, (long long)H, lstm ? ", c0" : "")) return;
    float *x = ck_alloc((size_t)(B * T * I)), *wih = ck_alloc((size_t)(G * H * I)), *whh = ck_alloc((size_t)(G * H * H)),
          *bih = ck_alloc((size_t)(G * H)), *bhh = ck_alloc((size_t)(G * H)), *h0 = ck_alloc((size_t)(B * H)),
          *c0 = ck_alloc((size_t)(B * H)), *wy = ck_alloc((size_t)(B * T * H)), *wh = ck_alloc((size_t)(B * H)),
          *wc = ck_alloc((size_t)(B * H));
    if (ck.failed) goto end;
    fill(x, (size_t)(B * T * I), -1, 1), fill(wih, (size_t)(G * H * I), -0.3f, 0.3f), fill(whh, (size_t)(G * H * H), -0.3f, 0.3f);
    fill(bih, (size_t)(G * H), -0.5f, 0.5f), fill(bhh, (size_t)(G * H), -0.5f, 0.5f), fill(h0, (size_t)(B * H), -1, 1);
    fill(c0, (size_t)(B * H), -1, 1);
    int64_t xs[3] = {B, T, I}, ys[3] = {B, T, H}, hs[2] = {B, H}, wis[2] = {G * H, I}, whs[2] = {G * H, H}, bs = G * H;
    vkattn_rnn_weights w = {.weight_ih = ck_tensor(VKATTN_F32, 2, wis, wih), .weight_hh = ck_tensor(dt, 2, whs, whh),
                            .bias_ih = ck_tensor(VKATTN_F32, 1, &bs, bih), .bias_hh = ck_tensor(VKATTN_F32, 1, &bs, bhh)};
    vkattn_tensor *tx = ck_tensor(dt, 3, xs, x), *th0 = ck_tensor(dt, 2, hs, h0), *tc0 = lstm ? ck_tensor(dt, 2, hs, c0) : NULL;
    vkattn_tensor *ty = ck_tensor(dt, 3, ys, NULL), *thn = ck_tensor(dt, 2, hs, NULL), *tcn = lstm ? ck_tensor(dt, 2, hs, NULL) : NULL;
    if (ck.failed) goto end;
    ck_start();
    if (!ck_stop(lstm ? vkattn_lstm(ck.ctx, tx, &w, th0, tc0, ty, thn, tcn) : vkattn_gru(ck.ctx, tx, &w, th0, ty, thn))) goto end;
    if (lstm) ref_lstm(x, (size_t)B, (size_t)T, (size_t)I, (size_t)H, wih, whh, bih, bhh, h0, c0, wy, wh, wc);
    else ref_gru(x, (size_t)B, (size_t)T, (size_t)I, (size_t)H, wih, whh, bih, bhh, h0, wy, wh);
    ck_compare(" (y)", ty, wy, tol_layer(dt));
    ck_compare(" (h_n)", thn, wh, tol_layer(dt));
    if (lstm) ck_compare(" (c_n)", tcn, wc, tol_layer(dt));
end:
    ck_end();
}

void st_run_all(st_run *r, vkattn_context *ctx) {
    const vkattn_device_info *info = vkattn_context_device(ctx);
    ck.run = r, ck.ctx = ctx;
    rng = 0x9e3779b97f4a7c15ull;
    vkattn_dtype dts2[2] = {VKATTN_F32, VKATTN_F16};
    const int ndt = 2; /* f16 on every device: packed 32-bit words where there is no 16-bit storage */
    linear_all(r, info);
    const attn_check attn[] = {
        /* impl, B, Hq, Hkv, Lq, Lk, D, causal, mask [B,1,Lq,Lk], kv_len, probs (sliding windows and
         * soft-capping: tests/gpu_attention.c; their shaders take llvmpipe ~10 s to compile) */
        {VKATTN_ATTN_3PASS, 2, 4, 2, 13, 13, 40, 1, 1, 1, 1},
        {VKATTN_ATTN_FLASH, 2, 4, 2, 37, 37, 64, 1, 1, 1, 0},
        {VKATTN_ATTN_DECODE, 2, 4, 1, 3, 300, 64, 1, 1, 1, 0},
        {VKATTN_ATTN_AUTO, 1, 8, 2, 1, 300, 64, 1, 0, 0, 0}, /* decode where it fits */
    };
    for (int d = 0; d < ndt; d++)
        for (size_t i = 0; i < sizeof attn / sizeof attn[0]; i++) check_attention(&attn[i], dts2[d], "");
    if (!r->quick) { /* flash and decode shaped for GPUs, forced on any device; the user's choice restored */
        const env_saved saved = env_save("VKATTN_ATTN_KV");
        setenv("VKATTN_ATTN_KV", "tiles", 1);
        for (int d = 0; d < ndt; d++)
            for (size_t i = 0; i < sizeof attn / sizeof attn[0]; i++)
                if (attn[i].impl == VKATTN_ATTN_FLASH || attn[i].impl == VKATTN_ATTN_DECODE) check_attention(&attn[i], dts2[d], "tiles");
        env_restore(&saved);
    }
    for (int d = 0; d < ndt; d++) {
        const vkattn_dtype dt = dts2[d];
        check_mha(dt);
        check_norm(dt, 0), check_norm(dt, 1);
        check_softmax(dt);
        check_rope(dt, VKATTN_ROPE_NEOX), check_rope(dt, VKATTN_ROPE_GPTJ);
        for (int a = REF_RELU; a <= REF_GELU_TANH; a++) check_unary(dt, (ref_act)a);
        check_glu(dt, 0), check_glu(dt, 1);
        check_add(dt, 0), check_add(dt, 1);
        check_copy(dt);
        check_select(dt, 0), check_select(dt, 1);
        check_ffn(dt, 1), check_ffn(dt, 0);
        check_rnn(dt, 0), check_rnn(dt, 1);
    }
    check_sinusoidal();
    check_embedding(VKATTN_F32), check_embedding(VKATTN_F16), check_embedding(VKATTN_Q8_0), check_embedding(VKATTN_Q4_K);
}
