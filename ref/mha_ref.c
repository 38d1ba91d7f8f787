#include "vkattn_ref.h"

#include <stdlib.h>

/* [B,L,H*hd] <-> [B,H,L,hd] */
static void split_heads(const float *x, int64_t B, int64_t L, int64_t H, int64_t hd, float *y, int back) {
    for (int64_t b = 0; b < B; b++)
        for (int64_t l = 0; l < L; l++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t d = 0; d < hd; d++) {
                    int64_t i = ((b * L + l) * H + h) * hd + d, j = ((b * H + h) * L + l) * hd + d;
                    if (back) y[i] = x[j];
                    else y[j] = x[i];
                }
}

void ref_mha(const ref_mha_args *a, const float *query, const float *key, const float *value, float *out) {
    int64_t hd = a->E / a->H, ekv = a->Hkv * hd;
    size_t nq = (size_t)(a->B * a->Lq * a->E), nk = (size_t)(a->B * a->Lk * ekv);
    float *qp = malloc(nq * sizeof *qp), *kp = malloc(nk * sizeof *kp), *vp = malloc(nk * sizeof *vp);
    float *qh = malloc(nq * sizeof *qh), *kh = malloc(nk * sizeof *kh), *vh = malloc(nk * sizeof *vh);
    if (!qp || !kp || !vp || !qh || !kh || !vh) abort(); /* test-only code */
    ref_linear(query, a->wq, a->bq, qp, a->B * a->Lq, a->E, a->E);
    ref_linear(key, a->wk, a->bk, kp, a->B * a->Lk, ekv, a->kdim);
    ref_linear(value, a->wv, a->bv, vp, a->B * a->Lk, ekv, a->vdim);
    split_heads(qp, a->B, a->Lq, a->H, hd, qh, 0);
    split_heads(kp, a->B, a->Lk, a->Hkv, hd, kh, 0);
    split_heads(vp, a->B, a->Lk, a->Hkv, hd, vh, 0);
    ref_attention_args at = a->attn;
    at.B = a->B, at.Hq = a->H, at.Hkv = a->Hkv, at.Lq = a->Lq, at.Lk = a->Lk, at.D = hd, at.Dv = hd;
    ref_attention(&at, qh, kh, vh, qp, NULL);   /* o [B,H,Lq,hd] into qp */
    split_heads(qp, a->B, a->Lq, a->H, hd, qh, 1); /* back to [B,Lq,E] */
    ref_linear(qh, a->wo, a->bo, out, a->B * a->Lq, a->E, a->E);
    free(qp), free(kp), free(vp), free(qh), free(kh), free(vh);
}
