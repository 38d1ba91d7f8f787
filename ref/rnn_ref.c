#include "vkattn_ref.h"

#include <math.h>
#include <stdlib.h>

static double sigm(double v) { return 1 / (1 + exp(-v)); }

/* out[g*H + j] = W[g*H + j, :] . v (+ bias) in double */
static void matvec(const float *w, const float *bias, const double *v, size_t rows, size_t cols, double *out) {
    for (size_t r = 0; r < rows; r++) {
        double s = bias ? bias[r] : 0;
        for (size_t k = 0; k < cols; k++) s += (double)w[r * cols + k] * v[k];
        out[r] = s;
    }
}

/* One shared loop: gates = 3 (GRU) or 4 (LSTM). */
static void rnn(int lstm, const float *x, size_t b, size_t t, size_t in, size_t h, const float *wih, const float *whh,
                const float *bih, const float *bhh, const float *h0, const float *c0, float *y, float *hn, float *cn) {
    size_t g = lstm ? 4 : 3;
    double *hv = calloc(h, sizeof *hv), *cv = calloc(h, sizeof *cv), *xv = calloc(in, sizeof *xv);
    double *gi = calloc(g * h, sizeof *gi), *gh = calloc(g * h, sizeof *gh);
    if (!hv || !cv || !xv || !gi || !gh) abort();
    for (size_t bi = 0; bi < b; bi++) {
        for (size_t j = 0; j < h; j++) {
            hv[j] = h0 ? h0[bi * h + j] : 0;
            cv[j] = c0 ? c0[bi * h + j] : 0;
        }
        for (size_t s = 0; s < t; s++) {
            for (size_t k = 0; k < in; k++) xv[k] = x[(bi * t + s) * in + k];
            matvec(wih, bih, xv, g * h, in, gi);
            matvec(whh, bhh, hv, g * h, h, gh);
            for (size_t j = 0; j < h; j++) {
                if (!lstm) {
                    double r = sigm(gi[j] + gh[j]), z = sigm(gi[h + j] + gh[h + j]);
                    double n = tanh(gi[2 * h + j] + r * gh[2 * h + j]);
                    hv[j] = (1 - z) * n + z * hv[j]; /* hv[j] is read by no later j of this step: gh is precomputed */
                } else {
                    double ig = sigm(gi[j] + gh[j]), fg = sigm(gi[h + j] + gh[h + j]);
                    double gg = tanh(gi[2 * h + j] + gh[2 * h + j]), og = sigm(gi[3 * h + j] + gh[3 * h + j]);
                    cv[j] = fg * cv[j] + ig * gg;
                    hv[j] = og * tanh(cv[j]);
                }
                y[(bi * t + s) * h + j] = (float)hv[j];
            }
        }
        for (size_t j = 0; j < h; j++) {
            if (hn) hn[bi * h + j] = (float)hv[j];
            if (cn) cn[bi * h + j] = (float)cv[j];
        }
    }
    free(hv), free(cv), free(xv), free(gi), free(gh);
}

void ref_gru(const float *x, size_t b, size_t t, size_t i, size_t h, const float *wih, const float *whh,
             const float *bih, const float *bhh, const float *h0, float *y, float *hn) {
    rnn(0, x, b, t, i, h, wih, whh, bih, bhh, h0, NULL, y, hn, NULL);
}

void ref_lstm(const float *x, size_t b, size_t t, size_t i, size_t h, const float *wih, const float *whh,
              const float *bih, const float *bhh, const float *h0, const float *c0, float *y, float *hn, float *cn) {
    rnn(1, x, b, t, i, h, wih, whh, bih, bhh, h0, c0, y, hn, cn);
}
