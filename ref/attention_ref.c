/* Reference scaled dot-product attention: plain loops, double accumulation. */
#include "vkattn_ref.h"

#include <math.h>
#include <stdlib.h>

void ref_attention(const ref_attention_args *a, const float *q, const float *k, const float *v, float *o, float *probs) {
    double scale = a->scale != 0 ? a->scale : 1.0 / sqrt((double)a->D);
    int64_t group = a->Hq / a->Hkv;
    double *s = malloc((size_t)(a->Lk ? a->Lk : 1) * sizeof *s);
    if (!s) abort(); /* test-only code */
    for (int64_t b = 0; b < a->B; b++) {
        int64_t klen = a->Lk;
        if (a->kv_len) klen = a->kv_len[b] < 0 ? 0 : a->kv_len[b] < a->Lk ? a->kv_len[b] : a->Lk;
        for (int64_t h = 0; h < a->Hq; h++) {
            int64_t hk = h / group;
            const float *kh = k + (b * a->Hkv + hk) * a->Lk * a->D, *vh = v + (b * a->Hkv + hk) * a->Lk * a->Dv;
            for (int64_t i = 0; i < a->Lq; i++) {
                const float *qi = q + ((b * a->Hq + h) * a->Lq + i) * a->D;
                float *oi = o + ((b * a->Hq + h) * a->Lq + i) * a->Dv;
                float *pi = probs ? probs + ((b * a->Hq + h) * a->Lq + i) * a->Lk : NULL;
                double mx = -INFINITY;
                for (int64_t j = 0; j < a->Lk; j++) {
                    int visible = j < klen && (!a->causal || j <= i + a->Lk - a->Lq) &&
                                  (a->window <= 0 || j > i + a->Lk - a->Lq - a->window);
                    s[j] = -INFINITY;
                    if (!visible) continue;
                    double dot = 0;
                    for (int64_t d = 0; d < a->D; d++) dot += (double)qi[d] * kh[j * a->D + d];
                    s[j] = dot * scale;
                    if (a->softcap > 0) s[j] = a->softcap * tanh(s[j] / a->softcap);
                    if (a->mask)
                        s[j] += a->mask[b * a->mask_stride[0] + h * a->mask_stride[1] + i * a->mask_stride[2] +
                                        j * a->mask_stride[3]];
                    if (s[j] > mx) mx = s[j];
                }
                double sum = 0;
                for (int64_t j = 0; j < a->Lk; j++) {
                    s[j] = mx == -INFINITY ? 0 : exp(s[j] - mx); /* every key masked: zeros */
                    sum += s[j];
                }
                for (int64_t j = 0; j < a->Lk; j++) {
                    s[j] = sum > 0 ? s[j] / sum : 0;
                    if (pi) pi[j] = (float)s[j];
                }
                for (int64_t d = 0; d < a->Dv; d++) {
                    double acc = 0;
                    for (int64_t j = 0; j < a->Lk; j++)
                        if (s[j] != 0) acc += s[j] * vh[j * a->Dv + d];
                    oi[d] = (float)acc;
                }
            }
        }
    }
    free(s);
}
