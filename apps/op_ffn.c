/* vkattn op ffn: the feed-forward layer with an nn.Module's state_dict names:
 * up.weight [F, D] (+ up.bias), gate.weight (+ gate.bias) or gate_up.weight [2F, D]
 * (+ gate_up.bias) for gated units, down.weight [D_out, F] (+ down.bias); optional
 * residual (y's shape). --act relu|gelu|gelu-tanh|silu. Weights load in --dtype,
 * biases in f32. */
#include "op_runner.h"

#include <string.h>

int op_ffn(op_args *a) {
    static const char *acts[] = {"relu", "gelu", "gelu-tanh", "silu"};
    const char *s = op_flag(a, "--act");
    int act = -1;
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, acts[i]) == 0) act = i;
    if (act < 0) {
        fprintf(stderr, "vkattn op ffn: --act must be relu, gelu, gelu-tanh or silu\n");
        return 1;
    }
    vkattn_ffn_weights w = {0};
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1);
    if (!x) return 1;
    w.up = op_input(a, "up.weight", a->dtype, 0);
    w.up_bias = op_input(a, "up.bias", VKATTN_F32, 0);
    w.gate = op_input(a, "gate.weight", a->dtype, 0);
    w.gate_bias = op_input(a, "gate.bias", VKATTN_F32, 0);
    w.gate_up = op_input(a, "gate_up.weight", a->dtype, 0);
    w.gate_up_bias = op_input(a, "gate_up.bias", VKATTN_F32, 0);
    vkattn_tensor *down = op_input(a, "down.weight", a->dtype, 1);
    w.down = down;
    w.down_bias = op_input(a, "down.bias", VKATTN_F32, 0);
    const vkattn_tensor *residual = op_input(a, "residual", a->dtype, 0);
    if (a->failed) return 1;
    vkattn_tensor *y = op_like_last(a, x, vkattn_tensor_dim(down, 0), a->dtype);
    if (!y) return 1;
    vkattn_status st = vkattn_ffn(a->ctx, x, &w, (vkattn_ffn_act)act, residual, y);
    if (st) return op_fail(a, "vkattn_ffn", st);
    return op_output(a, "y", y);
}
