#include "vkattn_ref.h"

#include <math.h>

void ref_rope(const float *x, const int64_t shape[4], int seq_dim, int gptj, int rd, double theta,
              const float *inv_freq, int64_t offset, const int32_t *pos, int64_t pos_bstride, float *y) {
    int64_t d = shape[3];
    for (int64_t a = 0; a < shape[0]; a++)
        for (int64_t b = 0; b < shape[1]; b++)
            for (int64_t c = 0; c < shape[2]; c++) {
                size_t base = (size_t)(((a * shape[1] + b) * shape[2] + c) * d);
                int64_t l = seq_dim == 1 ? b : c;
                double p = (double)offset + (pos ? pos[a * pos_bstride + l] : l);
                for (int64_t i = 0; i < d; i++) y[base + i] = x[base + i];
                for (int i = 0; i < rd / 2; i++) {
                    double f = inv_freq ? inv_freq[i] : pow(theta, -2.0 * i / rd), ang = p * f;
                    size_t i0 = base + (size_t)(gptj ? 2 * i : i), i1 = base + (size_t)(gptj ? 2 * i + 1 : i + rd / 2);
                    double u = x[i0], v = x[i1];
                    y[i0] = (float)(u * cos(ang) - v * sin(ang));
                    y[i1] = (float)(v * cos(ang) + u * sin(ang));
                }
            }
}

void ref_sinusoidal(int64_t l, int64_t d, int64_t offset, float *pe) {
    for (int64_t p = 0; p < l; p++)
        for (int64_t j = 0; j < d; j++) {
            double ang = (double)(offset + p) / pow(10000.0, (double)(j / 2 * 2) / (double)d);
            pe[p * d + j] = (float)(j % 2 ? cos(ang) : sin(ang));
        }
}
