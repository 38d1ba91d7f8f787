/* Context: Vulkan instance, device choice, logical device, errors. */
#include "core.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------ */

/* vkattn__fail (base/error.c) writes a context's message as its first member. */
_Static_assert(offsetof(struct vkattn_context, error) == 0, "vkattn_context must start with its error message");

const char *vkattn__vk_result_string(VkResult r) {
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    default: return "VkResult error";
    }
}

vkattn_status vkattn__vk_fail(vkattn_context *ctx, VkResult r, const char *what) {
    switch (r) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
        return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "%s: out of host memory", what);
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_DEVICE_MEMORY,
                            "%s: out of device memory; free tensors, use a smaller model, context "
                            "or batch, or pick a device with more memory",
                            what);
    case VK_ERROR_DEVICE_LOST:
        if (ctx) ctx->device_lost = 1; /* every later call fails fast with the same status */
        return vkattn__fail(ctx, VKATTN_ERROR_DEVICE_LOST,
                            "%s: device lost (driver reset, hang or crash); destroy and recreate "
                            "the context. On mobile GPUs very long dispatches can cause this",
                            what);
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_LAYER_NOT_PRESENT:
        return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED, "%s: %s", what, vkattn__vk_result_string(r));
    default:
        return vkattn__fail(ctx, VKATTN_ERROR_VULKAN, "%s failed: %s (%d)", what,
                            vkattn__vk_result_string(r), (int)r);
    }
}


const vkattn_device_info *vkattn_context_device(const vkattn_context *ctx) { return ctx ? &ctx->info : NULL; }

uint32_t vkattn_context_validation_messages(const vkattn_context *ctx, char *first, size_t first_size) {
    if (!ctx) return 0;
    if (first && first_size) snprintf(first, first_size, "%s", ctx->validation_first);
    return ctx->validation_count;
}

void vkattn_context_stats(const vkattn_context *ctx, vkattn_stats *stats) {
    if (!ctx || !stats) return;
    *stats = ctx->stats;
    stats->device_bytes_in_use = ctx->bytes_in_use;
    stats->device_bytes_peak = ctx->bytes_peak;
    stats->device_bytes_reserved = ctx->bytes_reserved;
    stats->pipeline_cache_loaded = ctx->cache_loaded;
}

void vkattn_context_reset_peak(vkattn_context *ctx) {
    if (ctx) ctx->bytes_peak = ctx->bytes_in_use;
}

/* ---- instance ------------------------------------------------------------------ */

static VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                    VkDebugUtilsMessageTypeFlagsEXT types,
                                                    const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                    void *user) {
    (void)types;
    vkattn_context *ctx = user;
    if (!(severity & (VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)))
        return VK_FALSE;
    if (ctx->validation_count++ == 0)
        snprintf(ctx->validation_first, sizeof ctx->validation_first, "%s",
                 data && data->pMessage ? data->pMessage : "(no message)");
    return VK_FALSE;
}

static int has_layer(const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0) return 0;
    VkLayerProperties *props = calloc(n, sizeof *props);
    if (!props) return 0;
    int found = 0;
    if (vkEnumerateInstanceLayerProperties(&n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            if (strcmp(props[i].layerName, name) == 0) found = 1;
    free(props);
    return found;
}

/* An instance extension of the loader and drivers (layer NULL) or of a layer. */
static int has_instance_ext(const char *layer, const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, NULL) != VK_SUCCESS || n == 0) return 0;
    VkExtensionProperties *props = calloc(n, sizeof *props);
    if (!props) return 0;
    int found = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            if (strcmp(props[i].extensionName, name) == 0) found = 1;
    free(props);
    return found;
}

static int env_flag(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* Test knob $VKATTN_TEST_DEVICE_TYPE=discrete|integrated|virtual|cpu|other: the chosen device is planned
 * as that type, so CI's CPU drivers run what a GPU would: memory placement (a discrete GPU's device-local
 * tensors with staging copies), the GEMM and attention kernels chosen for GPUs, end to end. */
static vkattn_status test_device_type(vkattn_context *ctx) {
    const char *v = getenv("VKATTN_TEST_DEVICE_TYPE");
    if (!v || !*v) return VKATTN_OK;
    for (int t = VKATTN_DEVICE_OTHER; t <= VKATTN_DEVICE_CPU; t++)
        if (!strcmp(v, vkattn_device_type_string((vkattn_device_type)t))) {
            ctx->info.type = (vkattn_device_type)t;
            ctx->test_device_type = vkattn_device_type_string(ctx->info.type);
            return VKATTN_OK;
        }
    return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                        "VKATTN_TEST_DEVICE_TYPE must be discrete, integrated, virtual, cpu or other (is \"%s\")", v);
}

/* Creates an instance (Vulkan 1.1 at least, up to 1.3 when the loader has it).
 * ctx may be NULL (device listing). */
static vkattn_status create_instance(vkattn_context *ctx, int validation, VkInstance *out,
                                     uint32_t *api_out) {
    VkResult r = volkInitialize();
    if (r != VK_SUCCESS)
        return vkattn__fail(ctx, VKATTN_ERROR_NO_DEVICE,
                            "no Vulkan loader found (libvulkan.so.1); install libvulkan1 and a "
                            "driver (mesa-vulkan-drivers provides lavapipe, a CPU fallback)");
    uint32_t api = volkGetInstanceVersion();
    if (api < VK_API_VERSION_1_1)
        return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED,
                            "the Vulkan loader is version %u.%u; vkattn needs 1.1 or newer",
                            VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api));
    if (api > VK_API_VERSION_1_3) api = VK_API_VERSION_1_3;
    /* $VKATTN_API_VERSION=1.1|1.2|1.3 caps instance and device at that version: tests prove
     * the 1.1 baseline (older Android and embedded drivers) on drivers that offer more. */
    const char *want = getenv("VKATTN_API_VERSION");
    if (want && *want) {
        unsigned major = 0, minor = 0;
        char end = 0;
        if (sscanf(want, "%u.%u%c", &major, &minor, &end) != 2 || major != 1 || minor < 1 || minor > 3)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                                "VKATTN_API_VERSION=%s: expected 1.1, 1.2 or 1.3", want);
        if (VK_MAKE_API_VERSION(0, major, minor, 0) < api) api = VK_MAKE_API_VERSION(0, major, minor, 0);
    }

    const char *layers[1];
    const char *exts[3];
    uint32_t n_layers = 0, n_exts = 0;
    int messenger = 0;
    if (validation) {
        if (!has_layer("VK_LAYER_KHRONOS_validation"))
            return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED,
                                "validation requested but VK_LAYER_KHRONOS_validation is not "
                                "installed (Debian: vulkan-validationlayers)");
        layers[n_layers++] = "VK_LAYER_KHRONOS_validation";
        if (has_instance_ext(NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
            exts[n_exts++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        messenger = ctx && n_exts;
    }
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "vkattn",
        .pEngineName = "vkattn",
        .engineVersion = VK_MAKE_API_VERSION(0, VKATTN_VERSION_MAJOR, VKATTN_VERSION_MINOR,
                                             VKATTN_VERSION_PATCH),
        .apiVersion = api,
    };
    VkDebugUtilsMessengerCreateInfoEXT dbg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = debug_callback,
        .pUserData = ctx,
    };
    /* $VKATTN_VALIDATE_SYNC=1 adds the layer's synchronization validation (hazards between
     * dispatches, copies and batches). */
    VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    VkValidationFeaturesEXT vf = {.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                  .pNext = messenger ? &dbg : NULL,
                                  .enabledValidationFeatureCount = 1,
                                  .pEnabledValidationFeatures = &sync};
    int want_sync = validation && env_flag("VKATTN_VALIDATE_SYNC") && has_instance_ext("VK_LAYER_KHRONOS_validation", VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    if (want_sync) exts[n_exts++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = want_sync ? (void *)&vf : messenger ? (void *)&dbg : NULL, /* also catches create/destroy messages */
        .pApplicationInfo = &app,
        .enabledLayerCount = n_layers,
        .ppEnabledLayerNames = layers,
        .enabledExtensionCount = n_exts,
        .ppEnabledExtensionNames = exts,
    };
    r = vkCreateInstance(&ci, NULL, out);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        return vkattn__fail(ctx, VKATTN_ERROR_NO_DEVICE,
                            "no Vulkan driver found; install one (Debian: mesa-vulkan-drivers for "
                            "lavapipe) or point VK_DRIVER_FILES at an ICD json");
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkCreateInstance");
    volkLoadInstanceOnly(*out);
    if (messenger) {
        r = vkCreateDebugUtilsMessengerEXT(*out, &dbg, NULL, &ctx->messenger);
        if (r != VK_SUCCESS) {
            vkDestroyInstance(*out, NULL);
            *out = VK_NULL_HANDLE;
            return vkattn__vk_fail(ctx, r, "vkCreateDebugUtilsMessengerEXT");
        }
    }
    *api_out = api;
    return VKATTN_OK;
}

static vkattn_status physical_devices(vkattn_context *ctx, VkInstance inst, VkPhysicalDevice **out,
                                      uint32_t *count) {
    uint32_t n = 0;
    VkResult r = vkEnumeratePhysicalDevices(inst, &n, NULL);
    if (r != VK_SUCCESS) return vkattn__vk_fail(ctx, r, "vkEnumeratePhysicalDevices");
    if (n == 0)
        return vkattn__fail(ctx, VKATTN_ERROR_NO_DEVICE,
                            "the Vulkan loader found no device; install a driver (Debian: "
                            "mesa-vulkan-drivers for lavapipe) or check VK_DRIVER_FILES");
    *out = calloc(n, sizeof **out);
    if (!*out) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    r = vkEnumeratePhysicalDevices(inst, &n, *out);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        free(*out);
        *out = NULL;
        return vkattn__vk_fail(ctx, r, "vkEnumeratePhysicalDevices");
    }
    *count = n;
    return VKATTN_OK;
}

vkattn_status vkattn_list_devices(vkattn_device_info *infos, uint32_t capacity, uint32_t *count) {
    if (!count) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "count is NULL");
    *count = 0;
    VkInstance inst;
    uint32_t api;
    vkattn_status st = create_instance(NULL, 0, &inst, &api);
    if (st) return st;
    VkPhysicalDevice *pds = NULL;
    uint32_t n = 0;
    st = physical_devices(NULL, inst, &pds, &n);
    if (st == VKATTN_OK) {
        for (uint32_t i = 0; i < n && infos && i < capacity; i++) {
            vkattn__features f;
            vkattn__probe_device(pds[i], i, api, &infos[i], &f);
        }
        *count = n;
    }
    free(pds);
    vkDestroyInstance(inst, NULL);
    return st;
}

/* ---- device choice ------------------------------------------------------------------ */

static int type_rank(vkattn_device_type t) {
    switch (t) {
    case VKATTN_DEVICE_DISCRETE: return 4;
    case VKATTN_DEVICE_INTEGRATED: return 3;
    case VKATTN_DEVICE_VIRTUAL: return 2;
    case VKATTN_DEVICE_CPU: return 1;
    default: return 0;
    }
}

static int contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return 1;
    }
    return 0;
}

/* Picks a device by selector (index, type or name substring) or the best one. */
static vkattn_status choose_device(vkattn_context *ctx, const char *sel, vkattn_device_info *infos,
                                   uint32_t n, uint32_t *chosen) {
    int best = -1;
    if (sel && *sel) {
        char *end;
        long idx = strtol(sel, &end, 10);
        if (*end == '\0') {
            if (idx < 0 || (uint32_t)idx >= n)
                return vkattn__fail(ctx, VKATTN_ERROR_NO_DEVICE,
                                    "device index %ld out of range: %u device(s) present "
                                    "(see `vkattn info`)",
                                    idx, n);
            *chosen = (uint32_t)idx;
            return VKATTN_OK;
        }
        static const struct { const char *name; vkattn_device_type type; } types[] = {
            {"discrete", VKATTN_DEVICE_DISCRETE}, {"integrated", VKATTN_DEVICE_INTEGRATED},
            {"virtual", VKATTN_DEVICE_VIRTUAL},   {"cpu", VKATTN_DEVICE_CPU}};
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
            if (strcmp(sel, types[t].name) == 0) {
                for (uint32_t i = 0; i < n; i++)
                    if (infos[i].type == types[t].type) {
                        *chosen = i;
                        return VKATTN_OK;
                    }
                return vkattn__fail(ctx, VKATTN_ERROR_NO_DEVICE,
                                    "no %s device present (see `vkattn info`)", sel);
            }
        for (uint32_t i = 0; i < n; i++)
            if (contains_nocase(infos[i].name, sel) || contains_nocase(infos[i].driver_name, sel)) {
                *chosen = i;
                return VKATTN_OK;
            }
        return vkattn__fail(ctx, VKATTN_ERROR_NO_DEVICE,
                            "no device matches \"%s\" (by index, type or name; see `vkattn info`)",
                            sel);
    }
    for (uint32_t i = 0; i < n; i++)
        if (best < 0 || type_rank(infos[i].type) > type_rank(infos[best].type)) best = (int)i;
    *chosen = (uint32_t)best;
    return VKATTN_OK;
}

static uint32_t choose_queue_family(VkPhysicalDevice pd, int *compute_only, int *timestamps) {
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, NULL);
    VkQueueFamilyProperties props[32];
    if (n > 32) n = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, props);
    uint32_t any = UINT32_MAX, pure = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        if (!(props[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        if (any == UINT32_MAX) any = i;
        if (!(props[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) && pure == UINT32_MAX) pure = i;
    }
    uint32_t q = pure != UINT32_MAX ? pure : any;
    *compute_only = pure != UINT32_MAX;
    *timestamps = q != UINT32_MAX && props[q].timestampValidBits > 0;
    return q;
}

/* ---- context ------------------------------------------------------------------ */


vkattn_status vkattn_context_create(const vkattn_context_desc *desc, vkattn_context **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "out is NULL");
    *out = NULL;
    vkattn_context_desc d = {0};
    if (desc) d = *desc;
    if (!d.device || !*d.device) d.device = getenv("VKATTN_DEVICE");
    if (env_flag("VKATTN_VALIDATION")) d.validation = 1;
    if (env_flag("VKATTN_PROFILE")) d.profiling = 1;

    vkattn_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    snprintf(ctx->error, sizeof ctx->error, "no error");
    ctx->test_idle_lanes = env_flag("VKATTN_TEST_IDLE_LANES");
    vkattn_status st = vkattn__fault_init(ctx);

    uint32_t api = 0;
    if (st == VKATTN_OK) st = create_instance(ctx, d.validation, &ctx->instance, &api);
    VkPhysicalDevice *pds = NULL;
    vkattn_device_info *infos = NULL;
    uint32_t n = 0, chosen = 0;
    vkattn__features feat;
    if (st == VKATTN_OK) st = physical_devices(ctx, ctx->instance, &pds, &n);
    if (st == VKATTN_OK) {
        infos = calloc(n, sizeof *infos);
        if (!infos) st = vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    if (st == VKATTN_OK) {
        for (uint32_t i = 0; i < n; i++) vkattn__probe_device(pds[i], i, api, &infos[i], &feat);
        st = choose_device(ctx, d.device, infos, n, &chosen);
    }
    if (st == VKATTN_OK) {
        ctx->physical = pds[chosen];
        vkattn__probe_device(ctx->physical, chosen, api, &ctx->info, &feat);
        st = test_device_type(ctx);
        if (st == VKATTN_OK && ctx->info.api_version < VK_API_VERSION_1_1)
            st = vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED,
                              "device \"%s\" supports Vulkan %u.%u; vkattn needs 1.1",
                              ctx->info.name, VK_API_VERSION_MAJOR(ctx->info.api_version),
                              VK_API_VERSION_MINOR(ctx->info.api_version));
    }
    free(pds);
    free(infos);
    if (st == VKATTN_OK) {
        int ts = 0;
        ctx->queue_family = choose_queue_family(ctx->physical, &ctx->info.compute_only_queue, &ts);
        if (ctx->queue_family == UINT32_MAX)
            st = vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED, "device \"%s\" has no compute queue",
                              ctx->info.name);
        ctx->info.timestamps = ctx->info.timestamps && ts;
    }
    if (st == VKATTN_OK) {
        float prio = 1.0f;
        VkDeviceQueueCreateInfo qci = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
            .queueFamilyIndex = ctx->queue_family,
            .queueCount = 1,
            .pQueuePriorities = &prio,
        };
        VkDeviceCreateInfo dci = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
            .pNext = &feat.f2,
            .queueCreateInfoCount = 1,
            .pQueueCreateInfos = &qci,
            .enabledExtensionCount = feat.extension_count,
            .ppEnabledExtensionNames = feat.extensions,
        };
        VkResult r = vkCreateDevice(ctx->physical, &dci, NULL, &ctx->device);
        if (r != VK_SUCCESS) st = vkattn__vk_fail(ctx, r, "vkCreateDevice");
    }
    if (st == VKATTN_OK) {
        volkLoadDeviceTable(&ctx->vk, ctx->device);
        ctx->vk.vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
        vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->memory_props);
        ctx->profiling = d.profiling && ctx->info.timestamps;
        st = vkattn__memory_init(ctx);
        ctx->info.unified_memory = ctx->unified; /* what memory_init planned (for the knob's type, too) */
    }
    if (st == VKATTN_OK) st = vkattn__record_init(ctx);
    if (st == VKATTN_OK) vkattn__pipelines_init(ctx, d.cache_dir);
    if (st != VKATTN_OK) {
        char msg[1024];
        memcpy(msg, ctx->error, sizeof msg);
        vkattn_context_destroy(ctx);
        return vkattn__fail(NULL, st, "%s", msg);
    }
    *out = ctx;
    return VKATTN_OK;
}

void vkattn_context_destroy(vkattn_context *ctx) {
    if (!ctx) return;
    if (ctx->device) {
        ctx->vk.vkDeviceWaitIdle(ctx->device);
        vkattn__pipelines_shutdown(ctx);
        vkattn__record_shutdown(ctx);
        vkattn__memory_shutdown(ctx);
        ctx->vk.vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger) vkDestroyDebugUtilsMessengerEXT(ctx->instance, ctx->messenger, NULL);
    if (ctx->instance) vkDestroyInstance(ctx->instance, NULL);
    free(ctx);
}
