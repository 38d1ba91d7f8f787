/* The GPU-shaped split-K decode (attention_decode_lanes.comp), forced on the CPU drivers with
 * VKATTN_ATTN_KV=tiles, against the C reference (tolerances: attention_cases.h): GQA groups 1..8,
 * 1..8 queries, every mask shape, kv_len (0 included) and rows that see no key, sliding windows,
 * soft-capping, f16 (packed words without 16-bit storage), strided views, head dims 40 / 64 / 128
 * / 256 and odd ones, Dv != D, and a cache of several thousand keys in several splits. Only
 * shared-memory reductions, so no partial-subgroup (idle lanes) variant is needed. */
#include "attention_cases.h"
#include "ops/attention.h"

#include <stdlib.h>

/* The forced kernel is the one the plan takes; splits and scratch as the combine pass reads them. */
static void test_plan(vkattn_context *ctx) {
    const vkattn_device_info *info = vkattn_context_device(ctx);
    attn_lanes_plan lp;
    CHECK(attn_decode_lanes_pick(info, ATTN_KV_TILES, 128, 128, 8, &lp), "tiles not taken on %s", info->name);
    CHECK(lp.wg % lp.bc == 0 && lp.rows >= 1 && lp.shared_bytes <= info->shared_memory_bytes, "plan wg %u bc %u rows %u shared %u",
          lp.wg, lp.bc, lp.rows, lp.shared_bytes);
    CHECK(!attn_decode_lanes_pick(info, ATTN_KV_DIRECT, 128, 128, 8, &lp), "direct takes the per-invocation kernel");
    int64_t qs[4] = {1, 4, 1, 64}, ks[4] = {1, 1, 6000, 64};
    vkattn_tensor *q = th_tensor(ctx, VKATTN_F32, 4, qs, NULL), *k = th_tensor(ctx, VKATTN_F32, 4, ks, NULL);
    vkattn_tensor *o = th_tensor(ctx, VKATTN_F32, 4, qs, NULL);
    vkattn_attention_plan pl;
    CHECK_OK(ctx, vkattn_attention_get_plan(ctx, q, k, k, o, NULL, &pl));
    CHECK(pl.impl == VKATTN_ATTN_DECODE && pl.decode_splits >= 2 && pl.decode_splits <= 6000 / 64, "decode splits %u",
          pl.decode_splits);
    CHECK(pl.scratch_bytes == (uint64_t)4 * pl.decode_splits * (64 + 2) * 4, "decode scratch %llu",
          (unsigned long long)pl.scratch_bytes);
    /* an unknown value is refused with the values it takes */
    setenv("VKATTN_ATTN_KV", "tile", 1);
    vkattn_status st = vkattn_attention(ctx, q, k, k, o, NULL);
    CHECK(st == VKATTN_ERROR_INVALID_ARGUMENT && strstr(vkattn_context_error(ctx), "tiles"), "VKATTN_ATTN_KV=tile: %s: %s",
          vkattn_status_string(st), vkattn_context_error(ctx));
    setenv("VKATTN_ATTN_KV", "tiles", 1);
    vkattn_tensor_destroy(q), vkattn_tensor_destroy(k), vkattn_tensor_destroy(o);
}

int main(void) {
    setenv("VKATTN_ATTN_KV", "tiles", 1);
    vkattn_context *ctx = th_context();
    th_seed(15);
    const vkattn_attn_impl DEC = VKATTN_ATTN_DECODE;
    attn_case cases[] = {
        /* group 1, one query, several splits */
        {1, 2, 2, 1, 300, 64, 64, .dt = VKATTN_F32, .impl = DEC},
        /* group 2 x 3 queries, causal, mask [B,1,Lq,Lk] with a row of -inf, kv_len (batch 1: 0 keys), [B,L,H,D] views */
        {2, 8, 4, 3, 200, 40, 40, .causal = 1, .mask = MASK_B1, .kvlen = 1, .masked_rows = 1, .view = VIEW_BLHD, .dt = VKATTN_F32, .impl = DEC},
        /* group 4 x 2 queries, per-head mask, f16 */
        {1, 8, 2, 2, 150, 128, 128, .mask = MASK_BH, .dt = VKATTN_F16, .impl = DEC},
        /* group 8 x 8 queries: 64 rows in chunks; mask [Lq,Lk]; Dv < D */
        {1, 8, 1, 8, 130, 64, 32, .causal = 1, .mask = MASK_2D, .dt = VKATTN_F32, .impl = DEC},
        /* odd head dims (scalar loads), Dv != D, 5 queries, soft-capping */
        {1, 2, 1, 5, 100, 33, 17, .softcap = 3.0f, .amp = 2, .dt = VKATTN_F32, .impl = DEC},
        /* sliding window starting inside a split, soft-capping, GQA, views */
        {2, 4, 2, 3, 280, 40, 40, .causal = 1, .window = 50, .softcap = 2.0f, .amp = 3, .view = VIEW_BLHD, .dt = VKATTN_F32,
         .impl = DEC},
        /* D 256 in f16 with a window; f16 [B,L,H,D] views with a mask (neighbouring halves of a word in different heads) */
        {1, 2, 1, 1, 200, 256, 256, .causal = 1, .window = 70, .softcap = 1.0f, .dt = VKATTN_F16, .impl = DEC},
        {2, 4, 2, 2, 100, 64, 64, .causal = 1, .mask = MASK_B1, .kvlen = 1, .view = VIEW_BLHD, .dt = VKATTN_F16, .impl = DEC},
        /* a long cache in several splits, kv_len cutting batch 0 at half */
        {2, 4, 1, 1, 5000, 128, 128, .kvlen = 1, .dt = VKATTN_F32, .impl = DEC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(ctx, &cases[i]);
    test_plan(ctx);
    return th_finish(ctx);
}
