#include "vkattn_ref.h"

#include <math.h>
#include <stdlib.h>

void ref_additive_attention_projected(const float *hp, const float *sp, const float *v, const float *h,
                                      const int32_t *mask, int64_t B, int64_t T, int64_t Lk, int64_t A, int64_t Dh,
                                      float *alpha, float *c) {
    double *e = malloc((size_t)Lk * sizeof *e);
    if (!e) return;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t i = 0; i < Lk; i++) {
                e[i] = -INFINITY;
                if (mask && !mask[b * Lk + i]) continue;
                double acc = 0;
                for (int64_t a = 0; a < A; a++) acc += (double)v[a] * tanh((double)hp[(b * Lk + i) * A + a] + sp[(b * T + t) * A + a]);
                e[i] = acc;
                if (acc > mx) mx = acc;
            }
            for (int64_t i = 0; i < Lk; i++) sum += e[i] == -INFINITY ? 0 : exp(e[i] - mx);
            float *arow = alpha + (b * T + t) * Lk, *crow = c + (b * T + t) * Dh;
            for (int64_t i = 0; i < Lk; i++) arow[i] = sum > 0 && e[i] != -INFINITY ? (float)(exp(e[i] - mx) / sum) : 0.0f;
            for (int64_t d = 0; d < Dh; d++) {
                double acc = 0;
                for (int64_t i = 0; i < Lk; i++)
                    acc += sum > 0 && e[i] != -INFINITY ? exp(e[i] - mx) / sum * h[(b * Lk + i) * Dh + d] : 0;
                crow[d] = (float)acc;
            }
        }
    free(e);
}

void ref_additive_attention(const float *h, const float *s, const float *w_h, const float *w_s, const float *b,
                            const float *v, const int32_t *mask, int64_t B, int64_t T, int64_t Lk, int64_t Dh,
                            int64_t Ds, int64_t A, float *c, float *alpha) {
    float *hp = malloc((size_t)(B * Lk * A) * sizeof *hp), *sp = malloc((size_t)(B * T * A) * sizeof *sp);
    float *al = alpha ? alpha : malloc((size_t)(B * T * Lk) * sizeof *al);
    if (hp && sp && al) {
        ref_linear(h, w_h, NULL, hp, B * Lk, A, Dh);
        ref_linear(s, w_s, b, sp, B * T, A, Ds);
        ref_additive_attention_projected(hp, sp, v, h, mask, B, T, Lk, A, Dh, al, c);
    }
    free(hp), free(sp);
    if (!alpha) free(al);
}
