/* vkattn bench gemm: vkattn_linear (y = x W^T) over M in {1, 16, 128, 512} and the
 * LLaMA-7B projection shapes N x K in {4096 x 4096, 11008 x 4096, 4096 x 11008}, with
 * f32 / f16 / GGUF block-type weights (q8_0, q4_0, q4_k, ...); in the same run OpenBLAS sgemm on the same shapes
 * (loaded at run time with dlopen, 2 threads) and a Vulkan copy kernel against memcpy,
 * so that the ratios that matter are measured under one machine load:
 *   GEMM: our f32 GFLOP/s at M = 512 / OpenBLAS's;  GEMV (M = 1): weight GB/s / copy GB/s. */
#include "bench.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- OpenBLAS, optional ---- */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef struct {
    void *lib;
    sgemm_fn sgemm;
} blas;

static int blas_open(blas *b, int threads) {
    memset(b, 0, sizeof *b);
    b->lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!b->lib) return 0;
    b->sgemm = (sgemm_fn)(uintptr_t)dlsym(b->lib, "cblas_sgemm");
    void (*set_threads)(int) = (void (*)(int))(uintptr_t)dlsym(b->lib, "openblas_set_num_threads");
    if (!b->sgemm) {
        dlclose(b->lib);
        b->lib = NULL;
        return 0;
    }
    if (set_threads) set_threads(threads);
    return 1;
}

/* ---- timing ---- */
typedef struct {
    int reps;
    double target_ms; /* per measurement */
} timing;

/* Runs fn once (warm-up), then batches of repetitions; returns the best ms per call, and in *spread
 * (if not NULL) the repetitions' relative standard deviation, which `bench compare` takes as the
 * row's run-to-run noise (0 with one repetition). */
static double time_calls(const timing *t, int (*fn)(void *), void *arg, vkattn_context *ctx, double *spread) {
    double t0 = bench_now_ms();
    if (fn(arg)) return -1;
    double once = bench_now_ms() - t0;
    int n = once > 0 ? (int)(t->target_ms / once) : t->reps;
    n = n < 1 ? 1 : n > 200 ? 200 : n;
    double best = INFINITY, sum = 0, sum2 = 0;
    if (spread) *spread = 0;
    for (int r = 0; r < t->reps; r++) {
        if (ctx && vkattn_begin(ctx)) return -1;
        double a = bench_now_ms();
        for (int i = 0; i < n; i++)
            if (fn(arg)) return -1;
        if (ctx && vkattn_submit(ctx)) return -1;
        double ms = (bench_now_ms() - a) / n;
        best = ms < best ? ms : best;
        sum += ms, sum2 += ms * ms;
    }
    if (spread && t->reps > 1 && sum > 0) {
        const double mean = sum / t->reps, var = (sum2 - sum * mean) / (t->reps - 1);
        *spread = var > 0 ? sqrt(var) / mean : 0;
    }
    return best;
}

typedef struct {
    vkattn_context *ctx;
    vkattn_tensor *x, *w, *y;
} linear_call;

static int run_linear(void *p) {
    linear_call *c = p;
    return vkattn_linear(c->ctx, c->x, c->w, NULL, c->y) != VKATTN_OK;
}

typedef struct {
    vkattn_context *ctx;
    vkattn_tensor *a, *b;
} copy_call;

static int run_copy(void *p) {
    copy_call *c = p;
    return vkattn_copy(c->ctx, c->a, c->b) != VKATTN_OK;
}

typedef struct {
    blas *b;
    int M, N, K;
    const float *x, *w;
    float *y;
} sgemm_call;

static int run_sgemm(void *p) {
    sgemm_call *c = p;
    c->b->sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, c->M, c->N, c->K, 1.0f, c->x, c->K, c->w, c->K, 0.0f, c->y,
                c->N);
    return 0;
}

typedef struct {
    void *dst;
    const void *src;
    size_t n;
} memcpy_call;

static int run_memcpy(void *p) {
    memcpy_call *c = p;
    memcpy(c->dst, c->src, c->n);
    return 0;
}

/* ---- weights ---- */
static vkattn_status make_weight(vkattn_context *ctx, vkattn_dtype dt, int64_t N, int64_t K, const float *w,
                                 vkattn_tensor **out) {
    int64_t shape[2] = {N, K};
    vkattn_status st = vkattn_tensor_create(ctx, dt, 2, shape, out);
    if (st) return st;
    uint64_t n = (uint64_t)(N * K);
    if (dt == VKATTN_F32 || dt == VKATTN_F16) return vkattn_tensor_upload_f32(*out, w, (size_t)n);
    size_t bytes = (size_t)vkattn_dtype_bytes(dt, n);
    void *q = malloc(bytes);
    if (!q) return VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    if (dt == VKATTN_Q8_0) st = vkattn_quantize_q8_0(w, n, q);
    else if (dt == VKATTN_Q4_0) st = vkattn_quantize_q4_0(w, n, q);
    else memset(q, 0x3c, bytes); /* other block types: every f16 field 1.06, every quant 0x3c (speed only) */
    if (!st) st = vkattn_tensor_upload(*out, q, bytes);
    free(q);
    return st;
}

static void usage(void) {
    printf("usage: vkattn bench gemm [--device D] [--full | --scale S] [--m 1,16,128,512]\n"
           "                         [--dtypes f32,f16,q8_0,q4_0,q4_k,q6_k,...] [--shape NxK] [--reps R] [-o PREFIX]\n\n"
           "y = x W^T through vkattn_linear for M rows of x and the LLaMA-7B projection shapes\n"
           "N x K = 4096x4096, 11008x4096, 4096x11008, divided by S in N and K (default: 4 on CPU\n"
           "drivers, where the full shapes take minutes; 1 elsewhere or with --full). Prints ms,\n"
           "GFLOP/s and weight GB/s; OpenBLAS sgemm (libopenblas.so.0 via dlopen, 2 threads) on the\n"
           "same shapes; a Vulkan copy vs memcpy. --shape NxK runs that one shape instead. K is rounded\n"
           "down to a multiple of 32, or of 256 with a K-quant or iq4_xs in --dtypes. Writes PREFIX.json/.md and SVG charts\n"
           "(PREFIX-gemm-NxK.svg, PREFIX-gemv.svg; see vkattn bench plot) with -o.\n");
}

int bench_gemm(int argc, char **argv) {
    const char *device = NULL, *out = NULL, *dtypes_s = "f32,f16,q8_0,q4_0,q4_k,q6_k";
    uint32_t ms[8] = {1, 16, 128, 512}, n_m = 4, scale = 0, only[2] = {0, 0}, n_only = 0;
    int full = 0;
    timing tm = {3, 150.0};
    long long reps = 0;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            usage();
            return 0;
        } else if (strcmp(a, "--device") == 0 && v) device = argv[++i];
        else if (strcmp(a, "-o") == 0 && v) out = argv[++i];
        else if (strcmp(a, "--full") == 0) full = 1;
        else if (strcmp(a, "--scale") == 0 && v) rc = cli_parse_uint("bench gemm", a, argv[++i], 1, 64, &scale);
        else if (strcmp(a, "--m") == 0 && v) rc = cli_parse_list("bench gemm", a, argv[++i], ',', 1, 65536, ms, 8, &n_m);
        else if (strcmp(a, "--dtypes") == 0 && v) dtypes_s = argv[++i];
        else if (strcmp(a, "--shape") == 0 && v) {
            if (cli_parse_list(NULL, a, argv[++i], 'x', 1, 65536, only, 2, &n_only) || n_only != 2 || only[1] < 32)
                rc = cli_bad_value("bench gemm", a, argv[i], "NxK with N, K from 1 to 65536 and K >= 32");
        } else if (strcmp(a, "--reps") == 0 && v) rc = cli_parse_int("bench gemm", a, argv[++i], 1, 1000, &reps), tm.reps = (int)reps;
        else {
            fprintf(stderr, "vkattn bench gemm: bad option %s (see --help)\n", a);
            return 2;
        }
    }
    if (rc) return rc;
    static const struct { const char *name; vkattn_dtype dt; } all_types[] = {
        {"f32", VKATTN_F32},   {"f16", VKATTN_F16},       {"q8_0", VKATTN_Q8_0},    {"q4_0", VKATTN_Q4_0},
        {"q4_1", VKATTN_Q4_1}, {"q5_0", VKATTN_Q5_0},     {"q5_1", VKATTN_Q5_1},    {"q2_k", VKATTN_Q2_K},
        {"q3_k", VKATTN_Q3_K}, {"q4_k", VKATTN_Q4_K},     {"q5_k", VKATTN_Q5_K},    {"q6_k", VKATTN_Q6_K},
        {"iq4_nl", VKATTN_IQ4_NL}, {"iq4_xs", VKATTN_IQ4_XS}};
    enum { N_ALL = sizeof all_types / sizeof all_types[0] };
    vkattn_dtype types[N_ALL];
    int n_types = 0;
    for (size_t i = 0; i < N_ALL; i++) {
        const char *p = strstr(dtypes_s, all_types[i].name);
        size_t l = strlen(all_types[i].name);
        if (p && (p == dtypes_s || p[-1] == ',') && (p[l] == ',' || p[l] == 0)) types[n_types++] = all_types[i].dt;
    }
    if (!n_types) {
        fprintf(stderr, "vkattn bench gemm: --dtypes takes a list of f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, "
                        "q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs\n");
        return 2;
    }

    vkattn_context *ctx = cli_context(device, 0);
    if (!ctx) return 1;
    const vkattn_device_info *info = vkattn_context_device(ctx);
    if (!scale) scale = full ? 1 : info->type == VKATTN_DEVICE_CPU ? 4 : 1;
    bench_report *r = bench_report_create("gemm", ctx);
    blas bl;
    int have_blas = blas_open(&bl, 2);
    rc = 1;
    if (scale > 1)
        bench_note(r, "shapes: N and K divided by %u (a CPU driver: the full LLaMA-7B shapes take minutes; --full runs them)",
                   scale);
    if (!have_blas) bench_note(r, "native baseline unavailable (libopenblas.so.0 not found)");
    else bench_note(r, "native baseline: OpenBLAS cblas_sgemm (libopenblas.so.0), 2 threads, f32 weights for every row");

    /* ---- copy bandwidth ---- */
    const int64_t cn = 16 << 20; /* 64 MiB of f32 */
    vkattn_tensor *ca = NULL, *cb = NULL;
    double copy_gbs = 0, memcpy_gbs = 0;
    {
        int64_t shape[1] = {cn};
        vkattn_status st = vkattn_tensor_create(ctx, VKATTN_F32, 1, shape, &ca);
        if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 1, shape, &cb);
        if (!st) st = vkattn_fill(ctx, ca, 1.0f);
        if (st) {
            cli_fail("copy buffers", st, ctx);
            goto done;
        }
        copy_call cc = {ctx, ca, cb};
        double t = time_calls(&tm, run_copy, &cc, ctx, NULL);
        if (t <= 0) {
            cli_fail("vkattn_copy", VKATTN_ERROR_INVALID_ARGUMENT, ctx);
            goto done;
        }
        copy_gbs = 2.0 * cn * 4 / (t * 1e6);
        void *h1 = malloc((size_t)cn * 4), *h2 = malloc((size_t)cn * 4);
        if (h1 && h2) {
            memset(h1, 1, (size_t)cn * 4);
            memset(h2, 2, (size_t)cn * 4);
            memcpy_call mc = {h2, h1, (size_t)cn * 4};
            memcpy_gbs = 2.0 * cn * 4 / (time_calls(&tm, run_memcpy, &mc, NULL, NULL) * 1e6);
            if (((volatile unsigned char *)h2)[12345] != 1) memcpy_gbs = 0; /* also keeps the copy from being elided */
        }
        free(h1), free(h2);
        bench_note(r, "copy 64 MiB f32 (read + write): Vulkan %.2f GB/s, memcpy %.2f GB/s, ratio %.2f", copy_gbs, memcpy_gbs,
                   memcpy_gbs > 0 ? copy_gbs / memcpy_gbs : 0.0);
        vkattn_tensor_destroy(ca), vkattn_tensor_destroy(cb);
        ca = cb = NULL;
    }

    /* ---- GEMM / GEMV ---- */
    static const int64_t shapes[3][2] = {{4096, 4096}, {11008, 4096}, {4096, 11008}};
    double gemm512_ratio = -1, gemv_best_ratio = -1, gemv_worst[N_ALL];
    for (int i = 0; i < N_ALL; i++) gemv_worst[i] = -1;
    uint32_t kq = 32; /* K a multiple of the largest block (256 with a K-quant or IQ4_XS) */
    for (int i = 0; i < n_types; i++)
        if (vkattn_dtype_block(types[i]) > kq) kq = vkattn_dtype_block(types[i]);
    for (int s = 0; s < (only[0] ? 1 : 3); s++) {
        const int64_t N = only[0] ? only[0] : shapes[s][0] / scale, K = (only[0] ? only[1] : shapes[s][1] / scale) / kq * kq;
        float *w = malloc((size_t)(N * K) * sizeof *w);
        if (!w) goto done;
        for (int64_t i = 0; i < N * K; i++) w[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
        for (uint32_t mi = 0; mi < n_m; mi++) {
            const int64_t M = ms[mi];
            int64_t xs[2] = {M, K}, ys[2] = {M, N};
            float *xh = malloc((size_t)(M * K) * sizeof *xh), *yh = malloc((size_t)(M * N) * sizeof *yh);
            vkattn_tensor *x = NULL, *y = NULL;
            vkattn_status st = xh && yh ? VKATTN_OK : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
            for (int64_t i = 0; !st && i < M * K; i++) xh[i] = (float)(i % 17) / 8.0f - 1.0f;
            if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 2, xs, &x);
            if (!st) st = vkattn_tensor_upload_f32(x, xh, (size_t)(M * K));
            if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 2, ys, &y);
            double native_ms = -1;
            if (!st && have_blas) {
                sgemm_call sc = {&bl, (int)M, (int)N, (int)K, xh, w, yh};
                native_ms = time_calls(&tm, run_sgemm, &sc, NULL, NULL);
            }
            const double flop = 2.0 * (double)M * (double)N * (double)K;
            for (int ti = 0; !st && ti < n_types; ti++) {
                vkattn_dtype dt = types[ti];
                vkattn_tensor *tw = NULL;
                if ((st = make_weight(ctx, dt, N, K, w, &tw))) {
                    cli_fail("weights", st, ctx);
                    break;
                }
                linear_call lc = {ctx, x, tw, y};
                double spread = 0, t = time_calls(&tm, run_linear, &lc, ctx, &spread);
                vkattn_tensor_destroy(tw);
                if (t <= 0) {
                    cli_fail("vkattn_linear", VKATTN_ERROR_INVALID_ARGUMENT, ctx);
                    st = VKATTN_ERROR_INVALID_ARGUMENT;
                    break;
                }
                double wbytes = (double)vkattn_dtype_bytes(dt, (uint64_t)(N * K));
                bench_row_begin(r);
                bench_col_num(r, "M", (double)M, "%.0f");
                bench_col_num(r, "N", (double)N, "%.0f");
                bench_col_num(r, "K", (double)K, "%.0f");
                bench_col_str(r, "weights", vkattn_dtype_string(dt));
                bench_col_num(r, "ms", t, "%.3f");
                bench_col_num(r, "spread", spread, "%.3f");
                bench_col_num(r, "GFLOP/s", flop / (t * 1e6), "%.2f");
                bench_col_num(r, "weight_GB/s", wbytes / (t * 1e6), "%.2f");
                if (native_ms > 0) {
                    bench_col_num(r, "native_ms", native_ms, "%.3f");
                    bench_col_num(r, "native_GFLOP/s", flop / (native_ms * 1e6), "%.2f");
                    bench_col_num(r, "ours/native", native_ms / t, "%.3f");
                }
                if (M == 1) bench_col_num(r, "weight_GB/s / copy_GB/s", wbytes / (t * 1e6) / copy_gbs, "%.3f");
                bench_row_end(r);
                if (dt == VKATTN_F32 && M == 512 && native_ms > 0 && (gemm512_ratio < 0 || native_ms / t < gemm512_ratio))
                    gemm512_ratio = native_ms / t;
                if (M == 1 && (gemv_worst[ti] < 0 || wbytes / (t * 1e6) / copy_gbs < gemv_worst[ti]))
                    gemv_worst[ti] = wbytes / (t * 1e6) / copy_gbs;
                if (dt == VKATTN_F32 && M == 1) {
                    double ratio = wbytes / (t * 1e6) / copy_gbs;
                    if (gemv_best_ratio < 0 || ratio < gemv_best_ratio) gemv_best_ratio = ratio;
                }
            }
            free(xh), free(yh);
            vkattn_tensor_destroy(x), vkattn_tensor_destroy(y);
            if (st) {
                free(w);
                goto done;
            }
        }
        free(w);
    }
    if (gemm512_ratio >= 0)
        bench_note(r, "target GEMM f32, M = 512: >= 0.20 of OpenBLAS sgemm; worst shape %.3f: %s", gemm512_ratio,
                   gemm512_ratio >= 0.2 ? "MET" : "NOT MET");
    else
        bench_note(r, "target GEMM f32, M = 512 vs OpenBLAS: not measured (needs --m 512, f32 and OpenBLAS)");
    if (gemv_best_ratio >= 0)
        bench_note(r, "target GEMV f32 (M = 1): weight GB/s >= 0.50 of Vulkan copy GB/s; worst shape %.3f: %s",
                   gemv_best_ratio, gemv_best_ratio >= 0.5 ? "MET" : "NOT MET");
    for (int ti = 0; ti < n_types; ti++)
        if (gemv_worst[ti] >= 0)
            bench_note(r, "GEMV (M = 1) %s weights: weight GB/s / Vulkan copy GB/s, worst shape %.3f", vkattn_dtype_string(types[ti]),
                       gemv_worst[ti]);
    bench_note(r, "ratios are measured in one run; the machine is shared, so absolute figures move with its load");
    rc = 0;
    if (out && bench_report_save(r, out)) {
        fprintf(stderr, "vkattn bench gemm: cannot write %s.json/.md\n", out);
        rc = 1;
    }
done:
    vkattn_tensor_destroy(ca), vkattn_tensor_destroy(cb);
    if (have_blas) dlclose(bl.lib);
    bench_report_destroy(r);
    vkattn_context_destroy(ctx);
    return rc;
}
