#include "vkattn_ref.h"

#include <stdlib.h>

void ref_ffn(const float *x, size_t rows, size_t d, size_t f, size_t n, const float *up, const float *bu,
             const float *gate, const float *bg, const float *down, const float *bd, ref_act act, const float *residual,
             float *y) {
    float *h = malloc(rows * f * sizeof *h), *g = malloc(rows * f * sizeof *g);
    if (!h || !g) abort();
    ref_linear(x, up, bu, h, (int64_t)rows, (int64_t)f, (int64_t)d);
    if (gate) ref_linear(x, gate, bg, g, (int64_t)rows, (int64_t)f, (int64_t)d);
    for (size_t i = 0; i < rows * f; i++)
        h[i] = gate ? (float)(ref_activation(act, g[i]) * h[i]) : (float)ref_activation(act, h[i]);
    ref_linear(h, down, bd, y, (int64_t)rows, (int64_t)n, (int64_t)f);
    if (residual)
        for (size_t i = 0; i < rows * n; i++) y[i] += residual[i];
    free(h), free(g);
}
