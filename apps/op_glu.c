/* vkattn op swiglu / geglu: y = act(gate) * up from tensors `gate` and `up`, or
 * from one `x` [..., 2F] whose first half is gate and second half up (read as two
 * strided views, as a packed gate_up projection is). */
#include "op_runner.h"


static int glu(op_args *a, int gelu) {
    int tanh_form = 0;
    if (gelu && op_approximate(a, &tanh_form)) return 1;
    vkattn_tensor *x = op_input(a, "x", a->dtype, 0), *g, *u;
    if (a->failed) return 1;
    if (x) {
        uint32_t nd = vkattn_tensor_ndim(x);
        int64_t shape[VKATTN_MAX_DIMS], strides[VKATTN_MAX_DIMS], f = vkattn_tensor_dim(x, nd - 1) / 2;
        if (vkattn_tensor_dim(x, nd - 1) % 2) {
            fprintf(stderr, "vkattn op %s: x's last dim must be even (gate and up halves)\n", a->op->name);
            return 1;
        }
        for (uint32_t d = 0; d < nd; d++) shape[d] = vkattn_tensor_dim(x, d), strides[d] = vkattn_tensor_stride(x, d);
        shape[nd - 1] = f;
        if (!(g = op_view(a, x, 0, nd, shape, strides)) || !(u = op_view(a, x, (uint64_t)f, nd, shape, strides)))
            return 1;
    } else if (!(g = op_input(a, "gate", a->dtype, 1)) || !(u = op_input(a, "up", a->dtype, 1))) {
        return 1;
    }
    vkattn_tensor *y = op_like(a, g, a->dtype);
    if (!y) return 1;
    vkattn_status st = gelu ? vkattn_geglu(a->ctx, g, u, y, tanh_form) : vkattn_swiglu(a->ctx, g, u, y);
    if (st) return op_fail(a, a->op->name, st);
    return op_output(a, "y", y);
}

int op_swiglu(op_args *a) { return glu(a, 0); }
int op_geglu(op_args *a) { return glu(a, 1); }
