/* vkattn op copy: y = x through vkattn_copy; --to picks y's dtype (conversion), --transpose
 * reads x through a strided view, so both of copy's paths are reachable from Python. */
#include "op_runner.h"

#include <string.h>

int op_copy(op_args *a) {
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1);
    if (!x) return 1;
    vkattn_dtype to = a->dtype;
    const char *s = op_flag(a, "--to");
    if (s && strcmp(s, "f32") == 0) to = VKATTN_F32;
    else if (s && strcmp(s, "f16") == 0) to = VKATTN_F16;
    else if (s) {
        fprintf(stderr, "vkattn op copy: --to must be f32 or f16, not \"%s\"\n", s);
        return 1;
    }
    uint32_t nd = vkattn_tensor_ndim(x);
    int64_t shape[VKATTN_MAX_DIMS], strides[VKATTN_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) {
        shape[d] = vkattn_tensor_dim(x, d);
        strides[d] = vkattn_tensor_stride(x, d);
    }
    const vkattn_tensor *src = x;
    if (op_has(a, "--transpose")) {
        if (nd < 2) {
            fprintf(stderr, "vkattn op copy: --transpose needs x with at least 2 dimensions\n");
            return 1;
        }
        int64_t t = shape[nd - 1];
        shape[nd - 1] = shape[nd - 2];
        shape[nd - 2] = t;
        t = strides[nd - 1];
        strides[nd - 1] = strides[nd - 2];
        strides[nd - 2] = t;
        if (!(src = op_view(a, x, 0, nd, shape, strides))) return 1;
    }
    vkattn_tensor *y = op_tensor(a, to, nd, shape);
    if (!y) return 1;
    vkattn_status st = vkattn_copy(a->ctx, src, y);
    if (st != VKATTN_OK) return op_fail(a, "vkattn_copy", st);
    return op_output(a, "y", y);
}
