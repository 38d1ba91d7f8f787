/* Split-K decode attention shaped for GPUs (shaders/attention_decode_lanes.comp): one
 * workgroup per (batch, KV head, split of the keys, chunk of the KV group's query rows),
 * its lanes spread across D and Dv, each K/V tile staged in shared memory once for all
 * the chunk's rows. Writes the same partials as attention_decode.comp; attention.c runs
 * the combine pass. Chosen on GPUs; $VKATTN_ATTN_KV=tiles forces it anywhere. */
#include "attention.h"

/* Query rows per workgroup at most: acc[rows / row groups][Dv / 4 / lanes] vec4 per lane
 * stays <= 32 floats with 64 lanes (see docs/gpu-next.md for the per-vendor budget). */
#define MAX_ROWS 8u
/* Shared memory a workgroup takes at most, below the device's limit: two workgroups per
 * 64 KiB compute unit (AMD, Intel), the 32 KiB of mobile GPUs. */
#define SHARED_BUDGET 32768u

static uint32_t lanes_shared_bytes(uint32_t wg, uint32_t bc, uint32_t rows, uint32_t D, uint32_t Dv) {
    uint32_t d4 = (D + 3) / 4, dv4 = (Dv + 3) / 4, kst = d4 | 1; /* K rows padded to odd vec4s (banks) */
    return 16 * (rows * d4 + bc * kst + bc * dv4) + 4 * (rows * wg + rows * bc); /* q, K, V; partials, scores */
}

int attn_decode_lanes_pick(const vkattn_device_info *info, int kv, uint32_t D, uint32_t Dv, uint32_t group_rows,
                           attn_lanes_plan *plan) {
    memset(plan, 0, sizeof *plan);
    if (kv != ATTN_KV_TILES && (kv == ATTN_KV_DIRECT || !vkattn__is_gpu(info))) return 0;
    /* 64 lanes: 2 NVIDIA warps, one AMD wave64 (two wave32), 2-4 Intel SIMD16/32 threads, one
     * Adreno wave, 4 Mali warps. A power of two (the tile's keys divide it). */
    uint32_t wg = 64;
    while (wg > 1 && (wg > info->max_workgroup_invocations || (info->max_workgroup_size[0] && wg > info->max_workgroup_size[0])))
        wg /= 2;
    uint32_t rows = group_rows < MAX_ROWS ? group_rows : MAX_ROWS, bc = wg < 16 ? wg : 16;
    if (!rows) rows = 1;
    uint32_t budget = info->shared_memory_bytes < SHARED_BUDGET ? info->shared_memory_bytes : SHARED_BUDGET;
    /* shrink the tile to 8 keys, the rows to 4, the tile to 4 keys, then the rows further */
    while (lanes_shared_bytes(wg, bc, rows, D, Dv) > budget) {
        if (bc > 8 || (bc > 4 && rows <= 4)) bc /= 2;
        else if (rows > 1) rows = (rows + 1) / 2;
        else if (bc > 1) bc /= 2;
        else return 0;
    }
    plan->wg = wg, plan->bc = bc, plan->rows = rows;
    plan->shared_bytes = lanes_shared_bytes(wg, bc, rows, D, Dv);
    return 1;
}

uint32_t attn_decode_lanes_keys(const attn_problem *a, const attn_lanes_plan *plan, uint32_t max_per) {
    const vkattn_device_info *info = &a->ctx->info;
    uint64_t units = info->compute_units ? info->compute_units : 16;
    uint64_t groups = (uint64_t)a->B * a->Hkv * vkattn__div_up(a->Hq / a->Hkv * a->Lq, plan->rows);
    uint64_t nsplit = (units * 4 + groups - 1) / groups, min_per = plan->bc * 2 > 64 ? plan->bc * 2 : 64;
    uint64_t max_split = (a->Lk + min_per - 1) / min_per;
    if (nsplit > max_split) nsplit = max_split;
    if (nsplit < 1) nsplit = 1;
    uint32_t per = vkattn__div_up(a->Lk, (uint32_t)nsplit);
    return per < max_per ? per : max_per;
}

vkattn_status attn_decode_lanes(const attn_problem *a, const attn_lanes_plan *plan, vkattn_tensor *part, uint32_t per) {
    vkattn_context *ctx = a->ctx;
    const vkattn_device_info *info = &ctx->info;
    uint32_t nsplit = vkattn__div_up(a->Lk, per), chunks = vkattn__div_up(a->Hq / a->Hkv * a->Lq, plan->rows);
    if (nsplit > info->max_workgroup_count[0] || (uint64_t)a->Hkv * chunks > info->max_workgroup_count[1] ||
        a->B > info->max_workgroup_count[2])
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "attention (decode): %u splits x %u KV heads x %u row chunks x "
                            "batch %u exceed the device's workgroup counts; use flash or unset VKATTN_ATTN_KV",
                            nsplit, a->Hkv, chunks, a->B);
    attn_push p;
    attn_fill_push(a, &p);
    p.aux = per;
    char name[48];
    vkattn__dispatch d = {.shader = attn_shader(name, sizeof name, a, "attention_decode_lanes", "_f16"),
                          .label = "attention_decode_lanes",
                          .spec = {plan->wg, a->D, a->Dv, plan->bc, plan->rows, 0, attn_vec4_kv(a), vkattn__f32_bits(a->softcap)},
                          .n_spec = 8, .push = &p, .push_size = sizeof p};
    attn_fused_args(a, part, &d);
    d.groups[0] = nsplit;
    d.groups[1] = a->Hkv * chunks;
    d.groups[2] = a->B;
    return vkattn__record(ctx, &d);
}
