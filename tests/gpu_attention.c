/* Attention: 3-pass, flash and decode against the C reference, argument errors, f16 storage (also
 * without 16-bit storage, as packed words). */
#include "attention_cases.h"

/* vkattn_attention_get_plan: what AUTO picks, decode's split count, scratch sizes, errors. */
static void test_plan(vkattn_context *ctx) {
    const vkattn_device_info *info = vkattn_context_device(ctx);
    int64_t qs[4] = {1, 1, 1, 64}, ks[4] = {1, 1, 16384, 64}, q3[4] = {1, 2, 300, 64}, k3[4] = {1, 2, 300, 64};
    vkattn_tensor *q = th_tensor(ctx, VKATTN_F32, 4, qs, NULL), *k = th_tensor(ctx, VKATTN_F32, 4, ks, NULL);
    vkattn_tensor *o = th_tensor(ctx, VKATTN_F32, 4, qs, NULL);
    vkattn_attention_plan pl;
    CHECK_OK(ctx, vkattn_attention_get_plan(ctx, q, k, k, o, NULL, &pl));
    CHECK(pl.impl == VKATTN_ATTN_DECODE, "AUTO for one query over 16k keys should be decode, is %d", (int)pl.impl);
    /* split count from the device's parallelism, each split at least 32 keys */
    CHECK(pl.decode_splits >= 2 && pl.decode_splits <= 16384 / 32, "decode splits %u", pl.decode_splits);
    if (info->compute_units && info->subgroup_size)
        CHECK(pl.decode_splits >= info->compute_units, "decode splits %u < %u compute units", pl.decode_splits,
              info->compute_units);
    CHECK(pl.scratch_bytes == (uint64_t)pl.decode_splits * (64 + 2) * 4, "decode scratch %llu",
          (unsigned long long)pl.scratch_bytes);
    CHECK(pl.scores_bytes == 16384 * 4, "scores bytes %llu", (unsigned long long)pl.scores_bytes);
    vkattn_attention_desc flash = {.impl = VKATTN_ATTN_FLASH};
    CHECK_OK(ctx, vkattn_attention_get_plan(ctx, q, k, k, o, &flash, &pl));
    CHECK(pl.impl == VKATTN_ATTN_FLASH && pl.scratch_bytes == 0 && pl.decode_splits == 0, "flash plan");
    vkattn_tensor *q2 = th_tensor(ctx, VKATTN_F32, 4, q3, NULL), *k2 = th_tensor(ctx, VKATTN_F32, 4, k3, NULL);
    vkattn_tensor *o2 = th_tensor(ctx, VKATTN_F32, 4, q3, NULL);
    vkattn_attention_desc three = {.impl = VKATTN_ATTN_3PASS};
    CHECK_OK(ctx, vkattn_attention_get_plan(ctx, q2, k2, k2, o2, &three, &pl));
    CHECK(pl.impl == VKATTN_ATTN_3PASS && pl.scratch_bytes >= 2 * 300 * 300 * 4 && pl.scores_bytes == 2 * 300 * 300 * 4,
          "3-pass plan: scratch %llu", (unsigned long long)pl.scratch_bytes);
    CHECK(vkattn_attention_get_plan(ctx, q, k, k, o, NULL, NULL) == VKATTN_ERROR_INVALID_ARGUMENT, "NULL plan");
    CHECK(vkattn_attention_get_plan(ctx, q, k, k, o2, NULL, &pl) == VKATTN_ERROR_INVALID_ARGUMENT, "o shape mismatch");
    CHECK(vkattn_attention_get_plan(NULL, q, k, k, o, NULL, &pl) == VKATTN_ERROR_INVALID_ARGUMENT, "NULL ctx");
    vkattn_tensor_destroy(q), vkattn_tensor_destroy(k), vkattn_tensor_destroy(o);
    vkattn_tensor_destroy(q2), vkattn_tensor_destroy(k2), vkattn_tensor_destroy(o2);
}

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
        /* f16 on every device: float16_t with 16-bit storage, packed words without (SwiftShader, the
         * fallback device); GQA, strided views and masks so neighbouring halves of a word belong to
         * different heads and rows */
        {2, 8, 2, 21, 77, 40, 40, .causal = 1, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F16, .impl = VKATTN_ATTN_3PASS, .probs = 1},
        {2, 8, 2, 21, 77, 40, 40, .causal = 1, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F16, .impl = VKATTN_ATTN_FLASH},
        {2, 8, 2, 3, 77, 40, 40, .causal = 1, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F16, .impl = VKATTN_ATTN_DECODE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(ctx, &cases[i]);
    /* sliding windows (Gemma 2/3, Phi-3) and score soft-capping (Gemma 2) on each implementation: prefill
     * (Lq == Lk, windows shorter than a flash workgroup's rows and longer), decode over a cache whose window
     * starts inside a split, and the two together with GQA, f16 and strided views */
    attn_case window_cases[] = {
        {1, 2, 1, 70, 70, 32, 32, .causal = 1, .window = 5, .dt = VKATTN_F32, .impl = VKATTN_ATTN_3PASS, .probs = 1},
        {1, 2, 1, 70, 70, 32, 32, .causal = 1, .window = 5, .dt = VKATTN_F32, .impl = VKATTN_ATTN_FLASH},
        {1, 2, 1, 70, 90, 32, 32, .causal = 1, .window = 37, .dt = VKATTN_F32, .impl = VKATTN_ATTN_FLASH},
        {1, 4, 2, 2, 300, 64, 64, .causal = 1, .window = 100, .dt = VKATTN_F32, .impl = VKATTN_ATTN_DECODE},
        {1, 4, 2, 1, 300, 64, 64, .causal = 1, .window = 300, .dt = VKATTN_F32, .impl = VKATTN_ATTN_DECODE},
        {2, 4, 2, 33, 33, 40, 40, .causal = 1, .window = 9, .softcap = 2.0f, .amp = 3, .view = VIEW_BLHD, .dt = VKATTN_F32,
         .impl = VKATTN_ATTN_3PASS},
        {2, 4, 2, 33, 33, 40, 40, .causal = 1, .window = 9, .softcap = 2.0f, .amp = 3, .view = VIEW_BLHD, .dt = VKATTN_F32,
         .impl = VKATTN_ATTN_FLASH},
        {2, 4, 2, 3, 280, 40, 40, .causal = 1, .window = 50, .softcap = 2.0f, .amp = 3, .view = VIEW_BLHD, .dt = VKATTN_F32,
         .impl = VKATTN_ATTN_DECODE},
        {1, 2, 1, 20, 20, 256, 256, .causal = 1, .window = 6, .softcap = 1.0f, .dt = VKATTN_F16, .impl = VKATTN_ATTN_FLASH},
    };
    for (size_t i = 0; i < sizeof window_cases / sizeof window_cases[0]; i++) run_case(ctx, &window_cases[i]);
    /* long key walks: lavapipe ends a shader after 65535 loop iterations in total, which once
     * truncated these silently (flash after a few hundred keys, decode splits of 512) */
    attn_case long_cases[] = {
        {1, 1, 1, 40, 16384, 64, 64, .causal = 1, .dt = VKATTN_F32, .impl = VKATTN_ATTN_FLASH},
        {1, 1, 1, 3, 16384, 128, 128, .dt = VKATTN_F32, .impl = VKATTN_ATTN_FLASH},
        {1, 2, 2, 1, 16384, 64, 64, .dt = VKATTN_F32, .impl = VKATTN_ATTN_DECODE},
        {1, 4, 1, 2, 16384, 40, 40, .causal = 1, .dt = VKATTN_F32, .impl = VKATTN_ATTN_DECODE},
    };
    for (size_t i = 0; i < sizeof long_cases / sizeof long_cases[0]; i++) run_case(ctx, &long_cases[i]);
    test_plan(ctx);
    return th_finish(ctx);
}
