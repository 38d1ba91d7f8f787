/* Shared by the attention tests (gpu_attention*.c): one case = a shape, options and an
 * implementation, run on the device and compared with ref_attention (double accumulation).
 * Tolerances: max abs error relative to the output's scale (max |ref|) <= 1e-4 with f32
 * storage, <= 3e-3 with f16 storage (the reference then takes the f16-rounded inputs). */
#ifndef VKATTN_TEST_ATTENTION_CASES_H
#define VKATTN_TEST_ATTENTION_CASES_H

#include "harness.h"
#include "vkattn_ref.h"

#include <math.h>
#include <string.h>

#define TOL_F32 1e-4
#define TOL_F16 3e-3

enum { MASK_NONE, MASK_2D, MASK_B1, MASK_BH };
enum { VIEW_NONE, VIEW_BLHD, VIEW_FUSED }; /* contiguous; [B,L,H,D] buffers; one fused QKV buffer */

typedef struct {
    int B, Hq, Hkv, Lq, Lk, D, Dv;
    int causal, mask, kvlen;
    int masked_rows;  /* some query rows see no key at all (mask rows of -inf, or kv_len 0) */
    int view;
    vkattn_dtype dt;
    vkattn_attn_impl impl;
    float scale;      /* 0: default */
    float amp;        /* q/k values in [-amp, amp] (default 1) */
    int probs;
    int window;       /* sliding window (0 = none) */
    float softcap;    /* score soft-capping (0 = none) */
} attn_case;

static const char *impl_name(vkattn_attn_impl i) {
    return i == VKATTN_ATTN_3PASS ? "3pass" : i == VKATTN_ATTN_FLASH ? "flash" : i == VKATTN_ATTN_DECODE ? "decode" : "auto";
}

/* A device tensor of logical shape [B,H,L,D] holding `dense` (row-major [B,H,L,D]), laid
 * out as requested: contiguous, or a view of a [B,L,Htot,D] buffer at head offset h0
 * (the buffer is created when *base is NULL and shared otherwise). */
static vkattn_tensor *place(vkattn_context *ctx, vkattn_dtype dt, const int64_t shape[4], const float *dense, int view,
                            vkattn_tensor **base, float **host, int64_t htot, int64_t h0) {
    if (!view) return th_tensor(ctx, dt, 4, shape, dense);
    int64_t B = shape[0], H = shape[1], L = shape[2], D = shape[3];
    int64_t bshape[4] = {B, L, htot, D};
    if (!*base) {
        *base = th_tensor(ctx, dt, 4, bshape, NULL);
        *host = th_alloc((size_t)(B * L * htot * D));
        th_fill_uniform(*host, (size_t)(B * L * htot * D), -9, 9); /* garbage outside the view */
    }
    int64_t st[4] = {L * htot * D, D, htot * D, 1};
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t l = 0; l < L; l++)
                for (int64_t d = 0; d < D && dense; d++)
                    (*host)[b * st[0] + (h + h0) * st[1] + l * st[2] + d] = dense[((b * H + h) * L + l) * D + d];
    vkattn_tensor *v = NULL;
    CHECK_OK(ctx, vkattn_tensor_view(*base, (uint64_t)(h0 * D), 4, shape, st, &v));
    return v;
}

static void flush(vkattn_context *ctx, vkattn_tensor *base, float *host) {
    if (base) CHECK_OK(ctx, vkattn_tensor_upload_f32(base, host, vkattn_tensor_numel(base)));
}

/* Downloads a [B,H,L,D] tensor as dense f32 (a view at element offset 0 of `base`). */
static float *fetch(vkattn_context *ctx, const vkattn_tensor *t, const vkattn_tensor *base) {
    if (!base) return th_download(ctx, t);
    float *all = th_download(ctx, base);
    int64_t sh[4], st[4];
    for (uint32_t i = 0; i < 4; i++) sh[i] = vkattn_tensor_dim(t, i), st[i] = vkattn_tensor_stride(t, i);
    float *out = th_alloc((size_t)(sh[0] * sh[1] * sh[2] * sh[3]));
    size_t n = 0;
    for (int64_t a = 0; a < sh[0]; a++)
        for (int64_t b = 0; b < sh[1]; b++)
            for (int64_t c = 0; c < sh[2]; c++)
                for (int64_t d = 0; d < sh[3]; d++) out[n++] = all[a * st[0] + b * st[1] + c * st[2] + d * st[3]];
    free(all);
    return out;
}

/* Runs one case; returns 1 when it passed. */
static int run_case(vkattn_context *ctx, const attn_case *c) {
    char what[200];
    snprintf(what, sizeof what, "%s %s B%d H%d/%d L%d/%d D%d/%d%s%s%s%s%s%s window %d softcap %g", impl_name(c->impl),
             vkattn_dtype_string(c->dt), c->B, c->Hq, c->Hkv, c->Lq, c->Lk, c->D, c->Dv, c->causal ? " causal" : "",
             c->mask == MASK_2D ? " mask[Lq,Lk]" : c->mask == MASK_B1 ? " mask[B,1,Lq,Lk]" : c->mask == MASK_BH ? " mask[B,Hq,Lq,Lk]" : "",
             c->kvlen ? " kv_len" : "", c->masked_rows ? " masked-rows" : "",
             c->view == VIEW_BLHD ? " view[B,L,H,D]" : c->view == VIEW_FUSED ? " view-fused-qkv" : "", c->probs ? " probs" : "",
             c->window, (double)c->softcap);
    int64_t B = c->B, Hq = c->Hq, Hkv = c->Hkv, Lq = c->Lq, Lk = c->Lk, D = c->D, Dv = c->Dv;
    size_t nq = (size_t)(B * Hq * Lq * D), nk = (size_t)(B * Hkv * Lk * D), nv = (size_t)(B * Hkv * Lk * Dv),
           no = (size_t)(B * Hq * Lq * Dv), np = (size_t)(B * Hq * Lq * Lk);
    float amp = c->amp > 0 ? c->amp : 1.0f;
    float *q = th_alloc(nq), *k = th_alloc(nk), *v = th_alloc(nv), *want = th_alloc(no), *pwant = c->probs ? th_alloc(np) : NULL;
    th_fill_uniform(q, nq, -amp, amp);
    th_fill_uniform(k, nk, -amp, amp);
    th_fill_uniform(v, nv, -1, 1);
    if (c->dt == VKATTN_F16) th_round_f16(q, nq), th_round_f16(k, nk), th_round_f16(v, nv);

    ref_attention_args ra = {B, Hq, Hkv, Lq, Lk, D, Dv, c->scale, c->causal, NULL, {0}, NULL, c->window, c->softcap};
    vkattn_attention_desc desc = {.scale = c->scale, .causal = c->causal, .impl = c->impl, .window = (uint32_t)c->window,
                                  .softcap = c->softcap};
    vkattn_tensor *mask = NULL, *kvl = NULL, *probs = NULL;
    float *m = NULL;
    int32_t kv[8] = {0};
    if (c->mask) {
        int64_t mb = c->mask == MASK_2D ? 1 : B, mh = c->mask == MASK_BH ? Hq : 1;
        size_t nm = (size_t)(mb * mh * Lq * Lk);
        m = th_alloc(nm);
        th_fill_uniform(m, nm, -2, 2);
        for (size_t i = 0; i < nm; i++)
            if (th_uniform(0, 1) < 0.1f) m[i] = -INFINITY;
        if (c->masked_rows) /* query row Lq/2 (every head/batch of the mask) sees nothing */
            for (int64_t x = 0; x < mb * mh; x++)
                for (int64_t j = 0; j < Lk; j++) m[(x * Lq + Lq / 2) * Lk + j] = -INFINITY;
        int64_t shape4[4] = {mb, mh, Lq, Lk};
        mask = c->mask == MASK_2D ? th_tensor(ctx, VKATTN_F32, 2, shape4 + 2, m) : th_tensor(ctx, VKATTN_F32, 4, shape4, m);
        ra.mask = m;
        ra.mask_stride[0] = c->mask == MASK_2D ? 0 : mh * Lq * Lk;
        ra.mask_stride[1] = c->mask == MASK_BH ? Lq * Lk : 0;
        ra.mask_stride[2] = Lk;
        ra.mask_stride[3] = 1;
        desc.mask = mask;
    }
    if (c->kvlen) {
        for (int64_t b = 0; b < B && b < 8; b++) kv[b] = (int32_t)(b % 2 ? Lk : (Lk + 1) / 2 + 1);
        if (c->masked_rows && B > 1) kv[1] = 0; /* every row of batch 1 masked */
        int64_t shape[1] = {B};
        CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, shape, &kvl));
        CHECK_OK(ctx, vkattn_tensor_upload(kvl, kv, (size_t)B * 4));
        ra.kv_len = kv;
        desc.kv_len = kvl;
    }
    ref_attention(&ra, q, k, v, want, pwant);

    int64_t qs[4] = {B, Hq, Lq, D}, ks[4] = {B, Hkv, Lk, D}, vs[4] = {B, Hkv, Lk, Dv}, os[4] = {B, Hq, Lq, Dv};
    vkattn_tensor *qb = NULL, *kb = NULL, *vb = NULL, *ob = NULL;
    float *qh = NULL, *kh = NULL, *vh = NULL, *oh = NULL;
    vkattn_tensor *tq, *tk, *tv, *to;
    if (c->view == VIEW_FUSED) { /* self-attention projections in one [B,L,Hq+2Hkv,D] buffer */
        int64_t ht = Hq + 2 * Hkv;
        tq = place(ctx, c->dt, qs, q, 1, &qb, &qh, ht, 0);
        tk = place(ctx, c->dt, ks, k, 1, &qb, &qh, ht, Hq);
        tv = place(ctx, c->dt, vs, v, 1, &qb, &qh, ht, Hq + Hkv);
        kb = vb = NULL;
    } else {
        tq = place(ctx, c->dt, qs, q, c->view, &qb, &qh, Hq, 0);
        tk = place(ctx, c->dt, ks, k, c->view, &kb, &kh, Hkv, 0);
        tv = place(ctx, c->dt, vs, v, c->view, &vb, &vh, Hkv, 0);
    }
    to = place(ctx, c->dt, os, NULL, c->view, &ob, &oh, Hq, 0);
    flush(ctx, qb, qh), flush(ctx, kb, kh), flush(ctx, vb, vh);
    CHECK_OK(ctx, vkattn_fill(ctx, ob ? ob : to, NAN)); /* every output element must be written */
    if (c->probs) {
        int64_t ps[4] = {B, Hq, Lq, Lk};
        probs = th_tensor(ctx, VKATTN_F32, 4, ps, NULL);
        desc.probs = probs;
    }
    vkattn_status st = vkattn_attention(ctx, tq, tk, tv, to, &desc);
    CHECK(st == VKATTN_OK, "%s: %s: %s", what, vkattn_status_string(st), vkattn_context_error(ctx));
    int ok = st == VKATTN_OK;
    if (ok) {
        float *got = fetch(ctx, to, ob);
        ok = th_expect_close(what, got, want, no, c->dt == VKATTN_F16 ? TOL_F16 : TOL_F32);
        free(got);
        if (c->probs) {
            float *pg = th_download(ctx, probs);
            char pw[240];
            snprintf(pw, sizeof pw, "%s (probabilities)", what);
            ok &= th_expect_close(pw, pg, pwant, np, c->dt == VKATTN_F16 ? TOL_F16 : TOL_F32);
            free(pg);
        }
    }
    vkattn_tensor_destroy(tq), vkattn_tensor_destroy(tk), vkattn_tensor_destroy(tv), vkattn_tensor_destroy(to);
    vkattn_tensor_destroy(qb), vkattn_tensor_destroy(kb), vkattn_tensor_destroy(vb), vkattn_tensor_destroy(ob);
    vkattn_tensor_destroy(mask), vkattn_tensor_destroy(kvl), vkattn_tensor_destroy(probs);
    free(q), free(k), free(v), free(want), free(pwant), free(m), free(qh), free(kh), free(vh), free(oh);
    return ok;
}

#endif
