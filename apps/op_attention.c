/* vkattn op attention: o = softmax(q k^T * scale + mask) v through vkattn_attention (docs/ops.md). */
#include "op_runner.h"

#include <string.h>

/* --impl NAME -> implementation; -1 when unknown (after printing why). */
static int parse_impl(op_args *a, vkattn_attn_impl *impl) {
    static const char *names[] = {"auto", "3pass", "flash", "decode"};
    const char *s = op_flag(a, "--impl");
    *impl = VKATTN_ATTN_AUTO;
    if (!s) return 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *impl = (vkattn_attn_impl)i;
            return 0;
        }
    fprintf(stderr, "vkattn op %s: --impl must be auto, 3pass, flash or decode, not \"%s\"\n", a->op->name, s);
    return 1;
}

/* The options shared with the mha runner: --causal, --scale, --window, --softcap, --impl, --probs [B,Hq,Lq,Lk] and the optional
 * inputs mask (additive f32) and kv_len (i32 [B]). Returns 0 or 1. */
int op_attention_desc(op_args *a, int64_t B, int64_t Hq, int64_t Lq, int64_t Lk, vkattn_attention_desc *d) {
    double scale, softcap;
    long long window;
    memset(d, 0, sizeof *d);
    if (op_flag_double(a, "--scale", 0, -1e30, 1e30, &scale) || op_flag_double(a, "--softcap", 0, 0, 1e30, &softcap) ||
        op_flag_long(a, "--window", 0, 0, UINT32_MAX, &window) || parse_impl(a, &d->impl))
        return 1;
    d->scale = (float)scale;
    d->softcap = (float)softcap;
    d->window = (uint32_t)window;
    d->causal = op_has(a, "--causal");
    d->mask = op_input(a, "mask", VKATTN_F32, 0);
    d->kv_len = op_input(a, "kv_len", VKATTN_I32, 0);
    if (a->failed) return 1;
    if (op_has(a, "--probs") && !(d->probs = op_tensor(a, VKATTN_F32, 4, (int64_t[]){B, Hq, Lq, Lk}))) return 1;
    return 0;
}

int op_attention(op_args *a) {
    vkattn_tensor *q = op_input(a, "q", a->dtype, 1), *k = op_input(a, "k", a->dtype, 1), *v = op_input(a, "v", a->dtype, 1);
    if (!q || !k || !v) return 1;
    if (vkattn_tensor_ndim(q) != 4 || vkattn_tensor_ndim(k) != 4 || vkattn_tensor_ndim(v) != 4) {
        fprintf(stderr, "vkattn op attention: q, k and v must be 4-D: [B,Hq,Lq,D], [B,Hkv,Lk,D], [B,Hkv,Lk,Dv]\n");
        return 1;
    }
    int64_t B = vkattn_tensor_dim(q, 0), Hq = vkattn_tensor_dim(q, 1), Lq = vkattn_tensor_dim(q, 2);
    int64_t Lk = vkattn_tensor_dim(k, 2), Dv = vkattn_tensor_dim(v, 3);
    vkattn_attention_desc d;
    if (op_attention_desc(a, B, Hq, Lq, Lk, &d)) return 1;
    vkattn_tensor *o = op_tensor(a, a->dtype, 4, (int64_t[]){B, Hq, Lq, Dv});
    if (!o) return 1;
    vkattn_status st = vkattn_attention(a->ctx, q, k, v, o, &d);
    if (st != VKATTN_OK) return op_fail(a, "vkattn_attention", st);
    return op_output(a, "o", o) || (d.probs && op_output(a, "p", d.probs));
}
