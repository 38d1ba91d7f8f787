/* vkattn op add / mul: y = x + other, x * other (other broadcast over x's leading
 * dims, as torch.add / torch.mul do for trailing-dim operands); vkattn op
 * position-embedding: y = x + weight[offset + l] (an nn.Embedding table [Lmax, D]). */
#include "op_runner.h"


static int binary(op_args *a, int which) {
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1);
    vkattn_tensor *o = x ? op_input(a, which == 2 ? "weight" : "other", a->dtype, 1) : NULL, *y;
    long long offset = 0;
    if (!o || (which == 2 && op_flag_long(a, "--offset", 0, 0, INT32_MAX, &offset)) || !(y = op_like(a, x, a->dtype))) return 1;
    vkattn_status st = which == 0   ? vkattn_add(a->ctx, x, o, y)
                       : which == 1 ? vkattn_mul(a->ctx, x, o, y)
                                    : vkattn_position_embedding(a->ctx, x, o, offset, y);
    if (st) return op_fail(a, a->op->name, st);
    return op_output(a, "y", y);
}

int op_add(op_args *a) { return binary(a, 0); }
int op_mul(op_args *a) { return binary(a, 1); }
int op_position_embedding(op_args *a) { return binary(a, 2); }
