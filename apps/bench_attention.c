/* vkattn bench attention: the three attention implementations over sequence
 * lengths, head dims and causal on/off, a split-K decode case, and the
 * project's own GEMM (vkattn_linear) on the two products attention is made of,
 * all in one run so that the ratios the targets name are comparable.
 *
 * Times are wall clock around one vkattn_attention call run outside a batch
 * (record + submit + wait), the minimum over repeats; memory is the context's
 * peak device memory during the call, inputs and outputs included. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024.0 * 1024.0)
#define MAX_LENS 16

typedef struct {
    const char *device, *out;
    uint32_t min_len, max_len, decode_len, bh;
    uint32_t dims[4], n_dims;
    int impls[4], n_impls;  /* vkattn_attn_impl values */
    int causal_mask;        /* bit 0: off, bit 1: on */
    int gemm, profile;
    double budget_ms;       /* repeat a case while its runs total less than this */
    double case_limit_s;    /* skip a sweep case predicted to take longer (0: never) */
    vkattn_dtype dtype;
} options;

typedef struct {
    vkattn_status st;
    int skipped;            /* not run: predicted time over --case-limit */
    char why[512];
    double ms, peak_mib, err; /* err: spot-check error (NAN: not checked) */
    uint32_t runs;
    vkattn_attention_plan plan;
} result;

/* What the targets need, kept while the sweep runs. */
typedef struct {
    result flash4k, pass4k, flash16k, pass16k, gemm4k, dec, dec_flash;
    uint32_t bh4k, bh16k, have;
} targets;

enum { T_FLASH4K = 1, T_PASS4K = 2, T_FLASH16K = 4, T_PASS16K = 8, T_GEMM4K = 16, T_DEC = 32, T_DECF = 64 };

typedef struct {
    options o;
    vkattn_context *ctx;
    bench_report *r;
    uint32_t done, total;
    double t_start;
    targets t;
} bench;

static const char *impl_name(int impl) {
    return impl == VKATTN_ATTN_3PASS ? "3pass" : impl == VKATTN_ATTN_FLASH ? "flash" : impl == VKATTN_ATTN_DECODE ? "decode" : "auto";
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float urand(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng_state >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

/* A tensor of uniform [-1, 1) values; *host receives them (rounded through f16 for f16 tensors:
 * the values the device sees), to be freed by the caller. */
static vkattn_status random_tensor(vkattn_context *ctx, vkattn_dtype dt, uint32_t ndim, const int64_t *shape,
                                   vkattn_tensor **out, float **host) {
    vkattn_status st = vkattn_tensor_create(ctx, dt, ndim, shape, out);
    if (st) return st;
    uint64_t n = vkattn_tensor_numel(*out);
    float *h = malloc(n * sizeof *h);
    if (!h) return VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    for (uint64_t i = 0; i < n; i++) h[i] = urand();
    st = vkattn_tensor_upload_f32(*out, h, n);
    if (!st) st = vkattn_tensor_download_f32(*out, h, n);
    *host = h;
    return st;
}

/* Spot check of a result: a few rows against a double-precision host computation, as the
 * max abs error relative to the largest reference value. A benchmark of wrong results is
 * worthless (lavapipe's loop limit once truncated long key walks silently). */
#define CHECK_TOL 1e-3
static const char *verdict(double err) { return isnan(err) ? "-" : err <= CHECK_TOL ? "ok" : "WRONG"; }

/* Rows of head h of attention (B = 1, Hq = Hkv): o[h, i, :] against the reference. */
static double check_attention(const float *q, const float *k, const float *v, const float *o, uint32_t lq, uint32_t lk,
                              uint32_t d, int causal, uint32_t h) {
    uint32_t rows[3] = {0, lq / 2, lq - 1};
    double err = 0, scale = 0, *p = malloc(lk * sizeof *p);
    if (!p) return NAN;
    for (int ri = 0; ri < 3; ri++) {
        uint32_t i = rows[ri];
        const float *qi = q + ((size_t)h * lq + i) * d;
        int64_t end = causal ? (int64_t)i + lk - lq + 1 : lk;
        if (end > lk) end = lk;
        double mx = -INFINITY, l = 0;
        for (int64_t j = 0; j < end; j++) {
            const float *kj = k + ((size_t)h * lk + (size_t)j) * d;
            double dot = 0;
            for (uint32_t c = 0; c < d; c++) dot += (double)qi[c] * kj[c];
            p[j] = dot / sqrt((double)d);
            if (p[j] > mx) mx = p[j];
        }
        for (int64_t j = 0; j < end; j++) l += p[j] = exp(p[j] - mx);
        for (uint32_t c = 0; c < d; c++) {
            double y = 0;
            for (int64_t j = 0; j < end; j++) y += p[j] * v[((size_t)h * lk + (size_t)j) * d + c];
            y = l > 0 ? y / l : 0;
            double e = fabs(y - o[((size_t)h * lq + i) * d + c]);
            if (e > err) err = e;
            if (fabs(y) > scale) scale = fabs(y);
        }
    }
    free(p);
    return scale > 0 ? err / scale : err;
}

static void progress(bench *b, const char *what, const result *res) {
    b->done++;
    double el = (bench_now_ms() - b->t_start) / 1000.0;
    if (res->skipped)
        fprintf(stderr, "[%u/%u %5.0fs] %-58s skipped: %s\n", b->done, b->total, el, what, res->why);
    else if (res->st)
        fprintf(stderr, "[%u/%u %5.0fs] %-58s refused: %s\n", b->done, b->total, el, what, vkattn_status_string(res->st));
    else
        fprintf(stderr, "[%u/%u %5.0fs] %-58s %10.2f ms (%u run%s)\n", b->done, b->total, el, what, res->ms, res->runs,
                res->runs == 1 ? "" : "s");
    if (b->o.profile) {
        cli_print_profile(b->ctx, stderr);
        vkattn_profile_reset(b->ctx);
    }
}

/* Runs fn until the runs total budget_ms (at least min_runs times, at most 20): the
 * fastest run is the one least disturbed by the machine's other load. */
typedef vkattn_status (*run_fn)(void *arg);

static void timed(bench *b, run_fn fn, void *arg, uint32_t min_runs, result *res) {
    vkattn_stats s;
    vkattn_context_reset_peak(b->ctx);
    double spent = 0, best = INFINITY;
    res->runs = 0;
    do {
        double t0 = bench_now_ms();
        res->st = fn(arg);
        double ms = bench_now_ms() - t0;
        if (res->st) {
            snprintf(res->why, sizeof res->why, "%s", vkattn_context_error(b->ctx));
            return;
        }
        res->runs++;
        spent += ms;
        if (ms < best) best = ms;
    } while ((spent < b->o.budget_ms || res->runs < min_runs) && res->runs < 20);
    vkattn_context_stats(b->ctx, &s);
    res->ms = best;
    res->peak_mib = (double)s.device_bytes_peak / MIB;
}

/* ---- attention ------------------------------------------------------------------------ */

typedef struct {
    vkattn_context *ctx;
    vkattn_tensor *q, *k, *v, *o;
    vkattn_attention_desc desc;
} attn_run;

static vkattn_status run_attention(void *arg) {
    attn_run *a = arg;
    return vkattn_attention(a->ctx, a->q, a->k, a->v, a->o, &a->desc);
}

/* One attention case: B = 1, Hq = Hkv = bh heads. */
static void attention_case(bench *b, uint32_t bh, uint32_t lq, uint32_t lk, uint32_t d, int causal, int impl,
                           uint32_t min_runs, result *res) {
    memset(res, 0, sizeof *res);
    res->err = NAN;
    attn_run a = {.ctx = b->ctx, .desc = {.causal = causal, .impl = (vkattn_attn_impl)impl}};
    int64_t qs[4] = {1, bh, lq, d}, ks[4] = {1, bh, lk, d};
    vkattn_dtype dt = b->o.dtype;
    float *hq = NULL, *hk = NULL, *hv = NULL, *ho = NULL;
    res->st = random_tensor(b->ctx, dt, 4, qs, &a.q, &hq);
    if (!res->st) res->st = random_tensor(b->ctx, dt, 4, ks, &a.k, &hk);
    if (!res->st) res->st = random_tensor(b->ctx, dt, 4, ks, &a.v, &hv);
    if (!res->st) res->st = vkattn_tensor_create(b->ctx, dt, 4, qs, &a.o);
    if (!res->st) res->st = vkattn_attention_get_plan(b->ctx, a.q, a.k, a.v, a.o, &a.desc, &res->plan);
    if (res->st) snprintf(res->why, sizeof res->why, "%s", vkattn_context_error(b->ctx));
    else timed(b, run_attention, &a, min_runs, res);
    if (!res->st && (ho = malloc((size_t)bh * lq * d * sizeof *ho)) &&
        !vkattn_tensor_download_f32(a.o, ho, (size_t)bh * lq * d)) {
        double e0 = check_attention(hq, hk, hv, ho, lq, lk, d, causal, 0);
        double e1 = check_attention(hq, hk, hv, ho, lq, lk, d, causal, bh - 1);
        res->err = e0 > e1 ? e0 : e1;
    }
    free(hq);
    free(hk);
    free(hv);
    free(ho);
    vkattn_tensor_destroy(a.q);
    vkattn_tensor_destroy(a.k);
    vkattn_tensor_destroy(a.v);
    vkattn_tensor_destroy(a.o);
}

static double attention_flops(uint32_t bh, uint32_t lq, uint32_t lk, uint32_t d, int causal) {
    double f = 4.0 * bh * lq * lk * d;
    return causal ? f / 2 : f;
}

static void row(bench *b, const char *section, const char *impl, uint32_t bh, uint32_t lq, uint32_t lk, uint32_t d,
                int causal, double flops, const result *res) {
    bench_report *r = b->r;
    bench_row_begin(r);
    bench_col_str(r, "case", section);
    bench_col_str(r, "impl", impl);
    bench_col_num(r, "B*H", bh, "%.0f");
    bench_col_num(r, "Lq", lq, "%.0f");
    bench_col_num(r, "Lk", lk, "%.0f");
    bench_col_num(r, "D", d, "%.0f");
    bench_col_str(r, "causal", causal ? "yes" : "no");
    bench_col_str(r, "status", res->skipped ? "skipped" : res->st ? "refused" : "ok");
    bench_col_num(r, "ms", res->st || res->skipped ? NAN : res->ms, "%.2f");
    bench_col_num(r, "GFLOP/s", res->st || res->skipped ? NAN : flops / res->ms / 1e6, "%.2f");
    bench_col_num(r, "peak_MiB", res->st || res->skipped ? NAN : res->peak_mib, "%.1f");
    bench_col_num(r, "scratch_MiB", res->st || res->skipped ? NAN : (double)res->plan.scratch_bytes / MIB, "%.1f");
    bench_col_num(r, "splits", res->plan.decode_splits, "%.0f");
    bench_col_num(r, "runs", res->runs, "%.0f");
    bench_col_num(r, "rel_err", res->err, "%.1e");
    bench_col_str(r, "check", verdict(res->err));
    bench_row_end(r);
    if (!res->st && !isnan(res->err) && res->err > CHECK_TOL)
        bench_note(r, "WRONG RESULT: %s %s B*H=%u Lq=%u Lk=%u D=%u causal=%d: spot-check error %.2e (tolerance %.0e)",
                   section, impl, bh, lq, lk, d, causal, res->err, CHECK_TOL);
    if (res->skipped)
        bench_note(r, "skipped: %s %s B*H=%u L=%u D=%u causal=%d: %s", section, impl, bh, lq, d, causal, res->why);
    else if (res->st)
        bench_note(r, "refused: %s %s B*H=%u Lq=%u Lk=%u D=%u causal=%d: %s: %s", section, impl, bh, lq, lk, d, causal,
                   vkattn_status_string(res->st), res->why);
}

/* Heads so that every execution unit gets a few hundred query rows: ceil(units * 256 / L),
 * 1 to 64 (B = 1). Long sequences fill the device with one head. */
static uint32_t heads_for(const bench *b, uint32_t len) {
    if (b->o.bh) return b->o.bh;
    const vkattn_device_info *info = vkattn_context_device(b->ctx);
    uint64_t units = info->compute_units ? info->compute_units : 16;
    uint64_t h = (units * 256 + len - 1) / len;
    return (uint32_t)(h < 1 ? 1 : h > 64 ? 64 : h);
}

/* Creates every pipeline a sweep uses with a tiny call, so no timed run pays for it. */
static void warm_up(bench *b) {
    for (uint32_t di = 0; di < b->o.n_dims; di++)
        for (int c = 0; c < 2; c++)
            for (int ii = 0; ii < b->o.n_impls; ii++) {
                result res;
                uint32_t lq = b->o.impls[ii] == VKATTN_ATTN_DECODE ? 1 : 64;
                attention_case(b, 1, lq, 64, b->o.dims[di], c, b->o.impls[ii], 1, &res);
            }
}

static int has_impl(const bench *b, int impl) {
    for (int i = 0; i < b->o.n_impls; i++)
        if (b->o.impls[i] == impl) return 1;
    return 0;
}

/* The cases the targets compare are always run, whatever --case-limit says. */
static int target_case(uint32_t len, uint32_t d, int causal) { return d == 64 && !causal && (len == 4096 || len == 16384); }

static void sweep(bench *b) {
    double last_ms[4][4][2] = {{{0}}}; /* [impl][dim][causal] at the previous length, to predict the next */
    for (uint32_t len = b->o.min_len; len <= b->o.max_len; len *= 2)
        for (uint32_t di = 0; di < b->o.n_dims; di++)
            for (int causal = 0; causal < 2; causal++) {
                if (!(b->o.causal_mask >> causal & 1)) continue;
                uint32_t d = b->o.dims[di], bh = heads_for(b, len);
                for (int ii = 0; ii < b->o.n_impls; ii++) {
                    int impl = b->o.impls[ii];
                    if (impl == VKATTN_ATTN_DECODE) continue; /* decode is for Lq <= 8: its own section */
                    result res;
                    uint32_t bh_prev = heads_for(b, len / 2);
                    /* time grows as B*H * L^2: predict from the previous length */
                    double predict = last_ms[impl][di][causal] * 4.0 * bh / bh_prev / 1000.0;
                    if (b->o.case_limit_s > 0 && predict > b->o.case_limit_s && !target_case(len, d, causal)) {
                        memset(&res, 0, sizeof res);
                        res.skipped = 1;
                        res.err = NAN;
                        snprintf(res.why, sizeof res.why, "predicted %.0f s > --case-limit %.0f s", predict,
                                 b->o.case_limit_s);
                    } else {
                        /* the ratios the targets compare: best of 3 at least (len 16384: memory only) */
                        attention_case(b, bh, len, len, d, causal, impl, target_case(len, d, causal) && len < 16384 ? 3 : 1,
                                       &res);
                    }
                    last_ms[impl][di][causal] = res.st || res.skipped ? predict * 1000.0 : res.ms;
                    char what[128];
                    snprintf(what, sizeof what, "%s L=%u D=%u causal=%d B*H=%u", impl_name(impl), len, d, causal, bh);
                    progress(b, what, &res);
                    row(b, "sweep", impl_name(impl), bh, len, len, d, causal, attention_flops(bh, len, len, d, causal), &res);
                    if (d == 64 && !causal && len == 4096) {
                        b->t.bh4k = bh;
                        if (impl == VKATTN_ATTN_FLASH) b->t.flash4k = res, b->t.have |= T_FLASH4K;
                        if (impl == VKATTN_ATTN_3PASS) b->t.pass4k = res, b->t.have |= T_PASS4K;
                    }
                    if (d == 64 && !causal && len == 16384) {
                        b->t.bh16k = bh;
                        if (impl == VKATTN_ATTN_FLASH) b->t.flash16k = res, b->t.have |= T_FLASH16K;
                        if (impl == VKATTN_ATTN_3PASS) b->t.pass16k = res, b->t.have |= T_PASS16K;
                    }
                }
            }
}

/* One query (B*Hq = 1) over a long cache: split-K decode against flash run with Lq = 1. */
static void decode_cases(bench *b) {
    for (uint32_t di = 0; di < b->o.n_dims; di++) {
        uint32_t d = b->o.dims[di];
        int impls[2] = {VKATTN_ATTN_DECODE, VKATTN_ATTN_FLASH};
        for (int ii = 0; ii < 2; ii++) {
            if (!has_impl(b, impls[ii])) continue;
            result res;
            attention_case(b, 1, 1, b->o.decode_len, d, 0, impls[ii], 3, &res);
            char what[128];
            snprintf(what, sizeof what, "decode case: %s Lq=1 Lk=%u D=%u B*Hq=1", impl_name(impls[ii]), b->o.decode_len, d);
            progress(b, what, &res);
            row(b, "decode", impl_name(impls[ii]), 1, 1, b->o.decode_len, d, 0, attention_flops(1, 1, b->o.decode_len, d, 0),
                &res);
            if (d == 64 && impls[ii] == VKATTN_ATTN_DECODE) b->t.dec = res, b->t.have |= T_DEC;
            if (d == 64 && impls[ii] == VKATTN_ATTN_FLASH) b->t.dec_flash = res, b->t.have |= T_DECF;
        }
    }
}

/* ---- GEMM ------------------------------------------------------------------------------ */

typedef struct {
    vkattn_context *ctx;
    vkattn_tensor *x, *w, *y;
} gemm_run;

static vkattn_status run_gemm(void *arg) {
    gemm_run *g = arg;
    return vkattn_linear(g->ctx, g->x, g->w, NULL, g->y);
}

/* y [m, n] = x [m, k] w [n, k]^T through vkattn_linear. */
static void gemm_case(bench *b, uint32_t m, uint32_t n, uint32_t k, uint32_t min_runs, result *res) {
    memset(res, 0, sizeof *res);
    res->err = NAN;
    gemm_run g = {.ctx = b->ctx};
    int64_t xs[2] = {m, k}, ws[2] = {n, k}, ys[2] = {m, n};
    float *hx = NULL, *hw = NULL, *hy = NULL;
    res->st = random_tensor(b->ctx, b->o.dtype, 2, xs, &g.x, &hx);
    if (!res->st) res->st = random_tensor(b->ctx, b->o.dtype, 2, ws, &g.w, &hw);
    if (!res->st) res->st = vkattn_tensor_create(b->ctx, b->o.dtype, 2, ys, &g.y);
    if (res->st) snprintf(res->why, sizeof res->why, "%s", vkattn_context_error(b->ctx));
    else timed(b, run_gemm, &g, min_runs, res);
    if (!res->st && (hy = malloc((size_t)m * n * sizeof *hy)) && !vkattn_tensor_download_f32(g.y, hy, (size_t)m * n)) {
        /* rows 0, m/2, m-1, every column; error relative to sqrt(k), the scale of a sum of k products */
        uint32_t rows[3] = {0, m / 2, m - 1};
        double err = 0;
        for (int ri = 0; ri < 3; ri++)
            for (uint32_t j = 0; j < n; j++) {
                double y = 0;
                for (uint32_t c = 0; c < k; c++) y += (double)hx[(size_t)rows[ri] * k + c] * hw[(size_t)j * k + c];
                double e = fabs(y - hy[(size_t)rows[ri] * n + j]);
                if (e > err) err = e;
            }
        res->err = err / sqrt((double)k);
    }
    free(hx);
    free(hw);
    free(hy);
    vkattn_tensor_destroy(g.x);
    vkattn_tensor_destroy(g.w);
    vkattn_tensor_destroy(g.y);
}

/* The two products of one head's attention as plain GEMMs: S = Q K^T (M = N = L, K = D)
 * and O = P V (M = L, N = D, K = L); together 4 L^2 D flops, as attention. */
static void gemm_cases(bench *b) {
    static const uint32_t lens[] = {1024, 4096};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (uint32_t di = 0; di < b->o.n_dims; di++) {
            uint32_t len = lens[li], d = b->o.dims[di];
            if (len > b->o.max_len) continue;
            result qk, pv, sum;
            uint32_t runs = len == 4096 && d == 64 ? 3 : 1; /* the target's shape: best of 3 at least */
            gemm_case(b, len, len, d, runs, &qk);
            char what[128];
            snprintf(what, sizeof what, "gemm QK^T M=N=%u K=%u", len, d);
            progress(b, what, &qk);
            gemm_case(b, len, d, len, runs, &pv);
            snprintf(what, sizeof what, "gemm PV M=%u N=%u K=%u", len, d, len);
            progress(b, what, &pv);
            row(b, "gemm", "linear_qk", 1, len, len, d, 0, 2.0 * len * len * d, &qk);
            row(b, "gemm", "linear_pv", 1, len, len, d, 0, 2.0 * len * len * d, &pv);
            sum = qk;
            if (!sum.st) sum.st = pv.st;
            sum.ms = qk.ms + pv.ms;
            sum.peak_mib = qk.peak_mib > pv.peak_mib ? qk.peak_mib : pv.peak_mib;
            sum.runs = qk.runs < pv.runs ? qk.runs : pv.runs;
            sum.err = qk.err > pv.err ? qk.err : pv.err;
            row(b, "gemm", "linear_qk+pv", 1, len, len, d, 0, 4.0 * len * len * d, &sum);
            if (len == 4096 && d == 64) b->t.gemm4k = sum, b->t.have |= T_GEMM4K;
        }
}

/* ---- targets --------------------------------------------------------------------------- */

static const char *met(int ok) { return ok ? "MET" : "NOT MET"; }

static void target_notes(bench *b) {
    targets *t = &b->t;
    bench_report *r = b->r;
    const vkattn_device_info *info = vkattn_context_device(b->ctx);
    bench_note(r, "B = 1, Hq = Hkv = B*H heads chosen as ceil(compute_units * 256 / L), 1..64 (compute_units = %u); "
                  "dtype %s; ms = fastest of the runs (wall clock, record + submit + wait); peak_MiB = peak device "
                  "memory during the call, q/k/v/o included; GFLOP/s = 4*B*Hq*Lq*Lk*D (halved when causal) / time.",
               info->compute_units, vkattn_dtype_string(b->o.dtype));
    if ((t->have & (T_FLASH4K | T_PASS4K)) == (T_FLASH4K | T_PASS4K) && !t->flash4k.st && !t->pass4k.st) {
        double x = t->pass4k.ms / t->flash4k.ms;
        bench_note(r, "target 1a (flash >= 3x faster than 3-pass at L=4096, D=64, non-causal): %.2f ms vs %.2f ms = "
                      "%.2fx: %s", t->flash4k.ms, t->pass4k.ms, x, met(x >= 3));
    }
    if ((t->have & (T_FLASH16K | T_PASS16K)) == (T_FLASH16K | T_PASS16K) && !t->flash16k.st) {
        if (!t->pass16k.st) {
            double x = t->flash16k.peak_mib / t->pass16k.peak_mib;
            bench_note(r, "target 1b (flash < 5%% of 3-pass device memory at L=16384, D=64, B*H=%u): %.1f MiB vs "
                          "%.1f MiB measured = %.2f%%: %s (3-pass streams its scores through a %.1f MiB ring; "
                          "materialized at once they would take %.1f MiB)",
                       t->bh16k, t->flash16k.peak_mib, t->pass16k.peak_mib, 100 * x, met(x < 0.05),
                       (double)t->pass16k.plan.scratch_bytes / MIB, (double)t->pass16k.plan.scores_bytes / MIB);
        } else {
            /* refused: compare with what it would need, inputs/outputs plus all the scores */
            double need = t->flash16k.peak_mib + (double)t->pass16k.plan.scores_bytes / MIB;
            double x = t->flash16k.peak_mib / need;
            bench_note(r, "target 1b (flash < 5%% of 3-pass device memory at L=16384, D=64, B*H=%u): 3-pass refused, so "
                          "compared with what it would need (computed: q/k/v/o + all scores = %.1f MiB): flash %.1f MiB "
                          "= %.2f%%: %s", t->bh16k, need, t->flash16k.peak_mib, 100 * x, met(x < 0.05));
        }
    }
    if ((t->have & (T_FLASH4K | T_GEMM4K)) == (T_FLASH4K | T_GEMM4K) && !t->flash4k.st && !t->gemm4k.st) {
        double f = attention_flops(t->bh4k, 4096, 4096, 64, 0) / t->flash4k.ms / 1e6;
        double g = 4.0 * 4096 * 4096 * 64 / t->gemm4k.ms / 1e6;
        bench_note(r, "target 2 (flash GFLOP/s >= 50%% of the project's GEMM at a comparable shape: vkattn_linear "
                      "S = Q K^T with M=N=4096, K=64 plus O = P V with M=4096, N=64, K=4096, the two products of one "
                      "head): flash %.2f vs GEMM %.2f GFLOP/s = %.0f%%: %s", f, g, 100 * f / g, met(f >= 0.5 * g));
    }
    if ((t->have & (T_DEC | T_DECF)) == (T_DEC | T_DECF) && !t->dec.st && !t->dec_flash.st) {
        double x = t->dec_flash.ms / t->dec.ms;
        bench_note(r, "target 3 (decode >= 1.7x faster than flash, B*Hq=1, Lq=1, Lk=%u, D=64): %.3f ms vs %.3f ms = "
                      "%.2fx with %u splits (from compute_units %u x subgroup %u): %s", b->o.decode_len, t->dec.ms,
                   t->dec_flash.ms, x, t->dec.plan.decode_splits, info->compute_units, info->subgroup_size, met(x >= 1.7));
    }
}

/* ---- options --------------------------------------------------------------------------- */

static void usage(FILE *f) {
    fprintf(f,
            "usage: vkattn bench attention [options]\n\n"
            "Attention implementations over L = min-len .. max-len (doubling), head dims, causal on/off;\n"
            "a decode case (B*Hq = 1, Lq = 1 over a long cache, decode vs flash); vkattn_linear on the\n"
            "same products (S = Q K^T, O = P V) for comparison. Targets are evaluated at the end.\n\n"
            "  --device D        device (index, type or name substring)\n"
            "  -o PREFIX         write PREFIX.json, PREFIX.md and the charts PREFIX-time.svg (vkattn bench plot)\n"
            "  --min-len N       shortest L (default 128)\n"
            "  --max-len N       longest L (default 16384)\n"
            "  --dims A,B        head dims (default 64,128)\n"
            "  --impl LIST       any of 3pass,flash,decode (default all three)\n"
            "  --causal on|off|both   (default both)\n"
            "  --heads N         B*H for every case (default: chosen to fill the device)\n"
            "  --decode-len N    cache length of the decode case (default 16384)\n"
            "  --budget-ms T     repeat a case while its runs total less than T ms (default 1500)\n"
            "  --case-limit S    skip a sweep case predicted (from the previous L) to take over S s;\n"
            "                    the target cases (D=64, non-causal, L=4096 and 16384) always run\n"
            "                    (default 60; 0 = no limit)\n"
            "  --dtype f32|f16   storage (default f32)\n"
            "  --no-gemm         skip the GEMM comparison\n"
            "  --profile         print per-kernel GPU times after every case (also VKATTN_PROFILE=1)\n"
            "  --quick           --max-len 2048 --dims 64 --budget-ms 300\n"
            "Progress goes to stderr, the table to stdout.\n");
}

static int parse_impls(const char *s, options *o) {
    o->n_impls = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int impl = strcmp(tok, "3pass") == 0 ? VKATTN_ATTN_3PASS : strcmp(tok, "flash") == 0 ? VKATTN_ATTN_FLASH
                   : strcmp(tok, "decode") == 0 ? VKATTN_ATTN_DECODE : -1;
        if (impl < 0 || o->n_impls == 4) return 1;
        o->impls[o->n_impls++] = impl;
    }
    return o->n_impls == 0;
}

#define CMD "bench attention"

static int parse(int argc, char **argv, options *o) {
    *o = (options){.min_len = 128, .max_len = 16384, .decode_len = 16384, .dims = {64, 128}, .n_dims = 2,
                   .impls = {VKATTN_ATTN_3PASS, VKATTN_ATTN_FLASH, VKATTN_ATTN_DECODE}, .n_impls = 3,
                   .causal_mask = 3, .gemm = 1, .budget_ms = 1500, .case_limit_s = 60, .dtype = VKATTN_F32};
    const char *e = getenv("VKATTN_PROFILE");
    o->profile = e && *e && strcmp(e, "0") != 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0, rc = 0;
        if (cli_is_help(a)) {
            usage(stdout);
            return -1;
        } else if (strcmp(a, "--quick") == 0) {
            o->max_len = 2048, o->dims[0] = 64, o->n_dims = 1, o->budget_ms = 300;
            continue;
        } else if (strcmp(a, "--no-gemm") == 0) {
            o->gemm = 0;
            continue;
        } else if (strcmp(a, "--profile") == 0) {
            o->profile = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "vkattn bench attention: unknown option or missing value: %s (see --help)\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--device") == 0) o->device = v;
        else if (strcmp(a, "-o") == 0) o->out = v;
        else if (strcmp(a, "--min-len") == 0) rc = cli_parse_uint(CMD, a, v, 1, 1u << 20, &o->min_len);
        else if (strcmp(a, "--max-len") == 0) rc = cli_parse_uint(CMD, a, v, 1, 1u << 20, &o->max_len);
        else if (strcmp(a, "--decode-len") == 0) rc = cli_parse_uint(CMD, a, v, 1, 1u << 20, &o->decode_len);
        else if (strcmp(a, "--heads") == 0) rc = cli_parse_uint(CMD, a, v, 1, 1u << 20, &o->bh);
        else if (strcmp(a, "--dims") == 0) rc = cli_parse_list(CMD, a, v, ',', 1, 256, o->dims, 4, &o->n_dims);
        else if (strcmp(a, "--impl") == 0) bad = parse_impls(v, o);
        else if (strcmp(a, "--budget-ms") == 0) rc = cli_parse_float(CMD, a, v, 0, 1e7, &o->budget_ms);
        else if (strcmp(a, "--case-limit") == 0) rc = cli_parse_float(CMD, a, v, 0, 1e7, &o->case_limit_s);
        else if (strcmp(a, "--causal") == 0) {
            o->causal_mask = strcmp(v, "off") == 0 ? 1 : strcmp(v, "on") == 0 ? 2 : strcmp(v, "both") == 0 ? 3 : 0;
            bad = !o->causal_mask;
        } else if (strcmp(a, "--dtype") == 0) {
            bad = strcmp(v, "f32") && strcmp(v, "f16");
            o->dtype = strcmp(v, "f16") == 0 ? VKATTN_F16 : VKATTN_F32;
        } else {
            fprintf(stderr, "vkattn bench attention: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (rc) return rc;
        if (bad) {
            fprintf(stderr, "vkattn bench attention: bad value for %s: %s\n", a, v);
            return 2;
        }
    }
    if (o->min_len > o->max_len) {
        fprintf(stderr, "vkattn bench attention: --min-len %u exceeds --max-len %u\n", o->min_len, o->max_len);
        return 2;
    }
    return 0;
}

int bench_attention(int argc, char **argv) {
    bench b = {0};
    int rc = parse(argc, argv, &b.o);
    if (rc) return rc < 0 ? 0 : rc;
    if (!(b.ctx = cli_context(b.o.device, b.o.profile))) return 1;
    if (b.o.dtype == VKATTN_F16 && !vkattn_context_device(b.ctx)->storage16) {
        fprintf(stderr, "vkattn bench attention: --dtype f16 needs 16-bit storage, which this device lacks\n");
        vkattn_context_destroy(b.ctx);
        return 1;
    }
    b.r = bench_report_create("attention", b.ctx);
    if (!b.r) {
        vkattn_context_destroy(b.ctx);
        return 1;
    }
    int n_sweep = 0, n_lens = 0;
    for (int i = 0; i < b.o.n_impls; i++) n_sweep += b.o.impls[i] != VKATTN_ATTN_DECODE;
    for (uint32_t len = b.o.min_len; len <= b.o.max_len; len *= 2) n_lens++;
    int n_causal = (b.o.causal_mask & 1) + (b.o.causal_mask >> 1);
    int n_dec = has_impl(&b, VKATTN_ATTN_DECODE) + has_impl(&b, VKATTN_ATTN_FLASH);
    int n_gemm = (b.o.max_len >= 1024) + (b.o.max_len >= 4096);
    b.total = (uint32_t)(n_lens * (int)b.o.n_dims * n_causal * n_sweep + (int)b.o.n_dims * n_dec +
                         (b.o.gemm ? n_gemm * (int)b.o.n_dims * 2 : 0));
    fprintf(stderr, "vkattn bench attention on %s: %u cases\n", vkattn_context_device(b.ctx)->name, b.total);
    b.t_start = bench_now_ms();
    warm_up(&b);
    if (b.o.profile) vkattn_profile_reset(b.ctx);
    sweep(&b);
    decode_cases(&b);
    if (b.o.gemm) gemm_cases(&b);
    target_notes(&b);
    bench_note(b.r, "total run time %.0f s", (bench_now_ms() - b.t_start) / 1000.0);
    char first[1024];
    if (vkattn_context_validation_messages(b.ctx, first, sizeof first)) {
        fprintf(stderr, "vkattn bench attention: validation messages; first: %s\n", first);
        rc = 1;
    }
    if (b.o.out && bench_report_save(b.r, b.o.out)) {
        fprintf(stderr, "vkattn bench attention: cannot write %s.json/.md\n", b.o.out);
        rc = 1;
    }
    bench_report_destroy(b.r);
    vkattn_context_destroy(b.ctx);
    return rc;
}
