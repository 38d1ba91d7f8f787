/* vkattn_context_get_plan: what a context chose for its device (memory placement, GEMM kernels,
 * subgroup requirements), from the same functions the ops use, for `vkattn selftest` and bug
 * reports. */
#include "opsutil.h"
#include "linear.h"

#include <stdlib.h>

void vkattn_context_get_plan(const vkattn_context *ctx, vkattn_context_plan *plan) {
    memset(plan, 0, sizeof *plan);
    if (!ctx) return;
    const vkattn_device_info *info = &ctx->info;
    plan->tensor_memory_type = ctx->memory_type;
    plan->tensor_memory_flags = ctx->memory_props.memoryTypes[ctx->memory_type].propertyFlags;
    plan->staging_memory_type = ctx->staging_type;
    plan->staging_memory_flags = ctx->memory_props.memoryTypes[ctx->staging_type].propertyFlags;
    plan->unified_memory = ctx->unified; /* memory.c maps tensor blocks */
    plan->block_bytes = ctx->block_size;

    const char *force = getenv("VKATTN_GEMM");
    vkattn__gemm_profile g1 = {0}, gn = {0}, gf = {0}, ks = {0};
    if (vkattn__gemm_pick(info, 1, force, &g1) && vkattn__gemm_pick(info, 64, force, &gn) &&
        vkattn__gemm_pick(info, VKATTN__GEMV_MAX_M, force, &gf)) {
        plan->gemm_m1 = g1.shader;
        plan->gemm_mn = gn.shader;
        plan->gemm_few = gf.shader;
    } else {
        plan->gemm_m1 = plan->gemm_mn = plan->gemm_few = "invalid $VKATTN_GEMM";
    }
    plan->gemm_ks_available = vkattn__gemm_pick(info, 1, "ks", &ks) && !strcmp(ks.shader, "gemm_ks");
    /* gemm_ks's planned size, else the row reductions' (norm, softmax, argmax: workgroups of 256 at most) */
    uint32_t wg = 0;
    if (plan->gemm_ks_available) plan->subgroup_planned = ks.sg, wg = ks.wg;
    else if (info->subgroup_arithmetic) plan->subgroup_planned = info->subgroup_size, wg = ou_wg(ctx, 256);
    plan->subgroup_required = vkattn__required_subgroup(info, plan->subgroup_planned, wg);
    plan->full_subgroups = plan->subgroup_required && info->full_subgroups && wg % plan->subgroup_required == 0;
    plan->test_idle_lanes = ctx->test_idle_lanes;
    plan->test_device_type = ctx->test_device_type;
}
