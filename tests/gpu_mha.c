/* Multi-head attention layer against ref_mha (ref_linear + ref_attention, double accumulation): the fused
 * in_proj format (self-attention as one GEMM; cross-attention on its row blocks), separate q/k/v weights with
 * grouped-query heads and kdim/vdim != E, biases on and off, causal (bottom-right with Lq != Lk), each mask
 * kind, kv_len, fully masked rows, every implementation, f32/f16/q8_0 weights, f16 activations (packed words on
 * devices without 16-bit storage), several forwards in one batch, argument errors.
 * Tolerance: max abs error / max |ref| <= 1e-4 (f32 activations), 3e-3 (f16). */
#include "harness.h"
#include "vkattn_ref.h"
#include "weights.h"

#include <math.h>
#include <string.h>

#define TOL_F32 1e-4
#define TOL_F16 3e-3

enum { NO_MASK, MASK_2D, MASK_B1, MASK_BH };
enum { SELF, CROSS_KV, CROSS }; /* key = value = query; value = key != query; all three different */

typedef struct {
    int B, Lq, Lk, E, H, Hkv, kdim, vdim;
    int in_proj, inputs, bias, causal, mask, kvlen, masked_row;
    vkattn_dtype dt, wdt;
    vkattn_attn_impl impl;
} mha_case;

typedef struct {
    mha_case c;
    char what[200];
    float *want;
    vkattn_tensor *tensors[16]; /* everything to destroy */
    int n_tensors;
    vkattn_mha *mha;
    vkattn_tensor *query, *key, *value, *out;
    vkattn_attention_desc attn;
} mha_run;

static vkattn_tensor *keep(mha_run *r, vkattn_tensor *t) { return r->tensors[r->n_tensors++] = t; }

static float *rand_host(size_t n, float amp) {
    float *x = th_alloc(n);
    th_fill_uniform(x, n, -amp, amp);
    return x;
}

/* Builds the layer, the inputs and the reference output; the forward is the caller's. */
static void setup(vkattn_context *ctx, mha_run *r, mha_case c) {
    memset(r, 0, sizeof *r);
    r->c = c;
    if (!c.kdim) c.kdim = c.E;
    if (!c.vdim) c.vdim = c.E;
    if (c.inputs == SELF) c.Lk = c.Lq;
    const int64_t B = c.B, Lq = c.Lq, Lk = c.Lk, E = c.E, hd = E / c.H, ekv = (int64_t)c.Hkv * hd;
    static const char *masks[] = {"", " mask[Lq,Lk]", " mask[B,1,Lq,Lk]", " mask[B,H,Lq,Lk]"};
    static const char *inputs[] = {"self", "cross k=v", "cross"};
    snprintf(r->what, sizeof r->what, "mha %s %s W %s B%d Lq%d Lk%d E%d H%d/%d kdim%d vdim%d %s%s%s%s%s%s impl%d",
             c.in_proj ? "in_proj" : "qkv_proj", vkattn_dtype_string(c.dt), vkattn_dtype_string(c.wdt), c.B, c.Lq, (int)Lk,
             c.E, c.H, c.Hkv, c.kdim, c.vdim, inputs[c.inputs], c.bias ? " bias" : "", c.causal ? " causal" : "",
             masks[c.mask], c.kvlen ? " kv_len" : "", c.masked_row ? " masked-row" : "", (int)c.impl);

    /* weights, PyTorch-like scale (x2 so the softmax is not flat) */
    float wa = 2.0f / sqrtf((float)E);
    float *wq = rand_host((size_t)(E * E), wa), *wk = rand_host((size_t)(ekv * c.kdim), 2.0f / sqrtf((float)c.kdim));
    float *wv = rand_host((size_t)(ekv * c.vdim), 2.0f / sqrtf((float)c.vdim)), *wo = rand_host((size_t)(E * E), wa);
    float *bq = rand_host((size_t)E, 0.2f), *bk = rand_host((size_t)ekv, 0.2f), *bv = rand_host((size_t)ekv, 0.2f);
    float *bo = rand_host((size_t)E, 0.2f);
    vkattn_mha_desc d = {.embed_dim = (uint32_t)E, .num_heads = (uint32_t)c.H, .num_kv_heads = (uint32_t)c.Hkv,
                         .kdim = (uint32_t)c.kdim, .vdim = (uint32_t)c.vdim};
    if (c.in_proj) { /* one [3E,E] weight, rows q|k|v */
        float *w = th_alloc((size_t)(3 * E * E)), *b = th_alloc((size_t)(3 * E));
        memcpy(w, wq, (size_t)(E * E) * 4), memcpy(w + E * E, wk, (size_t)(E * E) * 4), memcpy(w + 2 * E * E, wv, (size_t)(E * E) * 4);
        memcpy(b, bq, (size_t)E * 4), memcpy(b + E, bk, (size_t)E * 4), memcpy(b + 2 * E, bv, (size_t)E * 4);
        d.in_proj_weight = keep(r, th_weight(ctx, c.wdt, 3 * E, E, w));
        int64_t n3 = 3 * E;
        d.in_proj_bias = c.bias ? keep(r, th_tensor(ctx, VKATTN_F32, 1, &n3, b)) : NULL;
        memcpy(wq, w, (size_t)(E * E) * 4), memcpy(wk, w + E * E, (size_t)(E * E) * 4), memcpy(wv, w + 2 * E * E, (size_t)(E * E) * 4);
        free(w), free(b);
    } else {
        d.q_proj_weight = keep(r, th_weight(ctx, c.wdt, E, E, wq));
        d.k_proj_weight = keep(r, th_weight(ctx, c.wdt, ekv, c.kdim, wk));
        d.v_proj_weight = keep(r, th_weight(ctx, c.wdt, ekv, c.vdim, wv));
        if (c.bias) {
            d.q_proj_bias = keep(r, th_tensor(ctx, VKATTN_F32, 1, &E, bq));
            d.k_proj_bias = keep(r, th_tensor(ctx, VKATTN_F32, 1, &ekv, bk));
            d.v_proj_bias = keep(r, th_tensor(ctx, VKATTN_F32, 1, &ekv, bv));
        }
    }
    d.out_proj_weight = keep(r, th_weight(ctx, c.wdt, E, E, wo));
    d.out_proj_bias = c.bias ? keep(r, th_tensor(ctx, VKATTN_F32, 1, &E, bo)) : NULL;
    CHECK_OK(ctx, vkattn_mha_create(ctx, &d, &r->mha));

    /* inputs */
    size_t nq = (size_t)(B * Lq * E), nk = (size_t)(B * Lk * c.kdim), nv = (size_t)(B * Lk * c.vdim);
    float *xq = rand_host(nq, 1), *xk = rand_host(nk, 1), *xv = rand_host(nv, 1);
    if (c.dt == VKATTN_F16) th_round_f16(xq, nq), th_round_f16(xk, nk), th_round_f16(xv, nv);
    int64_t sq[3] = {B, Lq, E}, sk[3] = {B, Lk, c.kdim}, sv[3] = {B, Lk, c.vdim};
    r->query = keep(r, th_tensor(ctx, c.dt, 3, sq, xq));
    r->key = c.inputs == SELF ? NULL : keep(r, th_tensor(ctx, c.dt, 3, sk, xk));
    r->value = c.inputs == CROSS ? keep(r, th_tensor(ctx, c.dt, 3, sv, xv)) : NULL;
    r->out = keep(r, th_tensor(ctx, c.dt, 3, sq, NULL));
    CHECK_OK(ctx, vkattn_fill(ctx, r->out, NAN)); /* every element must be written */
    const float *rk = c.inputs == SELF ? xq : xk, *rv = c.inputs == CROSS ? xv : rk;

    /* attention options */
    ref_mha_args ra = {B, Lq, Lk, E, c.H, c.Hkv, c.kdim, c.vdim, wq, wk, wv, wo,
                       c.bias ? bq : NULL, c.bias ? bk : NULL, c.bias ? bv : NULL, c.bias ? bo : NULL};
    ra.attn.causal = c.causal;
    r->attn = (vkattn_attention_desc){.causal = c.causal, .impl = c.impl};
    float *m = NULL;
    int32_t kv[4] = {0};
    if (c.mask) {
        int64_t mb = c.mask == MASK_2D ? 1 : B, mh = c.mask == MASK_BH ? c.H : 1, ms[4] = {mb, mh, Lq, Lk};
        size_t n = (size_t)(mb * mh * Lq * Lk);
        m = rand_host(n, 2);
        for (size_t i = 0; i < n; i++)
            if (th_uniform(0, 1) < 0.15f) m[i] = -INFINITY;
        if (c.masked_row) /* query row Lq / 2 sees no key */
            for (int64_t x = 0; x < mb * mh; x++)
                for (int64_t j = 0; j < Lk; j++) m[(x * Lq + Lq / 2) * Lk + j] = -INFINITY;
        r->attn.mask = keep(r, c.mask == MASK_2D ? th_tensor(ctx, VKATTN_F32, 2, ms + 2, m) : th_tensor(ctx, VKATTN_F32, 4, ms, m));
        ra.attn.mask = m;
        ra.attn.mask_stride[0] = c.mask == MASK_2D ? 0 : mh * Lq * Lk;
        ra.attn.mask_stride[1] = c.mask == MASK_BH ? Lq * Lk : 0;
        ra.attn.mask_stride[2] = Lk;
        ra.attn.mask_stride[3] = 1;
    }
    if (c.kvlen) {
        for (int b = 0; b < c.B && b < 4; b++) kv[b] = b % 2 ? (int32_t)(Lk / 3 + 1) : (int32_t)Lk;
        vkattn_tensor *t = NULL;
        int64_t nb = B;
        CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, &nb, &t));
        CHECK_OK(ctx, vkattn_tensor_upload(t, kv, (size_t)B * 4));
        r->attn.kv_len = keep(r, t);
        ra.attn.kv_len = kv;
    }
    r->want = th_alloc(nq);
    ref_mha(&ra, xq, rk, rv, r->want);
    free(wq), free(wk), free(wv), free(wo), free(bq), free(bk), free(bv), free(bo), free(xq), free(xk), free(xv), free(m);
}

static void check_and_free(vkattn_context *ctx, mha_run *r) {
    float *got = th_download(ctx, r->out);
    th_expect_close(r->what, got, r->want, vkattn_tensor_numel(r->out), r->c.dt == VKATTN_F16 ? TOL_F16 : TOL_F32);
    free(got), free(r->want);
    vkattn_mha_destroy(r->mha);
    for (int i = 0; i < r->n_tensors; i++) vkattn_tensor_destroy(r->tensors[i]);
}

static void run(vkattn_context *ctx, mha_case c) {
    mha_run r;
    setup(ctx, &r, c);
    CHECK_OK(ctx, vkattn_mha_forward(r.mha, r.query, r.key, r.value, r.out, &r.attn));
    check_and_free(ctx, &r);
}

/* Two layers, three forwards in one batch (the first layer twice: its intermediates are per call). */
static void test_batch(vkattn_context *ctx, mha_case a, mha_case b) {
    mha_run ra, rb;
    setup(ctx, &ra, a);
    setup(ctx, &rb, b);
    int64_t shape[3] = {vkattn_tensor_dim(ra.out, 0), vkattn_tensor_dim(ra.out, 1), vkattn_tensor_dim(ra.out, 2)};
    vkattn_tensor *again = th_tensor(ctx, a.dt, 3, shape, NULL);
    CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_OK(ctx, vkattn_mha_forward(ra.mha, ra.query, ra.key, ra.value, ra.out, &ra.attn));
    CHECK_OK(ctx, vkattn_mha_forward(rb.mha, rb.query, rb.key, rb.value, rb.out, &rb.attn));
    CHECK_OK(ctx, vkattn_mha_forward(ra.mha, ra.query, ra.key, ra.value, again, &ra.attn));
    CHECK_OK(ctx, vkattn_submit(ctx));
    float *got = th_download(ctx, again);
    th_expect_close("mha: first layer again in the same batch", got, ra.want, vkattn_tensor_numel(again), TOL_F32);
    free(got);
    vkattn_tensor_destroy(again);
    mha_run *runs[2] = {&ra, &rb};
    for (int i = 0; i < 2; i++) {
        strncat(runs[i]->what, " (batched)", sizeof runs[i]->what - strlen(runs[i]->what) - 1);
        check_and_free(ctx, runs[i]);
    }
}

static void test_errors(vkattn_context *ctx) {
    int64_t s_w[2] = {32, 32}, s_w3[2] = {96, 32}, s_wk[2] = {16, 32}, s_x[3] = {2, 5, 32}, s_xb[3] = {2, 5, 31}, s_x1[3] = {1, 5, 32};
    vkattn_tensor *w = th_tensor(ctx, VKATTN_F32, 2, s_w, NULL), *w3 = th_tensor(ctx, VKATTN_F32, 2, s_w3, NULL);
    vkattn_tensor *wk = th_tensor(ctx, VKATTN_F32, 2, s_wk, NULL), *x = th_tensor(ctx, VKATTN_F32, 3, s_x, NULL);
    vkattn_tensor *xb = th_tensor(ctx, VKATTN_F32, 3, s_xb, NULL), *x1 = th_tensor(ctx, VKATTN_F32, 3, s_x1, NULL);
    vkattn_tensor *out = th_tensor(ctx, VKATTN_F32, 3, s_x, NULL);
    vkattn_mha *m = (vkattn_mha *)1;
    const vkattn_status E = VKATTN_ERROR_INVALID_ARGUMENT;
    vkattn_mha_desc ok = {.embed_dim = 32, .num_heads = 4, .in_proj_weight = w3, .out_proj_weight = w};
    vkattn_mha_desc d = ok;
    d.num_heads = 5; /* 32 % 5 */
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E);
    CHECK(m == NULL, "out not cleared on failure");
    d = ok, d.num_kv_heads = 3; /* 4 % 3 */
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E);
    d = ok, d.num_kv_heads = 2; /* in_proj needs Hkv == H */
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E);
    CHECK(strstr(vkattn_context_error(ctx), "q/k/v_proj_weight") != NULL, "message: %s", vkattn_context_error(ctx));
    d = ok, d.out_proj_weight = NULL;
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E);
    d = ok, d.in_proj_weight = w; /* [E,E] instead of [3E,E] */
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E);
    d = ok, d.q_proj_weight = w; /* both formats */
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E);
    d = ok, d.in_proj_bias = w; /* not [3E] */
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E);
    /* separate weights, GQA 4/2: k/v weights [16,32] */
    d = (vkattn_mha_desc){.embed_dim = 32, .num_heads = 4, .num_kv_heads = 2, .q_proj_weight = w, .k_proj_weight = wk,
                          .v_proj_weight = w, .out_proj_weight = w};
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, &d, &m), E); /* v_proj [32,32] */
    d.v_proj_weight = wk;
    CHECK_OK(ctx, vkattn_mha_create(ctx, &d, &m));
    CHECK_STATUS(ctx, vkattn_mha_forward(m, xb, NULL, NULL, out, NULL), E);  /* query width */
    CHECK_STATUS(ctx, vkattn_mha_forward(m, x, x1, NULL, out, NULL), E);     /* key batch */
    CHECK_STATUS(ctx, vkattn_mha_forward(m, x, NULL, NULL, x1, NULL), E);    /* out shape */
    CHECK_STATUS(ctx, vkattn_mha_forward(NULL, x, NULL, NULL, out, NULL), E);
    CHECK_OK(ctx, vkattn_mha_forward(m, x, NULL, NULL, out, NULL));
    vkattn_mha_destroy(m);
    vkattn_mha_destroy(NULL);
    CHECK_STATUS(ctx, vkattn_mha_create(ctx, NULL, &m), E);
    vkattn_tensor *all[] = {w, w3, wk, x, xb, x1, out};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) vkattn_tensor_destroy(all[i]);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(5);
    const vkattn_dtype F32 = VKATTN_F32;
    const vkattn_attn_impl AUTO = VKATTN_ATTN_AUTO, P3 = VKATTN_ATTN_3PASS, FL = VKATTN_ATTN_FLASH, DEC = VKATTN_ATTN_DECODE;
    /* B Lq Lk E H Hkv kdim vdim | in_proj inputs bias causal mask kvlen masked_row | dt wdt impl */
    mha_case cases[] = {
        {2, 7, 0, 64, 4, 4, 0, 0, 1, SELF, 1, 1, NO_MASK, 0, 0, F32, F32, AUTO},
        {2, 77, 0, 80, 2, 2, 0, 0, 1, SELF, 0, 0, MASK_2D, 0, 1, F32, F32, P3},
        {1, 5, 33, 64, 4, 4, 0, 0, 1, CROSS_KV, 1, 1, NO_MASK, 1, 0, F32, F32, FL},
        {2, 9, 40, 128, 8, 2, 48, 40, 0, CROSS, 1, 0, MASK_B1, 0, 1, F32, F32, FL},
        {2, 3, 100, 64, 8, 1, 0, 0, 0, CROSS_KV, 1, 1, MASK_BH, 1, 0, F32, F32, DEC},
        {2, 12, 0, 96, 3, 1, 0, 0, 0, SELF, 0, 1, NO_MASK, 1, 0, F32, F32, P3},
        {2, 6, 0, 64, 2, 2, 0, 0, 1, SELF, 1, 0, NO_MASK, 0, 0, F32, VKATTN_Q8_0, AUTO},
        {1, 4, 19, 64, 2, 2, 0, 0, 1, CROSS, 1, 0, MASK_2D, 0, 0, F32, VKATTN_Q8_0, FL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run(ctx, cases[i]);
    /* f16 activations and weights: float16_t with 16-bit storage, packed words without */
    run(ctx, (mha_case){2, 7, 0, 64, 4, 4, 0, 0, 1, SELF, 1, 1, NO_MASK, 0, 0, VKATTN_F16, VKATTN_F16, AUTO});
    run(ctx, (mha_case){2, 9, 40, 128, 8, 2, 48, 40, 0, CROSS, 1, 0, MASK_B1, 1, 1, VKATTN_F16, F32, P3});
    run(ctx, (mha_case){1, 2, 300, 64, 4, 2, 0, 0, 0, CROSS_KV, 1, 1, NO_MASK, 0, 0, VKATTN_F16, VKATTN_F16, DEC});
    test_batch(ctx, cases[0], cases[3]);
    test_errors(ctx);
    return th_finish(ctx);
}
