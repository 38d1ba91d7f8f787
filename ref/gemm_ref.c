#include "vkattn_ref.h"

void ref_linear(const float *x, const float *w, const float *bias, float *y, int64_t M, int64_t N, int64_t K) {
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            double acc = bias ? bias[n] : 0.0;
            for (int64_t k = 0; k < K; k++) acc += (double)x[m * K + k] * (double)w[n * K + k];
            y[m * N + n] = (float)acc;
        }
}
