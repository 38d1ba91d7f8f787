/* vkattn op gelu / silu / relu / scale / softmax: x -> y of x's shape (elementwise,
 * softmax over the last dim). Also op_like(), shared by the other runners here. */
#include "op_runner.h"

#include <string.h>

vkattn_tensor *op_like(op_args *a, const vkattn_tensor *t, vkattn_dtype dtype) {
    uint32_t nd = vkattn_tensor_ndim(t);
    int64_t shape[VKATTN_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) shape[d] = vkattn_tensor_dim(t, d);
    return op_tensor(a, dtype, nd, shape);
}

int op_approximate(op_args *a, int *tanh_form) {
    const char *s = op_flag(a, "--approximate");
    *tanh_form = s && strcmp(s, "tanh") == 0;
    if (s && !*tanh_form && strcmp(s, "none") != 0) {
        fprintf(stderr, "vkattn op %s: --approximate must be none or tanh, not \"%s\"\n", a->op->name, s);
        return 1;
    }
    return 0;
}

enum { GELU, SILU, RELU, SCALE, SOFTMAX };

static int unary(op_args *a, int which) {
    int tanh_form = 0;
    double alpha = 1;
    if ((which == GELU && op_approximate(a, &tanh_form)) || (which == SCALE && op_flag_double(a, "--alpha", 1, -1e30, 1e30, &alpha)))
        return 1;
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1), *y;
    if (!x) return 1;
    if (!(y = op_like(a, x, a->dtype))) return 1;
    vkattn_status st = which == GELU   ? vkattn_gelu(a->ctx, x, y, tanh_form)
                       : which == SILU ? vkattn_silu(a->ctx, x, y)
                       : which == RELU ? vkattn_relu(a->ctx, x, y)
                       : which == SCALE ? vkattn_scale(a->ctx, x, (float)alpha, y)
                                        : vkattn_softmax(a->ctx, x, y);
    if (st) return op_fail(a, a->op->name, st);
    return op_output(a, "y", y);
}

int op_gelu(op_args *a) { return unary(a, GELU); }
int op_silu(op_args *a) { return unary(a, SILU); }
int op_relu(op_args *a) { return unary(a, RELU); }
int op_scale(op_args *a) { return unary(a, SCALE); }
int op_softmax(op_args *a) { return unary(a, SOFTMAX); }
