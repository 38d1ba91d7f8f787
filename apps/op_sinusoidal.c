/* vkattn op sinusoidal: y = PE (no input: --length L --dim D) or y = x + PE,
 * positions --offset .. --offset + L - 1. */
#include "op_runner.h"


int op_sinusoidal(op_args *a) {
    long long offset, len, dim;
    if (op_flag_long(a, "--offset", 0, 0, INT32_MAX, &offset) || op_flag_long(a, "--length", 0, 1, 1 << 24, &len) ||
        op_flag_long(a, "--dim", 0, 1, 65536, &dim))
        return 1;
    vkattn_tensor *x = op_input(a, "x", a->dtype, 0), *y;
    if (a->failed) return 1;
    if (x) {
        y = op_like(a, x, a->dtype);
    } else if (len > 0 && dim > 0) {
        int64_t shape[2] = {len, dim};
        y = op_tensor(a, a->dtype, 2, shape);
    } else {
        fprintf(stderr, "vkattn op sinusoidal: give an input x, or --length L and --dim D for the table alone\n");
        return 1;
    }
    if (!y) return 1;
    vkattn_status st = vkattn_sinusoidal(a->ctx, x, y, offset);
    if (st) return op_fail(a, "vkattn_sinusoidal", st);
    return op_output(a, "y", y);
}
