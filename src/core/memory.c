/* Device memory: large blocks, each one VkDeviceMemory with one VkBuffer over
 * it, suballocated first-fit with coalescing free lists. Tensors are
 * (block, offset, size). On unified-memory devices the blocks are host-visible
 * and mapped, so uploads are a memcpy; elsewhere a staging block is used. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024ull * 1024ull)

static uint32_t find_type(const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits, VkMemoryPropertyFlags want,
                          VkMemoryPropertyFlags avoid) {
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = mp->memoryTypes[i].propertyFlags;
        if ((bits & (1u << i)) && (f & want) == want && !(f & avoid)) return i;
    }
    return UINT32_MAX;
}

/* Never used: lazily allocated and protected memory, and AMD's device-coherent / device-uncached
 * types (slow for ordinary access; meant for debugging markers). */
#define AVOID                                                                                                 \
    (VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT | VK_MEMORY_PROPERTY_PROTECTED_BIT |                             \
     VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD | VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD)

int vkattn__plan_memory(vkattn_device_type type, const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits,
                        vkattn__memory_plan *out) {
    const VkMemoryPropertyFlags DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                HC = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, CACHED = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    memset(out, 0, sizeof *out);
    out->tensor_type = out->staging_type = UINT32_MAX;
    /* Unified only where device memory is system memory: integrated GPUs and CPU drivers.
     * There tensors live in mapped device-local memory (cached for the host's reads where
     * offered). A discrete GPU with resizable BAR also has host-visible device-local memory,
     * but the host reads it uncached over PCIe: it keeps device-local tensors and staging. */
    if (type == VKATTN_DEVICE_INTEGRATED || type == VKATTN_DEVICE_CPU) {
        uint32_t t = find_type(mp, bits, DL | HV | HC | CACHED, AVOID);
        if (t == UINT32_MAX) t = find_type(mp, bits, DL | HV | HC, AVOID);
        if (t != UINT32_MAX) {
            out->tensor_type = t;
            out->unified = 1;
        }
    }
    if (!out->unified) { /* device-local, preferably not host-visible (not the BAR window) */
        uint32_t t = find_type(mp, bits, DL, AVOID | HV);
        if (t == UINT32_MAX) t = find_type(mp, bits, DL, AVOID);
        if (t == UINT32_MAX) t = find_type(mp, bits, 0, AVOID);
        out->tensor_type = t;
    }
    /* Staging for uploads and downloads: host-cached system memory (downloads are host reads),
     * else any coherent host-visible type that is not device-local, else any coherent one. */
    uint32_t s = find_type(mp, bits, HV | HC | CACHED, AVOID | DL);
    if (s == UINT32_MAX) s = find_type(mp, bits, HV | HC | CACHED, AVOID);
    if (s == UINT32_MAX) s = find_type(mp, bits, HV | HC, AVOID | DL);
    if (s == UINT32_MAX) s = find_type(mp, bits, HV | HC, AVOID);
    out->staging_type = s;
    return out->tensor_type != UINT32_MAX && s != UINT32_MAX;
}

/* uniform: gemm_ubo reads slices of weights as uniform buffers */
static const VkBufferUsageFlags BUFFER_USAGE = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT |
                                               VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

vkattn_status vkattn__memory_init(vkattn_context *ctx) {
    /* Probe which memory types a storage buffer may live in. */
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 4096, .usage = BUFFER_USAGE};
    VkBuffer probe;
    VkResult r = ctx->vk.vkCreateBuffer(ctx->device, &bci, NULL, &probe);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkCreateBuffer");
    VkMemoryRequirements req;
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, probe, &req);
    ctx->vk.vkDestroyBuffer(ctx->device, probe, NULL);

    vkattn__memory_plan plan;
    if (!vkattn__plan_memory(ctx->info.type, &ctx->memory_props, req.memoryTypeBits, &plan))
        return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED,
                            "device \"%s\" exposes no memory type usable for storage buffers", ctx->info.name);
    ctx->memory_type = plan.tensor_type;
    ctx->staging_type = plan.staging_type;
    ctx->unified = plan.unified;

    /* Blocks of 256 MiB (64 MiB on devices with under 2 GiB), within the limits. */
    uint64_t bs = ctx->info.device_local_bytes < 2048 * MIB ? 64 * MIB : 256 * MIB;
    if (ctx->info.max_allocation_size && bs > ctx->info.max_allocation_size) bs = ctx->info.max_allocation_size;
    if (ctx->info.max_buffer_size && bs > ctx->info.max_buffer_size) bs = ctx->info.max_buffer_size;
    ctx->block_size = bs;
    return VKATTN_OK;
}

static void block_destroy(vkattn_context *ctx, vkattn__block *b) {
    if (!b) return;
    vkattn__range *r = b->free_list;
    while (r) {
        vkattn__range *n = r->next;
        free(r);
        r = n;
    }
    if (b->buffer) ctx->vk.vkDestroyBuffer(ctx->device, b->buffer, NULL);
    if (b->memory) ctx->vk.vkFreeMemory(ctx->device, b->memory, NULL);
    free(b);
}

/* map: the block is host-visible memory the host reads and writes (staging, or tensors on unified memory;
 * a discrete GPU's host-visible device-local memory is not mapped: host reads of it are uncached). */
static vkattn_status block_create(vkattn_context *ctx, uint64_t size, uint32_t type, int map, vkattn__block **out) {
    *out = NULL;
    vkattn__block *b = calloc(1, sizeof *b);
    if (!b) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size, .usage = BUFFER_USAGE};
    VkResult r = ctx->vk.vkCreateBuffer(ctx->device, &bci, NULL, &b->buffer);
    if (r != VK_SUCCESS) {
        free(b);
        return vkattn__vk_fail(ctx, r, "vkCreateBuffer");
    }
    VkMemoryRequirements req;
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, b->buffer, &req);
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size, .memoryTypeIndex = type};
    r = vkattn__fault(ctx, VKATTN__FAULT_ALLOC);
    if (r == VK_SUCCESS) r = ctx->vk.vkAllocateMemory(ctx->device, &mai, NULL, &b->memory);
    if (r == VK_SUCCESS) r = ctx->vk.vkBindBufferMemory(ctx->device, b->buffer, b->memory, 0);
    if (r == VK_SUCCESS && map && (ctx->memory_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
        (r = vkattn__fault(ctx, VKATTN__FAULT_MAP)) == VK_SUCCESS)
        r = ctx->vk.vkMapMemory(ctx->device, b->memory, 0, VK_WHOLE_SIZE, 0, (void **)&b->mapped);
    if (r != VK_SUCCESS) {
        block_destroy(ctx, b);
        if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
            return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_DEVICE_MEMORY,
                                "out of device memory allocating a %.1f MiB block (%.1f MiB in use of %.1f MiB "
                                "device-local); use a smaller model, context or batch",
                                (double)size / MIB, (double)ctx->bytes_reserved / MIB,
                                (double)ctx->info.device_local_bytes / MIB);
        return vkattn__vk_fail(ctx, r, "allocating device memory");
    }
    b->size = size;
    b->free_list = calloc(1, sizeof *b->free_list);
    if (!b->free_list) {
        block_destroy(ctx, b);
        return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    b->free_list->size = size;
    *out = b;
    return VKATTN_OK;
}

/* First fit inside one block; returns 1 on success. */
static int block_take(vkattn__block *b, uint64_t size, uint64_t align, uint64_t *offset) {
    for (vkattn__range **pr = &b->free_list; *pr; pr = &(*pr)->next) {
        vkattn__range *r = *pr;
        uint64_t start = (r->offset + align - 1) / align * align;
        if (start + size > r->offset + r->size) continue;
        uint64_t head = start - r->offset, tail = r->offset + r->size - (start + size);
        if (head && tail) {
            vkattn__range *t = malloc(sizeof *t);
            if (!t) return 0;
            t->offset = start + size;
            t->size = tail;
            t->next = r->next;
            r->next = t;
            r->size = head;
        } else if (head) {
            r->size = head;
        } else if (tail) {
            r->offset = start + size;
            r->size = tail;
        } else {
            *pr = r->next;
            free(r);
        }
        *offset = start;
        b->used += size;
        return 1;
    }
    return 0;
}

static void block_give(vkattn__block *b, uint64_t offset, uint64_t size) {
    b->used -= size;
    vkattn__range **pr = &b->free_list;
    while (*pr && (*pr)->offset < offset) pr = &(*pr)->next;
    vkattn__range *next = *pr;
    /* merge with the previous range? find it */
    vkattn__range *prev = NULL;
    for (vkattn__range *r = b->free_list; r && r != next; r = r->next) prev = r;
    if (prev && prev->offset + prev->size == offset) {
        prev->size += size;
        if (next && prev->offset + prev->size == next->offset) {
            prev->size += next->size;
            prev->next = next->next;
            free(next);
        }
        return;
    }
    if (next && offset + size == next->offset) {
        next->offset = offset;
        next->size += size;
        return;
    }
    vkattn__range *n = malloc(sizeof *n);
    if (!n) return; /* leaks the range inside the block; freed with the block */
    n->offset = offset;
    n->size = size;
    n->next = next;
    *pr = n;
}

vkattn_status vkattn__alloc_memory(vkattn_context *ctx, uint64_t size, vkattn__alloc *out) {
    memset(out, 0, sizeof *out);
    vkattn_status st = vkattn__wait_idle(ctx);
    if (st) return st;
    uint64_t align = ctx->info.min_storage_offset_alignment;
    if (align < 64) align = 64; /* also keeps vec4 loads aligned */
    size = (size + 15) / 16 * 16;  /* room for vec4 tails */
    if (size == 0) size = 16;
    uint64_t limit = ctx->info.max_allocation_size ? ctx->info.max_allocation_size : UINT64_MAX;
    if (ctx->info.max_buffer_size && ctx->info.max_buffer_size < limit) limit = ctx->info.max_buffer_size;
    if (size > limit)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE,
                            "tensor of %.1f MiB exceeds the device's largest allocation (%.1f MiB, "
                            "maxMemoryAllocationSize/maxBufferSize); split it",
                            (double)size / MIB, (double)limit / MIB);
    for (vkattn__block *b = ctx->blocks; b; b = b->next) {
        if (b->size - b->used < size) continue;
        if (block_take(b, size, align, &out->offset)) {
            out->block = b;
            out->size = size;
            goto done;
        }
    }
    vkattn__block *b;
    uint64_t bs = size > ctx->block_size ? size : ctx->block_size;
    st = block_create(ctx, bs, ctx->memory_type, ctx->unified, &b);
    if (st == VKATTN_ERROR_OUT_OF_DEVICE_MEMORY && bs > size) /* a smaller block may still fit */
        st = block_create(ctx, size, ctx->memory_type, ctx->unified, &b);
    if (st) return st;
    b->next = ctx->blocks;
    ctx->blocks = b;
    ctx->bytes_reserved += b->size;
    if (!block_take(b, size, align, &out->offset)) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    out->block = b;
    out->size = size;
done:
    ctx->bytes_in_use += size;
    if (ctx->bytes_in_use > ctx->bytes_peak) ctx->bytes_peak = ctx->bytes_in_use;
    return VKATTN_OK;
}

void vkattn__free(vkattn_context *ctx, vkattn__alloc *a) {
    if (!a->block) return;
    vkattn__block *b = a->block;
    block_give(b, a->offset, a->size);
    ctx->bytes_in_use -= a->size;
    a->block = NULL;
    if (b->used == 0 && b->size > ctx->block_size) {
        /* return oversized blocks at once; regular ones are reused */
        for (vkattn__block **pb = &ctx->blocks; *pb; pb = &(*pb)->next)
            if (*pb == b) {
                *pb = b->next;
                break;
            }
        ctx->bytes_reserved -= b->size;
        vkattn__wait_idle(ctx);
        block_destroy(ctx, b);
    }
}

vkattn_status vkattn__staging(vkattn_context *ctx, uint64_t size, vkattn__block **out) {
    if (!ctx->staging || ctx->staging->size < size) {
        block_destroy(ctx, ctx->staging);
        ctx->staging = NULL;
        uint64_t s = size < 16 * MIB ? 16 * MIB : size;
        vkattn_status st = block_create(ctx, s, ctx->staging_type, 1, &ctx->staging);
        if (st) return st;
    }
    *out = ctx->staging;
    return VKATTN_OK;
}

void vkattn__memory_shutdown(vkattn_context *ctx) {
    vkattn__block *b = ctx->blocks;
    while (b) {
        vkattn__block *n = b->next;
        block_destroy(ctx, b);
        b = n;
    }
    ctx->blocks = NULL;
    block_destroy(ctx, ctx->staging);
    ctx->staging = NULL;
}
