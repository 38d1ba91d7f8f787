#include "harness.h"

#include <math.h>
#include <string.h>

int th_checks, th_failures;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

vkattn_context *th_context(void) {
    const char *v = getenv("VKATTN_TEST_VALIDATION");
    vkattn_context_desc desc = {.validation = !(v && strcmp(v, "0") == 0), .cache_dir = getenv("VKATTN_TEST_CACHE_DIR")};
    vkattn_context *ctx = NULL;
    vkattn_status st = vkattn_context_create(&desc, &ctx);
    if (st == VKATTN_ERROR_NO_DEVICE) {
        printf("skipped: no Vulkan device: %s\n", vkattn_context_error(NULL));
        exit(77);
    }
    if (st != VKATTN_OK) {
        fprintf(stderr, "context: %s: %s\n", vkattn_status_string(st), vkattn_context_error(NULL));
        exit(1);
    }
    printf("device: %s (%s)\n", vkattn_context_device(ctx)->name, vkattn_context_device(ctx)->driver_name);
    return ctx;
}

int th_finish(vkattn_context *ctx) {
    if (ctx) {
        char first[1024];
        uint32_t n = vkattn_context_validation_messages(ctx, first, sizeof first);
        CHECK(n == 0, "%u validation message(s); first: %s", n, first);
        vkattn_context_destroy(ctx);
    }
    printf("%d checks, %d failed\n", th_checks, th_failures);
    return th_failures ? 1 : 0;
}

void th_skip(vkattn_context *ctx, const char *feature) {
    printf("skipped on %s: %s\n", ctx ? vkattn_context_device(ctx)->name : "?", feature);
    vkattn_context_destroy(ctx);
    exit(77);
}

void th_seed(uint64_t seed) { rng_state = seed * 0x9e3779b97f4a7c15ull + 1; }

static uint64_t next(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

float th_uniform(float lo, float hi) { return lo + (hi - lo) * (float)((next() >> 40) * (1.0 / 16777216.0)); }

void th_fill_uniform(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = th_uniform(lo, hi);
}

float *th_alloc(size_t n) {
    float *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "out of host memory\n");
        exit(1);
    }
    return p;
}

th_err th_compare(const float *got, const float *ref, size_t n) {
    th_err e = {0};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i]) && isfinite(ref[i])) e.nonfinite++;
        double d = fabs((double)got[i] - (double)ref[i]);
        if (!(d <= e.max_abs) && isfinite(ref[i])) {
            e.max_abs = d;
            e.worst = i;
        }
        if (isfinite(ref[i]) && fabs(ref[i]) > e.ref_scale) e.ref_scale = fabs(ref[i]);
    }
    e.rel = e.max_abs / (e.ref_scale > 1e-30 ? e.ref_scale : 1.0);
    return e;
}

int th_expect_close(const char *what, const float *got, const float *ref, size_t n, double tol) {
    th_err e = th_compare(got, ref, n);
    int ok = e.rel <= tol && e.nonfinite == 0;
    CHECK(ok, "%s: max abs err %.3g (rel %.3g > tol %.3g) at %zu: got %g want %g; %d non-finite", what, e.max_abs,
          e.rel, tol, e.worst, n ? got[e.worst] : 0.0, n ? ref[e.worst] : 0.0, e.nonfinite);
    if (getenv("VKATTN_TEST_VERBOSE")) printf("  %-50s rel err %.3g (max abs %.3g)\n", what, e.rel, e.max_abs);
    return ok;
}

vkattn_tensor *th_tensor(vkattn_context *ctx, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape, const float *data) {
    vkattn_tensor *t = NULL;
    vkattn_status st = vkattn_tensor_create(ctx, dtype, ndim, shape, &t);
    if (st != VKATTN_OK) {
        fprintf(stderr, "tensor_create: %s\n", vkattn_context_error(ctx));
        exit(1);
    }
    if (data && (st = vkattn_tensor_upload_f32(t, data, vkattn_tensor_numel(t))) != VKATTN_OK) {
        fprintf(stderr, "upload: %s\n", vkattn_context_error(ctx));
        exit(1);
    }
    return t;
}

float *th_download(vkattn_context *ctx, const vkattn_tensor *t) {
    size_t n = vkattn_tensor_numel(t);
    float *x = th_alloc(n);
    vkattn_status st = vkattn_tensor_download_f32(t, x, n);
    CHECK(st == VKATTN_OK, "download: %s", vkattn_context_error(ctx));
    return x;
}

uint16_t th_f16_bits(float x) {
    th_round_f16(&x, 1);
    const uint16_t sign = signbit(x) ? 0x8000u : 0;
    const float a = fabsf(x);
    int e;
    const float m = frexpf(a, &e); /* a = m 2^e, m in [0.5, 1): f16 exponent field e + 14 */
    if (a == 0) return sign;
    if (e + 14 <= 0) return (uint16_t)(sign | (uint16_t)lrintf(a * 16777216.0f)); /* subnormal: units of 2^-24 */
    return (uint16_t)(sign | (uint16_t)((e + 14) << 10) | (uint16_t)lrintf((2 * m - 1) * 1024));
}

void th_round_f16(float *x, size_t n) {
    /* round-to-nearest-even through the f16 grid, in plain C */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (!isfinite(v) || v == 0) continue;
        int e;
        frexpf(v, &e);
        if (e < -13) e = -13; /* subnormal spacing */
        float q = ldexpf(1.0f, e - 11);
        x[i] = nearbyintf(v / q) * q;
        if (fabsf(x[i]) > 65504.0f) x[i] = v > 0 ? INFINITY : -INFINITY;
    }
}
