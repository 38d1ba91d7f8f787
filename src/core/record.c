/* Batches: ops record dispatches into one command buffer; vkattn_submit sends
 * it with one submit and one fence wait. A barrier is recorded only when a
 * dispatch touches memory that an earlier dispatch in the same barrier
 * interval wrote (read-after-write, write-after-write) or read (write-after-read). */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETS_PER_POOL 256u
#define QUERY_CHUNK 1024u

/* ---- lifetime ------------------------------------------------------------------ */

vkattn_status vkattn__record_init(vkattn_context *ctx) {
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = ctx->queue_family};
    VkResult r = ctx->vk.vkCreateCommandPool(ctx->device, &pci, NULL, &ctx->command_pool);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkCreateCommandPool");
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = ctx->command_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1};
    r = ctx->vk.vkAllocateCommandBuffers(ctx->device, &ai, &ctx->cmd);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkAllocateCommandBuffers");
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    r = ctx->vk.vkCreateFence(ctx->device, &fci, NULL, &ctx->fence);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkCreateFence");
    return VKATTN_OK;
}

/* Destroys the batch's temporaries (the batch has completed or was never submitted). */
static void scratch_release(vkattn_context *ctx) {
    for (uint32_t i = 0; i < ctx->scratch_count; i++) vkattn_tensor_destroy(ctx->scratch[i]);
    ctx->scratch_count = 0;
}

vkattn_status vkattn__scratch(vkattn_context *ctx, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape,
                              vkattn_tensor **out) {
    *out = NULL;
    if (!ctx->recording) return vkattn__fail(ctx, VKATTN_ERROR_STATE, "scratch tensor requested outside a batch");
    if (ctx->scratch_count == ctx->scratch_capacity) {
        uint32_t cap = ctx->scratch_capacity ? ctx->scratch_capacity * 2 : 16;
        vkattn_tensor **s = realloc(ctx->scratch, cap * sizeof *s);
        if (!s) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        ctx->scratch = s;
        ctx->scratch_capacity = cap;
    }
    vkattn_status st = vkattn_tensor_create(ctx, dtype, ndim, shape, out);
    if (st == VKATTN_OK) ctx->scratch[ctx->scratch_count++] = *out;
    return st;
}

void vkattn__record_shutdown(vkattn_context *ctx) {
    scratch_release(ctx);
    free(ctx->scratch);
    for (uint32_t i = 0; i < ctx->descpools.count; i++)
        ctx->vk.vkDestroyDescriptorPool(ctx->device, ctx->descpools.pools[i], NULL);
    free(ctx->descpools.pools);
    if (ctx->query_pool) ctx->vk.vkDestroyQueryPool(ctx->device, ctx->query_pool, NULL);
    if (ctx->fence) ctx->vk.vkDestroyFence(ctx->device, ctx->fence, NULL);
    if (ctx->command_pool) ctx->vk.vkDestroyCommandPool(ctx->device, ctx->command_pool, NULL);
    free(ctx->written.items);
    free(ctx->read.items);
    free(ctx->stamps);
    free(ctx->profile.entries);
}

vkattn_status vkattn__wait_idle(vkattn_context *ctx) {
    /* every batch waits for its fence before returning, so only device loss remains */
    if (ctx->device_lost)
        return vkattn__fail(ctx, VKATTN_ERROR_DEVICE_LOST, "the device was lost earlier; destroy and recreate the context");
    return VKATTN_OK;
}

/* ---- batches ------------------------------------------------------------------ */

vkattn_status vkattn_begin(vkattn_context *ctx) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "begin: ctx is NULL");
    if (ctx->recording) return vkattn__fail(ctx, VKATTN_ERROR_STATE, "begin: a batch is already open");
    vkattn_status st = vkattn__wait_idle(ctx);
    if (st) return st;
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult r = ctx->vk.vkResetCommandBuffer(ctx->cmd, 0);
    if (r == VK_SUCCESS) r = ctx->vk.vkBeginCommandBuffer(ctx->cmd, &bi);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkBeginCommandBuffer");
    for (uint32_t i = 0; i < ctx->descpools.count; i++) ctx->vk.vkResetDescriptorPool(ctx->device, ctx->descpools.pools[i], 0);
    ctx->descpools.current = 0;
    ctx->written.count = ctx->read.count = 0;
    ctx->query_count = 0;
    if (ctx->profiling && ctx->query_pool) ctx->vk.vkCmdResetQueryPool(ctx->cmd, ctx->query_pool, 0, ctx->query_capacity);
    ctx->recording = 1;
    return VKATTN_OK;
}

static void profile_add(vkattn_context *ctx, const char *label, double ms) {
    vkattn__profile *p = &ctx->profile;
    for (uint32_t i = 0; i < p->count; i++)
        if (strcmp(p->entries[i].label, label) == 0) {
            p->entries[i].count++;
            p->entries[i].total_ms += ms;
            return;
        }
    if (p->count == p->capacity) {
        uint32_t cap = p->capacity ? p->capacity * 2 : 32;
        vkattn_profile_entry *e = realloc(p->entries, cap * sizeof *e);
        if (!e) return;
        p->entries = e;
        p->capacity = cap;
    }
    vkattn_profile_entry *e = &p->entries[p->count++];
    memset(e, 0, sizeof *e);
    snprintf(e->label, sizeof e->label, "%s", label);
    e->count = 1;
    e->total_ms = ms;
}

static void collect_timestamps(vkattn_context *ctx) {
    if (!ctx->profiling || !ctx->query_count) return;
    uint64_t *ts = malloc(ctx->query_count * sizeof *ts);
    if (!ts) return;
    if (ctx->vk.vkGetQueryPoolResults(ctx->device, ctx->query_pool, 0, ctx->query_count, ctx->query_count * sizeof *ts, ts,
                                      sizeof *ts, VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS) {
        for (uint32_t i = 0; i < ctx->query_count / 2; i++) {
            const vkattn__stamp *s = &ctx->stamps[i];
            double ms = (double)(ts[s->query + 1] - ts[s->query]) * ctx->info.timestamp_period_ns * 1e-6;
            profile_add(ctx, s->label, ms);
        }
    }
    free(ts);
}

vkattn_status vkattn_submit(vkattn_context *ctx) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "submit: ctx is NULL");
    if (!ctx->recording) return vkattn__fail(ctx, VKATTN_ERROR_STATE, "submit: no batch is open (call vkattn_begin)");
    ctx->recording = 0;
    /* The fence makes the batch's work complete, not its writes visible: make shader and
     * transfer writes available to the host (mapped downloads), to transfers (staging
     * copies) and to the next batch's shaders. Host writes before the submit need nothing
     * (vkQueueSubmit makes them visible). */
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                                           VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
    ctx->vk.vkCmdPipelineBarrier(ctx->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0,
                                 1, &mb, 0, NULL, 0, NULL);
    VkResult r = ctx->vk.vkEndCommandBuffer(ctx->cmd);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkEndCommandBuffer");
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &ctx->cmd};
    r = vkattn__fault(ctx, VKATTN__FAULT_SUBMIT);
    if (r == VK_SUCCESS) r = ctx->vk.vkQueueSubmit(ctx->queue, 1, &si, ctx->fence);
    if (r != VK_SUCCESS) {
        scratch_release(ctx);
        return vkattn__vk_fail(ctx, r, "vkQueueSubmit");
    }
    r = ctx->vk.vkWaitForFences(ctx->device, 1, &ctx->fence, VK_TRUE, UINT64_MAX);
    if (r == VK_SUCCESS) r = vkattn__fault(ctx, VKATTN__FAULT_WAIT);
    ctx->vk.vkResetFences(ctx->device, 1, &ctx->fence);
    scratch_release(ctx);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "waiting for the batch");
    ctx->stats.submits++;
    collect_timestamps(ctx);
    return VKATTN_OK;
}

vkattn_status vkattn__op_begin(vkattn_context *ctx, int *implicit) {
    *implicit = 0;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "ctx is NULL");
    if (ctx->recording) return VKATTN_OK;
    *implicit = 1;
    return vkattn_begin(ctx);
}

vkattn_status vkattn__op_end(vkattn_context *ctx, int implicit, vkattn_status status) {
    if (!implicit) return status;
    if (status != VKATTN_OK) {
        /* keep the op's message; close the batch without running a partial op */
        char msg[1024];
        memcpy(msg, ctx->error, sizeof msg);
        ctx->recording = 0;
        ctx->vk.vkEndCommandBuffer(ctx->cmd);
        scratch_release(ctx);
        vkattn__fail(ctx, status, "%s", msg);
        return status;
    }
    return vkattn_submit(ctx);
}

vkattn_status vkattn__run_copy(vkattn_context *ctx, VkBuffer src, uint64_t src_off, VkBuffer dst, uint64_t dst_off,
                               uint64_t size) {
    vkattn_status st = vkattn_begin(ctx);
    if (st) return st;
    VkBufferCopy region = {src_off, dst_off, size};
    /* the previous batch's closing barrier ordered this copy after its shaders (a download's
     * SHADER_WRITE -> TRANSFER_READ); this batch's makes the copy visible to the host and to
     * later shaders (an upload's TRANSFER_WRITE -> SHADER_READ) */
    ctx->vk.vkCmdCopyBuffer(ctx->cmd, src, dst, 1, &region);
    return vkattn_submit(ctx);
}

/* ---- profiling ------------------------------------------------------------------ */

uint32_t vkattn_profile_get(const vkattn_context *ctx, vkattn_profile_entry *entries, uint32_t capacity) {
    if (!ctx) return 0;
    uint32_t n = ctx->profile.count < capacity ? ctx->profile.count : capacity;
    if (entries && n) memcpy(entries, ctx->profile.entries, n * sizeof *entries);
    return ctx->profile.count;
}

void vkattn_profile_reset(vkattn_context *ctx) {
    if (ctx) ctx->profile.count = 0;
}

static vkattn_status ensure_queries(vkattn_context *ctx, uint32_t need) {
    if (need <= ctx->query_capacity) return VKATTN_OK;
    /* Growing mid-batch would lose the reset already recorded: size generously
     * up front and refuse (but keep running without stamps) past that. */
    if (ctx->query_pool) return VKATTN_ERROR_TOO_LARGE;
    uint32_t cap = 16 * QUERY_CHUNK;
    VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO, .queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = cap};
    if (ctx->vk.vkCreateQueryPool(ctx->device, &qi, NULL, &ctx->query_pool) != VK_SUCCESS) return VKATTN_ERROR_UNSUPPORTED;
    vkattn__stamp *s = realloc(ctx->stamps, cap / 2 * sizeof *s);
    if (!s) return VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    ctx->stamps = s;
    ctx->query_capacity = cap;
    ctx->stamp_capacity = cap / 2;
    ctx->vk.vkCmdResetQueryPool(ctx->cmd, ctx->query_pool, 0, cap);
    return VKATTN_OK;
}

/* ---- descriptor sets ------------------------------------------------------------------ */

static vkattn_status alloc_set(vkattn_context *ctx, VkDescriptorSetLayout layout, VkDescriptorSet *set) {
    vkattn__descpools *dp = &ctx->descpools;
    for (;;) {
        if (dp->current < dp->count) {
            VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                              .descriptorPool = dp->pools[dp->current], .descriptorSetCount = 1,
                                              .pSetLayouts = &layout};
            VkResult r = ctx->vk.vkAllocateDescriptorSets(ctx->device, &ai, set);
            if (r == VK_SUCCESS) return VKATTN_OK;
            if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
                return vkattn__vk_fail(ctx, r, "vkAllocateDescriptorSets");
            dp->current++;
            continue;
        }
        if (dp->count == dp->capacity) {
            uint32_t cap = dp->capacity ? dp->capacity * 2 : 4;
            VkDescriptorPool *p = realloc(dp->pools, cap * sizeof *p);
            if (!p) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
            dp->pools = p;
            dp->capacity = cap;
        }
        VkDescriptorPoolSize size[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, SETS_PER_POOL * VKATTN__MAX_ARGS},
                                        {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, SETS_PER_POOL}};
        VkDescriptorPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO, .maxSets = SETS_PER_POOL,
                                         .poolSizeCount = 2, .pPoolSizes = size};
        VkResult r = ctx->vk.vkCreateDescriptorPool(ctx->device, &ci, NULL, &dp->pools[dp->count]);
        if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkCreateDescriptorPool");
        dp->current = dp->count++;
    }
}

/* ---- hazards ------------------------------------------------------------------ */

static int overlaps(const vkattn__spans *s, const vkattn__span *x) {
    for (uint32_t i = 0; i < s->count; i++)
        if (s->items[i].buffer == x->buffer && s->items[i].begin < x->end && x->begin < s->items[i].end) return 1;
    return 0;
}

static vkattn_status spans_add(vkattn_context *ctx, vkattn__spans *s, const vkattn__span *x) {
    if (s->count == s->capacity) {
        uint32_t cap = s->capacity ? s->capacity * 2 : 32;
        vkattn__span *n = realloc(s->items, cap * sizeof *n);
        if (!n) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        s->items = n;
        s->capacity = cap;
    }
    s->items[s->count++] = *x;
    return VKATTN_OK;
}

/* ---- dispatch ------------------------------------------------------------------ */

vkattn_status vkattn__record(vkattn_context *ctx, const vkattn__dispatch *d) {
    if (!ctx->recording) return vkattn__fail(ctx, VKATTN_ERROR_STATE, "%s: recorded outside a batch", d->shader);
    for (int i = 0; i < 3; i++) {
        uint32_t g = d->groups[i] ? d->groups[i] : 1;
        if (g > ctx->info.max_workgroup_count[i])
            return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE,
                                "%s: %u workgroups in dimension %d exceed the device limit %u; split the work", d->shader, g, i,
                                ctx->info.max_workgroup_count[i]);
    }
    if (d->groups[0] == 0 || d->groups[1] == 0 || d->groups[2] == 0) return VKATTN_OK; /* empty work */

    uint32_t uniform_mask = 0;
    for (uint32_t i = 0; i < d->n_args; i++)
        if (d->args[i].access & VKATTN__UNIFORM) uniform_mask |= 1u << i;
    vkattn__pipeline *p;
    vkattn_status st = vkattn__pipeline_get(ctx, d->shader, d->spec, d->n_spec, d->n_args, d->push_size, d->subgroup, uniform_mask, &p);
    if (st) return st;

    VkDescriptorBufferInfo bi[VKATTN__MAX_ARGS];
    vkattn__span spans[VKATTN__MAX_ARGS];
    int need_barrier = 0;
    for (uint32_t i = 0; i < d->n_args; i++) {
        const vkattn__arg *a = &d->args[i];
        if (!a->tensor) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: binding %u has no tensor", d->shader, i);
        const vkattn__alloc *al = &a->tensor->alloc;
        uint64_t off = al->offset + a->byte_offset;
        uint64_t size = a->size ? a->size : al->size - a->byte_offset;
        if (a->byte_offset + size > al->size)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: binding %u reaches past its tensor", d->shader, i);
        const int uniform = (a->access & VKATTN__UNIFORM) != 0;
        if (uniform && (size > ctx->info.max_uniform_buffer_range || off % ctx->info.min_uniform_offset_alignment))
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                                "%s: uniform binding %u (%llu bytes at %llu) exceeds maxUniformBufferRange or is misaligned",
                                d->shader, i, (unsigned long long)size, (unsigned long long)a->byte_offset);
        if (!uniform && size > ctx->info.max_storage_buffer_range)
            return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE,
                                "%s: binding %u spans %.1f MiB, over the device's maxStorageBufferRange of %.1f MiB; "
                                "this op cannot split it (use smaller tensors or a device with a larger limit)",
                                d->shader, i, size / 1048576.0, ctx->info.max_storage_buffer_range / 1048576.0);
        if (!uniform && a->byte_offset % ctx->info.min_storage_offset_alignment)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: binding %u offset not aligned", d->shader, i);
        bi[i] = (VkDescriptorBufferInfo){al->block->buffer, off, size};
        spans[i] = (vkattn__span){al->block->buffer, off, off + size};
        if (overlaps(&ctx->written, &spans[i])) need_barrier = 1;
        if ((a->access & VKATTN__WRITE) && overlaps(&ctx->read, &spans[i])) need_barrier = 1;
    }
    if (ctx->profiling && ctx->stats.dispatches) need_barrier = 1; /* serialize for per-kernel times */
    if (need_barrier) {
        VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
        ctx->vk.vkCmdPipelineBarrier(ctx->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                                     &mb, 0, NULL, 0, NULL);
        ctx->written.count = ctx->read.count = 0;
        ctx->stats.barriers++;
    }
    for (uint32_t i = 0; i < d->n_args; i++) {
        if (d->args[i].access & VKATTN__WRITE) st = spans_add(ctx, &ctx->written, &spans[i]);
        else st = spans_add(ctx, &ctx->read, &spans[i]);
        if (st) return st;
    }

    VkDescriptorSet set;
    if ((st = alloc_set(ctx, p->set_layout, &set))) return st;
    VkWriteDescriptorSet w[VKATTN__MAX_ARGS];
    for (uint32_t i = 0; i < d->n_args; i++)
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = set, .dstBinding = i,
                                      .descriptorCount = 1,
                                      .descriptorType = (uniform_mask >> i & 1) ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER
                                                                                : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &bi[i]};
    ctx->vk.vkUpdateDescriptorSets(ctx->device, d->n_args, w, 0, NULL);

    int stamp = ctx->profiling && ensure_queries(ctx, ctx->query_count + 2) == VKATTN_OK;
    if (stamp) {
        vkattn__stamp *s = &ctx->stamps[ctx->query_count / 2];
        snprintf(s->label, sizeof s->label, "%s", d->label ? d->label : d->shader);
        s->query = ctx->query_count;
        ctx->vk.vkCmdWriteTimestamp(ctx->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, ctx->query_pool, ctx->query_count++);
    }
    ctx->vk.vkCmdBindPipeline(ctx->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline);
    ctx->vk.vkCmdBindDescriptorSets(ctx->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &set, 0, NULL);
    if (d->push_size) ctx->vk.vkCmdPushConstants(ctx->cmd, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, d->push_size, d->push);
    ctx->vk.vkCmdDispatch(ctx->cmd, d->groups[0], d->groups[1], d->groups[2]);
    if (stamp)
        ctx->vk.vkCmdWriteTimestamp(ctx->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, ctx->query_pool, ctx->query_count++);
    ctx->stats.dispatches++;
    return VKATTN_OK;
}
