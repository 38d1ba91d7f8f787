/* Test-only fault injection. VKATTN_FAULT=<kind>:<N> makes the Nth call of that kind in a context fail
 * (<kind>:<N>+ : the Nth and every later one, as memory that stays exhausted) with
 * the error a driver returns there: alloc (vkAllocateMemory: VK_ERROR_OUT_OF_DEVICE_MEMORY), map (vkMapMemory:
 * VK_ERROR_MEMORY_MAP_FAILED), submit (vkQueueSubmit: VK_ERROR_OUT_OF_DEVICE_MEMORY), wait (the fence wait:
 * VK_ERROR_DEVICE_LOST, reported after the real wait so the queue is idle as after a real loss). Read when the
 * context is created; tests/gpu_faults.c walks N over a model load and a generation. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    VkResult result;
} kinds[VKATTN__FAULT_KINDS] = {
    {"alloc", VK_ERROR_OUT_OF_DEVICE_MEMORY},
    {"map", VK_ERROR_MEMORY_MAP_FAILED},
    {"submit", VK_ERROR_OUT_OF_DEVICE_MEMORY},
    {"wait", VK_ERROR_DEVICE_LOST},
};

vkattn_status vkattn__fault_init(vkattn_context *ctx) {
    const char *v = getenv("VKATTN_FAULT");
    ctx->fault_kind = -1;
    if (!v || !*v) return VKATTN_OK;
    for (int k = 0; k < VKATTN__FAULT_KINDS; k++) {
        size_t n = strlen(kinds[k].name);
        char *end;
        if (strncmp(v, kinds[k].name, n) != 0 || v[n] != ':' || v[n + 1] < '1' || v[n + 1] > '9') continue;
        ctx->fault_at = strtoull(v + n + 1, &end, 10);
        ctx->fault_sticky = *end == '+';
        if (*end && strcmp(end, "+") != 0) break;
        ctx->fault_kind = k;
        return VKATTN_OK;
    }
    return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                        "VKATTN_FAULT=%s: expected alloc, map, submit or wait, ':' and N >= 1, optionally '+' (a test-only switch)", v);
}

VkResult vkattn__fault(vkattn_context *ctx, vkattn__fault_kind kind) {
    const uint64_t n = ++ctx->fault_calls[kind];
    const int hit = (int)kind == ctx->fault_kind && (n == ctx->fault_at || (ctx->fault_sticky && n > ctx->fault_at));
    return hit ? kinds[kind].result : VK_SUCCESS;
}
