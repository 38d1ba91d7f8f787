/* vkattn op linear: F.linear with nn.Linear's names: weight [N, K] (+ bias [N]), input [..., K]
 * -> output [..., N]. --wtype f32|f16|q8_0|q4_0 stores the weight in that type on the device
 * (q8_0 / q4_0 quantized on the host by vkattn_quantize_*; default --dtype). Also op_weight,
 * the weight loader shared with `vkattn op embedding`, and op_like_last (also used by op_ffn.c). */
#include "op_runner.h"

#include <stdlib.h>
#include <string.h>

vkattn_tensor *op_like_last(op_args *a, const vkattn_tensor *t, int64_t last, vkattn_dtype dtype) {
    uint32_t nd = vkattn_tensor_ndim(t);
    int64_t shape[VKATTN_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) shape[d] = vkattn_tensor_dim(t, d);
    shape[nd - 1] = last;
    return op_tensor(a, dtype, nd, shape);
}

int op_wtype(op_args *a, vkattn_dtype *out) {
    static const struct { const char *name; vkattn_dtype dt; } types[] = {
        {"f32", VKATTN_F32}, {"f16", VKATTN_F16}, {"q8_0", VKATTN_Q8_0}, {"q4_0", VKATTN_Q4_0}};
    const char *s = op_flag(a, "--wtype");
    *out = a->dtype;
    if (!s) return 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(s, types[i].name) == 0) {
            *out = types[i].dt;
            return 0;
        }
    fprintf(stderr, "vkattn op %s: --wtype must be f32, f16, q8_0 or q4_0 (got \"%s\")\n", a->op->name, s);
    return 1;
}

vkattn_tensor *op_weight(op_args *a, const char *name, vkattn_dtype wtype) {
    if (wtype != VKATTN_Q8_0 && wtype != VKATTN_Q4_0) return op_input(a, name, wtype, 1);
    vkattn_st_tensor t;
    if (!a->in || vkattn_safetensors_find(a->in, name, &t) != VKATTN_OK) return op_input(a, name, VKATTN_F32, 1);
    if (t.ndim != 2 || t.shape[1] % 32 != 0 || t.shape[0] == 0) {
        fprintf(stderr, "vkattn op %s: %s must be 2-D with a multiple of 32 columns to quantize to %s\n", a->op->name,
                name, vkattn_dtype_string(wtype));
        a->failed = 1;
        return NULL;
    }
    uint64_t n = (uint64_t)t.shape[0] * (uint64_t)t.shape[1];
    float *f = malloc((size_t)n * sizeof *f);
    void *q = malloc((size_t)vkattn_dtype_bytes(wtype, n));
    vkattn_tensor *dev = f && q ? op_tensor(a, wtype, 2, t.shape) : NULL;
    vkattn_status st = f && q ? VKATTN_OK : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    if (dev) st = vkattn_st_tensor_read_f32(&t, f, n);
    if (dev && !st) st = wtype == VKATTN_Q8_0 ? vkattn_quantize_q8_0(f, n, q) : vkattn_quantize_q4_0(f, n, q);
    if (dev && !st) st = vkattn_tensor_upload(dev, q, (size_t)vkattn_dtype_bytes(wtype, n));
    free(f), free(q);
    if (st) {
        op_fail(a, name, st);
        dev = NULL;
    }
    if (!dev) a->failed = 1;
    return dev;
}

int op_linear(op_args *a) {
    vkattn_dtype wtype;
    if (op_wtype(a, &wtype)) return 1;
    vkattn_tensor *x = op_input(a, "input", a->dtype, 1);
    vkattn_tensor *w = x ? op_weight(a, "weight", wtype) : NULL;
    vkattn_tensor *b = w ? op_input(a, "bias", VKATTN_F32, 0) : NULL;
    if (!x || !w || a->failed) return 1;
    vkattn_tensor *y = op_like_last(a, x, vkattn_tensor_dim(w, 0), a->dtype);
    if (!y) return 1;
    vkattn_status st = vkattn_linear(a->ctx, x, w, b, y);
    if (st) return op_fail(a, "vkattn_linear", st);
    return op_output(a, "output", y);
}
