/* Plain-C reference implementations (double accumulation) used by the tests
 * and benchmarks. Deliberately simple: readable loops, no vectorization, so
 * they are easy to trust. Each op's reference lives in ref/<op>_ref.c. */
#ifndef VKATTN_REF_H
#define VKATTN_REF_H

#include <stddef.h>
#include <stdint.h>

/* dst[i] = src[i] over a 4-D index space with element strides (shape outermost first). */
void ref_copy_strided(const float *src, const int64_t shape[4], const int64_t src_stride[4], float *dst,
                      const int64_t dst_stride[4]);

/* ---- Ops: elementwise, norms, positions, selection (ops helper) ----------
 * Contiguous row-major arrays; "rows x d" means rows rows of d values. */

/* LayerNorm / RMSNorm over each row; w, b may be NULL (1 / 0). */
void ref_layer_norm(const float *x, const float *w, const float *b, float eps, size_t rows, size_t d, float *y);
void ref_rms_norm(const float *x, const float *w, float eps, size_t rows, size_t d, float *y);

typedef enum { REF_RELU, REF_SILU, REF_GELU, REF_GELU_TANH } ref_act;
/* The activation in double: gelu = x Phi(x) via erf; gelu_tanh is PyTorch's approximate='tanh'. */
double ref_activation(ref_act act, double x);
void ref_unary(ref_act act, const float *x, size_t n, float *y);
/* y = act(gate) * up */
void ref_glu(ref_act act, const float *gate, const float *up, size_t n, float *y);
/* y = a (+ or *) b over a 4-D shape; b has shape bshape (each dim equal to ashape's or 1). */
void ref_broadcast(const float *a, const int64_t ashape[4], const float *b, const int64_t bshape[4], int mul, float *y);
/* Softmax over each row; rows of only -inf give zeros. */
void ref_softmax(const float *x, size_t rows, size_t d, float *y);
/* RoPE on a contiguous x [B, S1, S2, D]; tokens along dim 1 (seq_dim 1) or 2;
 * gptj: interleaved pairs, else half split; rd rotary dims; inv_freq NULL =
 * theta^(-2i/rd); pos NULL = offset + l, else offset + pos[b * pos_bstride + l]. */
void ref_rope(const float *x, const int64_t shape[4], int seq_dim, int gptj, int rd, double theta, const float *inv_freq,
              int64_t offset, const int32_t *pos, int64_t pos_bstride, float *y);
/* Sinusoidal encoding PE [L, D] for positions offset .. offset + L - 1. */
void ref_sinusoidal(int64_t l, int64_t d, int64_t offset, float *pe);
/* Feed-forward layer on rows x d: gate NULL = ungated; biases and residual may be
 * NULL; residual is [rows, n] (n = down's rows). act as ref_act. */
void ref_ffn(const float *x, size_t rows, size_t d, size_t f, size_t n, const float *up, const float *bu,
             const float *gate, const float *bg, const float *down, const float *bd, ref_act act, const float *residual,
             float *y);
/* GRU / LSTM (PyTorch equations and gate orders) over x [B, T, I]; weights
 * [G*H, I] / [G*H, H]; biases, h0 and c0 may be NULL (zeros); y [B, T, H];
 * hn / cn [B, H] may be NULL. */
void ref_gru(const float *x, size_t b, size_t t, size_t i, size_t h, const float *wih, const float *whh, const float *bih,
             const float *bhh, const float *h0, float *y, float *hn);
void ref_lstm(const float *x, size_t b, size_t t, size_t i, size_t h, const float *wih, const float *whh, const float *bih,
              const float *bhh, const float *h0, const float *c0, float *y, float *hn, float *cn);
/* Row-wise argmax / top-k of rows x v (ties: lower index; NaN ranks highest);
 * topk writes k values and indices per row, sorted descending. */
void ref_argmax(const float *x, size_t rows, size_t v, int32_t *idx);
void ref_topk(const float *x, size_t rows, size_t v, size_t k, float *values, int32_t *idx);

/* ---- linear algebra (gemm helper) ---------------------------------------- */

/* y[M, N] = x[M, K] w[N, K]^T (+ bias[N] when non-NULL), row-major. */
void ref_linear(const float *x, const float *w, const float *bias, float *y, int64_t M, int64_t N, int64_t K);

#endif
