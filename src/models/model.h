/* Decoder-only models (internal): the handle, its weights, KV cache and activations.
 * model.c loads generically (hyperparameters, tensor table, upload, eval); each architecture is one file
 * (llama.c, qwen2.c, gpt2.c, ...) holding its tensor table and forward pass as a vkattn__arch, listed in
 * model.c's ARCHS table; kv_cache.c owns the cache; attention_block.c is the attention sublayer they share. */
#ifndef VKATTN_MODEL_H
#define VKATTN_MODEL_H

#include "../core/core.h"

/* Hyperparameters, llama.cpp's names in comments. */
typedef struct vkattn__hparams {
    uint32_t n_vocab;     /* token_embd rows */
    uint32_t n_ctx_train; /* <arch>.context_length */
    uint32_t n_embd;      /* <arch>.embedding_length */
    uint32_t n_layer;     /* <arch>.block_count */
    uint32_t n_ff;        /* <arch>.feed_forward_length */
    uint32_t n_head;      /* <arch>.attention.head_count */
    uint32_t n_head_kv;   /* <arch>.attention.head_count_kv (default n_head) */
    uint32_t head_dim;    /* <arch>.attention.key_length (= value_length; default n_embd / n_head) */
    uint32_t rope_dims;   /* <arch>.rope.dimension_count (default head_dim) */
    float rope_theta;     /* <arch>.rope.freq_base (default 10000) */
    float norm_eps;       /* <arch>.attention.layer_norm_rms_epsilon / .layer_norm_epsilon */
    int rope_mode;        /* vkattn_rope_mode, or -1: no RoPE (set by the architecture) */
    /* Set by the architecture's hparams hook (before the RoPE frequencies are derived): */
    const char *rope_factors; /* the frequency-factor tensor (rope_freqs.weight; phi3: long or short), or NULL */
    float attn_scale;     /* multiplies q.k (default 1/sqrt(head_dim)); YaRN / LongRoPE attention factors fold in */
    float rope_theta_local; /* RoPE base of layers with rope_local (gemma3's sliding layers: 10000, unscaled) */
    float attn_softcap;   /* scores -> cap * tanh(scores / cap) (gemma2); 0 = none */
    float logit_softcap;  /* logits -> cap * tanh(logits / cap) (gemma2); 0 = none */
    /* Derived from rope.scaling.* and the factors (rope_freq.c): */
    float *rope_inv_freq; /* host [rope_dims / 2]: per-pair frequencies when they differ from theta^(-2i/R), else NULL */
} vkattn__hparams;

/* One transformer block. Shapes are [out, in] as vkattn_linear takes them
 * (D = n_embd, Q = n_head * head_dim, KV = n_head_kv * head_dim, F = n_ff). Projections that read the
 * same input are stacked at load into one weight (one GEMM, more parallel work per dispatch) when their
 * file types agree; a file that mixes them (Q4_K_M: attn_v q6_K beside q4_K attn_q / attn_k) keeps each
 * part as stored and runs one GEMM per part into its columns (vkattn__linear_stack). */
typedef struct vkattn__stack {
    vkattn_tensor *w;       /* all rows in one tensor (the parts share a type, or the file holds them fused) */
    vkattn_tensor *part[3]; /* else (w NULL) each part in its own file type, rows in this order: one GEMM each */
} vkattn__stack;

typedef struct vkattn__layer {
    vkattn_tensor *attn_norm, *attn_norm_b; /* [D] (bias: gpt2) */
    vkattn__stack wqkv;                     /* [Q + 2 KV, D]: attn_q | attn_k | attn_v rows (gpt2, phi3: attn_qkv) */
    vkattn_tensor *bqkv;                    /* [Q + 2 KV] bias (gpt2, qwen2) or NULL */
    vkattn_tensor *wo, *bo;                 /* [D, Q], [D] (gpt2) */
    vkattn_tensor *ffn_norm, *ffn_norm_b;   /* [D] */
    vkattn__stack ffn_gate_up;              /* [2F, D]: ffn_gate | ffn_up rows (llama, qwen2; phi3: ffn_up) */
    vkattn_tensor *ffn_up, *ffn_up_b;       /* [F, D], [F] (gpt2) */
    vkattn_tensor *ffn_down, *ffn_down_b;   /* [D, F], [D] (gpt2) */
    vkattn_tensor *attn_q_norm, *attn_k_norm; /* [head_dim]: per-head RMSNorm of q and k before RoPE (qwen3, gemma3) */
    vkattn_tensor *post_attn_norm, *post_ffn_norm; /* [D]: RMSNorm of the sublayer outputs (gemma2/3) */
    uint32_t window;      /* sliding-window attention over the last `window` positions; 0 = all */
    int rope_local;       /* RoPE with hp.rope_theta_local and no frequency scaling (gemma3 sliding layers) */
} vkattn__layer;

typedef struct vkattn__wtable vkattn__wtable;

/* One architecture (general.architecture): src/models/<name>.c defines it, model.c's ARCHS lists it. The
 * generic loader reads the common hyperparameters (context_length, embedding_length, block_count,
 * feed_forward_length, attention.head_count[_kv], rope.freq_base / dimension_count, the norm epsilon under
 * norm_eps_key), then calls hparams, then tensors, then uploads; eval embeds the tokens into a.x, calls
 * forward and projects the rows left in a.xn on `output`. */
typedef struct vkattn__arch {
    const char *name;
    const char *norm_eps_key;  /* "attention.layer_norm_rms_epsilon" or "attention.layer_norm_epsilon" */
    int rope_mode;             /* vkattn_rope_mode, or -1: no RoPE */
    int learned_positions;     /* position_embd: the context may not exceed context_length */
    /* optional: the architecture's own keys; runs once the context size (m->n_ctx) is known */
    vkattn_status (*hparams)(vkattn_model *m);
    vkattn_status (*tensors)(vkattn_model *m, vkattn__wtable *t); /* its tensor table (vkattn__w_* below) */
    vkattn_status (*forward)(vkattn_model *m, uint32_t n); /* the chunk's n tokens of m->seqs */
} vkattn__arch;

/* The KV cache: per layer K and V of [n_seq * n_ctx, n_head_kv, head_dim], token-major so that the K/V
 * projections write straight into rows [pos, pos + n) of their sequence's n_ctx rows (no copies). */
typedef struct vkattn__kv_cache {
    vkattn_dtype dtype; /* f16 (packed words without 16-bit storage), or f32 with kv_f32 */
    uint32_t n_ctx, n_seq, n_layer, row;  /* n_ctx per sequence; row = n_head_kv * head_dim elements per token */
    vkattn_tensor **k, **v;        /* n_layer each */
} vkattn__kv_cache;

/* Device activations for up to n_batch tokens (rows). */
typedef struct vkattn__acts {
    vkattn_tensor *x;      /* [B, D] f32: the residual stream */
    vkattn_tensor *xn;     /* [B, D] f32: normed input of a sublayer */
    vkattn_tensor *tmp;    /* [B, D] f32: a sublayer's output before the residual add */
    vkattn_tensor *qkv;    /* [B, Q + 2 KV] in the KV cache's dtype: the stacked projections */
    vkattn_tensor *att;    /* [B, Q] attention output, KV dtype */
    vkattn_tensor *gu;     /* [B, 2F] f32: FFN gate | up (gpt2: up in the first F columns) */
    vkattn_tensor *h;      /* [B, F] f32: FFN hidden after the activation */
    vkattn_tensor *logits; /* [1, V] f32 (last token) */
    vkattn_tensor *logits_all; /* [R, V] f32, created on the first all-logits eval */
    uint32_t logits_all_rows;
    vkattn_tensor *ids;    /* [B] i32: token ids (device embedding) */
    vkattn_tensor *argmax; /* [1] i32 */
} vkattn__acts;

/* One sequence of the chunk being evaluated: activation rows [row, row + n) are its tokens at positions
 * [pos, pos + n) of KV-cache sequence seq. */
typedef struct vkattn__seq {
    uint32_t row, n, pos, seq;
} vkattn__seq;

struct vkattn_model {
    vkattn_context *ctx;
    vkattn_gguf *gguf;     /* open while loading */
    const vkattn__arch *arch;
    char arch_name[16];
    char *name;
    char *chat_template;   /* tokenizer.chat_template or NULL */
    const char *weight_type;
    vkattn__hparams hp;
    uint32_t n_ctx, n_batch, n_seq; /* n_ctx per sequence; n_seq sequences in the KV cache */
    uint64_t n_params, weight_bytes;
    vkattn_progress_fn eval_progress; /* desc->eval_progress: after each chunk of a multi-chunk eval */
    void *eval_progress_user;

    vkattn_tensor *tok_embd;          /* [V, D] */
    vkattn_tensor *pos_embd;          /* [n_ctx_train, D] (gpt2) */
    vkattn_tensor *out_norm, *out_norm_b;
    vkattn_tensor *output;            /* [V, D]; == tok_embd when tied */
    vkattn_tensor *rope_freq;         /* [rope_dims / 2] f32 from hp.rope_inv_freq, or NULL */
    vkattn__layer *layers;
    vkattn_tensor **owned;            /* every weight tensor created by the load (destroyed with the model) */
    uint32_t n_owned;

    vkattn__kv_cache kv;
    vkattn__acts a;
    vkattn__seq *seqs;     /* the sequences of the chunk being evaluated (n_seq entries allocated) */
    uint32_t n_seqs;
    vkattn_tokenizer *tok;
};

/* A view of `base` on the stack (no allocation, nothing to destroy): ops bind memory ranges, so a view
 * needs to live only during the op call that records it. */
vkattn_tensor vkattn__view(const vkattn_tensor *base, uint64_t offset, uint32_t ndim, const int64_t *shape,
                           const int64_t *strides);
/* Rows [r0, r0 + n) of a contiguous 2-D tensor, as a contiguous [n, cols] view. */
vkattn_tensor vkattn__rows(const vkattn_tensor *base, uint64_t r0, uint64_t n);

/* kv_cache.c */
vkattn_status vkattn__kv_create(vkattn_context *ctx, vkattn__kv_cache *kv, vkattn_dtype dtype, uint32_t n_layer,
                                uint32_t n_ctx, uint32_t n_seq, uint32_t n_head_kv, uint32_t head_dim);
void vkattn__kv_destroy(vkattn__kv_cache *kv);
uint64_t vkattn__kv_bytes(vkattn_dtype dtype, uint32_t n_layer, uint64_t n_tokens, uint32_t n_head_kv, uint32_t head_dim);
/* Rows [pos, pos + n) of sequence seq in layer l's K (or V) cache as [n, row]: where the projections write. */
vkattn_tensor vkattn__kv_rows(const vkattn__kv_cache *kv, uint32_t l, int is_v, uint32_t seq, uint32_t pos, uint32_t n);
/* Positions [0, len) of sequence seq in layer l's K (or V) cache as attention's [1, Hkv, len, hd] (strided, no
 * copy). */
vkattn_tensor vkattn__kv_heads(const vkattn__kv_cache *kv, uint32_t l, int is_v, uint32_t seq, uint32_t len,
                               uint32_t head_dim);

/* ---- the tensor table (model.c): what an architecture's `tensors` adds, by llama.cpp's names ---- */

/* A 2-D [rows, cols] or 1-D [rows] file tensor into *dst (name: printf format with the layer index). An
 * optional one that is absent leaves *dst NULL. */
vkattn_status vkattn__w_mat(vkattn_model *m, vkattn__wtable *t, vkattn_tensor **dst, int64_t rows, int64_t cols,
                            const char *fmt, int layer);
vkattn_status vkattn__w_opt_mat(vkattn_model *m, vkattn__wtable *t, vkattn_tensor **dst, int64_t rows, int64_t cols,
                                const char *fmt, int layer);
vkattn_status vkattn__w_vec(vkattn_model *m, vkattn__wtable *t, vkattn_tensor **dst, int64_t rows, const char *fmt,
                            int layer);
/* The last added tensor is a table ops take as a parameter (position_embd): f32 on the device. */
void vkattn__w_param(vkattn__wtable *t);
/* The last k (<= 3) added tensors become one device tensor *dst, their rows one after another (attn_q | attn_k |
 * attn_v, ffn_gate | ffn_up: one GEMM instead of several) when their device types agree. When they differ, each
 * goes to parts[i] in its own type (parts NULL: everything converted to f32 into *dst). */
void vkattn__w_stack(vkattn__wtable *t, uint32_t k, vkattn_tensor **dst, vkattn_tensor **parts);
/* y = x W^T (+ bias) for a stacked projection: one GEMM, or one per part into its columns of y. */
vkattn_status vkattn__linear_stack(vkattn_context *ctx, const vkattn_tensor *x, const vkattn__stack *w,
                                   const vkattn_tensor *bias, vkattn_tensor *y);

/* rope_freq.c: hp.rope_inv_freq and the attention factor from rope.scaling.* (linear, yarn, longrope) and
 * the frequency factors tensor hp.rope_factors, as llama.cpp applies them. */
vkattn_status vkattn__rope_freqs(vkattn_model *m);

/* model.c: "<arch>.<suffix>" as u32 / f32 (absent: dflt, or an error when required). */
vkattn_status vkattn__hp_u32(vkattn_model *m, const char *suffix, uint32_t *out, int required, uint32_t dflt);
vkattn_status vkattn__hp_f32(vkattn_model *m, const char *suffix, float *out, int required, float dflt);

/* ---- forward passes ---- */

/* An architecture's forward: record the chunk's n tokens (embeddings already in a.x; their sequences and
 * positions in m->seqs) through the layer stack and the final norm into the open batch; the final normed rows
 * are left in a.xn. */
vkattn_status vkattn__llama_forward(vkattn_model *m, uint32_t n);
/* token_embd, output_norm, output (absent: tied to token_embd): the globals of the RMSNorm decoders. */
vkattn_status vkattn__rms_globals(vkattn_model *m, vkattn__wtable *t);
/* The llama family's tensor table (qwen2 = this + biases). */
vkattn_status vkattn__llama_tensors(vkattn_model *m, vkattn__wtable *t);

/* Shared by the forward passes: the stacked q/k/v projection (+ bias) of a.xn's n rows (one GEMM), then per
 * sequence of m->seqs RoPE (the architecture's rope_mode), K/V into its cache, attention over its positions
 * [0, pos + n); the output projection (+ bias) of all rows into a.tmp. */
vkattn_status vkattn__attention_block(vkattn_model *m, uint32_t l, uint32_t n);

#endif
