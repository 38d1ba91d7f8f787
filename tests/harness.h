/* Minimal test harness: CHECK macros, a context with validation on, seeded
 * random data, and error metrics. A GPU test exits 77 (ctest: skipped) with
 * "skipped on <device>: <feature>" when the device lacks a feature, and fails
 * on any validation message. */
#ifndef VKATTN_TEST_HARNESS_H
#define VKATTN_TEST_HARNESS_H

#include "vkattn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern int th_checks, th_failures;

#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        th_checks++;                                                                \
        if (!(cond)) {                                                              \
            th_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                    \
        }                                                                           \
    } while (0)

/* Expects VKATTN_OK; prints the status and the context's message otherwise. */
#define CHECK_OK(ctx, expr)                                                                     \
    do {                                                                                        \
        vkattn_status th_st_ = (expr);                                                          \
        CHECK(th_st_ == VKATTN_OK, "%s -> %s: %s", #expr, vkattn_status_string(th_st_),         \
              vkattn_context_error(ctx));                                                       \
    } while (0)

/* Expects a specific failure status (and a non-empty message). */
#define CHECK_STATUS(ctx, expr, want)                                                            \
    do {                                                                                         \
        vkattn_status th_st_ = (expr);                                                           \
        CHECK(th_st_ == (want), "%s -> %s, expected %s (%s)", #expr, vkattn_status_string(th_st_), \
              vkattn_status_string(want), vkattn_context_error(ctx));                            \
    } while (0)

/* Context on the device the environment selects, validation on (unless
 * VKATTN_TEST_VALIDATION=0). Skips (77) when there is no device at all. */
vkattn_context *th_context(void);
/* Prints the summary, checks validation, destroys ctx; returns the exit code. */
int th_finish(vkattn_context *ctx);
/* Reports "skipped on <device>: <feature>" and exits 77. */
void th_skip(vkattn_context *ctx, const char *feature);

/* Deterministic data. */
void th_seed(uint64_t seed);
float th_uniform(float lo, float hi);
void th_fill_uniform(float *x, size_t n, float lo, float hi);
float *th_alloc(size_t n); /* calloc'd, checked */

/* max |got-ref| over n, and that divided by max |ref| (the output's scale). */
typedef struct { double max_abs, rel, ref_scale; size_t worst; int nonfinite; } th_err;
th_err th_compare(const float *got, const float *ref, size_t n);
/* CHECKs rel <= tol and no NaN/Inf; prints the figures when verbose or failing. */
int th_expect_close(const char *what, const float *got, const float *ref, size_t n, double tol);

/* Uploads host f32 values into a new tensor of dtype (F32/F16). */
vkattn_tensor *th_tensor(vkattn_context *ctx, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape, const float *data);
/* Downloads a tensor as f32 into a new buffer. */
float *th_download(vkattn_context *ctx, const vkattn_tensor *t);
/* Rounds values through f16, as a reference for f16 storage. */
void th_round_f16(float *x, size_t n);
/* The f16 bit pattern of x rounded to f16 (|x| <= 65504). */
uint16_t th_f16_bits(float x);

#endif
