/* Feed-forward layer against ref_ffn (ref_linear + ref_activation): ungated
 * GELU / ReLU, gated SwiGLU with separate gate and up, GeGLU (tanh) with a
 * packed gate_up weight, biases, residuals, y = x in place, Q8_0 / Q4_0 weights
 * (reference on the dequantized weights), two layers chained in one caller
 * batch, f32 and f16. Tolerances relative to the output's scale: f32 1e-5
 * (f32 GEMM accumulation), f16 3e-3 (the f16 intermediates are rounded). */
#include "opstest.h"

#include <string.h>

#define TOL_F32 1e-5
#define TOL_F16 3e-3

typedef struct {
    const char *name;
    int64_t rows, d, f, n; /* x [rows, d], y [rows, n] */
    vkattn_ffn_act act;
    int gated, packed, biases, residual, inplace;
    vkattn_dtype wdt; /* weight dtype */
} ffn_case;

static ref_act to_ref(vkattn_ffn_act a) {
    return a == VKATTN_FFN_RELU   ? REF_RELU
           : a == VKATTN_FFN_SILU ? REF_SILU
           : a == VKATTN_FFN_GELU ? REF_GELU
                                  : REF_GELU_TANH;
}

/* A weight [r, c] of dtype wdt; *host gets the values the device holds (rounded / dequantized). */
static vkattn_tensor *weight(vkattn_context *ctx, vkattn_dtype wdt, int64_t r, int64_t c, float **host) {
    size_t n = (size_t)(r * c);
    float *w = th_alloc(n);
    th_fill_uniform(w, n, -0.3f, 0.3f);
    int64_t shape[2] = {r, c};
    vkattn_tensor *t;
    if (wdt == VKATTN_Q8_0 || wdt == VKATTN_Q4_0) {
        void *q = malloc(vkattn_dtype_bytes(wdt, n));
        CHECK_OK(NULL, wdt == VKATTN_Q8_0 ? vkattn_quantize_q8_0(w, n, q) : vkattn_quantize_q4_0(w, n, q));
        CHECK_OK(NULL, wdt == VKATTN_Q8_0 ? vkattn_dequantize_q8_0(q, n, w) : vkattn_dequantize_q4_0(q, n, w));
        CHECK_OK(ctx, vkattn_tensor_create(ctx, wdt, 2, shape, &t));
        CHECK_OK(ctx, vkattn_tensor_upload(t, q, vkattn_dtype_bytes(wdt, n)));
        free(q);
    } else {
        if (wdt == VKATTN_F16) th_round_f16(w, n);
        t = th_tensor(ctx, wdt, 2, shape, w);
    }
    *host = w;
    return t;
}

static vkattn_tensor *bias(vkattn_context *ctx, int64_t n, float **host) {
    *host = th_alloc((size_t)n);
    th_fill_uniform(*host, (size_t)n, -0.5f, 0.5f);
    int64_t shape[1] = {n};
    return th_tensor(ctx, VKATTN_F32, 1, shape, *host);
}

static void check_case(vkattn_context *ctx, vkattn_dtype dt, const ffn_case *c) {
    size_t nx = (size_t)(c->rows * c->d), ny = (size_t)(c->rows * c->n);
    float *x = ot_data(nx, -1, 1, dt), *res = ot_data(ny, -1, 1, dt), *want = th_alloc(ny);
    float *up = NULL, *gate = NULL, *down = NULL, *bu = NULL, *bg = NULL, *bd = NULL, *gu = NULL, *bgu = NULL;
    vkattn_ffn_weights w = {0};
    vkattn_tensor *tw[8] = {0};
    if (c->packed) {
        w.gate_up = tw[0] = weight(ctx, c->wdt, 2 * c->f, c->d, &gu);
        gate = gu, up = gu + c->f * c->d; /* rows [0, F) gate, [F, 2F) up */
        if (c->biases) {
            w.gate_up_bias = tw[1] = bias(ctx, 2 * c->f, &bgu);
            bg = bgu, bu = bgu + c->f;
        }
    } else {
        w.up = tw[0] = weight(ctx, c->wdt, c->f, c->d, &up);
        if (c->biases) w.up_bias = tw[1] = bias(ctx, c->f, &bu);
        if (c->gated) {
            w.gate = tw[2] = weight(ctx, c->wdt, c->f, c->d, &gate);
            if (c->biases) w.gate_bias = tw[3] = bias(ctx, c->f, &bg);
        }
    }
    w.down = tw[4] = weight(ctx, c->wdt, c->n, c->f, &down);
    if (c->biases) w.down_bias = tw[5] = bias(ctx, c->n, &bd);
    int64_t xs[2] = {c->rows, c->d}, ys[2] = {c->rows, c->n};
    vkattn_tensor *tx = th_tensor(ctx, dt, 2, xs, x), *tr = c->residual ? th_tensor(ctx, dt, 2, ys, res) : NULL;
    vkattn_tensor *ty = c->inplace ? tx : th_tensor(ctx, dt, 2, ys, NULL);
    CHECK_OK(ctx, vkattn_ffn(ctx, tx, &w, c->act, c->inplace && c->residual ? tx : tr, ty));
    ref_ffn(x, (size_t)c->rows, (size_t)c->d, (size_t)c->f, (size_t)c->n, up, bu, gate, bg, down, bd, to_ref(c->act),
            c->residual ? (c->inplace ? x : res) : NULL, want);
    char what[128];
    snprintf(what, sizeof what, "ffn %s %s weights %s", c->name, vkattn_dtype_string(dt), vkattn_dtype_string(c->wdt));
    ot_check(ctx, what, ty, want, dt == VKATTN_F16 ? TOL_F16 : TOL_F32);
    if (!c->packed) free(up), free(gate), free(bu), free(bg);
    free(gu), free(bgu), free(down), free(bd), free(x), free(res), free(want);
    for (int i = 0; i < 8; i++) vkattn_tensor_destroy(tw[i]);
    if (!c->inplace) vkattn_tensor_destroy(ty);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tr);
}

/* Two gated layers chained inside one caller batch: the first layer's scratch
 * must live until the batch ran. */
static void check_batched(vkattn_context *ctx) {
    int64_t rows = 9, d = 32, f = 64, xs[2] = {rows, d};
    float *x = ot_data((size_t)(rows * d), -1, 1, VKATTN_F32), *mid = th_alloc((size_t)(rows * d)),
          *want = th_alloc((size_t)(rows * d)), *up, *gate, *down;
    vkattn_ffn_weights w = {0};
    vkattn_tensor *t0 = weight(ctx, VKATTN_F32, f, d, &up), *t1 = weight(ctx, VKATTN_F32, f, d, &gate);
    vkattn_tensor *t2 = weight(ctx, VKATTN_F32, d, f, &down);
    w.up = t0, w.gate = t1, w.down = t2;
    vkattn_tensor *tx = th_tensor(ctx, VKATTN_F32, 2, xs, x), *tm = th_tensor(ctx, VKATTN_F32, 2, xs, NULL);
    vkattn_tensor *ty = th_tensor(ctx, VKATTN_F32, 2, xs, NULL);
    CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_OK(ctx, vkattn_ffn(ctx, tx, &w, VKATTN_FFN_SILU, tx, tm));
    CHECK_OK(ctx, vkattn_ffn(ctx, tm, &w, VKATTN_FFN_SILU, tm, ty));
    CHECK_OK(ctx, vkattn_submit(ctx));
    ref_ffn(x, (size_t)rows, (size_t)d, (size_t)f, (size_t)d, up, NULL, gate, NULL, down, NULL, REF_SILU, x, mid);
    ref_ffn(mid, (size_t)rows, (size_t)d, (size_t)f, (size_t)d, up, NULL, gate, NULL, down, NULL, REF_SILU, mid, want);
    ot_check(ctx, "ffn two layers in one caller batch", ty, want, TOL_F32);
    free(x), free(mid), free(want), free(up), free(gate), free(down);
    vkattn_tensor_destroy(t0), vkattn_tensor_destroy(t1), vkattn_tensor_destroy(t2);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tm), vkattn_tensor_destroy(ty);
}

static void check_errors(vkattn_context *ctx) {
    int64_t xs[2] = {3, 8}, ws[2] = {16, 8}, ds[2] = {8, 16}, bad[2] = {16, 9}, odd[2] = {15, 8}, ys[2] = {3, 7};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 2, xs, NULL), *w = th_tensor(ctx, VKATTN_F32, 2, ws, NULL);
    vkattn_tensor *dn = th_tensor(ctx, VKATTN_F32, 2, ds, NULL), *wb = th_tensor(ctx, VKATTN_F32, 2, bad, NULL);
    vkattn_tensor *wo = th_tensor(ctx, VKATTN_F32, 2, odd, NULL), *y7 = th_tensor(ctx, VKATTN_F32, 2, ys, NULL);
    vkattn_ffn_weights fw = {.up = w, .gate = w, .down = dn};
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_RELU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, (vkattn_ffn_act)9, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_SILU, NULL, y7), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "y [3, 7]") != NULL, "message: %s", vkattn_context_error(ctx));
    fw.gate = wb;
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_SILU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "gate") != NULL, "message: %s", vkattn_context_error(ctx));
    fw = (vkattn_ffn_weights){.up = w, .gate_up = w, .down = dn};
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_SILU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    fw = (vkattn_ffn_weights){.gate_up = wo, .down = dn};
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_SILU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    fw = (vkattn_ffn_weights){.up = w};
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_GELU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    fw = (vkattn_ffn_weights){.up = w, .down = w};
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_GELU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, NULL, VKATTN_FFN_GELU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    fw = (vkattn_ffn_weights){.up = w, .down = dn, .down_bias = w};
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_GELU, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "down_bias") != NULL, "message: %s", vkattn_context_error(ctx));
    fw = (vkattn_ffn_weights){.up = w, .down = dn};
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_GELU, y7, x), VKATTN_ERROR_INVALID_ARGUMENT);
    /* a failed layer inside a caller's batch records nothing: the batch still runs */
    CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_STATUS(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_GELU, y7, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_OK(ctx, vkattn_ffn(ctx, x, &fw, VKATTN_FFN_GELU, NULL, x));
    CHECK_OK(ctx, vkattn_submit(ctx));
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(w), vkattn_tensor_destroy(dn), vkattn_tensor_destroy(wb);
    vkattn_tensor_destroy(wo), vkattn_tensor_destroy(y7);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(29);
    static const ffn_case cases[] = {
        {"gelu ungated biases residual", 10, 48, 80, 48, VKATTN_FFN_GELU, 0, 0, 1, 1, 0, VKATTN_F32},
        {"relu ungated in place", 5, 24, 37, 24, VKATTN_FFN_RELU, 0, 0, 1, 0, 1, VKATTN_F32},
        {"relu ungated D_out != D", 3, 24, 37, 11, VKATTN_FFN_RELU, 0, 0, 0, 0, 0, VKATTN_F32},
        {"swiglu residual", 7, 64, 96, 64, VKATTN_FFN_SILU, 1, 0, 0, 1, 0, VKATTN_F32},
        {"geglu tanh packed gate_up biases", 6, 40, 72, 40, VKATTN_FFN_GELU_TANH, 1, 1, 1, 0, 0, VKATTN_F32},
        {"swiglu residual in place", 4, 32, 64, 32, VKATTN_FFN_SILU, 1, 0, 1, 1, 1, VKATTN_F32},
        {"swiglu q8_0", 5, 64, 96, 64, VKATTN_FFN_SILU, 1, 0, 0, 1, 0, VKATTN_Q8_0},
        {"geglu packed q4_0", 3, 64, 64, 32, VKATTN_FFN_GELU, 1, 1, 1, 0, 0, VKATTN_Q4_0},
    };
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    for (int k = 0; k < ndt; k++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            ffn_case c = cases[i];
            if (dts[k] == VKATTN_F16 && c.wdt == VKATTN_F32) c.wdt = VKATTN_F16;
            check_case(ctx, dts[k], &c);
        }
    check_batched(ctx);
    check_errors(ctx);
    return th_finish(ctx);
}
