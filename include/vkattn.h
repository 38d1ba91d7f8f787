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
    int subgroup_arithmetic;         /* subgroupAdd/Max in compute shaders */
    int fp16_arithmetic;             /* shaderFloat16 */
    int storage16;                   /* storageBuffer16BitAccess: f16 tensors */
    int storage8;                    /* storageBuffer8BitAccess */
    int int8_arithmetic;             /* shaderInt8 */
    int int8_dot;                    /* VK_KHR_shader_integer_dot_product */
    int cooperative_matrix;          /* VK_KHR_cooperative_matrix */
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
    /* Pipeline cache directory. NULL: $XDG_CACHE_HOME/vkattn (or ~/.cache/vkattn);
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
    VKATTN_Q4_0 = 5      /* GGUF block: f16 scale + 16 bytes of nibbles (18 bytes / 32 values) */
} vkattn_dtype;

const char *vkattn_dtype_string(vkattn_dtype dtype);
/* Bytes for n elements of dtype (n a multiple of 32 for block types). */
uint64_t vkattn_dtype_bytes(vkattn_dtype dtype, uint64_t n);

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

/* ------------------------------------------------------------------------ */
/* Ops: linear algebra                                                       */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Ops: elementwise, norms, positions, embeddings                            */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Layers                                                                    */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

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
    const char *pre;                /* tokenizer.ggml.pre (BPE): "gpt2"/"gpt-2", "llama-bpe"/"llama3", "qwen2",
                                     * "smollm", ... (llama.cpp's names); NULL or "default": GPT-2's regex */
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

typedef struct vkattn_tokenizer_info {
    const char *model;              /* "gpt2" or "llama" */
    const char *pre;                /* the pre-tokenizer name ("" for "llama") */
    uint32_t n_vocab, n_merges;
    int32_t bos_id, eos_id, unknown_id, padding_id, eot_id;
    int add_bos, add_eos, add_space_prefix; /* as resolved from the desc and the model's defaults */
    uint32_t max_piece_bytes;       /* longest decoded token */
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
/* Models                                                                    */
/* ------------------------------------------------------------------------ */

#ifdef __cplusplus
}
#endif

#endif /* VKATTN_H */
