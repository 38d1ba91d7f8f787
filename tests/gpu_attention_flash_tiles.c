/* GPU-shaped flash attention (attention_flash_tiles: Br x Bc tiles, several lanes per query
 * row), forced with VKATTN_ATTN_KV=tiles on the CPU drivers, against the C reference. Shapes
 * are small: shared memory and barriers are emulated (slowly) there. The tile plan for each
 * head dim on these devices: Br 32 / 4 lanes / Bc 16 at D 64 and 40, Br 8 / 8 lanes / Bc 16 at
 * D 128, Br 8 / 16 lanes / Bc 8 at D 256 (attn_tiles_pick; tests/host_device_plan.c checks it
 * on other devices), so the row and key counts below leave partial tiles. */
#include "attention_cases.h"
#include "ops/attention.h"

#include <stdlib.h>

#define FLASH .impl = VKATTN_ATTN_FLASH

int main(void) {
    setenv("VKATTN_ATTN_KV", "tiles", 1);
    vkattn_context *ctx = th_context();
    th_seed(7);
    /* five pipelines (llvmpipe takes seconds to compile each unrolled one), many options a case */
    attn_case cases[] = {
        /* D 64: causal with Lk > Lq (bottom-right aligned), GQA, a [Lq,Lk] mask, [B,L,H,D] views */
        {2, 4, 2, 37, 53, 64, 64, .causal = 1, .mask = MASK_2D, .view = VIEW_BLHD, .dt = VKATTN_F32, FLASH},
        /* cross attention with fewer keys than queries, a per-head mask */
        {1, 2, 1, 45, 29, 64, 64, .mask = MASK_BH, .dt = VKATTN_F32, FLASH},
        /* causal with Lk < Lq: the first rows see no key */
        {1, 1, 1, 40, 23, 64, 64, .causal = 1, .dt = VKATTN_F32, FLASH},
        /* a fused QKV buffer (self-attention) */
        {1, 2, 2, 18, 18, 64, 64, .causal = 1, .view = VIEW_FUSED, .dt = VKATTN_F32, FLASH},
        /* 256 tiles: lavapipe ends a shader after 65535 loop iterations, so this passes only if every
         * loop inside a tile is unrolled (the host budgets one iteration per tile) */
        {1, 1, 1, 20, 4096, 64, 64, .dt = VKATTN_F32, FLASH},
        /* D 40: sliding window, soft-capping, a [B,1,Lq,Lk] mask, kv_len (batch 1 sees nothing), a
         * fully masked row, views */
        {2, 4, 2, 33, 45, 40, 40, .causal = 1, .window = 9, .softcap = 2.0f, .amp = 3, .mask = MASK_B1, .kvlen = 1,
         .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F32, FLASH},
        /* f16 storage (float16_t with 16-bit storage on lavapipe, packed words on SwiftShader and the
         * fallback device) with GQA, views and masks, so neighbouring halves of a word belong to other
         * heads and rows: D 256 with window and soft-capping, D 128 with Dv 40 */
        {2, 4, 2, 21, 37, 256, 256, .causal = 1, .window = 6, .softcap = 1.0f, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1,
         .view = VIEW_BLHD, .dt = VKATTN_F16, FLASH},
        {1, 2, 1, 17, 26, 128, 40, .causal = 1, .view = VIEW_BLHD, .dt = VKATTN_F16, FLASH},
        /* odd head dims (features not a multiple of the lanes), Dv != D */
        {1, 2, 1, 9, 13, 33, 17, .mask = MASK_BH, .kvlen = 1, .dt = VKATTN_F32, FLASH},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        attn_tiles_plan tp;
        CHECK(attn_tiles_pick(vkattn_context_device(ctx), (uint32_t)cases[i].D, (uint32_t)cases[i].Dv, &tp),
              "no tile plan for D %d Dv %d", cases[i].D, cases[i].Dv);
        run_case(ctx, &cases[i]);
    }

    /* an unknown VKATTN_ATTN_KV is refused with a message naming the values */
    setenv("VKATTN_ATTN_KV", "tile", 1);
    int64_t s[4] = {1, 1, 4, 16};
    vkattn_tensor *q = th_tensor(ctx, VKATTN_F32, 4, s, NULL), *o = th_tensor(ctx, VKATTN_F32, 4, s, NULL);
    vkattn_attention_desc desc = {FLASH};
    CHECK(vkattn_attention(ctx, q, q, q, o, &desc) == VKATTN_ERROR_INVALID_ARGUMENT, "VKATTN_ATTN_KV=tile accepted");
    CHECK(strstr(vkattn_context_error(ctx), "shared, direct or tiles") != NULL, "message: %s", vkattn_context_error(ctx));
    vkattn_tensor_destroy(q), vkattn_tensor_destroy(o);
    return th_finish(ctx);
}
