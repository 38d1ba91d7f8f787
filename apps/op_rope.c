/* vkattn op rope: y = RoPE(x) for x [B, L, H, D] (--layout blhd) or [B, H, L, D]
 * (--layout bhld); optional `positions` (i32 [L] or [B, L]) and `inv_freq` ([R/2]). */
#include "op_runner.h"

#include <string.h>


int op_rope(op_args *a) {
    vkattn_rope_desc d = {0};
    const char *mode = op_flag(a, "--mode"), *layout = op_flag(a, "--layout");
    long long rd, offset;
    double theta;
    if (mode && strcmp(mode, "neox") && strcmp(mode, "gptj")) {
        fprintf(stderr, "vkattn op rope: --mode must be neox or gptj, not \"%s\"\n", mode);
        return 1;
    }
    if (layout && strcmp(layout, "blhd") && strcmp(layout, "bhld")) {
        fprintf(stderr, "vkattn op rope: --layout must be blhd or bhld, not \"%s\"\n", layout);
        return 1;
    }
    if (op_flag_long(a, "--rotary-dims", 0, 0, 65536, &rd) || op_flag_long(a, "--offset", 0, 0, INT32_MAX, &offset) ||
        op_flag_double(a, "--theta", 10000, 1e-3, 1e12, &theta))
        return 1;
    d.mode = mode && strcmp(mode, "gptj") == 0 ? VKATTN_ROPE_GPTJ : VKATTN_ROPE_NEOX;
    d.layout = layout && strcmp(layout, "bhld") == 0 ? VKATTN_ROPE_BHLD : VKATTN_ROPE_BLHD;
    d.rotary_dims = (uint32_t)rd;
    d.theta = (float)theta;
    d.offset = offset;
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1), *y;
    if (!x) return 1;
    d.positions = op_input(a, "positions", VKATTN_I32, 0);
    d.inv_freq = a->failed ? NULL : op_input(a, "inv_freq", VKATTN_F32, 0);
    if (a->failed || !(y = op_like(a, x, a->dtype))) return 1;
    vkattn_status st = vkattn_rope(a->ctx, x, y, &d);
    if (st) return op_fail(a, "vkattn_rope", st);
    return op_output(a, "y", y);
}
