/* GRU and LSTM layers against ref_gru / ref_lstm (double): with and without
 * biases and initial states, H above the workgroup size (several unit blocks
 * and h chunks), [B, H] and [1, B, H] states, Q8_0 weight_ih with F16
 * weight_hh, a decode loop of T = 1 calls updating h (and c) in place inside one
 * caller batch, f32 and f16. Tolerances relative to the output's scale: f32 1e-5,
 * f16 3e-3 (h is stored in f16 between steps). */
#include "opstest.h"

#include <math.h>
#include <string.h>

#define TOL_F32 1e-5
#define TOL_F16 3e-3

typedef struct {
    const char *name;
    int lstm;
    int64_t b, t, i, h;
    int biases, h0, c0, hn, cn, state3; /* state3: states as [1, B, H] */
    vkattn_dtype wih_dt, whh_dt;
} rnn_case;

static vkattn_tensor *upload_w(vkattn_context *ctx, vkattn_dtype dt, int64_t r, int64_t c, float *w) {
    int64_t shape[2] = {r, c};
    size_t n = (size_t)(r * c);
    if (dt == VKATTN_Q8_0) {
        void *q = malloc(vkattn_dtype_bytes(dt, n));
        vkattn_tensor *t;
        CHECK_OK(NULL, vkattn_quantize_q8_0(w, n, q));
        CHECK_OK(NULL, vkattn_dequantize_q8_0(q, n, w)); /* the reference uses what the device holds */
        CHECK_OK(ctx, vkattn_tensor_create(ctx, dt, 2, shape, &t));
        CHECK_OK(ctx, vkattn_tensor_upload(t, q, vkattn_dtype_bytes(dt, n)));
        free(q);
        return t;
    }
    if (dt == VKATTN_F16) th_round_f16(w, n);
    return th_tensor(ctx, dt, 2, shape, w);
}

static void check_case(vkattn_context *ctx, vkattn_dtype dt, const rnn_case *c) {
    int64_t g = c->lstm ? 4 : 3, gh = g * c->h;
    size_t nx = (size_t)(c->b * c->t * c->i), ny = (size_t)(c->b * c->t * c->h), ns = (size_t)(c->b * c->h);
    float *x = ot_data(nx, -1, 1, dt), *h0 = ot_data(ns, -1, 1, dt), *c0 = ot_data(ns, -1, 1, dt);
    float *wih = th_alloc((size_t)(gh * c->i)), *whh = th_alloc((size_t)(gh * c->h));
    float *bih = th_alloc((size_t)gh), *bhh = th_alloc((size_t)gh);
    float s = 1.0f / sqrtf((float)c->h); /* PyTorch's init range */
    th_fill_uniform(wih, (size_t)(gh * c->i), -s, s);
    th_fill_uniform(whh, (size_t)(gh * c->h), -s, s);
    th_fill_uniform(bih, (size_t)gh, -s, s);
    th_fill_uniform(bhh, (size_t)gh, -s, s);
    float *want_y = th_alloc(ny), *want_h = th_alloc(ns), *want_c = th_alloc(ns);
    int64_t xs[3] = {c->b, c->t, c->i}, ys[3] = {c->b, c->t, c->h}, ss[3] = {1, c->b, c->h}, bs[1] = {gh};
    const int64_t *sshape = c->state3 ? ss : ss + 1;
    uint32_t snd = c->state3 ? 3 : 2;
    vkattn_rnn_weights w = {0};
    vkattn_tensor *twih = upload_w(ctx, c->wih_dt, gh, c->i, wih), *twhh = upload_w(ctx, c->whh_dt, gh, c->h, whh);
    vkattn_tensor *tbih = c->biases ? th_tensor(ctx, VKATTN_F32, 1, bs, bih) : NULL;
    vkattn_tensor *tbhh = c->biases ? th_tensor(ctx, c->whh_dt, 1, bs, bhh) : NULL;
    if (c->biases && c->whh_dt == VKATTN_F16) th_round_f16(bhh, (size_t)gh);
    w.weight_ih = twih, w.weight_hh = twhh, w.bias_ih = tbih, w.bias_hh = tbhh;
    vkattn_tensor *tx = th_tensor(ctx, dt, 3, xs, x), *ty = th_tensor(ctx, dt, 3, ys, NULL);
    vkattn_tensor *th0 = c->h0 ? th_tensor(ctx, dt, snd, sshape, h0) : NULL,
                  *tc0 = c->c0 ? th_tensor(ctx, dt, snd, sshape, c0) : NULL;
    vkattn_tensor *thn = c->hn ? th_tensor(ctx, dt, snd, sshape, NULL) : NULL,
                  *tcn = c->cn ? th_tensor(ctx, dt, snd, sshape, NULL) : NULL;
    if (c->lstm) CHECK_OK(ctx, vkattn_lstm(ctx, tx, &w, th0, tc0, ty, thn, tcn));
    else CHECK_OK(ctx, vkattn_gru(ctx, tx, &w, th0, ty, thn));
    const float *rb = c->biases ? bih : NULL, *rbh = c->biases ? bhh : NULL;
    if (c->lstm)
        ref_lstm(x, (size_t)c->b, (size_t)c->t, (size_t)c->i, (size_t)c->h, wih, whh, rb, rbh, c->h0 ? h0 : NULL,
                 c->c0 ? c0 : NULL, want_y, want_h, want_c);
    else
        ref_gru(x, (size_t)c->b, (size_t)c->t, (size_t)c->i, (size_t)c->h, wih, whh, rb, rbh, c->h0 ? h0 : NULL, want_y,
                want_h);
    double tol = dt == VKATTN_F16 ? TOL_F16 : TOL_F32;
    char what[128];
    snprintf(what, sizeof what, "%s %s %s y", c->lstm ? "lstm" : "gru", c->name, vkattn_dtype_string(dt));
    ot_check(ctx, what, ty, want_y, tol);
    if (thn) {
        snprintf(what, sizeof what, "%s %s %s hn", c->lstm ? "lstm" : "gru", c->name, vkattn_dtype_string(dt));
        ot_check(ctx, what, thn, want_h, tol);
    }
    if (tcn) {
        snprintf(what, sizeof what, "lstm %s %s cn", c->name, vkattn_dtype_string(dt));
        ot_check(ctx, what, tcn, want_c, tol);
    }
    free(x), free(h0), free(c0), free(wih), free(whh), free(bih), free(bhh), free(want_y), free(want_h), free(want_c);
    vkattn_tensor_destroy(twih), vkattn_tensor_destroy(twhh), vkattn_tensor_destroy(tbih), vkattn_tensor_destroy(tbhh);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ty), vkattn_tensor_destroy(th0), vkattn_tensor_destroy(tc0);
    vkattn_tensor_destroy(thn), vkattn_tensor_destroy(tcn);
}

/* T steps as T calls of one step each in one caller batch, the state updated in
 * place (hn = h0, cn = c0), equal to one T-step call. */
static void check_decode_loop(vkattn_context *ctx, int lstm) {
    int64_t b = 2, t = 4, in = 6, h = 9, g = lstm ? 4 : 3, xs[3] = {b, 1, in}, ys[3] = {b, 1, h}, ss[2] = {b, h},
            ws1[2] = {g * h, in}, ws2[2] = {g * h, h};
    float *x = ot_data((size_t)(b * t * in), -1, 1, VKATTN_F32),
          *wih = ot_data((size_t)(g * h * in), -0.4f, 0.4f, VKATTN_F32);
    float *whh = ot_data((size_t)(g * h * h), -0.4f, 0.4f, VKATTN_F32), *want_y = th_alloc((size_t)(b * t * h));
    float *want_h = th_alloc((size_t)(b * h)), *want_c = th_alloc((size_t)(b * h)), *xt = th_alloc((size_t)(b * in));
    vkattn_tensor *twih = th_tensor(ctx, VKATTN_F32, 2, ws1, wih), *twhh = th_tensor(ctx, VKATTN_F32, 2, ws2, whh);
    vkattn_rnn_weights w = {.weight_ih = twih, .weight_hh = twhh};
    vkattn_tensor *txt[4], *ty = th_tensor(ctx, VKATTN_F32, 3, ys, NULL), *hs = th_tensor(ctx, VKATTN_F32, 2, ss, NULL);
    vkattn_tensor *cs = th_tensor(ctx, VKATTN_F32, 2, ss, NULL);
    for (int s = 0; s < t; s++) {
        for (int64_t bi = 0; bi < b; bi++) memcpy(xt + bi * in, x + (bi * t + s) * in, (size_t)in * sizeof *x);
        txt[s] = th_tensor(ctx, VKATTN_F32, 3, xs, xt);
    }
    CHECK_OK(ctx, vkattn_fill(ctx, hs, 0));
    CHECK_OK(ctx, vkattn_fill(ctx, cs, 0));
    CHECK_OK(ctx, vkattn_begin(ctx));
    for (int s = 0; s < t; s++) {
        if (lstm) CHECK_OK(ctx, vkattn_lstm(ctx, txt[s], &w, hs, cs, ty, hs, cs));
        else CHECK_OK(ctx, vkattn_gru(ctx, txt[s], &w, hs, ty, hs));
    }
    CHECK_OK(ctx, vkattn_submit(ctx));
    if (lstm)
        ref_lstm(x, (size_t)b, (size_t)t, (size_t)in, (size_t)h, wih, whh, NULL, NULL, NULL, NULL, want_y, want_h,
                 want_c);
    else ref_gru(x, (size_t)b, (size_t)t, (size_t)in, (size_t)h, wih, whh, NULL, NULL, NULL, want_y, want_h);
    ot_check(ctx, lstm ? "lstm decode loop, h in place" : "gru decode loop, h in place", hs, want_h, TOL_F32);
    if (lstm) ot_check(ctx, "lstm decode loop, c in place", cs, want_c, TOL_F32);
    free(x), free(wih), free(whh), free(want_y), free(want_h), free(want_c), free(xt);
    for (int s = 0; s < t; s++) vkattn_tensor_destroy(txt[s]);
    vkattn_tensor_destroy(twih), vkattn_tensor_destroy(twhh), vkattn_tensor_destroy(ty), vkattn_tensor_destroy(hs);
    vkattn_tensor_destroy(cs);
}

static void check_errors(vkattn_context *ctx) {
    int64_t xs[3] = {2, 3, 4}, ys[3] = {2, 3, 5}, ybad[3] = {2, 3, 6}, w1[2] = {15, 4}, w2[2] = {15, 5},
            w14[2] = {14, 4}, l1[2] = {20, 4}, s2[2] = {2, 5}, s3[2] = {3, 5}, b15[1] = {15}, x2[2] = {3, 4};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 3, xs, NULL), *y = th_tensor(ctx, VKATTN_F32, 3, ys, NULL);
    vkattn_tensor *yb = th_tensor(ctx, VKATTN_F32, 3, ybad, NULL), *wih = th_tensor(ctx, VKATTN_F32, 2, w1, NULL);
    vkattn_tensor *whh = th_tensor(ctx, VKATTN_F32, 2, w2, NULL), *w14t = th_tensor(ctx, VKATTN_F32, 2, w14, NULL);
    vkattn_tensor *lih = th_tensor(ctx, VKATTN_F32, 2, l1, NULL), *h2 = th_tensor(ctx, VKATTN_F32, 2, s2, NULL);
    vkattn_tensor *h3 = th_tensor(ctx, VKATTN_F32, 2, s3, NULL), *b15t = th_tensor(ctx, VKATTN_F32, 1, b15, NULL);
    vkattn_tensor *xflat = th_tensor(ctx, VKATTN_F32, 2, x2, NULL);
    vkattn_rnn_weights w = {.weight_ih = wih, .weight_hh = whh, .bias_ih = b15t, .bias_hh = b15t};
    CHECK_OK(ctx, vkattn_gru(ctx, x, &w, h2, y, h2));
    CHECK_STATUS(ctx, vkattn_gru(ctx, x, &w, h3, y, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "h0") != NULL, "message: %s", vkattn_context_error(ctx));
    CHECK_STATUS(ctx, vkattn_gru(ctx, x, &w, NULL, yb, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_gru(ctx, xflat, &w, NULL, y, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_lstm(ctx, x, &w, NULL, NULL, y, NULL, NULL),
                 VKATTN_ERROR_INVALID_ARGUMENT); /* 15 rows: not 4H */
    w.weight_ih = w14t;
    CHECK_STATUS(ctx, vkattn_gru(ctx, x, &w, NULL, y, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    w.weight_ih = lih; /* LSTM H = 5: weight_hh must be [20, 5] */
    CHECK_STATUS(ctx, vkattn_lstm(ctx, x, &w, NULL, NULL, y, NULL, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "weight_hh_l0") != NULL, "message: %s", vkattn_context_error(ctx));
    w = (vkattn_rnn_weights){.weight_ih = wih, .weight_hh = whh, .bias_ih = whh};
    CHECK_STATUS(ctx, vkattn_gru(ctx, x, &w, NULL, y, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    w = (vkattn_rnn_weights){.weight_ih = wih};
    CHECK_STATUS(ctx, vkattn_gru(ctx, x, &w, NULL, y, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_gru(ctx, x, NULL, NULL, y, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    w = (vkattn_rnn_weights){.weight_ih = wih, .weight_hh = whh};
    CHECK_STATUS(ctx, vkattn_gru(ctx, x, &w, NULL, x, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(y), vkattn_tensor_destroy(yb), vkattn_tensor_destroy(wih);
    vkattn_tensor_destroy(whh), vkattn_tensor_destroy(w14t), vkattn_tensor_destroy(lih), vkattn_tensor_destroy(h2);
    vkattn_tensor_destroy(h3), vkattn_tensor_destroy(b15t), vkattn_tensor_destroy(xflat);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(31);
    static const rnn_case cases[] = {
        {"biases h0 hn", 0, 3, 7, 10, 20, 1, 1, 0, 1, 0, 0, VKATTN_F32, VKATTN_F32},
        {"H 300 no biases zero h0", 0, 2, 5, 16, 300, 0, 0, 0, 1, 0, 1, VKATTN_F32, VKATTN_F32},
        {"T 1", 0, 4, 1, 3, 8, 1, 1, 0, 1, 0, 0, VKATTN_F32, VKATTN_F32},
        {"biases h0 c0 hn cn", 1, 3, 6, 12, 33, 1, 1, 1, 1, 1, 0, VKATTN_F32, VKATTN_F32},
        {"H 257 zero states [1,B,H]", 1, 2, 4, 7, 257, 1, 0, 0, 1, 1, 1, VKATTN_F32, VKATTN_F32},
        {"y only", 1, 1, 9, 5, 6, 0, 1, 1, 0, 0, 0, VKATTN_F32, VKATTN_F32},
        {"q8_0 weight_ih f16 weight_hh", 1, 2, 5, 64, 24, 1, 1, 1, 1, 1, 0, VKATTN_Q8_0, VKATTN_F16},
        {"q8_0 weight_ih f16 weight_hh", 0, 2, 5, 64, 24, 1, 1, 0, 1, 0, 0, VKATTN_Q8_0, VKATTN_F16},
    };
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    for (int k = 0; k < ndt; k++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            rnn_case c = cases[i];
            if (dts[k] == VKATTN_F16 && c.wih_dt == VKATTN_F32) c.wih_dt = VKATTN_F16; /* f16 GEMM weights */
            check_case(ctx, dts[k], &c);
        }
    check_decode_loop(ctx, 0);
    check_decode_loop(ctx, 1);
    check_errors(ctx);
    return th_finish(ctx);
}
