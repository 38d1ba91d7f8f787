/* vkattn op mha: PyTorch nn.MultiheadAttention (batch_first=True) through vkattn_mha_* (docs/ops.md).
 * Weights by their state-dict names; in_proj_bias is split into the q/k/v biases when the weights are separate
 * (its layout [q | k | v] generalizes to E + 2 * Hkv * head_dim with --kv-heads). */
#include "op_runner.h"

/* Contiguous copy of elements [off, off + n) of a 1-D f32 tensor (vkattn_linear wants biases at offset 0). */
static vkattn_tensor *bias_part(op_args *a, vkattn_tensor *all, int64_t off, int64_t n) {
    vkattn_tensor *view = op_view(a, all, (uint64_t)off, 1, &n, (int64_t[]){1}), *part = op_tensor(a, VKATTN_F32, 1, &n);
    if (!view || !part) return NULL;
    vkattn_status st = vkattn_copy(a->ctx, view, part);
    if (st != VKATTN_OK) {
        op_fail(a, "splitting in_proj_bias", st);
        return NULL;
    }
    return part;
}

int op_mha(op_args *a) {
    long long heads, kv_heads;
    if (op_flag_long(a, "--heads", 0, 1, 65536, &heads) || op_flag_long(a, "--kv-heads", 0, 1, 65536, &kv_heads)) return 1;
    if (!heads) {
        fprintf(stderr, "vkattn op mha: --heads N is required\n");
        return 1;
    }
    vkattn_tensor *query = op_input(a, "query", a->dtype, 1);
    vkattn_tensor *key = op_input(a, "key", a->dtype, 0), *value = op_input(a, "value", a->dtype, 0);
    vkattn_mha_desc d = {.num_heads = (uint32_t)heads, .num_kv_heads = (uint32_t)kv_heads};
    d.in_proj_weight = op_input(a, "in_proj_weight", a->dtype, 0);
    d.q_proj_weight = op_input(a, "q_proj_weight", a->dtype, 0);
    d.k_proj_weight = op_input(a, "k_proj_weight", a->dtype, 0);
    d.v_proj_weight = op_input(a, "v_proj_weight", a->dtype, 0);
    d.out_proj_weight = op_input(a, "out_proj.weight", a->dtype, 1);
    d.out_proj_bias = op_input(a, "out_proj.bias", VKATTN_F32, 0);
    vkattn_tensor *in_bias = op_input(a, "in_proj_bias", VKATTN_F32, 0);
    if (!query || !d.out_proj_weight || a->failed) return 1;
    if (vkattn_tensor_ndim(query) != 3) {
        fprintf(stderr, "vkattn op mha: query must be [B,Lq,E]\n");
        return 1;
    }
    int64_t B = vkattn_tensor_dim(query, 0), Lq = vkattn_tensor_dim(query, 1), E = vkattn_tensor_dim(query, 2);
    const vkattn_tensor *kin = key ? key : query, *vin = value ? value : kin;
    int64_t Lk = vkattn_tensor_dim(kin, 1);
    d.embed_dim = (uint32_t)E;
    d.kdim = (uint32_t)vkattn_tensor_dim(kin, 2);
    d.vdim = (uint32_t)vkattn_tensor_dim(vin, 2);
    if (d.in_proj_weight) {
        d.in_proj_bias = in_bias;
    } else if (in_bias) {
        int64_t ekv = (kv_heads ? kv_heads : heads) * (E / heads);
        if (vkattn_tensor_dim(in_bias, 0) != E + 2 * ekv) {
            fprintf(stderr, "vkattn op mha: in_proj_bias must hold E + 2 * kv_heads * head_dim = %lld values\n",
                    (long long)(E + 2 * ekv));
            return 1;
        }
        if (!(d.q_proj_bias = bias_part(a, in_bias, 0, E)) || !(d.k_proj_bias = bias_part(a, in_bias, E, ekv)) ||
            !(d.v_proj_bias = bias_part(a, in_bias, E + ekv, ekv)))
            return 1;
    }
    vkattn_attention_desc attn;
    if (op_attention_desc(a, B, heads, Lq, Lk, &attn)) return 1;
    vkattn_tensor *out = op_tensor(a, a->dtype, 3, (int64_t[]){B, Lq, E});
    if (!out) return 1;
    vkattn_mha *mha;
    vkattn_status st = vkattn_mha_create(a->ctx, &d, &mha);
    if (st != VKATTN_OK) return op_fail(a, "vkattn_mha_create", st);
    st = vkattn_mha_forward(mha, query, key, value, out, &attn);
    vkattn_mha_destroy(mha);
    if (st != VKATTN_OK) return op_fail(a, "vkattn_mha_forward", st);
    return op_output(a, "attn_output", out) || (attn.probs && op_output(a, "attn_output_weights", attn.probs));
}
