/* Capability probing: what a device has, and the feature chain that enables it.
 * Only features that are present get enabled; $VKATTN_DISABLE_<X> switches one
 * off so the fallbacks can be tested on any device (FP16, STORAGE16, STORAGE8,
 * INT8DOT, SUBGROUP, SUBGROUP_SIZE_CONTROL, COOPMAT). */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *vkattn_device_type_string(vkattn_device_type t) {
    switch (t) {
    case VKATTN_DEVICE_INTEGRATED: return "integrated";
    case VKATTN_DEVICE_DISCRETE: return "discrete";
    case VKATTN_DEVICE_VIRTUAL: return "virtual";
    case VKATTN_DEVICE_CPU: return "cpu";
    default: return "other";
    }
}

static int disabled(const char *what) {
    char name[64];
    snprintf(name, sizeof name, "VKATTN_DISABLE_%s", what);
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

static int has_ext(const VkExtensionProperties *exts, uint32_t n, const char *name) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(exts[i].extensionName, name) == 0) return 1;
    return 0;
}

/* Usable when promoted into the effective API version or exposed as an
 * extension; the extension is enabled only when not promoted. */
static int use_ext(vkattn__features *f, const VkExtensionProperties *exts, uint32_t n, uint32_t api,
                   uint32_t promoted, const char *name) {
    if (promoted && api >= promoted) return 1;
    if (!has_ext(exts, n, name)) return 0;
    if (f->extension_count < sizeof f->extensions / sizeof f->extensions[0])
        f->extensions[f->extension_count++] = name;
    return 1;
}

int vkattn__coopmat_pick(const VkCooperativeMatrixPropertiesKHR *props, uint32_t n, uint32_t mnk[3]) {
    uint64_t best = 0;
    for (uint32_t i = 0; i < n; i++) {
        const VkCooperativeMatrixPropertiesKHR *p = &props[i];
        if (p->AType != VK_COMPONENT_TYPE_FLOAT16_KHR || p->BType != VK_COMPONENT_TYPE_FLOAT16_KHR ||
            p->CType != VK_COMPONENT_TYPE_FLOAT32_KHR || p->ResultType != VK_COMPONENT_TYPE_FLOAT32_KHR ||
            p->scope != VK_SCOPE_SUBGROUP_KHR || !p->MSize || !p->NSize || !p->KSize)
            continue;
        const int square16 = p->MSize == 16 && p->NSize == 16 && p->KSize == 16;
        const uint64_t score = square16 ? UINT64_MAX : (uint64_t)p->MSize * p->NSize * p->KSize;
        if (score > best) best = score, mnk[0] = p->MSize, mnk[1] = p->NSize, mnk[2] = p->KSize;
    }
    return best != 0;
}

/* The device's cooperative-matrix shapes (vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR, an instance
 * function volk of these headers does not load) into info->coopmat_*; 0 if none fits. */
static int coopmat_query(VkPhysicalDevice pd, vkattn_device_info *info) {
    PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR get = (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)
        vkGetInstanceProcAddr(volkGetLoadedInstance(), "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
    VkCooperativeMatrixPropertiesKHR props[64];
    uint32_t n = 0;
    if (!get || get(pd, &n, NULL) != VK_SUCCESS) return 0;
    if (n > 64) n = 64;
    for (uint32_t i = 0; i < n; i++) props[i] = (VkCooperativeMatrixPropertiesKHR){.sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR};
    VkResult r = get(pd, &n, props);
    uint32_t mnk[3];
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || !vkattn__coopmat_pick(props, n, mnk)) return 0;
    info->coopmat_m = mnk[0], info->coopmat_n = mnk[1], info->coopmat_k = mnk[2];
    return 1;
}

static void chain(void **tail, void *s) {
    ((VkBaseOutStructure *)*tail)->pNext = s;
    *tail = s;
}

void vkattn__probe_device(VkPhysicalDevice pd, uint32_t index, uint32_t instance_api,
                          vkattn_device_info *info, vkattn__features *f) {
    memset(info, 0, sizeof *info);
    memset(f, 0, sizeof *f);
    info->index = index;

    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(pd, &props);
    uint32_t api = props.apiVersion < instance_api ? props.apiVersion : instance_api;

    uint32_t n_ext = 0;
    vkEnumerateDeviceExtensionProperties(pd, NULL, &n_ext, NULL);
    VkExtensionProperties *exts = calloc(n_ext ? n_ext : 1, sizeof *exts);
    if (exts) vkEnumerateDeviceExtensionProperties(pd, NULL, &n_ext, exts);
    else n_ext = 0;

    /* ---- properties ---- */
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    VkPhysicalDeviceSubgroupProperties sg = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceSubgroupSizeControlPropertiesEXT sgsc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT};
    VkPhysicalDeviceDriverPropertiesKHR drv = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES_KHR};
    VkPhysicalDeviceMaintenance3Properties m3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceMaintenance4PropertiesKHR m4 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_PROPERTIES_KHR};
    VkPhysicalDeviceShaderCorePropertiesAMD amd = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_PROPERTIES_AMD};
    VkPhysicalDeviceShaderSMBuiltinsPropertiesNV nv = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV};
    void *tail = &p2;
    chain(&tail, &sg);
    chain(&tail, &m3);
    int have_sgsc = (api >= VK_API_VERSION_1_3) || has_ext(exts, n_ext, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    int have_drv = (api >= VK_API_VERSION_1_2) || has_ext(exts, n_ext, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
    int have_m4 = (api >= VK_API_VERSION_1_3) || has_ext(exts, n_ext, VK_KHR_MAINTENANCE_4_EXTENSION_NAME);
    int have_amd = has_ext(exts, n_ext, VK_AMD_SHADER_CORE_PROPERTIES_EXTENSION_NAME);
    int have_nv = has_ext(exts, n_ext, VK_NV_SHADER_SM_BUILTINS_EXTENSION_NAME);
    if (have_sgsc) chain(&tail, &sgsc);
    if (have_drv) chain(&tail, &drv);
    if (have_m4) chain(&tail, &m4);
    if (have_amd) chain(&tail, &amd);
    if (have_nv) chain(&tail, &nv);
    vkGetPhysicalDeviceProperties2(pd, &p2);

    snprintf(info->name, sizeof info->name, "%s", props.deviceName);
    if (have_drv) {
        snprintf(info->driver_name, sizeof info->driver_name, "%s", drv.driverName);
        snprintf(info->driver_info, sizeof info->driver_info, "%s", drv.driverInfo);
    }
    info->type = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU ? VKATTN_DEVICE_INTEGRATED
                 : props.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU ? VKATTN_DEVICE_DISCRETE
                 : props.deviceType == VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU  ? VKATTN_DEVICE_VIRTUAL
                 : props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU          ? VKATTN_DEVICE_CPU
                                                                            : VKATTN_DEVICE_OTHER;
    info->vendor_id = props.vendorID;
    info->device_id = props.deviceID;
    info->api_version = api;
    info->driver_version = props.driverVersion;
    memcpy(info->uuid, props.pipelineCacheUUID, 16);

    const VkPhysicalDeviceLimits *L = &props.limits;
    info->shared_memory_bytes = L->maxComputeSharedMemorySize;
    info->max_workgroup_invocations = L->maxComputeWorkGroupInvocations;
    memcpy(info->max_workgroup_size, L->maxComputeWorkGroupSize, sizeof info->max_workgroup_size);
    memcpy(info->max_workgroup_count, L->maxComputeWorkGroupCount, sizeof info->max_workgroup_count);
    info->max_push_constants = L->maxPushConstantsSize;
    info->max_storage_buffers = L->maxPerStageDescriptorStorageBuffers;
    info->max_storage_buffer_range = L->maxStorageBufferRange;
    info->min_storage_offset_alignment = L->minStorageBufferOffsetAlignment;
    info->max_uniform_buffer_range = L->maxUniformBufferRange;
    info->min_uniform_offset_alignment = L->minUniformBufferOffsetAlignment;
    info->max_allocation_size = m3.maxMemoryAllocationSize;
    info->max_buffer_size = have_m4 ? m4.maxBufferSize : m3.maxMemoryAllocationSize;
    info->timestamp_period_ns = L->timestampPeriod;
    info->timestamps = L->timestampComputeAndGraphics || L->timestampPeriod > 0;

    info->subgroup_size = sg.subgroupSize;
    info->subgroup_min = info->subgroup_max = sg.subgroupSize;
    int sg_compute = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0;
    info->subgroup_arithmetic = sg_compute && (sg.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                                (sg.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT) &&
                                (sg.supportedOperations & VK_SUBGROUP_FEATURE_BALLOT_BIT) && !disabled("SUBGROUP");

    /* parallelism: CPU drivers run one workgroup per core */
    if (info->type == VKATTN_DEVICE_CPU) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        info->compute_units = cores > 0 ? (uint32_t)cores : 1;
    } else if (have_amd) {
        info->compute_units = amd.shaderEngineCount * amd.shaderArraysPerEngineCount * amd.computeUnitsPerShaderArray;
    } else if (have_nv) {
        info->compute_units = nv.shaderSMCount;
    }

    /* ---- memory ---- */
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    for (uint32_t h = 0; h < mp.memoryHeapCount; h++)
        if (mp.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) info->device_local_bytes += mp.memoryHeaps[h].size;
    for (uint32_t h = 0; h < mp.memoryHeapCount; h++) {
        int hv = 0;
        for (uint32_t t = 0; t < mp.memoryTypeCount; t++) {
            VkMemoryPropertyFlags fl = mp.memoryTypes[t].propertyFlags;
            if (mp.memoryTypes[t].heapIndex == h && (fl & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) &&
                (fl & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && (fl & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT))
                hv = 1;
        }
        if (hv) info->host_visible_device_local_bytes += mp.memoryHeaps[h].size;
    }
    /* Unified: integrated GPUs and CPU drivers with mapped device-local memory (memory.c's
     * plan; a discrete GPU's BAR, even resized to all of VRAM, does not count). */
    vkattn__memory_plan plan;
    info->unified_memory = vkattn__plan_memory(info->type, &mp, UINT32_MAX, &plan) && plan.unified;

    /* ---- features (queried, then the enable chain is built from what exists) ---- */
    f->f2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    f->s16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
    f->s8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES_KHR;
    f->f16i8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES_KHR;
    f->sgsc.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT;
    f->dot.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES_KHR;

    int use_s16 = api >= VK_API_VERSION_1_1;
    int use_s8 = use_ext(f, exts, n_ext, api, VK_API_VERSION_1_2, VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
    int use_f16 = use_ext(f, exts, n_ext, api, VK_API_VERSION_1_2, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
    int use_sgsc = have_sgsc && use_ext(f, exts, n_ext, api, VK_API_VERSION_1_3, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    int use_dot = use_ext(f, exts, n_ext, api, VK_API_VERSION_1_3, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
    if (use_s8 && api < VK_API_VERSION_1_2 && !has_ext(exts, n_ext, VK_KHR_STORAGE_BUFFER_STORAGE_CLASS_EXTENSION_NAME))
        use_s8 = 0; /* 8-bit storage requires it before 1.1 made it core; guard anyway */
    f->coopmat.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR;
    /* no shader uses it yet; enabled (extension and feature) so the shapes it reports are the ones a kernel gets */
    int use_coopmat = api >= VK_API_VERSION_1_1 && !disabled("COOPMAT") &&
                      use_ext(f, exts, n_ext, api, 0, VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME);

    void *ft = &f->f2;
    if (use_s16) chain(&ft, &f->s16);
    if (use_s8) chain(&ft, &f->s8);
    if (use_f16) chain(&ft, &f->f16i8);
    if (use_sgsc) chain(&ft, &f->sgsc);
    if (use_dot) chain(&ft, &f->dot);
    if (use_coopmat) chain(&ft, &f->coopmat);
    vkGetPhysicalDeviceFeatures2(pd, &f->f2);

    /* Keep only what we use; switch off what the environment disables. */
    VkPhysicalDeviceFeatures keep = {0};
    keep.shaderInt64 = f->f2.features.shaderInt64;
    info->shader_int64 = keep.shaderInt64 == VK_TRUE;
    keep.shaderInt16 = f->f2.features.shaderInt16;
    f->f2.features = keep;
    f->s16.uniformAndStorageBuffer16BitAccess = VK_FALSE;
    f->s16.storagePushConstant16 = VK_FALSE;
    f->s16.storageInputOutput16 = VK_FALSE;
    if (disabled("STORAGE16")) f->s16.storageBuffer16BitAccess = VK_FALSE;
    f->s8.uniformAndStorageBuffer8BitAccess = VK_FALSE;
    f->s8.storagePushConstant8 = VK_FALSE;
    if (disabled("STORAGE8")) f->s8.storageBuffer8BitAccess = VK_FALSE;
    if (disabled("FP16")) f->f16i8.shaderFloat16 = VK_FALSE;
    if (disabled("INT8")) f->f16i8.shaderInt8 = VK_FALSE;
    if (disabled("SUBGROUP_SIZE_CONTROL")) {
        f->sgsc.subgroupSizeControl = VK_FALSE;
        f->sgsc.computeFullSubgroups = VK_FALSE;
    }
    if (disabled("INT8DOT")) f->dot.shaderIntegerDotProduct = VK_FALSE;
    f->coopmat.cooperativeMatrixRobustBufferAccess = VK_FALSE;

    info->storage16 = use_s16 && f->s16.storageBuffer16BitAccess;
    info->storage8 = use_s8 && f->s8.storageBuffer8BitAccess;
    info->fp16_arithmetic = use_f16 && f->f16i8.shaderFloat16;
    info->int8_arithmetic = use_f16 && f->f16i8.shaderInt8;
    info->int8_dot = use_dot && f->dot.shaderIntegerDotProduct;
    info->cooperative_matrix = use_coopmat && f->coopmat.cooperativeMatrix && coopmat_query(pd, info);
    info->subgroup_size_control = use_sgsc && f->sgsc.subgroupSizeControl &&
                                  (sgsc.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT);
    if (info->subgroup_size_control) {
        info->subgroup_min = sgsc.minSubgroupSize;
        info->subgroup_max = sgsc.maxSubgroupSize;
        info->max_workgroup_subgroups = sgsc.maxComputeWorkgroupSubgroups;
        info->full_subgroups = f->sgsc.computeFullSubgroups == VK_TRUE;
    }
    free(exts);
}
