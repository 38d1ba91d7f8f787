/* vkattn op layer-norm / rms-norm: x [, weight, bias] -> y, PyTorch names
 * (torch.nn.functional.layer_norm / nn.RMSNorm over the last dim). */
#include "op_runner.h"

static int norm(op_args *a, int rms) {
    double eps;
    if (op_flag_double(a, "--eps", rms ? 1e-6 : 1e-5, 0, 1, &eps)) return 1;
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1);
    vkattn_tensor *w = x ? op_input(a, "weight", a->dtype, 0) : NULL;
    vkattn_tensor *b = x && !rms && !a->failed ? op_input(a, "bias", a->dtype, 0) : NULL;
    if (!x || a->failed) return 1;
    uint32_t nd = vkattn_tensor_ndim(x);
    int64_t shape[VKATTN_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) shape[d] = vkattn_tensor_dim(x, d);
    vkattn_tensor *y = op_tensor(a, a->dtype, nd, shape);
    if (!y) return 1;
    vkattn_status st =
        rms ? vkattn_rms_norm(a->ctx, x, w, (float)eps, y) : vkattn_layer_norm(a->ctx, x, w, b, (float)eps, y);
    if (st) return op_fail(a, rms ? "vkattn_rms_norm" : "vkattn_layer_norm", st);
    return op_output(a, "y", y);
}

int op_layer_norm(op_args *a) { return norm(a, 0); }
int op_rms_norm(op_args *a) { return norm(a, 1); }
