/* vkattn op embedding: nn.Embedding with its names: weight [V, D] (the table; --wtype
 * f32|f16|q8_0|q4_0 as for linear), input i32 [any shape] (the ids) -> output [input's
 * shape..., D] in --dtype. Ids outside [0, V) are refused here (the library gives zero rows). */
#include "op_runner.h"

#include <stdlib.h>

int op_embedding(op_args *a) {
    vkattn_dtype wtype;
    if (op_wtype(a, &wtype)) return 1;
    vkattn_tensor *ids = op_input(a, "input", VKATTN_I32, 1);
    vkattn_tensor *w = ids ? op_weight(a, "weight", wtype) : NULL;
    if (!ids || !w || a->failed) return 1;
    uint32_t nd = vkattn_tensor_ndim(ids);
    if (nd == VKATTN_MAX_DIMS) {
        fprintf(stderr, "vkattn op embedding: input may have at most %d dims\n", VKATTN_MAX_DIMS - 1);
        return 1;
    }
    /* check the ids on the host, as the library asks (the GPU cannot report them) */
    uint64_t n = vkattn_tensor_numel(ids);
    int64_t V = vkattn_tensor_dim(w, 0);
    int32_t *h = malloc((size_t)n * sizeof *h);
    if (!h) return op_fail(a, "input", VKATTN_ERROR_OUT_OF_HOST_MEMORY);
    vkattn_status st = vkattn_tensor_download(ids, h, (size_t)n * sizeof *h);
    for (uint64_t i = 0; !st && i < n; i++)
        if (h[i] < 0 || h[i] >= V) {
            fprintf(stderr, "vkattn op embedding: input[%llu] = %d is outside [0, %lld)\n", (unsigned long long)i, h[i],
                    (long long)V);
            free(h);
            return 1;
        }
    free(h);
    if (st) return op_fail(a, "input", st);
    int64_t shape[VKATTN_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) shape[d] = vkattn_tensor_dim(ids, d);
    shape[nd] = vkattn_tensor_dim(w, 1);
    vkattn_tensor *y = op_tensor(a, a->dtype, nd + 1, shape);
    if (!y) return 1;
    if ((st = vkattn_embedding(a->ctx, w, ids, y))) return op_fail(a, "vkattn_embedding", st);
    return op_output(a, "output", y);
}
