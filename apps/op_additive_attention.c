/* vkattn op additive-attention: Bahdanau attention through vkattn_additive_attention (docs/ops.md). */
#include "op_runner.h"

int op_additive_attention(op_args *a) {
    vkattn_tensor *h = op_input(a, "h", a->dtype, 1), *s = op_input(a, "s", a->dtype, 1);
    vkattn_tensor *wh = op_input(a, "W_h", a->dtype, 1), *ws = op_input(a, "W_s", a->dtype, 1);
    vkattn_tensor *b = op_input(a, "b", VKATTN_F32, 0), *v = op_input(a, "v", VKATTN_F32, 1);
    vkattn_tensor *mask = op_input(a, "mask", VKATTN_F32, 0); /* any numbers: nonzero = keep */
    if (!h || !s || !wh || !ws || !v || a->failed) return 1;
    if (vkattn_tensor_ndim(h) != 3 || vkattn_tensor_ndim(s) != 3) {
        fprintf(stderr, "vkattn op additive-attention: h must be [B,Lk,Dh] and s [B,T,Ds]\n");
        return 1;
    }
    int64_t B = vkattn_tensor_dim(h, 0), Lk = vkattn_tensor_dim(h, 1), Dh = vkattn_tensor_dim(h, 2);
    int64_t T = vkattn_tensor_dim(s, 1);
    vkattn_tensor *c = op_tensor(a, a->dtype, 3, (int64_t[]){B, T, Dh});
    vkattn_tensor *alpha = op_tensor(a, VKATTN_F32, 3, (int64_t[]){B, T, Lk});
    if (!c || !alpha) return 1;
    vkattn_status st = vkattn_additive_attention(a->ctx, h, s, wh, ws, b, v, mask, c, alpha);
    if (st != VKATTN_OK) return op_fail(a, "vkattn_additive_attention", st);
    return op_output(a, "c", c) || op_output(a, "alpha", alpha);
}
