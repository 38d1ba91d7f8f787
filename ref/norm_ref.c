#include "vkattn_ref.h"

#include <math.h>

void ref_layer_norm(const float *x, const float *w, const float *b, float eps, size_t rows, size_t d, float *y) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * d;
        double mean = 0, var = 0;
        for (size_t i = 0; i < d; i++) mean += xr[i];
        mean /= (double)d;
        for (size_t i = 0; i < d; i++) var += (xr[i] - mean) * (xr[i] - mean);
        double inv = 1.0 / sqrt(var / (double)d + eps);
        for (size_t i = 0; i < d; i++)
            y[r * d + i] = (float)((xr[i] - mean) * inv * (w ? w[i] : 1.0) + (b ? b[i] : 0.0));
    }
}

void ref_rms_norm(const float *x, const float *w, float eps, size_t rows, size_t d, float *y) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * d;
        double ms = 0;
        for (size_t i = 0; i < d; i++) ms += (double)xr[i] * xr[i];
        double inv = 1.0 / sqrt(ms / (double)d + eps);
        for (size_t i = 0; i < d; i++) y[r * d + i] = (float)(xr[i] * inv * (w ? w[i] : 1.0));
    }
}
