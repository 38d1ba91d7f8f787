/* vkattn op argmax: indices [...] (i32) of the largest entry of each row of x [..., V];
 * vkattn op topk --k K: values and indices [..., K], sorted descending (torch.topk). */
#include "op_runner.h"

static int select_rows(op_args *a, int topk) {
    long long k = 1;
    if (topk && op_flag_long(a, "--k", 1, 1, VKATTN_TOPK_MAX, &k)) return 1;
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1);
    if (!x) return 1;
    uint32_t nd = vkattn_tensor_ndim(x);
    int64_t shape[VKATTN_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) shape[d] = vkattn_tensor_dim(x, d);
    shape[nd - 1] = k;
    /* argmax of a 1-D x: one index, shape [1]; else x's leading dims */
    uint32_t ond = topk ? nd : nd > 1 ? nd - 1 : 1;
    vkattn_tensor *idx = op_tensor(a, VKATTN_I32, ond, shape),
                  *vals = topk && idx ? op_tensor(a, a->dtype, nd, shape) : NULL;
    if (!idx || (topk && !vals)) return 1;
    vkattn_status st = topk ? vkattn_topk(a->ctx, x, (uint32_t)k, vals, idx) : vkattn_argmax(a->ctx, x, idx);
    if (st) return op_fail(a, topk ? "vkattn_topk" : "vkattn_argmax", st);
    return (topk && op_output(a, "values", vals)) || op_output(a, "indices", idx);
}

int op_argmax(op_args *a) { return select_rows(a, 0); }
int op_topk(op_args *a) { return select_rows(a, 1); }
