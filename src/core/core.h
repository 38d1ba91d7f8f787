/* Internal interfaces shared by the library's layers. Not installed.
 *
 *   context.c   instance, device choice, features, errors
 *   device.c    capability probing (vkattn_device_info)
 *   memory.c    block suballocator, staging, tensors' storage
 *   tensor.c    tensor handles, views, upload/download
 *   pipeline.c  embedded SPIR-V -> lazily created pipelines, disk pipeline cache
 *   record.c    batches: command buffer, descriptor sets, hazard barriers, timestamps
 */
#ifndef VKATTN_CORE_H
#define VKATTN_CORE_H

#include "base/base.h"

#include <volk.h>

#define VKATTN__MAX_ARGS 10
#define VKATTN__MAX_SPEC 16
#define VKATTN__MAX_PUSH 128  /* the Vulkan-guaranteed minimum of maxPushConstantsSize */
/* Specialization constant id of the test-only IDLE_LANES knob ($VKATTN_TEST_IDLE_LANES): subgroup
 * kernels (gemm_ks, reduce.glsl) then leave lanes idle so CPU drivers run them as partially
 * filled subgroups, as some GPUs do. */
#define VKATTN__SPEC_IDLE_LANES 99

/* ---- memory ---------------------------------------------------------------- */

typedef struct vkattn__range {
    uint64_t offset, size;
    struct vkattn__range *next;
} vkattn__range;

typedef struct vkattn__block {
    VkDeviceMemory memory;
    VkBuffer buffer;       /* one buffer spans the whole block */
    uint64_t size;
    uint8_t *mapped;       /* non-NULL when host-visible */
    vkattn__range *free_list; /* sorted by offset, coalesced */
    uint64_t used;
    struct vkattn__block *next;
} vkattn__block;

typedef struct vkattn__alloc {
    vkattn__block *block;
    uint64_t offset, size;
} vkattn__alloc;

/* ---- tensors ---------------------------------------------------------------- */

struct vkattn_tensor {
    vkattn_context *ctx;
    vkattn_dtype dtype;
    uint32_t ndim;
    int64_t shape[VKATTN_MAX_DIMS];
    int64_t strides[VKATTN_MAX_DIMS]; /* elements */
    uint64_t offset;                  /* elements from the start of the allocation */
    vkattn__alloc alloc;              /* of the base tensor */
    int is_view;
};

/* ---- pipelines ---------------------------------------------------------------- */

typedef struct vkattn__pipeline {
    char key[160];
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    uint32_t n_args, push_size;
    struct vkattn__pipeline *next;
} vkattn__pipeline;

typedef struct vkattn__spirv {
    const char *name;
    const uint32_t *code;
    size_t size; /* bytes */
} vkattn__spirv;

/* Generated at build time from shaders/<name>.comp (and its variants). */
extern const vkattn__spirv vkattn__shaders[];
extern const size_t vkattn__shader_count;

/* ---- recording ---------------------------------------------------------------- */

/* UNIFORM (with READ): bound as a uniform buffer (at most maxUniformBufferRange bytes), not a storage buffer */
enum { VKATTN__READ = 1, VKATTN__WRITE = 2, VKATTN__RW = 3, VKATTN__UNIFORM = 4 };

typedef struct vkattn__span {
    VkBuffer buffer;
    uint64_t begin, end;
} vkattn__span;

typedef struct vkattn__spans {
    vkattn__span *items;
    uint32_t count, capacity;
} vkattn__spans;

typedef struct vkattn__stamp {
    char label[48];
    uint32_t query; /* first of two */
} vkattn__stamp;

typedef struct vkattn__profile {
    vkattn_profile_entry *entries;
    uint32_t count, capacity;
} vkattn__profile;

typedef struct vkattn__descpools {
    VkDescriptorPool *pools;
    uint32_t count, capacity, current;
} vkattn__descpools;

/* ---- context ---------------------------------------------------------------- */

/* Test-only fault injection (fault.c): the Vulkan calls that can fail at run time. */
typedef enum { VKATTN__FAULT_ALLOC, VKATTN__FAULT_MAP, VKATTN__FAULT_SUBMIT, VKATTN__FAULT_WAIT, VKATTN__FAULT_KINDS } vkattn__fault_kind;

struct vkattn_context {
    char error[VKATTN__ERROR_SIZE]; /* first: base/error.c writes it (vkattn__fail) */
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    VkPhysicalDevice physical;
    VkDevice device;
    struct VolkDeviceTable vk;
    VkQueue queue;
    uint32_t queue_family;
    VkPhysicalDeviceMemoryProperties memory_props;
    vkattn_device_info info;
    uint32_t memory_type;         /* tensors */
    uint32_t staging_type;        /* host-visible, for uploads/downloads (discrete GPUs) */
    int unified;                  /* tensor blocks are mapped: uploads/downloads are a memcpy (else staging) */
    uint64_t block_size;

    int device_lost;
    int fault_kind, fault_sticky; /* VKATTN_FAULT (fault.c): kind -1 = none */
    uint64_t fault_at, fault_calls[VKATTN__FAULT_KINDS];
    uint32_t validation_count;
    char validation_first[1024];

    /* memory */
    vkattn__block *blocks;
    vkattn__block *staging;       /* one host-visible block grown on demand */
    uint64_t bytes_in_use, bytes_peak, bytes_reserved;

    /* pipelines */
    vkattn__pipeline *pipelines;
    VkPipelineCache pipeline_cache;
    char cache_path[1024];
    int cache_loaded, cache_dirty;

    /* recording */
    VkCommandPool command_pool;
    VkCommandBuffer cmd;
    VkFence fence;
    int recording;
    vkattn__descpools descpools;
    vkattn__spans written, read; /* since the last barrier */
    int profiling;
    VkQueryPool query_pool;
    uint32_t query_capacity, query_count;
    vkattn__stamp *stamps;
    uint32_t stamp_capacity;
    vkattn__profile profile;
    vkattn_tensor **scratch;      /* temporaries of the open batch, destroyed once it completed */
    uint32_t scratch_count, scratch_capacity;

    vkattn_stats stats;
    int test_idle_lanes;          /* $VKATTN_TEST_IDLE_LANES (tests only) */
    const char *test_device_type; /* $VKATTN_TEST_DEVICE_TYPE (tests only): info.type was set to it */
};

/* ---- errors (context.c) ---------------------------------------------------------------- */

/* vkattn__fail: see base/base.h */
/* Maps a VkResult to a status with a message naming `what`. */
vkattn_status vkattn__vk_fail(vkattn_context *ctx, VkResult r, const char *what);
/* Reads VKATTN_FAULT into ctx (INVALID_ARGUMENT when malformed). */
vkattn_status vkattn__fault_init(vkattn_context *ctx);
/* Counts a call of `kind`; the VkResult to fail it with when it is the one VKATTN_FAULT names, else VK_SUCCESS. */
VkResult vkattn__fault(vkattn_context *ctx, vkattn__fault_kind kind);
const char *vkattn__vk_result_string(VkResult r);

/* ---- device.c ---------------------------------------------------------------- */

/* VK_KHR_cooperative_matrix (Vulkan 1.3.255), declared here when the headers predate it (Debian 12
 * ships 1.3.239): the values and layouts are the registry's. */
#ifndef VK_KHR_cooperative_matrix
#define VK_KHR_cooperative_matrix 1
#define VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME "VK_KHR_cooperative_matrix"
#define VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR ((VkStructureType)1000506000)
#define VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR ((VkStructureType)1000506001)
typedef enum VkComponentTypeKHR {
    VK_COMPONENT_TYPE_FLOAT16_KHR = 0,
    VK_COMPONENT_TYPE_FLOAT32_KHR = 1,
    VK_COMPONENT_TYPE_SINT8_KHR = 3,
    VK_COMPONENT_TYPE_SINT32_KHR = 5,
    VK_COMPONENT_TYPE_MAX_ENUM_KHR = 0x7FFFFFFF
} VkComponentTypeKHR;
typedef enum VkScopeKHR {
    VK_SCOPE_DEVICE_KHR = 1,
    VK_SCOPE_WORKGROUP_KHR = 2,
    VK_SCOPE_SUBGROUP_KHR = 3,
    VK_SCOPE_QUEUE_FAMILY_KHR = 5,
    VK_SCOPE_MAX_ENUM_KHR = 0x7FFFFFFF
} VkScopeKHR;
typedef struct VkCooperativeMatrixPropertiesKHR {
    VkStructureType sType;
    void *pNext;
    uint32_t MSize, NSize, KSize;
    VkComponentTypeKHR AType, BType, CType, ResultType;
    VkBool32 saturatingAccumulation;
    VkScopeKHR scope;
} VkCooperativeMatrixPropertiesKHR;
typedef struct VkPhysicalDeviceCooperativeMatrixFeaturesKHR {
    VkStructureType sType;
    void *pNext;
    VkBool32 cooperativeMatrix;
    VkBool32 cooperativeMatrixRobustBufferAccess;
} VkPhysicalDeviceCooperativeMatrixFeaturesKHR;
typedef VkResult(VKAPI_PTR *PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)(VkPhysicalDevice, uint32_t *,
                                                                                  VkCooperativeMatrixPropertiesKHR *);
#endif

/* The shape a cooperative-matrix GEMM would take among what the device lists (pure; tested on the lists
 * of real devices in tests/host_device_plan.c): f16 A and B, f32 C and result, subgroup scope, preferring
 * 16 x 16 x 16, else the largest. Returns 0 if there is none. */
int vkattn__coopmat_pick(const VkCooperativeMatrixPropertiesKHR *props, uint32_t n, uint32_t mnk[3]);

/* A GPU (discrete, integrated or virtual): the device types the GPU-shaped kernels are chosen for. */
static inline int vkattn__is_gpu(const vkattn_device_info *info) {
    return info->type == VKATTN_DEVICE_DISCRETE || info->type == VKATTN_DEVICE_INTEGRATED ||
           info->type == VKATTN_DEVICE_VIRTUAL;
}

typedef struct vkattn__features {
    VkPhysicalDeviceFeatures2 f2;
    VkPhysicalDevice16BitStorageFeatures s16;
    VkPhysicalDevice8BitStorageFeaturesKHR s8;
    VkPhysicalDeviceShaderFloat16Int8FeaturesKHR f16i8;
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT sgsc;
    VkPhysicalDeviceShaderIntegerDotProductFeaturesKHR dot;
    VkPhysicalDeviceCooperativeMatrixFeaturesKHR coopmat;
    const char *extensions[16];
    uint32_t extension_count;
} vkattn__features;

/* Fills info and the feature chain to enable (only what is present, minus
 * what $VKATTN_DISABLE_* switches off). */
void vkattn__probe_device(VkPhysicalDevice pd, uint32_t index, uint32_t instance_api,
                          vkattn_device_info *info, vkattn__features *features);

/* ---- memory.c ---------------------------------------------------------------- */

/* Where memory goes, decided from the device type and its memory types only (pure; tested on
 * the memory properties of real devices in tests/host_device_plan.c). */
typedef struct vkattn__memory_plan {
    uint32_t tensor_type;  /* memory type of tensors */
    uint32_t staging_type; /* host-visible coherent type for staging copies (host-cached if any) */
    int unified;           /* tensors are mapped: uploads/downloads are memcpy, no staging */
} vkattn__memory_plan;
/* Returns 0 if no usable type exists among `bits` (memoryTypeBits of a storage buffer). */
int vkattn__plan_memory(vkattn_device_type type, const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits,
                        vkattn__memory_plan *out);
vkattn_status vkattn__memory_init(vkattn_context *ctx);
void vkattn__memory_shutdown(vkattn_context *ctx);
vkattn_status vkattn__alloc_memory(vkattn_context *ctx, uint64_t size, vkattn__alloc *out);
void vkattn__free(vkattn_context *ctx, vkattn__alloc *a);
/* Host-visible staging memory of at least `size` bytes (valid until the next call). */
vkattn_status vkattn__staging(vkattn_context *ctx, uint64_t size, vkattn__block **out);

/* ---- pipeline.c ---------------------------------------------------------------- */

/* `subgroup`: the subgroup size the dispatch was planned with (0 = any); required, with full
 * subgroups, where the device allows it (the pipeline key includes what was required). */
vkattn_status vkattn__pipeline_get(vkattn_context *ctx, const char *shader, const uint32_t *spec,
                                   uint32_t n_spec, uint32_t n_args, uint32_t push_size, uint32_t subgroup, uint32_t uniform_mask,
                                   vkattn__pipeline **out);
/* The subgroup size a pipeline planned for `planned` lanes with workgroup size wg gets (0 = the
 * driver's choice). Pure: tested on device infos of real GPUs. */
uint32_t vkattn__required_subgroup(const vkattn_device_info *info, uint32_t planned, uint32_t wg);
/* Whether a pipeline with n_args storage buffers, workgroup size wg (x) and push_size bytes of
 * push constants fits the device's limits; if not, `why` says which (pure, like the above). */
int vkattn__limits_ok(const vkattn_device_info *info, uint32_t n_args, uint32_t wg, uint32_t push_size, char *why,
                      size_t why_size);
void vkattn__pipelines_init(vkattn_context *ctx, const char *cache_dir);
void vkattn__pipelines_shutdown(vkattn_context *ctx);
const vkattn__spirv *vkattn__shader_find(const char *name);

/* ---- record.c ---------------------------------------------------------------- */

/* One storage-buffer binding. By default binds the tensor's whole allocation
 * (views pass their element offset to the shader themselves). A non-zero
 * `size` binds bytes [byte_offset, byte_offset + size) of it instead, e.g. one
 * slice of a weight bigger than maxStorageBufferRange. */
typedef struct vkattn__arg {
    const vkattn_tensor *tensor;
    uint32_t access; /* VKATTN__READ / WRITE / RW, READ | UNIFORM */
    uint64_t byte_offset, size;
} vkattn__arg;

typedef struct vkattn__dispatch {
    const char *shader;            /* embedded name, e.g. "copy" or "copy_f16" */
    const char *label;             /* profiling label; NULL = shader */
    uint32_t spec[VKATTN__MAX_SPEC]; /* constant_id i = spec[i] (floats: bit casts) */
    uint32_t n_spec;
    const void *push;
    uint32_t push_size;
    vkattn__arg args[VKATTN__MAX_ARGS];
    uint32_t n_args;
    uint32_t groups[3];
    uint32_t subgroup;             /* subgroup kernels: the subgroup size planned with (0 = none) */
} vkattn__dispatch;

vkattn_status vkattn__record_init(vkattn_context *ctx);
void vkattn__record_shutdown(vkattn_context *ctx);
/* Records one dispatch into the open batch (a barrier first if a binding
 * overlaps memory an earlier dispatch wrote, or writes what one read). */
vkattn_status vkattn__record(vkattn_context *ctx, const vkattn__dispatch *d);

/* For op entry points: opens a batch if none is open (*implicit = 1) ... */
vkattn_status vkattn__op_begin(vkattn_context *ctx, int *implicit);
/* ... and submits it if it was opened implicitly. Passes status through. */
vkattn_status vkattn__op_end(vkattn_context *ctx, int implicit, vkattn_status status);
/* A temporary device tensor for an op's intermediate results (scores, partial
 * sums) that lives until the open batch has completed on the device: ops that
 * record into a caller's batch cannot free their temporaries themselves. Only
 * inside a batch (after vkattn__op_begin). */
vkattn_status vkattn__scratch(vkattn_context *ctx, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape,
                              vkattn_tensor **out);
/* Waits for the device to finish all submitted work. */
vkattn_status vkattn__wait_idle(vkattn_context *ctx);
/* Runs a one-off transfer command buffer (uploads/downloads on discrete GPUs). */
vkattn_status vkattn__run_copy(vkattn_context *ctx, VkBuffer src, uint64_t src_off, VkBuffer dst,
                               uint64_t dst_off, uint64_t size);

/* ---- helpers for ops ---------------------------------------------------------------- */

static inline uint32_t vkattn__f2u(float f) {
    union { float f; uint32_t u; } c;
    c.f = f;
    return c.u;
}
static inline uint32_t vkattn__div_up(uint64_t a, uint64_t b) { return (uint32_t)((a + b - 1) / b); }
/* Spreads n workgroups over x and y (x <= 65535, the guaranteed minimum);
 * shaders rebuild the flat index as gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x. */
static inline void vkattn__grid_1d(uint64_t n, uint32_t groups[3]) {
    groups[0] = n < 65535 ? (uint32_t)n : 65535u;
    groups[1] = n ? vkattn__div_up(n, 65535) : 0;
    groups[2] = 1;
}

/* Checks that t exists, belongs to ctx and has the given dtype (-1 = any float: F32/F16). */
vkattn_status vkattn__check_tensor(vkattn_context *ctx, const vkattn_tensor *t, const char *op,
                                   const char *name);
/* Returns the shader name for a float-storage op: "<base>" or "<base>_f16". */

#endif
