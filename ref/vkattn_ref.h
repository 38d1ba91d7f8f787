/* Plain-C reference implementations (double accumulation) used by the tests
 * and benchmarks. Deliberately simple: readable loops, no vectorization, so
 * they are easy to trust. Each op's reference lives in ref/<op>_ref.c. */
#ifndef VKATTN_REF_H
#define VKATTN_REF_H

#include <stddef.h>
#include <stdint.h>

/* dst[i] = src[i] over a 4-D index space with element strides (shape outermost first). */
void ref_copy_strided(const float *src, const int64_t shape[4], const int64_t src_stride[4], float *dst,
                      const int64_t dst_stride[4]);

/* ---- linear algebra (gemm helper) ---------------------------------------- */

/* y[M, N] = x[M, K] w[N, K]^T (+ bias[N] when non-NULL), row-major. */
void ref_linear(const float *x, const float *w, const float *bias, float *y, int64_t M, int64_t N, int64_t K);

#endif
