/* vkattn op gru / lstm: nn.GRU / nn.LSTM (1 layer, batch_first) with their
 * state_dict names weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 and the
 * optional initial states h0 (and c0) [1, B, H]; outputs output [B, T, H], h_n and
 * c_n [1, B, H], as the module returns them. Biases load as f32. */
#include "op_runner.h"

static int rnn(op_args *a, int lstm) {
    vkattn_rnn_weights w = {0};
    vkattn_tensor *x = op_input(a, "x", a->dtype, 1);
    if (!x) return 1;
    vkattn_tensor *wih = op_input(a, "weight_ih_l0", a->dtype, 1);
    if (!wih) return 1;
    w.weight_ih = wih;
    w.weight_hh = op_input(a, "weight_hh_l0", a->dtype, 1);
    w.bias_ih = op_input(a, "bias_ih_l0", VKATTN_F32, 0);
    w.bias_hh = op_input(a, "bias_hh_l0", VKATTN_F32, 0);
    vkattn_tensor *h0 = op_input(a, "h0", a->dtype, 0), *c0 = lstm ? op_input(a, "c0", a->dtype, 0) : NULL;
    if (a->failed) return 1;
    int64_t b = vkattn_tensor_dim(x, 0), t = vkattn_tensor_dim(x, 1), h = vkattn_tensor_dim(wih, 0) / (lstm ? 4 : 3);
    int64_t ys[3] = {b, t, h}, ss[3] = {1, b, h};
    vkattn_tensor *y = op_tensor(a, a->dtype, 3, ys), *hn = y ? op_tensor(a, a->dtype, 3, ss) : NULL;
    vkattn_tensor *cn = lstm && hn ? op_tensor(a, a->dtype, 3, ss) : NULL;
    if (!hn || (lstm && !cn)) return 1;
    vkattn_status st = lstm ? vkattn_lstm(a->ctx, x, &w, h0, c0, y, hn, cn) : vkattn_gru(a->ctx, x, &w, h0, y, hn);
    if (st) return op_fail(a, lstm ? "vkattn_lstm" : "vkattn_gru", st);
    return op_output(a, "output", y) || op_output(a, "h_n", hn) || (lstm && op_output(a, "c_n", cn));
}

int op_gru(op_args *a) { return rnn(a, 0); }
int op_lstm(op_args *a) { return rnn(a, 1); }
