/* Internal: Hugging Face model directories (hf_config.c) and the encoders built from them (bert.c, vit.c).
 * Not installed. */
#ifndef VKATTN_HF_H
#define VKATTN_HF_H

#include "base/base.h"

#include <cjson/cJSON.h>

/* ---- hf_config.c: config.json + safetensors (single file or shards), host only ------------------------------ */

#define VKATTN__HF_MAX_SHARDS 64

typedef struct vkattn__hf {
    vkattn_context *ctx;          /* errors go here */
    char dir[1024];
    cJSON *config;                /* config.json */
    vkattn_safetensors *files[VKATTN__HF_MAX_SHARDS];
    char *file_names[VKATTN__HF_MAX_SHARDS];
    uint32_t n_files;
    cJSON *weight_map;            /* of model.safetensors.index.json (owned by index), or NULL */
    cJSON *index;
} vkattn__hf;

/* Opens dir/config.json and dir/model.safetensors, or the shards that dir/model.safetensors.index.json lists. */
vkattn_status vkattn__hf_open(vkattn_context *ctx, const char *dir, vkattn__hf *hf);
void vkattn__hf_close(vkattn__hf *hf);
/* Parses dir/name as JSON: *out NULL (and VKATTN_OK) when the file is absent and optional. */
vkattn_status vkattn__hf_json(vkattn__hf *hf, const char *name, int required, cJSON **out);
/* config.json values: a missing required key, a wrong type or a value out of range is VKATTN_ERROR_FORMAT. */
vkattn_status vkattn__hf_u32(vkattn__hf *hf, const cJSON *obj, const char *key, int required, uint32_t dflt, uint32_t *out);
vkattn_status vkattn__hf_f32(vkattn__hf *hf, const cJSON *obj, const char *key, float dflt, float *out);
int vkattn__hf_bool(const cJSON *obj, const char *key, int dflt);
const char *vkattn__hf_str(const cJSON *obj, const char *key); /* NULL when absent or not a string */
/* sentence-transformers: info->st_pooling / st_normalize / max_seq_length from modules.json, the Pooling
 * module's config.json and sentence_bert_config.json (all optional; max_tokens must be set). A pooling mode this
 * engine lacks (several modes concatenated, weighted mean) is VKATTN_ERROR_UNSUPPORTED. */
vkattn_status vkattn__st_config(vkattn__hf *hf, vkattn_encoder_info *info);
/* Whether the model has tensor `name`. */
int vkattn__hf_has(const vkattn__hf *hf, const char *name);
/* Tensor `name` (F32/F16/BF16) with exactly the given shape, decoded to new host f32 memory (free()). */
vkattn_status vkattn__hf_read(vkattn__hf *hf, const char *name, uint32_t ndim, const int64_t *shape, float **out);
/* The file's storage type of tensor `name` (VKATTN_F32 when absent). */
vkattn_dtype vkattn__hf_file_dtype(const vkattn__hf *hf, const char *name);
/* The same, uploaded into a new f32 device tensor of that shape (encoder.c). */
vkattn_status vkattn__hf_tensor(vkattn__hf *hf, const char *name, uint32_t ndim, const int64_t *shape, vkattn_tensor **out);
/* A weight matrix in the file's precision: F16 stays f16 on the device (half the memory; vkattn_linear and
 * vkattn_embedding read f16 on every device), F32 and BF16 become f32 (encoder.c). */
vkattn_status vkattn__hf_weight(vkattn__hf *hf, const char *name, uint32_t ndim, const int64_t *shape, vkattn_tensor **out);
/* A new device tensor of dtype (f32 or f16) holding host f32 data (encoder.c). */
vkattn_status vkattn__upload_as(vkattn_context *ctx, vkattn_dtype dtype, const float *data, uint32_t ndim,
                                const int64_t *shape, vkattn_tensor **out);
/* The same, f32. */
vkattn_status vkattn__upload_new(vkattn_context *ctx, const float *data, uint32_t ndim, const int64_t *shape,
                                 vkattn_tensor **out);

/* ---- the encoder handle (bert.c, vit.c; shared layers in encoder.c) ----------------------------------------- */

typedef struct vkattn__enc_layer {
    /* attention: q|k|v rows fused into one [3D, D] weight (one GEMM), out [D, D] */
    vkattn_tensor *qkv_w, *qkv_b, *o_w, *o_b;
    vkattn_tensor *ln1_w, *ln1_b;  /* BERT: attention.output.LayerNorm (post); ViT: layernorm_before (pre) */
    vkattn_tensor *up_w, *up_b, *down_w, *down_b;
    vkattn_tensor *ln2_w, *ln2_b;  /* BERT: output.LayerNorm (post); ViT: layernorm_after (pre) */
    vkattn_mha *mha;
} vkattn__enc_layer;

struct vkattn_encoder {
    vkattn_context *ctx;
    vkattn_encoder_info info;
    float eps;
    vkattn_ffn_act act;
    int pre_ln;                    /* ViT: pre-LN blocks; BERT: post-LN */
    vkattn__enc_layer *layers;
    char **labels;                 /* num_labels */
    /* BERT: x = LN(word[id] + (position + token type 0)[t]), all on the device */
    vkattn_wordpiece *wp;
    int32_t cls_id, sep_id;
    uint32_t vocab_size;
    vkattn_tensor *word_emb, *pos_type_emb; /* [V,D]; [P,D] position rows with token type 0 added */
    vkattn_tensor *emb_ln_w, *emb_ln_b;
    float *pool_w, *pool_b;        /* [D,D], [D] (host: B x D is tiny, and tanh is not a device op) */
    float *cls_w, *cls_b;          /* [labels, D], [labels] */
    /* ViT */
    vkattn_tensor *patch_w;        /* [D, 3*P*P]: the conv kernel as a GEMM weight */
    vkattn_tensor *tok_base;       /* [1+Np, D]: row 0 cls + pos[0], rows i bias + pos[i] */
    vkattn_tensor *final_ln_w, *final_ln_b; /* vit.layernorm; the classifier is cls_w / cls_b */
};

/* Names of one layer's tensors (printf patterns with %s = prefix, %u = layer). */
typedef struct vkattn__layer_names {
    const char *q, *k, *v, *o, *ln1, *up, *down, *ln2; /* without ".weight" / ".bias" */
} vkattn__layer_names;

/* config.json's hidden_act: gelu (default), gelu_new / gelu_pytorch_tanh, relu. */
vkattn_status vkattn__enc_act(vkattn__hf *hf, vkattn_ffn_act *out);
/* Loads layer i's weights ([D,D] attention, [I,D]/[D,I] FFN, LayerNorms) and builds its vkattn_mha. */
vkattn_status vkattn__enc_load_layer(vkattn__hf *hf, vkattn_encoder *enc, const char *prefix,
                                     const vkattn__layer_names *names, uint32_t i);
/* Reads config.json's num_labels / id2label into enc->labels (and info.num_labels when no classifier fixed it). */
vkattn_status vkattn__enc_load_labels(vkattn__hf *hf, vkattn_encoder *enc, uint32_t num_labels);
/* Records every layer over x [B, L, D] (in place) into the open batch; kv_len [B] i32 or NULL; probs: where layer
 * probs_layer's attention probabilities [B, H, L, L] go, or NULL. */
vkattn_status vkattn__enc_layers(vkattn_encoder *enc, vkattn_tensor *x, const vkattn_tensor *kv_len, vkattn_tensor *probs,
                                 uint32_t probs_layer);
/* Host post-processing of downloaded hidden states [B, L, D]: pooling, normalisation, copy-out, attention head. */
void vkattn__enc_pool(const vkattn_encoder *enc, const float *hidden, uint32_t B, uint32_t L, const uint32_t *lens,
                      vkattn_pooling pooling, int normalize, float *pooled);
/* Runs the encoder over in_host: BERT token ids int32 [B, L] (padded), or ViT patch rows float [B, L, 3*P*P], in
 * passes that fit the device (embedding / patch GEMM, layers), then the host heads. lens: NULL = all L. */
vkattn_status vkattn__enc_run(vkattn_encoder *enc, const void *in_host, const uint32_t *lens, uint32_t B, uint32_t L,
                              vkattn_encoder_outputs *out);
/* y[n_out] = w [n_out, n_in] x + b (double accumulation). */
void vkattn__host_linear(const float *x, const float *w, const float *b, uint32_t n_out, uint32_t n_in, float *y);

vkattn_status vkattn__bert_create(vkattn__hf *hf, vkattn_encoder *enc);
vkattn_status vkattn__vit_create(vkattn__hf *hf, vkattn_encoder *enc);
void vkattn__encoder_free_weights(vkattn_encoder *enc);

#endif
