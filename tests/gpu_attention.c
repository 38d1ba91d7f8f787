/* Attention: 3-pass against the C reference, argument errors, f16 support. */
#include "attention_cases.h"

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(1);
    attn_case cases[] = {
        {1, 1, 1, 7, 7, 32, 32, .dt = VKATTN_F32, .impl = VKATTN_ATTN_3PASS},
        {1, 1, 1, 7, 7, 32, 32, .dt = VKATTN_F32, .impl = VKATTN_ATTN_FLASH},
        {1, 1, 1, 7, 77, 32, 32, .dt = VKATTN_F32, .impl = VKATTN_ATTN_DECODE},
        {2, 8, 2, 64, 77, 40, 40, .causal = 1, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F32, .impl = VKATTN_ATTN_3PASS, .probs = 1},
        {2, 8, 2, 64, 77, 40, 40, .causal = 1, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F32, .impl = VKATTN_ATTN_FLASH},
        {2, 8, 2, 3, 77, 40, 40, .causal = 1, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F32, .impl = VKATTN_ATTN_DECODE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(ctx, &cases[i]);
    return th_finish(ctx);
}
