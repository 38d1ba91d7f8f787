/* Pipelines: created on first use from the embedded SPIR-V, cached per
 * (shader, specialization constants, bindings, push size), backed by a
 * VkPipelineCache persisted per device and driver. Cache data is checked
 * against the device's header before it is handed to the driver. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

const vkattn__spirv *vkattn__shader_find(const char *name) {
    for (size_t i = 0; i < vkattn__shader_count; i++)
        if (strcmp(vkattn__shaders[i].name, name) == 0) return &vkattn__shaders[i];
    return NULL;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- disk cache ------------------------------------------------------------------ */

static int mkdirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static void *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    void *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && n < (1l << 30) && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n))) {
            if (fread(data, 1, (size_t)n, f) != (size_t)n) {
                free(data);
                data = NULL;
            } else {
                *size = (size_t)n;
            }
        }
    }
    fclose(f);
    return data;
}

/* VkPipelineCacheHeaderVersionOne: length, version, vendor, device, uuid. */
static int cache_header_ok(const vkattn_context *ctx, const uint8_t *d, size_t n) {
    if (n < 32) return 0;
    uint32_t len, ver, vendor, device;
    memcpy(&len, d, 4);
    memcpy(&ver, d + 4, 4);
    memcpy(&vendor, d + 8, 4);
    memcpy(&device, d + 12, 4);
    return len >= 32 && len <= n && ver == VK_PIPELINE_CACHE_HEADER_VERSION_ONE && vendor == ctx->info.vendor_id &&
           device == ctx->info.device_id && memcmp(d + 16, ctx->info.uuid, 16) == 0;
}

void vkattn__pipelines_init(vkattn_context *ctx, const char *cache_dir) {
    char dir[900] = "";
    if (cache_dir) {
        snprintf(dir, sizeof dir, "%s", cache_dir);
    } else {
        /* $VKATTN_CACHE_DIR first: Android has neither $XDG_CACHE_HOME nor a writable $HOME
         * (an app passes its getCacheDir() as cache_dir instead) */
        const char *own = getenv("VKATTN_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (own && *own) snprintf(dir, sizeof dir, "%s", own);
        else if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/vkattn", xdg);
        else if (home && *home) snprintf(dir, sizeof dir, "%s/.cache/vkattn", home);
    }
    void *data = NULL;
    size_t size = 0;
    if (*dir) {
        char uuid[33];
        for (int i = 0; i < 16; i++) snprintf(uuid + 2 * i, 3, "%02x", ctx->info.uuid[i]);
        snprintf(ctx->cache_path, sizeof ctx->cache_path, "%s/%04x-%04x-%s-%08x.pipelines", dir, ctx->info.vendor_id,
                 ctx->info.device_id, uuid, ctx->info.driver_version);
        data = read_file(ctx->cache_path, &size);
        if (data && !cache_header_ok(ctx, data, size)) { /* foreign or corrupt: ignore */
            free(data);
            data = NULL;
            size = 0;
        }
    }
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO, .initialDataSize = size, .pInitialData = data};
    if (ctx->vk.vkCreatePipelineCache(ctx->device, &ci, NULL, &ctx->pipeline_cache) != VK_SUCCESS) {
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        free(data);
        data = NULL;
        if (ctx->vk.vkCreatePipelineCache(ctx->device, &ci, NULL, &ctx->pipeline_cache) != VK_SUCCESS)
            ctx->pipeline_cache = VK_NULL_HANDLE;
    }
    ctx->cache_loaded = data != NULL;
    free(data);
}

vkattn_status vkattn_context_save_cache(vkattn_context *ctx) {
    if (!ctx || !ctx->pipeline_cache || !ctx->cache_path[0] || !ctx->cache_dirty) return VKATTN_OK;
    size_t n = 0;
    VkResult r = ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->pipeline_cache, &n, NULL);
    if (r != VK_SUCCESS || n == 0) return VKATTN_OK;
    void *data = malloc(n);
    if (!data) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    r = ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->pipeline_cache, &n, data);
    vkattn_status st = VKATTN_OK;
    if (r == VK_SUCCESS) {
        char dir[1024], tmp[1100];
        snprintf(dir, sizeof dir, "%s", ctx->cache_path);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            mkdirs(dir);
        }
        /* write then rename: a crash never leaves a half-written cache */
        snprintf(tmp, sizeof tmp, "%s.%ld.tmp", ctx->cache_path, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        int ok = f && fwrite(data, 1, n, f) == n;
        if (f) ok = (fclose(f) == 0) && ok;
        if (ok && rename(tmp, ctx->cache_path) == 0) ctx->cache_dirty = 0;
        else {
            remove(tmp);
            st = vkattn__fail(ctx, VKATTN_ERROR_IO, "could not write the pipeline cache %s", ctx->cache_path);
        }
    }
    free(data);
    return st;
}

void vkattn__pipelines_shutdown(vkattn_context *ctx) {
    vkattn_context_save_cache(ctx);
    vkattn__pipeline *p = ctx->pipelines;
    while (p) {
        vkattn__pipeline *n = p->next;
        ctx->vk.vkDestroyPipeline(ctx->device, p->pipeline, NULL);
        ctx->vk.vkDestroyPipelineLayout(ctx->device, p->layout, NULL);
        ctx->vk.vkDestroyDescriptorSetLayout(ctx->device, p->set_layout, NULL);
        free(p);
        p = n;
    }
    ctx->pipelines = NULL;
    if (ctx->pipeline_cache) ctx->vk.vkDestroyPipelineCache(ctx->device, ctx->pipeline_cache, NULL);
}

/* ---- pipelines ------------------------------------------------------------------ */

int vkattn__limits_ok(const vkattn_device_info *info, uint32_t n_args, uint32_t wg, uint32_t push_size, char *why,
                      size_t why_size) {
    if (info->max_storage_buffers && n_args > info->max_storage_buffers)
        snprintf(why, why_size, "needs %u storage buffers per shader stage, the device allows %u "
                 "(maxPerStageDescriptorStorageBuffers)", n_args, info->max_storage_buffers);
    else if (push_size > info->max_push_constants)
        snprintf(why, why_size, "needs %u bytes of push constants, the device has %u", push_size, info->max_push_constants);
    else if (wg > info->max_workgroup_invocations || (info->max_workgroup_size[0] && wg > info->max_workgroup_size[0]))
        snprintf(why, why_size, "a workgroup of %u invocations exceeds the device's limits (%u invocations, x size %u)", wg,
                 info->max_workgroup_invocations, info->max_workgroup_size[0]);
    else
        return 1;
    return 0;
}

/* The subgroup size a pipeline is created with: `planned` (the size the host planned the
 * dispatch with) when the device can require it for compute, else 0 (the driver's choice). */
uint32_t vkattn__required_subgroup(const vkattn_device_info *info, uint32_t planned, uint32_t wg) {
    if (!planned || !info->subgroup_size_control || planned < info->subgroup_min || planned > info->subgroup_max ||
        (planned & (planned - 1)))
        return 0;
    if (info->max_workgroup_subgroups && vkattn__div_up(wg, planned) > info->max_workgroup_subgroups) return 0;
    return planned;
}

vkattn_status vkattn__pipeline_get(vkattn_context *ctx, const char *shader, const uint32_t *spec, uint32_t n_spec,
                                   uint32_t n_args, uint32_t push_size, uint32_t subgroup, uint32_t uniform_mask, vkattn__pipeline **out) {
    /* Full subgroups of the planned size where the device allows it: REQUIRE_FULL_SUBGROUPS
     * needs the workgroup size (constant_id 0 in every shader) to be a multiple of it. The
     * shaders stay correct without (they stride by the active lanes), this keeps them fast. */
    const uint32_t wg = n_spec ? spec[0] : 1;
    const uint32_t req = vkattn__required_subgroup(&ctx->info, subgroup, wg);
    const int full = req && ctx->info.full_subgroups && wg % req == 0;
    char key[160];
    int k = snprintf(key, sizeof key, "%s/%x/%u/%u/%u%s%s", shader, uniform_mask, n_args, push_size, req, full ? "f" : "",
                     ctx->test_idle_lanes ? "i" : "");
    for (uint32_t i = 0; i < n_spec && k > 0 && (size_t)k < sizeof key; i++)
        k += snprintf(key + k, sizeof key - (size_t)k, ",%x", spec[i]);
    if (k < 0 || (size_t)k >= sizeof key)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "pipeline key too long for %s", shader);
    for (vkattn__pipeline *p = ctx->pipelines; p; p = p->next)
        if (strcmp(p->key, key) == 0) {
            *out = p;
            return VKATTN_OK;
        }

    const vkattn__spirv *sp = vkattn__shader_find(shader);
    if (!sp) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "no embedded shader named \"%s\"", shader);
    char why[256];
    if (!vkattn__limits_ok(&ctx->info, n_args, wg, push_size, why, sizeof why))
        return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED, "%s: %s", shader, why);

    double t0 = now_ms();
    vkattn__pipeline *p = calloc(1, sizeof *p);
    if (!p) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    memcpy(p->key, key, sizeof key);
    p->n_args = n_args;
    p->push_size = push_size;

    VkDescriptorSetLayoutBinding b[VKATTN__MAX_ARGS];
    for (uint32_t i = 0; i < n_args; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                              .descriptorType = (uniform_mask >> i & 1) ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER
                                                                                        : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo dl = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, .bindingCount = n_args, .pBindings = b};
    VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = push_size};
    VkPipelineLayoutCreateInfo pl = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, .setLayoutCount = 1,
                                     .pSetLayouts = &p->set_layout, .pushConstantRangeCount = push_size ? 1 : 0,
                                     .pPushConstantRanges = &pr};
    VkShaderModuleCreateInfo sm = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = sp->size, .pCode = sp->code};
    VkSpecializationMapEntry entries[VKATTN__MAX_SPEC + 1];
    uint32_t values[VKATTN__MAX_SPEC + 1], n_entries = n_spec;
    for (uint32_t i = 0; i < n_spec; i++) {
        entries[i] = (VkSpecializationMapEntry){i, i * 4, 4};
        values[i] = spec[i];
    }
    if (ctx->test_idle_lanes) { /* test knob: subgroup kernels idle some lanes (constant_id 99, a bool) */
        entries[n_entries] = (VkSpecializationMapEntry){VKATTN__SPEC_IDLE_LANES, n_entries * 4, 4};
        values[n_entries++] = 1;
    }
    VkSpecializationInfo si = {.mapEntryCount = n_entries, .pMapEntries = entries, .dataSize = n_entries * 4, .pData = values};
    VkPipelineShaderStageRequiredSubgroupSizeCreateInfoEXT rss = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO_EXT, .requiredSubgroupSize = req};
    VkShaderModule module = VK_NULL_HANDLE;

    VkResult r = ctx->vk.vkCreateDescriptorSetLayout(ctx->device, &dl, NULL, &p->set_layout);
    if (r == VK_SUCCESS) r = ctx->vk.vkCreatePipelineLayout(ctx->device, &pl, NULL, &p->layout);
    if (r == VK_SUCCESS) r = ctx->vk.vkCreateShaderModule(ctx->device, &sm, NULL, &module);
    if (r == VK_SUCCESS) {
        VkComputePipelineCreateInfo ci = {
            .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
            .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .pNext = req ? &rss : NULL,
                      .flags = full ? VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT_EXT : 0,
                      .stage = VK_SHADER_STAGE_COMPUTE_BIT, .module = module, .pName = "main",
                      .pSpecializationInfo = n_entries ? &si : NULL},
            .layout = p->layout,
        };
        r = ctx->vk.vkCreateComputePipelines(ctx->device, ctx->pipeline_cache, 1, &ci, NULL, &p->pipeline);
    }
    if (module) ctx->vk.vkDestroyShaderModule(ctx->device, module, NULL);
    if (r != VK_SUCCESS) {
        if (p->layout) ctx->vk.vkDestroyPipelineLayout(ctx->device, p->layout, NULL);
        if (p->set_layout) ctx->vk.vkDestroyDescriptorSetLayout(ctx->device, p->set_layout, NULL);
        free(p);
        char what[200];
        snprintf(what, sizeof what, "creating the pipeline for shader %s", shader);
        return vkattn__vk_fail(ctx, r, what);
    }
    p->next = ctx->pipelines;
    ctx->pipelines = p;
    ctx->cache_dirty = 1;
    ctx->stats.pipelines_created++;
    ctx->stats.pipeline_create_ms += now_ms() - t0;
    *out = p;
    return VKATTN_OK;
}
