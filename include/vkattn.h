/*
 * vkattn: a Vulkan compute engine for attention and transformer inference.
 *
 * One public header. Conventions (as in volk / VMA / sqlite):
 *   - every handle is opaque and has a _create / _destroy pair;
 *     _destroy(NULL) is a no-op; on failure _create sets *out = NULL;
 *   - every fallible call returns a vkattn_status; the context keeps a message
 *     that says what went wrong and what to do (vkattn_context_error);
 *   - the library never prints, aborts or exits.
 *
 * Ops are recorded into the context's current batch (vkattn_begin ... vkattn_submit):
 * many dispatches, one command buffer, only the barriers the data needs, one
 * submit and one wait. An op called outside a batch runs at once (its own batch).
 */
#ifndef VKATTN_H
#define VKATTN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VKATTN_VERSION_MAJOR 0
#define VKATTN_VERSION_MINOR 1
#define VKATTN_VERSION_PATCH 0

#define VKATTN_MAX_DIMS 4

/* ------------------------------------------------------------------------ */
/* Status                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum vkattn_status {
    VKATTN_OK = 0,
    VKATTN_ERROR_INVALID_ARGUMENT = -1,   /* wrong shape, dtype, NULL, ... */
    VKATTN_ERROR_OUT_OF_HOST_MEMORY = -2,
    VKATTN_ERROR_OUT_OF_DEVICE_MEMORY = -3,
    VKATTN_ERROR_DEVICE_LOST = -4,        /* driver reset or crash: recreate the context */
    VKATTN_ERROR_UNSUPPORTED = -5,        /* the device lacks a needed feature */
    VKATTN_ERROR_NO_DEVICE = -6,          /* no Vulkan loader / no matching device */
    VKATTN_ERROR_TOO_LARGE = -7,          /* exceeds a device limit (buffer range, ...) */
    VKATTN_ERROR_IO = -8,                 /* file could not be read or written */
    VKATTN_ERROR_FORMAT = -9,             /* malformed or unsupported file content */
    VKATTN_ERROR_VULKAN = -10,            /* any other Vulkan failure */
    VKATTN_ERROR_STATE = -11              /* call not allowed now (e.g. inside a batch) */
} vkattn_status;

/* A short constant name for a status ("VKATTN_ERROR_TOO_LARGE"). */
const char *vkattn_status_string(vkattn_status status);

/* ------------------------------------------------------------------------ */
/* Devices                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum vkattn_device_type {
    VKATTN_DEVICE_OTHER = 0,
    VKATTN_DEVICE_INTEGRATED = 1,
    VKATTN_DEVICE_DISCRETE = 2,
    VKATTN_DEVICE_VIRTUAL = 3,
    VKATTN_DEVICE_CPU = 4
} vkattn_device_type;

const char *vkattn_device_type_string(vkattn_device_type type);

/* What a device can do, probed once. Limits are the driver's own numbers. */
typedef struct vkattn_device_info {
    uint32_t index;                  /* position in the loader's enumeration */
    char name[256];
    char driver_name[256];           /* e.g. "llvmpipe" (VK_KHR_driver_properties) */
    char driver_info[256];
    vkattn_device_type type;
    uint32_t vendor_id, device_id;
    uint32_t api_version;            /* VK_MAKE_API_VERSION-encoded */
    uint32_t driver_version;
    uint8_t uuid[16];                /* pipelineCacheUUID */

    uint32_t subgroup_size;          /* default subgroup size */
    uint32_t subgroup_min, subgroup_max; /* with subgroup size control, else = default */
    int subgroup_size_control;       /* VK_EXT_subgroup_size_control usable */
    int subgroup_arithmetic;         /* subgroupAdd/Max and subgroupBallot in compute shaders */
    int fp16_arithmetic;             /* shaderFloat16 */
    int storage16;                   /* storageBuffer16BitAccess: f16 tensors */
    int storage8;                    /* storageBuffer8BitAccess */
    int int8_arithmetic;             /* shaderInt8 */
    int int8_dot;                    /* VK_KHR_shader_integer_dot_product */
    int cooperative_matrix;          /* VK_KHR_cooperative_matrix enabled with an f16 x f16 + f32 subgroup shape: */
    uint32_t coopmat_m, coopmat_n, coopmat_k; /* that shape (no kernel uses it yet: docs/gpu-next.md) */
    int timestamps;                  /* compute queue can write timestamps */
    float timestamp_period_ns;

    uint32_t shared_memory_bytes;    /* maxComputeSharedMemorySize */
    uint32_t max_workgroup_invocations;
    uint32_t max_workgroup_size[3];
    uint32_t max_workgroup_count[3];
    uint32_t max_push_constants;
    uint64_t max_storage_buffer_range;
    uint64_t max_allocation_size;    /* maxMemoryAllocationSize */
    uint64_t max_buffer_size;        /* maxBufferSize (maintenance4) or max_allocation_size */
    uint64_t min_storage_offset_alignment;
    uint64_t device_local_bytes;     /* sum of device-local heaps */
    uint64_t host_visible_device_local_bytes;
    int unified_memory;              /* device-local memory is host-visible: no staging copies */
    uint32_t compute_units;          /* parallel execution units (CPU cores on CPU drivers); 0 = unknown */
    int compute_only_queue;          /* a queue family without graphics was used */
    int shader_int64;                /* shaderInt64: 64-bit integers in shaders */
    int full_subgroups;              /* computeFullSubgroups: pipelines can require full subgroups */
    uint32_t max_workgroup_subgroups; /* maxComputeWorkgroupSubgroups (subgroup size control), 0 = unknown */
    uint32_t max_storage_buffers;    /* maxPerStageDescriptorStorageBuffers */
    uint64_t max_uniform_buffer_range; /* maxUniformBufferRange */
    uint64_t min_uniform_offset_alignment; /* minUniformBufferOffsetAlignment */
} vkattn_device_info;

/* Lists the Vulkan devices the loader sees. `infos` may be NULL to count only.
 * *count receives the number of devices; at most `capacity` are written. */
vkattn_status vkattn_list_devices(vkattn_device_info *infos, uint32_t capacity, uint32_t *count);

/* ------------------------------------------------------------------------ */
/* Context                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct vkattn_context vkattn_context;

typedef struct vkattn_context_desc {
    /* Device selection: NULL or "" uses $VKATTN_DEVICE, else the best device
     * (discrete > integrated > virtual > CPU). Accepts an index ("1"), a type
     * ("discrete", "integrated", "virtual", "cpu") or a name substring ("swiftshader"). */
    const char *device;
    /* Enable VK_LAYER_KHRONOS_validation; every message is counted and kept
     * (vkattn_context_validation_messages). Also on with $VKATTN_VALIDATION=1. */
    int validation;
    /* Record GPU timestamps around every dispatch (vkattn_profile_*). */
    int profiling;
    /* Pipeline cache directory. NULL: $VKATTN_CACHE_DIR, else $XDG_CACHE_HOME/vkattn, else
     * ~/.cache/vkattn (none of these on Android: pass the app's getCacheDir() there);
     * "" disables the disk cache. */
    const char *cache_dir;
} vkattn_context_desc;

/* Creates a context on one device. desc may be NULL (all defaults).
 * On failure *out = NULL and vkattn_context_error(NULL) says why. */
vkattn_status vkattn_context_create(const vkattn_context_desc *desc, vkattn_context **out);
void vkattn_context_destroy(vkattn_context *ctx);

/* Last error message of ctx; with ctx == NULL the last context-less error of
 * this thread (e.g. from a failed vkattn_context_create). Never NULL. */
const char *vkattn_context_error(const vkattn_context *ctx);

const vkattn_device_info *vkattn_context_device(const vkattn_context *ctx);

/* Number of validation messages (errors and warnings) seen so far; the first
 * one is copied to `first` (may be NULL) when non-zero. */
uint32_t vkattn_context_validation_messages(const vkattn_context *ctx, char *first, size_t first_size);

typedef struct vkattn_stats {
    uint64_t dispatches, barriers, submits;
    uint64_t pipelines_created;
    double pipeline_create_ms;       /* time spent creating pipelines */
    int pipeline_cache_loaded;       /* a disk cache for this device/driver was accepted */
    uint64_t device_bytes_in_use, device_bytes_peak, device_bytes_reserved;
} vkattn_stats;

void vkattn_context_stats(const vkattn_context *ctx, vkattn_stats *stats);
/* Resets the peak-memory counter to the current use (for per-op measurements). */
void vkattn_context_reset_peak(vkattn_context *ctx);

/* Writes the pipeline cache to disk now (also done by _destroy). */
vkattn_status vkattn_context_save_cache(vkattn_context *ctx);

/* What a context chose for its device: where memory goes and which GEMM kernel runs (for
 * reports such as `vkattn selftest` and bug reports). Memory flags are VkMemoryPropertyFlags. */
typedef struct vkattn_context_plan {
    uint32_t tensor_memory_type, tensor_memory_flags;   /* memory type index (and its flags) of tensors */
    uint32_t staging_memory_type, staging_memory_flags; /* host-visible type of upload/download copies */
    int unified_memory;        /* tensors are mapped: uploads and downloads are a memcpy, no staging copy */
    uint64_t block_bytes;      /* device memory is allocated in blocks of this size and suballocated */
    const char *gemm_m1;       /* vkattn_linear's kernel for one row of x (token generation), for */
    const char *gemm_mn;       /* 64 rows (prefill) and for */
    const char *gemm_few;      /* 2 to 8 rows (short prompts), $VKATTN_GEMM applied: "gemm_ks", "gemm_tiled", "gemm" */
    int gemm_ks_available;     /* the device has what gemm_ks needs (subgroup arithmetic, 64-bit integers) */
    uint32_t subgroup_planned; /* subgroup size the subgroup kernels are planned for (0: none run) */
    uint32_t subgroup_required;/* the size their pipelines require (0: the driver's choice; the kernels
                                * then stride by the lanes that are active) */
    int full_subgroups;        /* ... and they also require full subgroups */
    int test_idle_lanes;       /* $VKATTN_TEST_IDLE_LANES (a test knob) is on */
    const char *test_device_type; /* $VKATTN_TEST_DEVICE_TYPE (a test knob): the device is planned as this type */
} vkattn_context_plan;

/* Fills *plan for ctx (zeros for NULL). */
void vkattn_context_get_plan(const vkattn_context *ctx, vkattn_context_plan *plan);

/* ------------------------------------------------------------------------ */
/* Batches                                                                   */
/* ------------------------------------------------------------------------ */

/* Opens a batch: subsequent ops are recorded, not run. */
vkattn_status vkattn_begin(vkattn_context *ctx);
/* Submits the open batch and waits for it. */
vkattn_status vkattn_submit(vkattn_context *ctx);

/* Profiling (context created with profiling = 1): per-label GPU time of the
 * batches submitted since the last reset. */
typedef struct vkattn_profile_entry {
    char label[48];
    uint32_t count;
    double total_ms;
} vkattn_profile_entry;

uint32_t vkattn_profile_get(const vkattn_context *ctx, vkattn_profile_entry *entries, uint32_t capacity);
void vkattn_profile_reset(vkattn_context *ctx);

/* ------------------------------------------------------------------------ */
/* Tensors                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum vkattn_dtype {
    VKATTN_F32 = 0,
    VKATTN_F16 = 1,
    VKATTN_BF16 = 2,
    VKATTN_I32 = 3,
    VKATTN_Q8_0 = 4,     /* GGUF block: f16 scale + 32 x int8 (34 bytes / 32 values) */
    VKATTN_Q4_0 = 5,     /* GGUF block: f16 scale + 16 bytes of nibbles (18 bytes / 32 values) */
    /* More GGUF block types, laid out as ggml's block_<type> (ggml-common.h); the device decodes them. */
    VKATTN_Q4_1 = 6,     /* f16 d, f16 m, 4-bit q: d q + m (20 bytes / 32 values) */
    VKATTN_Q5_0 = 7,     /* f16 d, 5-bit q: d (q - 16) (22 bytes / 32 values) */
    VKATTN_Q5_1 = 8,     /* f16 d, f16 m, 5-bit q: d q + m (24 bytes / 32 values) */
    VKATTN_Q2_K = 9,     /* 2-bit q, 4-bit scales and mins per 16 (84 bytes / 256 values) */
    VKATTN_Q3_K = 10,    /* 3-bit q, 6-bit scales per 16 (110 bytes / 256 values) */
    VKATTN_Q4_K = 11,    /* 4-bit q, 6-bit scales and mins per 32 (144 bytes / 256 values) */
    VKATTN_Q5_K = 12,    /* 5-bit q, 6-bit scales and mins per 32 (176 bytes / 256 values) */
    VKATTN_Q6_K = 13,    /* 6-bit q, 8-bit scales per 16 (210 bytes / 256 values) */
    VKATTN_IQ4_NL = 14,  /* f16 d, 4-bit indices into a fixed 16-value table (18 bytes / 32 values) */
    VKATTN_IQ4_XS = 15   /* IQ4_NL values with 6-bit scales per 32 (136 bytes / 256 values) */
} vkattn_dtype;

const char *vkattn_dtype_string(vkattn_dtype dtype);
/* Bytes for n elements of dtype (n a multiple of vkattn_dtype_block for block types). */
uint64_t vkattn_dtype_bytes(vkattn_dtype dtype, uint64_t n);
/* Elements per block: 32 (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL), 256 (the K-quants, IQ4_XS), 1 otherwise. */
uint32_t vkattn_dtype_block(vkattn_dtype dtype);

typedef struct vkattn_tensor vkattn_tensor;

/* A device tensor, row-major, shape[0] outermost. Block-quantized types need
 * the last dimension to be a multiple of 32. */
vkattn_status vkattn_tensor_create(vkattn_context *ctx, vkattn_dtype dtype, uint32_t ndim,
                                   const int64_t *shape, vkattn_tensor **out);
/* A strided view of `base` (element strides; offset in elements). Shares the
 * base's memory; the base must outlive the view. Not for block types. */
vkattn_status vkattn_tensor_view(vkattn_tensor *base, uint64_t offset, uint32_t ndim,
                                 const int64_t *shape, const int64_t *strides, vkattn_tensor **out);
void vkattn_tensor_destroy(vkattn_tensor *t);

vkattn_dtype vkattn_tensor_dtype(const vkattn_tensor *t);
uint32_t vkattn_tensor_ndim(const vkattn_tensor *t);
int64_t vkattn_tensor_dim(const vkattn_tensor *t, uint32_t i);    /* 1 past ndim */
int64_t vkattn_tensor_stride(const vkattn_tensor *t, uint32_t i); /* elements */
uint64_t vkattn_tensor_numel(const vkattn_tensor *t);
uint64_t vkattn_tensor_bytes(const vkattn_tensor *t);             /* of a contiguous tensor */
int vkattn_tensor_is_contiguous(const vkattn_tensor *t);

/* Copies host data into / out of a whole contiguous tensor; `bytes` must equal
 * vkattn_tensor_bytes. Waits for the device; not allowed inside a batch. */
vkattn_status vkattn_tensor_upload(vkattn_tensor *t, const void *data, size_t bytes);
vkattn_status vkattn_tensor_download(const vkattn_tensor *t, void *data, size_t bytes);
/* Uploads f32 host data converting to the tensor's dtype (F32, F16, BF16), and back. */
vkattn_status vkattn_tensor_upload_f32(vkattn_tensor *t, const float *data, size_t count);
vkattn_status vkattn_tensor_download_f32(const vkattn_tensor *t, float *data, size_t count);

/* ------------------------------------------------------------------------ */
/* Ops: basic                                                                */
/* ------------------------------------------------------------------------ */

/* dst = src (any strides, same shape; F32/F16 either side: converts). */
vkattn_status vkattn_copy(vkattn_context *ctx, const vkattn_tensor *src, vkattn_tensor *dst);
/* Every element of dst = value (F32, F16, I32). */
vkattn_status vkattn_fill(vkattn_context *ctx, vkattn_tensor *dst, float value);

/* ------------------------------------------------------------------------ */
/* Ops: attention                                                            */
/* ------------------------------------------------------------------------ */

/* Scaled dot-product attention, PyTorch's scaled_dot_product_attention:
 *     O = softmax(Q K^T * scale + M) V        (softmax over the keys; f32 math)
 *
 * Implementations (all give the same result; AUTO picks one):
 *   VKATTN_ATTN_3PASS   scores S = Q K^T (materialized, f32), masked row softmax, P V.
 *                       The only one that can return the probabilities (desc->probs).
 *                       Scores beyond maxStorageBufferRange are processed in (batch, head)
 *                       slices or query-row chunks through a bounded scratch buffer.
 *   VKATTN_ATTN_FLASH   fused tiles with an online softmax; device memory O(L * D), never
 *                       Lq x Lk; causal tiles above the diagonal are skipped.
 *   VKATTN_ATTN_DECODE  for few queries (Lq <= 8) over a long cache: the keys are split
 *                       across workgroups (split count from the device's parallelism and Lk),
 *                       partial softmax results combined by a reduction pass; the query
 *                       heads of one KV group share a workgroup (GQA).
 *   VKATTN_ATTN_AUTO    3-pass when probs are requested, decode when Lq <= 8 and Lk >= 256,
 *                       flash otherwise.
 */
typedef enum vkattn_attn_impl { VKATTN_ATTN_AUTO = 0, VKATTN_ATTN_3PASS, VKATTN_ATTN_FLASH, VKATTN_ATTN_DECODE } vkattn_attn_impl;

typedef struct vkattn_attention_desc {
    float scale;                  /* 0 = 1/sqrt(D) */
    /* Causal mask aligned to the bottom-right corner (as in KV-cache decoding): query i
     * sees keys j <= i + Lk - Lq. With Lq == Lk that is j <= i; with Lq < Lk the queries
     * are the last Lq positions of the sequence; with Lq > Lk the first Lq - Lk queries
     * see no key and give zeros. */
    int causal;
    /* Additive f32 mask (-inf allowed), shape [Lq,Lk], [B,1,Lq,Lk] or [B,Hq,Lq,Lk]
     * (a 4-D mask may also have 1 in dim 0; any element strides, 0 = broadcast). NULL = none. */
    const vkattn_tensor *mask;
    /* i32 [B]: keys j >= kv_len[b] are masked (padding); values are clamped to [0, Lk]. NULL = none. */
    const vkattn_tensor *kv_len;
    vkattn_attn_impl impl;        /* AUTO, or force one implementation */
    /* Optional f32 [B,Hq,Lq,Lk] contiguous output of the attention probabilities (masked
     * entries 0); needs 3-pass (AUTO picks it; FLASH/DECODE with probs is an error). */
    vkattn_tensor *probs;
    /* Sliding-window attention (Mistral, Gemma 2/3, Phi-3): query i, at position i + Lk - Lq
     * as the causal mask aligns it, sees only keys j > i + Lk - Lq - window (the last `window`
     * positions up to its own). A mask kind of the kernels (skipped tiles, nothing materialized).
     * 0 = no window. */
    uint32_t window;
    /* Score soft-capping (Gemma 2): s -> softcap * tanh(s / softcap) on the scaled scores,
     * before the masks. 0 = none. */
    float softcap;
} vkattn_attention_desc;

/* q [B,Hq,Lq,D], k [B,Hkv,Lk,D], v [B,Hkv,Lk,Dv] -> o [B,Hq,Lq,Dv].
 * Any element strides (views: e.g. [B,L,H,D] projections or a fused QKV buffer viewed as
 * [B,H,L,D] without a copy); q, k, v, o all f32, or all f16 (needs 16-bit storage, else
 * VKATTN_ERROR_UNSUPPORTED: use f32). Hq % Hkv == 0 (grouped-query / multi-query heads);
 * 1 <= D, Dv <= 256; Lq != Lk allowed. Accumulation and softmax are f32; f16 outputs are
 * clamped to the f16 range. A query row whose keys are all masked yields zeros.
 * desc may be NULL (scale 1/sqrt(D), no mask, AUTO). Recordable into a batch; 3-pass and
 * decode keep temporary device memory until the batch completes. */
vkattn_status vkattn_attention(vkattn_context *ctx, const vkattn_tensor *q, const vkattn_tensor *k,
                               const vkattn_tensor *v, vkattn_tensor *o, const vkattn_attention_desc *desc);

/* ---- Attention plan (what vkattn_attention would do) ---- */

typedef struct vkattn_attention_plan {
    vkattn_attn_impl impl;  /* the implementation that runs (AUTO resolved) */
    uint32_t decode_splits; /* DECODE: key splits, from the device's parallelism and Lk; else 0 */
    uint64_t scratch_bytes; /* temporary device memory the call takes (3-pass score ring, decode partials) */
    uint64_t scores_bytes;  /* B*Hq*Lq*Lk*4: the scores materialized at once (what 3-pass avoids by chunking) */
} vkattn_attention_plan;

/* Checks the arguments as vkattn_attention does and describes the call without recording
 * anything; fails where vkattn_attention would (e.g. VKATTN_ERROR_TOO_LARGE for 3-pass when one
 * row of scores exceeds maxStorageBufferRange). */
vkattn_status vkattn_attention_get_plan(vkattn_context *ctx, const vkattn_tensor *q, const vkattn_tensor *k,
                                        const vkattn_tensor *v, vkattn_tensor *o, const vkattn_attention_desc *desc,
                                        vkattn_attention_plan *plan);

/* ---- Additive attention and multi-head attention layer ---- */

/* Additive (Bahdanau) attention on pre-projected inputs:
 *   e[b,t,i] = v . tanh(hp[b,i,:] + sp[b,t,:]),  alpha[b,t,:] = softmax_i(e[b,t,:]),
 *   c[b,t,:] = sum_i alpha[b,t,i] h[b,i,:],
 * with hp = h W_h^T [B,Lk,A] and sp = s W_s^T + b [B,T,A] (e.g. from vkattn_linear; a decoder computes hp once
 * per source sequence and sp per step). h [B,Lk,Dh]; v [A] f32; mask [B,Lk] i32 or f32, nonzero = keep, or NULL:
 * masked keys get alpha 0, a row with every key masked gets alpha 0 and c 0 (never NaN).
 * Outputs alpha [B,T,Lk] f32 (required: it holds the scores in between) and c [B,T,Dh].
 * hp, sp, h, c: one dtype, f32 or f16 (f16 needs 16-bit storage, else VKATTN_ERROR_UNSUPPORTED); any element
 * strides. Accumulation and softmax in f32. */
vkattn_status vkattn_additive_attention_projected(vkattn_context *ctx, const vkattn_tensor *hp, const vkattn_tensor *sp,
                                                  const vkattn_tensor *v, const vkattn_tensor *h, const vkattn_tensor *mask,
                                                  vkattn_tensor *alpha, vkattn_tensor *c);

/* The whole additive attention: hp = h W_h^T and sp = s W_s^T + b through vkattn_linear (into temporary device
 * memory kept until the batch completes), then vkattn_additive_attention_projected.
 * h [B,Lk,Dh] and s [B,T,Ds] contiguous, f32 or f16 (the projections are stored in h's dtype); w_h [A,Dh],
 * w_s [A,Ds]: f32, f16 or a block type (as vkattn_linear takes them); b [A] f32 or NULL; v [A] f32; mask [B,Lk]
 * i32 or f32 (nonzero = keep) or NULL. Outputs c [B,T,Dh] in h's dtype, alpha [B,T,Lk] f32 or NULL. Masking and
 * fully masked rows as in vkattn_additive_attention_projected. */
vkattn_status vkattn_additive_attention(vkattn_context *ctx, const vkattn_tensor *h, const vkattn_tensor *s,
                                        const vkattn_tensor *w_h, const vkattn_tensor *w_s, const vkattn_tensor *b,
                                        const vkattn_tensor *v, const vkattn_tensor *mask, vkattn_tensor *c,
                                        vkattn_tensor *alpha);

/* Multi-head attention layer: PyTorch's nn.MultiheadAttention with batch_first=True, plus grouped-query heads.
 *   q = query Wq^T + bq, k = key Wk^T + bk, v = value Wv^T + bv    (vkattn_linear)
 *   o = vkattn_attention over q, k, v viewed as [B,H,L,hd] (no copies), out = o Wo^T + bo.
 * E = embed_dim = num_heads * head_dim. Weights are borrowed (they must outlive the layer); f32, f16, q8_0 or
 * q4_0 as vkattn_linear takes them; biases f32 or NULL. Projection weights come in one of two formats:
 *   in_proj_weight [3E,E] (+ in_proj_bias [3E]), rows q|k|v as in PyTorch's state dict; needs
 *     num_kv_heads == num_heads and kdim == vdim == E. Self-attention runs it as one fused GEMM.
 *   q_proj_weight [E,E], k_proj_weight [Hkv*hd, kdim], v_proj_weight [Hkv*hd, vdim] (+ q/k/v_proj_bias).
 * out_proj_weight [E,E] (+ out_proj_bias [E]) always. */
typedef struct vkattn_mha vkattn_mha;
typedef struct vkattn_mha_desc {
    uint32_t embed_dim;    /* E: width of the query input and of the output */
    uint32_t num_heads;    /* Hq; head_dim = E / Hq <= 256 */
    uint32_t num_kv_heads; /* Hkv, divides Hq (grouped-query; 1 = multi-query); 0 = num_heads */
    uint32_t kdim, vdim;   /* widths of the key and value inputs; 0 = E */
    const vkattn_tensor *in_proj_weight, *in_proj_bias;
    const vkattn_tensor *q_proj_weight, *k_proj_weight, *v_proj_weight;
    const vkattn_tensor *q_proj_bias, *k_proj_bias, *v_proj_bias;
    const vkattn_tensor *out_proj_weight, *out_proj_bias;
} vkattn_mha_desc;

vkattn_status vkattn_mha_create(vkattn_context *ctx, const vkattn_mha_desc *desc, vkattn_mha **out);
/* query [B,Lq,E], key [B,Lk,kdim] (NULL = query: self-attention), value [B,Lk,vdim] (NULL = key); contiguous,
 * f32 or f16 (the projections and the attention use query's dtype); out [B,Lq,E] f32 or f16. attn (may be NULL)
 * is passed to vkattn_attention as is: scale, causal, mask ([Lq,Lk], [B,1,Lq,Lk] or [B,Hq,Lq,Lk]), kv_len (key
 * padding), impl, probs [B,Hq,Lq,Lk]. Recordable into a batch (intermediates live until it completes). */
vkattn_status vkattn_mha_forward(vkattn_mha *mha, const vkattn_tensor *query, const vkattn_tensor *key,
                                 const vkattn_tensor *value, vkattn_tensor *out, const vkattn_attention_desc *attn);
/* Not inside an open batch (the layer's bias copies may still be in use there). NULL is a no-op. */
void vkattn_mha_destroy(vkattn_mha *mha);

/* ------------------------------------------------------------------------ */
/* Ops: linear algebra                                                       */
/* ------------------------------------------------------------------------ */

/* y = x W^T (+ bias), PyTorch's F.linear. x [..., K] f32 or f16 (contiguous, up to 4-D; leading
 * dims flattened to M rows); w [N, K] f32, f16 or any block type (K % vkattn_dtype_block == 0); bias [N]
 * f32 or NULL; y [..., N] with x's leading dims, f32 or f16, not overlapping an input. f32
 * accumulation. f16 tensors need 16-bit storage (else VKATTN_ERROR_UNSUPPORTED); block
 * weights work on every device. A w larger than maxStorageBufferRange is split into several
 * dispatches; x and y must each fit in one binding. */
vkattn_status vkattn_linear(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *w,
                            const vkattn_tensor *bias, vkattn_tensor *y);

/* Host block quantizers, bit-identical to ggml's quantize_row_q8_0_ref / quantize_row_q4_0_ref:
 * n finite floats (n % 32 == 0) -> n / 32 blocks at dst (vkattn_dtype_bytes(dtype, n) bytes,
 * the layout vkattn_tensor_upload expects for a q8_0 / q4_0 tensor). Q8_0: d = amax / 127,
 * q = round(x / d); Q4_0: d = max / -8 (max: the value of largest magnitude), q = min(15, x / d + 8.5)
 * truncated. Context-less: errors are reported through vkattn_context_error(NULL). */
vkattn_status vkattn_quantize_q8_0(const float *src, uint64_t n, void *dst);
vkattn_status vkattn_quantize_q4_0(const float *src, uint64_t n, void *dst);
/* The inverse: n / 32 blocks at src -> n floats (value = d * q, resp. d * (q - 8)). */
vkattn_status vkattn_dequantize_q8_0(const void *src, uint64_t n, float *dst);
vkattn_status vkattn_dequantize_q4_0(const void *src, uint64_t n, float *dst);
/* n values of any dtype but i32 at src (f32, f16, bf16 or blocks as ggml lays them out; src may be
 * unaligned) -> n floats, bit-identical to ggml's dequantize_row_* (n % vkattn_dtype_block == 0). */
vkattn_status vkattn_dequantize(vkattn_dtype dtype, const void *src, uint64_t n, float *dst);

/* ------------------------------------------------------------------------ */
/* Ops: token embedding                                                      */
/* ------------------------------------------------------------------------ */

/* Token embedding lookup (nn.Embedding / ggml get_rows): y[i, :] = table[ids[i], :].
 * table [V, D] f32, f16 or any block type (D % vkattn_dtype_block == 0), dequantized to y's dtype; ids i32, any shape
 * (contiguous, N elements); y [N, D] or [ids' dims..., D], f32 or f16 (f16 needs 16-bit storage).
 * An id outside [0, V) gives a zero row (the GPU cannot report it: check ids on the host first). */
vkattn_status vkattn_embedding(vkattn_context *ctx, const vkattn_tensor *table, const vkattn_tensor *ids, vkattn_tensor *y);

/* ------------------------------------------------------------------------ */
/* Ops: elementwise, norms, positions, embeddings                            */
/* ------------------------------------------------------------------------ */

/* Rules for this section unless a function says otherwise:
 *  - activations (x, y, gate, up, a) are F32, or F16 on devices with 16-bit storage
 *    (else VKATTN_ERROR_UNSUPPORTED); the tensors of one call share that dtype;
 *  - parameters (norm weight and bias, the broadcast operand of add/mul, position
 *    tables, RoPE frequencies) are F32 or F16 on any device, whatever the activations;
 *  - up to 4 dims, any element strides (views: e.g. one head, or half of a packed
 *    [.., 2F] projection); y may be an input itself (in place: the same elements),
 *    other overlaps between inputs and y are undefined;
 *  - arithmetic in f32; f16 results are clamped to the finite f16 range;
 *  - the row-wise ops (norms, softmax, argmax, topk) run tensors larger than
 *    maxStorageBufferRange in chunks of rows when the rows are evenly spaced (e.g.
 *    [512, 152000] f32 logits on a 128 MiB device); the other ops need each tensor
 *    within that range (VKATTN_ERROR_TOO_LARGE otherwise);
 *  - like every op: recorded into the open batch, or run at once. */

/* LayerNorm over the last dim (torch.nn.functional.layer_norm with normalized_shape
 * [D]): y = (x - mean) / sqrt(var + eps) * weight + bias, biased variance.
 * x, y [..., D]; weight, bias [D] or NULL (= 1 / 0); eps finite, >= 0 (1e-5 typical). */
vkattn_status vkattn_layer_norm(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *weight,
                                const vkattn_tensor *bias, float eps, vkattn_tensor *y);
/* RMSNorm (LLaMA): y = x / sqrt(mean(x^2) + eps) * weight. x, y [..., D]; weight [D] or NULL. */
vkattn_status vkattn_rms_norm(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *weight, float eps,
                              vkattn_tensor *y);

/* Elementwise activations, x and y of one shape. GELU: exact x * Phi(x) (erf form,
 * approximate_tanh = 0) or PyTorch's approximate='tanh' form (1). */
vkattn_status vkattn_relu(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y);
vkattn_status vkattn_silu(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y);
vkattn_status vkattn_gelu(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y, int approximate_tanh);
/* y = alpha * x. */
vkattn_status vkattn_scale(vkattn_context *ctx, const vkattn_tensor *x, float alpha, vkattn_tensor *y);
/* Soft-capping (Gemma 2's final logits): y = cap * tanh(x / cap), cap finite and > 0. */
vkattn_status vkattn_softcap(vkattn_context *ctx, const vkattn_tensor *x, float cap, vkattn_tensor *y);

/* Gated units on two inputs of one shape [..., F]: SwiGLU y = silu(gate) * up (LLaMA /
 * GGUF ffn_gate, ffn_up), GeGLU y = gelu(gate) * up. A packed [..., 2F] projection
 * output is passed as two views (offset 0 and F, same strides). */
vkattn_status vkattn_swiglu(vkattn_context *ctx, const vkattn_tensor *gate, const vkattn_tensor *up, vkattn_tensor *y);
vkattn_status vkattn_geglu(vkattn_context *ctx, const vkattn_tensor *gate, const vkattn_tensor *up, vkattn_tensor *y,
                           int approximate_tanh);

/* y = a + b and y = a * b, b broadcast numpy-style: b's dims align with a's trailing
 * dims, each equal to a's or 1 (a bias [D], position rows [L, D], a per-row scale
 * [.., 1]). a and y same shape and dtype; b a parameter (F32/F16 on any device). */
vkattn_status vkattn_add(vkattn_context *ctx, const vkattn_tensor *a, const vkattn_tensor *b, vkattn_tensor *y);
vkattn_status vkattn_mul(vkattn_context *ctx, const vkattn_tensor *a, const vkattn_tensor *b, vkattn_tensor *y);

/* Learned position embeddings (GPT-2 wpe): y = x + table[offset + l] for the rows l
 * along x's dim -2. x, y [..., L, D]; table [Lmax, D] F32/F16; offset + L <= Lmax
 * (offset = tokens already in the KV cache). The same as vkattn_add with b a view of
 * rows [offset, offset + L) of the table. */
vkattn_status vkattn_position_embedding(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *table,
                                        int64_t offset, vkattn_tensor *y);

/* Softmax over the last dim, numerically stable (max subtracted); -inf entries give
 * 0 and a row of only -inf gives zeros. x, y [..., D], D any size (vocabularies). */
vkattn_status vkattn_softmax(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y);

/* Rotary position embedding. Pair i < R/2 (R = rotary_dims) of a token at position p
 * turns by the angle p * inv_freq[i], inv_freq[i] = theta^(-2i/R):
 * (a, b) -> (a cos - b sin, b cos + a sin). */
typedef enum vkattn_rope_mode {
    VKATTN_ROPE_NEOX = 0,  /* half split: pairs (x[i], x[i + R/2]); HF LLaMA/NeoX rotate_half, GGUF llama */
    VKATTN_ROPE_GPTJ = 1   /* interleaved: pairs (x[2i], x[2i + 1]); GPT-J, Meta's original LLaMA */
} vkattn_rope_mode;
typedef enum vkattn_rope_layout {
    VKATTN_ROPE_BLHD = 0,  /* x [B, L, H, D] or [L, H, D]: tokens along dim -3 */
    VKATTN_ROPE_BHLD = 1   /* x [B, H, L, D] or [H, L, D]: tokens along dim -2 */
} vkattn_rope_layout;
typedef struct vkattn_rope_desc {
    vkattn_rope_mode mode;
    vkattn_rope_layout layout;
    uint32_t rotary_dims;          /* R: the leading R of D dims rotate (even, <= D), the rest pass; 0 = D */
    float theta;                   /* frequency base; 0 = 10000 (LLaMA 3: 500000) */
    int64_t offset;                /* position of token 0 (tokens already in the KV cache) */
    const vkattn_tensor *positions; /* NULL, or I32 [L] / [B, L]: token l (of batch b) is at offset + positions[b, l] */
    const vkattn_tensor *inv_freq; /* NULL, or F32/F16 [R/2] replacing theta^(-2i/R) (scaled RoPE: LLaMA 3, YaRN) */
} vkattn_rope_desc;
/* y = RoPE(x) on x, y of one shape [B, L, H, D] / [B, H, L, D] per desc->layout (views:
 * e.g. the q or k part of a packed qkv projection; y may be x). desc NULL = all defaults
 * (NeoX, BLHD, R = D, theta 10000, offset 0). Angles are computed in f32 like PyTorch's
 * (pos * inv_freq rounded once), with sin/cos accurate to ~1 ulp after exact range reduction. */
vkattn_status vkattn_rope(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y, const vkattn_rope_desc *desc);

/* Sinusoidal positional encoding (Vaswani et al. 2017) for y [..., L, D]:
 * PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(p / 10000^(2i/D)), p = offset + l.
 * x NULL: y = PE (broadcast over leading dims); else y = x + PE (x, y same shape). offset >= 0. */
vkattn_status vkattn_sinusoidal(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y, int64_t offset);

/* Index of the largest entry of each row of x [..., V] (ties: the lowest index; NaN
 * ranks highest, as in PyTorch). indices: contiguous I32 with one entry per row
 * (e.g. [...] or [..., 1]). Any V (vocabularies of 152k and more). */
vkattn_status vkattn_argmax(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *indices);

#define VKATTN_TOPK_MAX 256
/* The k largest entries of each row of x [..., V], sorted descending, ties to the lower
 * index (torch.topk(sorted=True) up to its tie order). 1 <= k <= min(VKATTN_TOPK_MAX, V).
 * values: contiguous [..., k] of x's dtype, or NULL; indices: contiguous I32 [..., k]. */
vkattn_status vkattn_topk(vkattn_context *ctx, const vkattn_tensor *x, uint32_t k, vkattn_tensor *values,
                          vkattn_tensor *indices);

/* ------------------------------------------------------------------------ */
/* Layers                                                                    */
/* ------------------------------------------------------------------------ */

/* ---- Layers: feed-forward and recurrent ---------------------------------- */
/* Layers take their weights as tensors (any vkattn_linear weight type for the
 * projections), record all their steps into one batch (the open one, or their own),
 * and keep intermediates in device memory that lives until that batch completes. */

typedef enum vkattn_ffn_act {
    VKATTN_FFN_RELU = 0,
    VKATTN_FFN_GELU = 1,       /* erf form; gated: GeGLU */
    VKATTN_FFN_GELU_TANH = 2,  /* tanh approximation; gated: GeGLU (tanh) */
    VKATTN_FFN_SILU = 3        /* gated: SwiGLU (LLaMA) */
} vkattn_ffn_act;

/* Weights in PyTorch's nn.Linear layout [out, in]. Ungated (GPT-2, BERT: fc1 / fc2):
 * up [F, D] + down [D_out, F]. Gated (LLaMA gate_proj / up_proj / down_proj, GGUF
 * ffn_gate / ffn_up / ffn_down): gate and up [F, D], or both packed as gate_up [2F, D]
 * (rows [0, F) gate, [F, 2F) up: one GEMM). Biases: F32 [rows] or NULL. */
typedef struct vkattn_ffn_weights {
    const vkattn_tensor *up, *up_bias;
    const vkattn_tensor *gate, *gate_bias;       /* NULL: ungated */
    const vkattn_tensor *gate_up, *gate_up_bias; /* instead of gate + up */
    const vkattn_tensor *down, *down_bias;
} vkattn_ffn_weights;

/* Gated: y = down(act(x gate^T + bg) * (x up^T + bu)) + bd (+ residual).
 * Ungated: y = down(act(x up^T + bu)) + bd (+ residual).
 * x [..., D] contiguous F32/F16; y [..., D_out] (x's leading dims), same dtype; residual
 * NULL or of y's shape (e.g. the block's input in a pre-norm transformer, where
 * x = norm(input)); y may be x and may be the residual. Gated units take SiLU or GELU.
 * Everything is checked before anything is recorded. */
vkattn_status vkattn_ffn(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_ffn_weights *w, vkattn_ffn_act act,
                         const vkattn_tensor *residual, vkattn_tensor *y);

/* Recurrent layers: one layer, unidirectional, batch_first, PyTorch's nn.GRU / nn.LSTM
 * parameters (names as in their state_dict). G = 3 gates for GRU (r, z, n), 4 for LSTM
 * (i, f, g, o), stacked in that order along the rows. */
typedef struct vkattn_rnn_weights {
    const vkattn_tensor *weight_ih; /* weight_ih_l0 [G*H, I]: any vkattn_linear weight type */
    const vkattn_tensor *weight_hh; /* weight_hh_l0 [G*H, H]: F32 or F16, contiguous */
    const vkattn_tensor *bias_ih;   /* bias_ih_l0 [G*H] F32, or NULL */
    const vkattn_tensor *bias_hh;   /* bias_hh_l0 [G*H] F32 or F16, or NULL */
} vkattn_rnn_weights;

/* GRU over x [B, T, I] (contiguous F32/F16):
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
 * h0: initial state [B, H] or [1, B, H], or NULL (zeros); y [B, T, H] receives every h_t
 * (PyTorch's output); hn: the final state ([B, H] / [1, B, H]) or NULL. All of x's dtype,
 * contiguous; y must not share memory with h0; hn may be h0 (a state updated in place).
 * The input projections of all steps are one GEMM, then one step kernel per time step,
 * all in one batch. */
vkattn_status vkattn_gru(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_rnn_weights *w,
                         const vkattn_tensor *h0, vkattn_tensor *y, vkattn_tensor *hn);
/* LSTM, as vkattn_gru with a cell state: i, f, o = sigmoid(..), g = tanh(..),
 * c' = f * c + i * g, h' = o * tanh(c'). c0 / cn: [B, H] or [1, B, H], or NULL (zeros /
 * not returned; cn may be c0). The cell state is carried in f32 between steps. */
vkattn_status vkattn_lstm(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_rnn_weights *w,
                          const vkattn_tensor *h0, const vkattn_tensor *c0, vkattn_tensor *y, vkattn_tensor *hn,
                          vkattn_tensor *cn);

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/* File readers report errors without a context: vkattn_context_error(NULL)
 * gives the message (it names the file and what is wrong). A missing or
 * unreadable file is VKATTN_ERROR_IO; malformed content VKATTN_ERROR_FORMAT.
 * Readers memory-map the file read-only; the data pointers they hand out stay
 * valid until the file is closed and may be unaligned (copy with memcpy). */

/* safetensors (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header {name: {dtype, shape,
 * data_offsets}}, then the tensor bytes. Supported dtypes: F32, F16, BF16, I32;
 * up to 4 dimensions (0-d scalars read as shape [1]). */
typedef struct vkattn_safetensors vkattn_safetensors;

typedef struct vkattn_st_tensor {
    const char *name;       /* owned by the file handle */
    vkattn_dtype dtype;     /* F32, F16, BF16 or I32 */
    uint32_t ndim;          /* 1..4 */
    int64_t shape[VKATTN_MAX_DIMS]; /* row-major, shape[0] outermost; unused dims 0 */
    const void *data;       /* `bytes` bytes inside the mapping, possibly unaligned */
    uint64_t bytes;         /* numel * dtype size (0 for empty tensors) */
} vkattn_st_tensor;

/* Opens and validates a whole file (header, dtypes, shapes, offsets: in
 * bounds, sizes matching, no overlaps, no duplicate names). */
vkattn_status vkattn_safetensors_open(const char *path, vkattn_safetensors **out);
void vkattn_safetensors_close(vkattn_safetensors *st);
/* Number of tensors ("__metadata__" is not one). */
uint32_t vkattn_safetensors_count(const vkattn_safetensors *st);
/* Tensor i (0 <= i < count) in header order. */
vkattn_status vkattn_safetensors_at(const vkattn_safetensors *st, uint32_t i, vkattn_st_tensor *out);
/* Tensor by name; VKATTN_ERROR_INVALID_ARGUMENT when absent. */
vkattn_status vkattn_safetensors_find(const vkattn_safetensors *st, const char *name, vkattn_st_tensor *out);

/* Decodes a tensor's elements (F32, F16, BF16 or I32) into f32 values, or into
 * i32 values (float tensors must then hold integers); count = its element count. */
vkattn_status vkattn_st_tensor_read_f32(const vkattn_st_tensor *t, float *dst, uint64_t count);
vkattn_status vkattn_st_tensor_read_i32(const vkattn_st_tensor *t, int32_t *dst, uint64_t count);

/* Writer: collects tensors in memory, then writes one file readable by the
 * safetensors package, PyTorch and numpy (tensors in the order added). */
typedef struct vkattn_st_writer vkattn_st_writer;

vkattn_status vkattn_st_writer_create(vkattn_st_writer **out);
/* Copies `data` (numel * dtype size bytes, host order). dtype F32/F16/BF16/I32;
 * ndim 0..4 (0 = scalar); dims >= 0; names unique, non-empty, not "__metadata__". */
vkattn_status vkattn_st_writer_add(vkattn_st_writer *w, const char *name, vkattn_dtype dtype, uint32_t ndim,
                                   const int64_t *shape, const void *data);
/* Writes the file (via a temporary file renamed into place). The writer stays
 * usable (more adds, another save). */
vkattn_status vkattn_st_writer_save(vkattn_st_writer *w, const char *path);
void vkattn_st_writer_destroy(vkattn_st_writer *w);

/* GGUF (llama.cpp / ggml model files), versions 2 and 3, little-endian: a header
 * with typed metadata (key -> value) and a tensor table, then the aligned tensor
 * data. Opening validates everything (counts, string and array lengths, types,
 * dims, offsets: aligned, in bounds, not overlapping). Tensors of any known ggml
 * type are listed; vkattn_gguf_tensor_dtype accepts F32, F16, BF16 and the
 * block types of vkattn_dtype (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K, IQ4_NL, IQ4_XS).
 * Strings are returned NUL-terminated with their length (they may hold NULs). */
typedef struct vkattn_gguf vkattn_gguf;

typedef enum vkattn_gguf_type {  /* metadata value types, numbered as in the file */
    VKATTN_GGUF_UINT8 = 0, VKATTN_GGUF_INT8 = 1, VKATTN_GGUF_UINT16 = 2, VKATTN_GGUF_INT16 = 3,
    VKATTN_GGUF_UINT32 = 4, VKATTN_GGUF_INT32 = 5, VKATTN_GGUF_FLOAT32 = 6, VKATTN_GGUF_BOOL = 7,
    VKATTN_GGUF_STRING = 8, VKATTN_GGUF_ARRAY = 9, VKATTN_GGUF_UINT64 = 10, VKATTN_GGUF_INT64 = 11,
    VKATTN_GGUF_FLOAT64 = 12
} vkattn_gguf_type;

/* "uint32", "string", "array", ... */
const char *vkattn_gguf_type_string(vkattn_gguf_type type);

vkattn_status vkattn_gguf_open(const char *path, vkattn_gguf **out);
/* The same over `size` bytes in memory (e.g. a model embedded in the program), borrowed: they must stay
 * valid and unchanged until close. `name` (may be NULL) stands for the path in messages. */
vkattn_status vkattn_gguf_open_memory(const void *data, size_t size, const char *name, vkattn_gguf **out);
void vkattn_gguf_close(vkattn_gguf *g);
uint32_t vkattn_gguf_version(const vkattn_gguf *g);
/* general.alignment (default 32), and the data section's offset in the file. */
uint64_t vkattn_gguf_alignment(const vkattn_gguf *g);
uint64_t vkattn_gguf_data_offset(const vkattn_gguf *g);

/* Metadata, in file order: key and type of entry i (0 <= i < kv_count; NULL / -1 past it). */
uint64_t vkattn_gguf_kv_count(const vkattn_gguf *g);
const char *vkattn_gguf_kv_key(const vkattn_gguf *g, uint64_t i);
int vkattn_gguf_kv_type(const vkattn_gguf *g, uint64_t i);
/* Index of `key`, or -1 when absent. */
int64_t vkattn_gguf_find_key(const vkattn_gguf *g, const char *key);

/* Typed getters by key. A missing key, a value of another kind or out of the
 * target's range gives VKATTN_ERROR_FORMAT with a message naming the key.
 * Integers convert between integer types when the value fits; get_f32 also takes
 * float64 and integers (get_f64 likewise); get_bool only bool. */
vkattn_status vkattn_gguf_get_u32(const vkattn_gguf *g, const char *key, uint32_t *out);
vkattn_status vkattn_gguf_get_i32(const vkattn_gguf *g, const char *key, int32_t *out);
vkattn_status vkattn_gguf_get_u64(const vkattn_gguf *g, const char *key, uint64_t *out);
vkattn_status vkattn_gguf_get_i64(const vkattn_gguf *g, const char *key, int64_t *out);
vkattn_status vkattn_gguf_get_f32(const vkattn_gguf *g, const char *key, float *out);
vkattn_status vkattn_gguf_get_f64(const vkattn_gguf *g, const char *key, double *out);
vkattn_status vkattn_gguf_get_bool(const vkattn_gguf *g, const char *key, int *out);
/* The string stays valid until close; len may be NULL. */
vkattn_status vkattn_gguf_get_string(const vkattn_gguf *g, const char *key, const char **out, uint64_t *len);
/* An array's element type (may be VKATTN_GGUF_ARRAY for nested arrays, whose
 * elements cannot be read) and element count. */
vkattn_status vkattn_gguf_get_array(const vkattn_gguf *g, const char *key, vkattn_gguf_type *elem_type,
                                    uint64_t *count);
/* Element i of an array of strings (e.g. tokenizer.ggml.tokens); len may be NULL. */
vkattn_status vkattn_gguf_array_string(const vkattn_gguf *g, const char *key, uint64_t i, const char **out,
                                       uint64_t *len);
/* Elements [first, first + n) of a numeric array as f32 / f64 (any integer or
 * float type), or as i32 / i64 / u64 (integer or bool types, values must fit). */
vkattn_status vkattn_gguf_array_f32(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, float *dst);
vkattn_status vkattn_gguf_array_f64(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, double *dst);
vkattn_status vkattn_gguf_array_i32(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n,
                                    int32_t *dst);
vkattn_status vkattn_gguf_array_i64(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n,
                                    int64_t *dst);
vkattn_status vkattn_gguf_array_u64(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n,
                                    uint64_t *dst);

typedef struct vkattn_gguf_tensor {
    const char *name;
    uint32_t ggml_type;             /* GGML_TYPE_* id as stored */
    const char *type_name;          /* "F32", "Q8_0", "Q4_K", ... */
    uint32_t ndim;                  /* 1..4 */
    int64_t shape[VKATTN_MAX_DIMS]; /* row-major, outermost first (GGUF's ne[] reversed); unused dims 0 */
    uint64_t offset;                /* bytes from the start of the data section */
    const void *data;               /* `bytes` bytes inside the mapping, aligned to vkattn_gguf_alignment */
    uint64_t bytes;
} vkattn_gguf_tensor;

uint64_t vkattn_gguf_tensor_count(const vkattn_gguf *g);
/* Tensor i in file order. */
vkattn_status vkattn_gguf_tensor_at(const vkattn_gguf *g, uint64_t i, vkattn_gguf_tensor *out);
/* Tensor by name; VKATTN_ERROR_INVALID_ARGUMENT when absent. */
vkattn_status vkattn_gguf_find_tensor(const vkattn_gguf *g, const char *name, vkattn_gguf_tensor *out);
/* The vkattn dtype of a tensor: F32, F16, BF16 or a vkattn_dtype block type; other ggml types
 * give VKATTN_ERROR_FORMAT naming the type and listing the supported ones. */
vkattn_status vkattn_gguf_tensor_dtype(const vkattn_gguf_tensor *t, vkattn_dtype *out);
/* The ggml type names vkattn_gguf_tensor_dtype accepts, for messages. */
#define VKATTN_GGUF_SUPPORTED_TYPES "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS"

/* ------------------------------------------------------------------------ */
/* Images and attention maps                                                 */
/* ------------------------------------------------------------------------ */

/* An RGB image, row-major HWC, values in [0, 1]. */
typedef struct vkattn_image {
    int width, height;
    float *rgb;
} vkattn_image;

/* Decodes PNG, JPEG or BMP (stb_image; JPEG marker segments are validated first, since the
 * stb_image of Debian 12 trusts them). Free with vkattn_image_free.
 * Errors (no context): VKATTN_ERROR_IO, _FORMAT, _TOO_LARGE; see vkattn_context_error(NULL). */
vkattn_status vkattn_image_load(const char *path, vkattn_image *out);
/* The same from `size` bytes in memory (an encoded PNG/JPEG/BMP file). */
vkattn_status vkattn_image_load_memory(const void *data, size_t size, vkattn_image *out);
void vkattn_image_free(vkattn_image *img);
/* Bilinear (triangle filter) resize to width x height into a new image. */
vkattn_status vkattn_image_resize(const vkattn_image *img, int width, int height, vkattn_image *out);
/* Writes (rgb - mean[c]) / std[c] as planar CHW floats: out holds 3 * width * height. */
vkattn_status vkattn_image_to_chw(const vkattn_image *img, const float mean[3], const float std[3], float *out);

/* Heat map of rows x cols probabilities (row-major) with labels on both axes
 * (may be NULL; non-ASCII characters are drawn as '?'), a colour bar and an
 * optional title, written as PNG. */
vkattn_status vkattn_attnmap_png(const char *path, const float *probs, int rows, int cols, const char *const *row_labels,
                                 const char *const *col_labels, const char *title);
/* The image with a grid_h x grid_w weight map (e.g. CLS attention over ViT
 * patches) upsampled and blended over it, written as PNG. */
vkattn_status vkattn_attnmap_overlay_png(const char *path, const vkattn_image *img, const float *weights, int grid_h,
                                         int grid_w, const char *title);

/* ------------------------------------------------------------------------ */
/* Tokenizers and sampling                                                   */
/* ------------------------------------------------------------------------ */

/* Host-side tokenizers built from the arrays a GGUF file's tokenizer.ggml.* metadata holds, behaving as
 * llama.cpp's: byte-level BPE (model "gpt2": GPT-2 byte<->unicode mapping, regex-style pre-tokenization,
 * merges by rank) and SentencePiece-style (model "llama": U+2581 for spaces, dummy prefix, score-greedy
 * merges, <0xXX> byte fallback). Tokenizers and samplers need no context: errors are reported through
 * vkattn_context_error(NULL) (per thread). A tokenizer is immutable after creation, so one handle may
 * be used from several threads; a detokenizer or sampler belongs to one thread at a time. */

typedef enum vkattn_token_type { /* tokenizer.ggml.token_type values */
    VKATTN_TOKEN_UNDEFINED = 0,
    VKATTN_TOKEN_NORMAL = 1,
    VKATTN_TOKEN_UNKNOWN = 2,
    VKATTN_TOKEN_CONTROL = 3,      /* BOS, EOS, <|im_end|>, ...: decoded only with VKATTN_DETOK_SPECIAL */
    VKATTN_TOKEN_USER_DEFINED = 4, /* always matched in input text, decoded as its text */
    VKATTN_TOKEN_UNUSED = 5,
    VKATTN_TOKEN_BYTE = 6          /* "<0xXX>": decodes to that byte */
} vkattn_token_type;

typedef struct vkattn_tokenizer vkattn_tokenizer;

/* What a tokenizer is made of. The arrays are only read during vkattn_tokenizer_create (it copies what
 * it needs). Start from vkattn_tokenizer_desc_default(): ids -1 (none), flags -1 (the model's default). */
typedef struct vkattn_tokenizer_desc {
    const char *model;              /* tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece) */
    const char *pre;                /* tokenizer.ggml.pre (BPE): "gpt-2", "llama-bpe", "qwen2", "smollm", "falcon",
                                     * ... (llama.cpp's names); NULL or "default": llama.cpp's default */
    uint32_t n_vocab;
    const char *const *tokens;      /* tokenizer.ggml.tokens: n_vocab strings */
    const uint32_t *token_lens;     /* their byte lengths (strings may hold NULs); NULL: NUL-terminated */
    const float *scores;            /* tokenizer.ggml.scores (SentencePiece merge priority); NULL: all 0 */
    const int32_t *token_types;     /* tokenizer.ggml.token_type (vkattn_token_type); NULL: all normal */
    uint32_t n_merges;
    const char *const *merges;      /* tokenizer.ggml.merges (BPE): "left right", rank = index */
    const uint32_t *merge_lens;     /* NULL: NUL-terminated */
    int32_t bos_id, eos_id, unknown_id, padding_id, eot_id; /* tokenizer.ggml.*_token_id; -1: none */
    int add_bos, add_eos;           /* tokenizer.ggml.add_bos_token / add_eos_token: 1, 0, or -1 for the model's
                                     * default (BOS for "llama" and for pre "llama-bpe"/"llama3", else none) */
    int add_space_prefix;           /* tokenizer.ggml.add_space_prefix ("llama"): 1, 0, or -1 (default: 1) */
} vkattn_tokenizer_desc;

/* Fills desc with the defaults described above (all arrays NULL). */
void vkattn_tokenizer_desc_default(vkattn_tokenizer_desc *desc);

/* Builds a tokenizer. Fails with VKATTN_ERROR_INVALID_ARGUMENT (missing arrays, ids out of range,
 * add_bos/add_eos without the id), VKATTN_ERROR_UNSUPPORTED (unknown model or pre-tokenizer: the message
 * lists the supported ones) or VKATTN_ERROR_FORMAT (a merge that is not "left right"). */
vkattn_status vkattn_tokenizer_create(const vkattn_tokenizer_desc *desc, vkattn_tokenizer **out);
void vkattn_tokenizer_destroy(vkattn_tokenizer *tok);

/* The tokenizer of a GGUF file, from its tokenizer.ggml.* metadata alone (a file without tensors works,
 * as llama.cpp's vocab_only). A "llama" vocabulary without bos/eos/unknown ids gets llama.cpp's 1/2/0.
 * VKATTN_ERROR_FORMAT when the file has no vocabulary or a key has the wrong type or length; otherwise
 * as vkattn_tokenizer_create. The tokenizer does not keep g. */
vkattn_status vkattn_tokenizer_create_gguf(const vkattn_gguf *g, vkattn_tokenizer **out);
/* Opens the GGUF file at path and builds its tokenizer (vkattn_tokenizer_create_gguf). */
vkattn_status vkattn_tokenizer_load(const char *path, vkattn_tokenizer **out);

typedef struct vkattn_tokenizer_info {
    const char *model;              /* "gpt2" or "llama" */
    const char *pre;                /* the pre-tokenizer name ("" for "llama") */
    uint32_t n_vocab, n_merges;
    int32_t bos_id, eos_id, unknown_id, padding_id, eot_id;
    int add_bos, add_eos, add_space_prefix; /* as resolved from the desc and the model's defaults */
    uint32_t max_piece_bytes;       /* longest decoded token */
    const char *warning;            /* NULL, or a message to show the user once (llama.cpp warns likewise): a
                                     * BPE file without tokenizer.ggml.pre gets llama.cpp's default */
} vkattn_tokenizer_info;

void vkattn_tokenizer_get_info(const vkattn_tokenizer *tok, vkattn_tokenizer_info *info);

/* Tokenizes text[0..len) (any bytes; invalid UTF-8 still round-trips). add_special: add BOS / EOS as the
 * tokenizer's add_bos / add_eos say. parse_special: control tokens written in the text ("<|im_end|>")
 * become those tokens (user-defined tokens always do), as llama.cpp's parse_special. Writes up to capacity
 * ids; *n = the number of tokens. When capacity is too small, *n is the count needed, nothing is written
 * and the result is VKATTN_ERROR_INVALID_ARGUMENT (ids may be NULL with capacity 0 to count). */
vkattn_status vkattn_tokenize(const vkattn_tokenizer *tok, const char *text, size_t len, int add_special,
                              int parse_special, int32_t *ids, size_t capacity, size_t *n);

/* The bytes token id decodes to (not NUL-terminated; byte-fallback "<0xXX>" -> that byte, GPT-2
 * byte-level code points -> their bytes, SentencePiece U+2581 -> space). Control and unknown tokens give
 * nothing unless `special` is set (then their text). *n = the length; a short buffer gives
 * VKATTN_ERROR_INVALID_ARGUMENT with *n = the size needed. A piece may be an incomplete UTF-8 sequence. */
vkattn_status vkattn_token_to_piece(const vkattn_tokenizer *tok, int32_t id, int special, char *buf,
                                    size_t capacity, size_t *n);

/* Detokenization flags. */
#define VKATTN_DETOK_SPECIAL 1u      /* render control and unknown tokens as their text */
#define VKATTN_DETOK_STRIP_PREFIX 2u /* drop the space SentencePiece's dummy prefix added (at the start and after
                                      * special tokens): with it, detokenize(tokenize(s)) == s exactly */

/* The bytes of a whole token sequence, concatenated as is (no UTF-8 repair): an exact inverse of
 * vkattn_tokenize for text without special tokens (with VKATTN_DETOK_STRIP_PREFIX for "llama").
 * Short buffer: VKATTN_ERROR_INVALID_ARGUMENT with *n = the size needed. */
vkattn_status vkattn_detokenize(const vkattn_tokenizer *tok, const int32_t *ids, size_t n_ids, uint32_t flags,
                                char *text, size_t capacity, size_t *n);

/* Streaming detokenizer: push tokens as they are generated, get text that is always complete, valid
 * UTF-8. A character split across tokens is held back until complete (at most 3 bytes); ill-formed bytes
 * become U+FFFD. The tokenizer must outlive it. */
typedef struct vkattn_detok vkattn_detok;

vkattn_status vkattn_detok_create(const vkattn_tokenizer *tok, uint32_t flags, vkattn_detok **out);
/* Decodes one token into out (capacity bytes, not NUL-terminated); *n = bytes written (often 0 while a
 * character is incomplete). Output never exceeds 3 * (max_piece_bytes + 3). A short buffer gives
 * VKATTN_ERROR_INVALID_ARGUMENT with *n = the size needed, and the token is not consumed. */
vkattn_status vkattn_detok_push(vkattn_detok *d, int32_t id, char *out, size_t capacity, size_t *n);
/* End of input: a held-back incomplete character is emitted as U+FFFD (at most 3 bytes). */
vkattn_status vkattn_detok_flush(vkattn_detok *d, char *out, size_t capacity, size_t *n);
void vkattn_detok_destroy(vkattn_detok *d);

/* End of generation: EOS, EOT, and tokens whose text is a known end marker (<|im_end|>, <|eot_id|>,
 * <|endoftext|>, <end_of_turn>, ...), as llama.cpp's llama_vocab_is_eog. */
int vkattn_tokenizer_is_eog(const vkattn_tokenizer *tok, int32_t id);
/* VKATTN_TOKEN_UNDEFINED for an id out of range. */
vkattn_token_type vkattn_tokenizer_token_type(const vkattn_tokenizer *tok, int32_t id);
/* The raw vocabulary text of id (not NUL-terminated; *len its length); NULL when out of range. */
const char *vkattn_tokenizer_token_text(const vkattn_tokenizer *tok, int32_t id, size_t *len);
/* The id whose vocabulary text is exactly text[0..len), or -1. */
int32_t vkattn_tokenizer_find(const vkattn_tokenizer *tok, const char *text, size_t len);

/* Sampling a token from a row of logits, on the host, as llama.cpp's default chain: repetition
 * penalties -> top-k -> top-p -> min-p -> temperature -> draw (top-p and min-p see the distribution
 * before temperature, as llama.cpp). temperature <= 0 is greedy (argmax after penalties; ties: lowest id).
 * O(V) per sample (top-k: O(V log k)); the RNG is the sampler's own (xoshiro256**, seeded by splitmix64),
 * so a seed gives the same tokens on every platform. */
typedef struct vkattn_sampler vkattn_sampler;

typedef struct vkattn_sampler_desc {
    uint64_t seed;
    float temperature;          /* <= 0: greedy */
    uint32_t top_k;             /* keep the k most likely; 0: off */
    float top_p;                /* keep the smallest most-likely set with probability >= top_p; 0 or >= 1: off */
    float min_p;                /* keep tokens with p >= min_p * p_max; <= 0: off */
    float repeat_penalty;       /* llama.cpp's: logit / penalty if > 0 else logit * penalty, for each token in
                                 * the last penalty_last_n accepted; 0 or 1: off */
    float frequency_penalty;    /* logit -= count * frequency_penalty (over the same window); 0: off */
    float presence_penalty;     /* logit -= presence_penalty if the token is in the window; 0: off */
    uint32_t penalty_last_n;    /* window of accepted tokens the penalties look at; 0: penalties off */
} vkattn_sampler_desc;

/* llama.cpp's defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, repeat_penalty 1 (off),
 * penalty_last_n 64, seed 0. */
void vkattn_sampler_desc_default(vkattn_sampler_desc *desc);

/* Fails with VKATTN_ERROR_INVALID_ARGUMENT on NaN or negative parameters (the message names it). */
vkattn_status vkattn_sampler_create(const vkattn_sampler_desc *desc, vkattn_sampler **out);
void vkattn_sampler_destroy(vkattn_sampler *s);

/* Draws a token from logits[0..n_vocab). The logits are not modified; -inf masks a token. NaN or +inf
 * logits, or all -inf, give VKATTN_ERROR_INVALID_ARGUMENT. Does not record the token: call
 * vkattn_sampler_accept with the token actually used (and with the prompt's tokens, for penalties). */
vkattn_status vkattn_sampler_sample(vkattn_sampler *s, const float *logits, uint32_t n_vocab, int32_t *token);
/* Appends a token to the penalty window (token >= 0). */
vkattn_status vkattn_sampler_accept(vkattn_sampler *s, int32_t token);
/* Forgets the accepted tokens and restarts the RNG from the seed. */
void vkattn_sampler_reset(vkattn_sampler *s);

/* ------------------------------------------------------------------------ */
/* Encoders: BERT, ViT (Hugging Face directories)                            */
/* ------------------------------------------------------------------------ */

/* WordPiece tokenizer (BERT's vocab.txt): Hugging Face's BasicTokenizer (drop control characters, whitespace
 * split, CJK ideographs as words, optional lower-casing and accent stripping, punctuation split) followed by
 * greedy longest-match-first WordPiece with "##" continuations. Host side; errors through
 * vkattn_context_error(NULL). Immutable after creation (usable from several threads). */
typedef struct vkattn_wordpiece vkattn_wordpiece;
typedef struct vkattn_wordpiece_desc {
    const char *vocab_path;       /* one token per line; id = line number */
    int lower_case;               /* do_lower_case */
    int strip_accents;            /* 1, 0, or -1: as lower_case (HF's strip_accents = None) */
    int no_cjk_split;             /* 1: tokenize_chinese_chars = False */
    const char *unk_token;        /* NULL: "[UNK]" (must be in the vocabulary) */
    uint32_t max_chars_per_word;  /* longer words become the unknown token; 0: 100 */
} vkattn_wordpiece_desc;

vkattn_status vkattn_wordpiece_create(const vkattn_wordpiece_desc *desc, vkattn_wordpiece **out);
void vkattn_wordpiece_destroy(vkattn_wordpiece *wp);
/* text[0..len) (UTF-8; ill-formed bytes are dropped) -> ids, no special tokens added. *n = the count; when it
 * exceeds capacity nothing more is written and the result is VKATTN_ERROR_INVALID_ARGUMENT (count with 0). */
vkattn_status vkattn_wordpiece_tokenize(const vkattn_wordpiece *wp, const char *text, size_t len, int32_t *ids,
                                        size_t capacity, size_t *n);
/* The id of a vocabulary entry, or -1; the text of an id, or NULL. */
int32_t vkattn_wordpiece_find(const vkattn_wordpiece *wp, const char *token);
const char *vkattn_wordpiece_token(const vkattn_wordpiece *wp, int32_t id);
uint32_t vkattn_wordpiece_vocab_size(const vkattn_wordpiece *wp);

/* An encoder from a Hugging Face model directory: config.json, model.safetensors (or shards listed in
 * model.safetensors.index.json), plus
 *   BERT (model_type "bert": BertModel / BertForSequenceClassification names, with or without the "bert."
 *     prefix): vocab.txt, tokenizer_config.json (do_lower_case, strip_accents; optional);
 *   ViT (model_type "vit": ViTForImageClassification / ViTModel names): preprocessor_config.json (optional).
 * Weights F32, F16 or BF16; held on the device as f32. Labels from config.json's id2label.
 * A malformed directory gives VKATTN_ERROR_IO / _FORMAT with a message naming the file, key or tensor. */
typedef struct vkattn_encoder vkattn_encoder;

typedef enum vkattn_encoder_arch { VKATTN_ENCODER_BERT = 1, VKATTN_ENCODER_VIT = 2 } vkattn_encoder_arch;

typedef struct vkattn_encoder_info {
    vkattn_encoder_arch arch;
    uint32_t hidden_size, num_layers, num_heads, intermediate_size;
    uint32_t max_tokens;          /* BERT: max_position_embeddings; ViT: 1 + patches */
    uint32_t num_labels;          /* rows of the classifier; 0 = none */
    int has_pooler;               /* BERT pooler (dense + tanh on [CLS]) present */
    uint32_t image_size, patch_size, grid; /* ViT: input side, patch side, patches per side */
    float image_mean[3], image_std[3];     /* ViT preprocessing */
    int do_resize;                /* ViT: resize to image_size x image_size (else the image must be that size) */
    /* sentence-transformers layout (modules.json, 1_Pooling/config.json, a Normalize module,
     * sentence_bert_config.json): the pooling and normalisation it prescribes; st_pooling -1 when the
     * directory has no modules.json. max_seq_length: tokenize truncates to it (<= max_tokens). */
    int st_pooling;               /* vkattn_pooling or -1 */
    int st_normalize;
    uint32_t max_seq_length;
} vkattn_encoder_info;

vkattn_status vkattn_encoder_create(vkattn_context *ctx, const char *dir, vkattn_encoder **out);
/* Not inside an open batch. NULL is a no-op. */
void vkattn_encoder_destroy(vkattn_encoder *enc);
void vkattn_encoder_get_info(const vkattn_encoder *enc, vkattn_encoder_info *info);
/* Label i of the classifier (id2label; "LABEL_i" when absent), NULL out of range. */
const char *vkattn_encoder_label(const vkattn_encoder *enc, uint32_t i);
/* BERT: the tokenizer (owned by the encoder); NULL for ViT. */
const vkattn_wordpiece *vkattn_encoder_wordpiece(const vkattn_encoder *enc);
/* BERT: [CLS] + WordPiece(text) + [SEP], truncated to max_seq_length (the last kept token is [SEP]). *n and a
 * short capacity as vkattn_wordpiece_tokenize. */
vkattn_status vkattn_encoder_tokenize(const vkattn_encoder *enc, const char *text, int32_t *ids, size_t capacity,
                                      size_t *n);

/* Sentence-embedding pooling, as sentence-transformers' Pooling module: the [CLS] row, the mean, the
 * element-wise max, or the sum / sqrt(length) over the real tokens, or the last real token's row (lasttoken). */
typedef enum vkattn_pooling {
    VKATTN_POOL_CLS = 0, VKATTN_POOL_MEAN = 1, VKATTN_POOL_MAX = 2, VKATTN_POOL_MEAN_SQRT_LEN = 3, VKATTN_POOL_LAST = 4
} vkattn_pooling;

/* The sentence embedding a directory prescribes: its sentence-transformers Pooling mode and Normalize module
 * (info.st_pooling / st_normalize), else the [CLS] row without normalisation. What `vkattn embed` and
 * `vkattn serve`'s /v1/embeddings use unless told otherwise. */
void vkattn_encoder_default_pooling(const vkattn_encoder *enc, vkattn_pooling *pooling, int *normalize);

/* What a forward pass returns; every pointer may be NULL (not computed). Caller-allocated, f32, row-major.
 * L = the longest input (tokens; ViT: 1 + patches), D = hidden_size. */
typedef struct vkattn_encoder_outputs {
    float *hidden;        /* [B, L, D] last hidden states (padded rows of shorter inputs: unspecified) */
    float *pooled;        /* [B, D] sentence embedding, pooled as `pooling` says */
    vkattn_pooling pooling;
    int normalize;        /* L2-normalise pooled */
    float *logits;        /* [B, num_labels] classifier (BERT: on the pooler output; ViT: on the final [CLS]) */
    float *attn_probs;    /* [B, L, L] attention probabilities of layer attn_layer, head attn_head */
    uint32_t attn_layer, attn_head;
} vkattn_encoder_outputs;

/* BERT on a batch of B token sequences (ids[b][0..lens[b])); different lengths are padded and masked.
 * Token types all 0, positions 0..len-1. */
vkattn_status vkattn_encoder_forward(vkattn_encoder *enc, const int32_t *const *ids, const uint32_t *lens, uint32_t batch,
                                     vkattn_encoder_outputs *out);
/* ViT on B images (resized and normalised as the preprocessor config says). */
vkattn_status vkattn_encoder_forward_images(vkattn_encoder *enc, const vkattn_image *images, uint32_t batch,
                                            vkattn_encoder_outputs *out);

/* ------------------------------------------------------------------------ */
/* Encoder-decoder: the original Transformer (nn.Transformer)                */
/* ------------------------------------------------------------------------ */

/* "Attention Is All You Need" from a directory: config.json (model_type "transformer": d_model, nhead,
 * num_encoder_layers, num_decoder_layers, dim_feedforward, activation "relu"|"gelu", norm_first, layer_norm_eps,
 * src_vocab_size, tgt_vocab_size, max_len, bos_token_id, eos_token_id), model.safetensors with PyTorch
 * nn.Transformer parameter names under "transformer." (encoder.layers.N.self_attn.in_proj_weight, ..., encoder.norm,
 * decoder.layers.N.multihead_attn..., decoder.norm) plus src_embed.weight, tgt_embed.weight, generator.weight/bias;
 * vocab.txt (WordPiece, shared by source and target). Embeddings are scaled by sqrt(d_model) and get sinusoidal
 * positions. Decoding keeps the encoder output's cross-attention K/V and every decoder layer's self-attention K/V
 * on the device (one new token per step). */
typedef struct vkattn_seq2seq vkattn_seq2seq;

typedef struct vkattn_seq2seq_info {
    uint32_t d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward;
    uint32_t src_vocab_size, tgt_vocab_size, max_len;
    int32_t bos_id, eos_id;
    int norm_first;
} vkattn_seq2seq_info;

vkattn_status vkattn_seq2seq_create(vkattn_context *ctx, const char *dir, vkattn_seq2seq **out);
void vkattn_seq2seq_destroy(vkattn_seq2seq *s);
void vkattn_seq2seq_get_info(const vkattn_seq2seq *s, vkattn_seq2seq_info *info);
/* The tokenizer of vocab.txt (owned by the model). */
const vkattn_wordpiece *vkattn_seq2seq_wordpiece(const vkattn_seq2seq *s);

typedef struct vkattn_seq2seq_desc {
    uint32_t max_new_tokens;  /* 0: max_len - 1 */
    uint32_t beam_size;       /* 0 or 1: greedy; else beam search (scores: summed log-probabilities) */
    float length_penalty;     /* beam: final score / length^penalty (0: none) */
    float *step_logits;       /* greedy: [max_new_tokens, tgt_vocab_size] logits of every step, or NULL */
} vkattn_seq2seq_desc;

/* Encodes src[0..src_len) (ids < src_vocab_size, 1 <= src_len <= max_len; the caller appends EOS if the model
 * was trained so) and decodes from BOS until EOS or max_new_tokens. out receives the tokens without BOS and EOS;
 * *n their count (a short capacity: VKATTN_ERROR_INVALID_ARGUMENT). */
vkattn_status vkattn_seq2seq_generate(vkattn_seq2seq *s, const int32_t *src, uint32_t src_len,
                                      const vkattn_seq2seq_desc *desc, int32_t *out, uint32_t capacity, uint32_t *n);

/* ------------------------------------------------------------------------ */
/* Models                                                                    */
/* ------------------------------------------------------------------------ */

/* ---- Decoder-only models from GGUF: llama, qwen2, gpt2 --------------------- */
/* A model handle owns its weights on the device, a KV cache, activation buffers and (when the file has
 * tokenizer.ggml.* metadata) a tokenizer. Hyperparameters and tensor names are llama.cpp's
 * (<arch>.embedding_length, blk.N.attn_q.weight, ...). Weight types F32, F16, BF16 and the vkattn_dtype
 * block types (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS): F16/BF16
 * matrices are kept as f16 on devices with 16-bit storage, else converted to f32; block types stay
 * quantized; vectors (norms, biases) become f32. The KV cache is f16 with 16-bit storage, else f32. */
typedef struct vkattn_model vkattn_model;

/* Progress: `done` out of `total` (bytes of weights uploaded after each tensor; tokens of a long prompt). */
typedef void (*vkattn_progress_fn)(void *user, uint64_t done, uint64_t total);

#define VKATTN_N_CTX_TRAIN UINT32_MAX

typedef struct vkattn_model_desc {
    uint32_t n_ctx;           /* KV cache length in tokens; 0 = min(<arch>.context_length, 4096);
                               * VKATTN_N_CTX_TRAIN = <arch>.context_length (llama.cpp's -c 0) */
    uint32_t n_batch;         /* most tokens one forward chunk takes (longer inputs are split); 0 = 512 */
    int kv_f32;               /* 1: f32 KV cache and attention (default: f16 on every device) */
    uint32_t n_seq;           /* sequences the KV cache holds, n_ctx tokens each (vkattn_model_eval_batch); 0 = 1 */
    vkattn_progress_fn progress; /* NULL: none */
    void *progress_user;
    vkattn_progress_fn eval_progress; /* prompt progress: tokens evaluated so far out of an eval call's n, after each
                                       * n_batch chunk of a call that takes more than one; NULL: none */
    void *eval_progress_user;
} vkattn_model_desc;

typedef struct vkattn_model_info {
    const char *arch;         /* "llama", "qwen2", "gpt2" */
    const char *name;         /* general.name or "" */
    uint32_t n_vocab, n_ctx_train, n_ctx, n_batch, n_seq;
    uint32_t n_embd, n_layer, n_ff, n_head, n_head_kv, head_dim, rope_dims;
    float rope_theta, norm_eps;
    uint64_t n_params;        /* elements of every weight tensor */
    uint64_t weight_bytes;    /* device bytes of the weights as stored */
    uint64_t kv_bytes, activation_bytes;
    vkattn_dtype kv_dtype;
    const char *weight_type;  /* type of most weight elements in the file ("F16", "Q8_0", ...) */
} vkattn_model_info;

/* Loads a GGUF file (or `size` bytes in memory, borrowed until vkattn_model_destroy) onto ctx's device.
 * desc may be NULL. Errors (message in vkattn_context_error(ctx)): VKATTN_ERROR_IO / _FORMAT (bad file,
 * unknown architecture, missing tensor, wrong shape, unsupported tensor type: the message names it),
 * VKATTN_ERROR_OUT_OF_DEVICE_MEMORY (the model does not fit: checked before uploading, with the numbers). */
vkattn_status vkattn_model_load(vkattn_context *ctx, const char *path, const vkattn_model_desc *desc,
                                vkattn_model **out);
vkattn_status vkattn_model_load_memory(vkattn_context *ctx, const void *data, size_t size, const vkattn_model_desc *desc,
                                       vkattn_model **out);
/* Not inside an open batch. NULL is a no-op. */
void vkattn_model_destroy(vkattn_model *m);

void vkattn_model_get_info(const vkattn_model *m, vkattn_model_info *info);
/* The tokenizer from the file's tokenizer.ggml.* metadata; NULL when it has none. Owned by the model. */
const vkattn_tokenizer *vkattn_model_tokenizer(const vkattn_model *m);

/* Runs tokens[0..n) at positions [pos, pos + n) (the KV cache keeps positions [0, pos) from earlier calls;
 * later entries are overwritten). n > n_batch is split into chunks. Each chunk records the whole layer
 * stack into one batch (prefill through flash attention, few tokens through GEMV and decode attention).
 * logits: n_vocab floats for the last token, or n * n_vocab (row i = token i) with all_logits.
 * pos + n > n_ctx is VKATTN_ERROR_INVALID_ARGUMENT (context full: the message says to raise n_ctx). */
vkattn_status vkattn_model_eval(vkattn_model *m, const int32_t *tokens, uint32_t n, uint32_t pos, int all_logits,
                                float *logits);
/* As vkattn_model_eval, but returns only the argmax of the last token's logits, computed on the device
 * (greedy decoding without reading the logits back). */
vkattn_status vkattn_model_eval_argmax(vkattn_model *m, const int32_t *tokens, uint32_t n, uint32_t pos,
                                       int32_t *token);

/* One sequence of a batched evaluation: tokens[0..n) at positions [pos, pos + n) of KV-cache sequence seq
 * (0 <= seq < n_seq; vkattn_model_eval uses sequence 0). */
typedef struct vkattn_model_seq {
    const int32_t *tokens;
    uint32_t n, pos, seq;
} vkattn_model_seq;

/* Several sequences in one forward pass (a server's concurrent requests: some decoding one token, some
 * prefilling): the projections and the FFN run as one GEMM over all their tokens, attention per sequence over
 * its own cache. The sequences must be distinct, with 1 <= n, pos + n <= n_ctx, and n summed over all at most
 * n_batch. logits receives [n_seqs, n_vocab]: row i = the last token of seqs[i]. Each row equals what
 * vkattn_model_eval gives for that sequence alone, up to f32 rounding (the GEMMs see other row counts). */
vkattn_status vkattn_model_eval_batch(vkattn_model *m, const vkattn_model_seq *seqs, uint32_t n_seqs, float *logits);

/* The chat template from the file's tokenizer.chat_template (Jinja source, NUL-terminated), or NULL when it
 * has none. Owned by the model. Render it with vkattn_chat_template_create / _apply. */
const char *vkattn_model_chat_template(const vkattn_model *m);

/* ------------------------------------------------------------------------ */
/* Chat templates                                                            */
/* ------------------------------------------------------------------------ */

/* Hugging Face chat templates (tokenizer_config.json's / GGUF's tokenizer.chat_template), rendered as
 * transformers renders them: Jinja2 with trim_blocks and lstrip_blocks, the loop-controls extension
 * ({% break %}, {% continue %}), raise_exception(msg), strftime_now(fmt), tojson keeping non-ASCII, and the
 * variables messages, add_generation_prompt, bos_token, eos_token (plus any extra variables given as JSON,
 * e.g. {"enable_thinking": false} or {"tools": [...]}). Supported: if/elif/else, for (with else, an if filter,
 * tuple unpacking, loop.index/index0/first/last/length/revindex/previtem/nextitem), set (names, tuples,
 * namespace attributes, blocks), macros, inline if, Python operators and str/dict methods, Jinja2's common
 * filters and tests. Upper/lower/title map ASCII letters only. Host-side; errors through
 * vkattn_context_error(NULL) (per thread), e.g. "chat template line 3: raise_exception: Conversation roles
 * must alternate user/assistant/user/assistant/...". Rendering is bounded (64 MiB of working memory, 16 MiB
 * of output, 20 million steps, nesting depth 200): a hostile template gets VKATTN_ERROR_TOO_LARGE, never a
 * hang or a crash. A parsed template is immutable: one handle may render from several threads at once. */
typedef struct vkattn_chat_template vkattn_chat_template;

typedef struct vkattn_chat_message {
    const char *role;     /* "system", "user", "assistant", "tool", ... */
    const char *content;  /* UTF-8; NULL gives None (e.g. an assistant turn that only calls tools) */
} vkattn_chat_message;

typedef struct vkattn_chat_params {
    int add_generation_prompt; /* end with the header of an assistant turn */
    const char *bos_token;     /* bos_token / eos_token as text; NULL: "" */
    const char *eos_token;
    const char *extra_json;    /* NULL, or a JSON object whose members become template variables */
} vkattn_chat_params;

/* Parses template source (NUL-terminated). Syntax errors: VKATTN_ERROR_FORMAT naming the line; a tag outside
 * the subset (include, extends, call, filter blocks, recursive loops): VKATTN_ERROR_FORMAT saying which. */
vkattn_status vkattn_chat_template_create(const char *source, vkattn_chat_template **out);
void vkattn_chat_template_destroy(vkattn_chat_template *t);

/* Renders messages[0..n). *out receives the text (NUL-terminated, free with vkattn_chat_free); *out_len (may be
 * NULL) its length in bytes. A raise_exception in the template, an undefined variable used in an operation or a
 * type error: VKATTN_ERROR_INVALID_ARGUMENT with the template's message. params may be NULL (defaults 0/NULL). */
vkattn_status vkattn_chat_template_apply(const vkattn_chat_template *t, const vkattn_chat_message *messages, size_t n,
                                         const vkattn_chat_params *params, char **out, size_t *out_len);
/* The same with the messages as a JSON array of objects (any members: content lists, tool_calls, ...). */
vkattn_status vkattn_chat_template_apply_json(const vkattn_chat_template *t, const char *messages_json,
                                              const vkattn_chat_params *params, char **out, size_t *out_len);
/* One call: parse, render, free the template. */
vkattn_status vkattn_chat_apply_template(const char *template_source, const vkattn_chat_message *messages, size_t n,
                                         int add_generation_prompt, const char *bos_token, const char *eos_token,
                                         char **out);
/* Frees text returned by the vkattn_chat_* functions. NULL is a no-op. */
void vkattn_chat_free(char *text);

/* A built-in template's source by name ("chatml", "llama2", "llama3", "gemma" (Gemma 3), "gemma2", "phi3",
 * "mistral", "qwen2.5"), or NULL. */
const char *vkattn_chat_builtin_template(const char *name);
/* The built-in names, comma-separated (for messages). */
const char *vkattn_chat_builtin_names(void);

#ifdef __cplusplus
}
#endif

#endif /* VKATTN_H */
