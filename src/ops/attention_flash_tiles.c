/* Flash attention shaped for GPUs (shaders/attention_flash_tiles.comp): Br x Bc tiles with
 * several lanes per query row, so no invocation holds a whole head of q and of the output
 * (attention_flash's one row per invocation holds D + Dv floats: 256 at D = 128, which spills
 * on NVIDIA and AMD). attention.c chooses it for GPUs; docs/gpu-next.md has the budget per
 * vendor. */
#include "attention.h"

/* Shared floats of a plan: the K-then-V tile, the partial dots and the scores. */
static uint32_t tiles_shared_bytes(uint32_t kw, uint32_t br, uint32_t lanes, uint32_t bc) {
    return 4 * (bc * kw + br * lanes * bc + br * bc);
}

int attn_tiles_pick(const vkattn_device_info *info, uint32_t D, uint32_t Dv, attn_tiles_plan *plan) {
    uint32_t kw = D > Dv ? D : Dv;
    /* lanes per row: at most 16 q and 16 output floats per lane (D = 128: 8 lanes, D = 256: 16) */
    uint32_t lanes = 1;
    while (lanes < 16 && vkattn__div_up(kw, lanes) > 16) lanes *= 2;
    uint32_t max_wg = info->max_workgroup_invocations < 128 ? info->max_workgroup_invocations : 128;
    if (info->max_workgroup_size[0] && info->max_workgroup_size[0] < max_wg) max_wg = info->max_workgroup_size[0];
    /* 16 KiB keeps several workgroups resident per core on every vendor (and is the spec minimum) */
    uint32_t budget = info->shared_memory_bytes < 16384 ? info->shared_memory_bytes : 16384;
    /* 16 keys a tile where they fit (fewer barriers per key), then 128 invocations before 64 */
    for (uint32_t bc = 16; bc >= 1; bc /= 2)
        for (uint32_t wg = 128; wg >= 32; wg /= 2) {
            if (wg > max_wg || wg < lanes) continue;
            uint32_t br = wg / lanes, bytes = tiles_shared_bytes(kw, br, lanes, bc);
            if (bytes > budget) continue;
            *plan = (attn_tiles_plan){.br = br, .bc = bc, .lanes = lanes, .wg = wg, .shared_bytes = bytes};
            return 1;
        }
    return 0;
}

vkattn_status attn_flash_tiles(const attn_problem *a, const attn_tiles_plan *t) {
    attn_push p;
    attn_fill_push(a, &p);
    char name[48];
    vkattn__dispatch d = {.shader = attn_shader(name, sizeof name, a, "attention_flash_tiles", "_f16"),
                          .label = "attention_flash_tiles",
                          .spec = {t->wg, a->D, a->Dv, t->bc, t->lanes, t->br, 0, vkattn__f32_bits(a->softcap)},
                          .n_spec = 8, .push = &p, .push_size = sizeof p};
    attn_fused_args(a, a->o, &d);
    d.groups[0] = vkattn__div_up(a->Lq, t->br);
    d.groups[1] = 1;
    d.groups[2] = a->B * a->Hq;
    return vkattn__record(a->ctx, &d);
}
