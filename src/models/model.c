/* Decoder-only models from GGUF: hyperparameters and tensors by llama.cpp's names, checked against each
 * other, device memory checked, weights uploaded (with progress), tokenizer from tokenizer.ggml.*,
 * KV cache and activations; eval runs chunks through the architecture's forward pass. */
#include "model.h"
#include "../formats/formats.h"
#include "../ops/linear.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The architectures (one file each): general.architecture -> tensor table and forward pass. */
extern const vkattn__arch vkattn__arch_llama, vkattn__arch_qwen2, vkattn__arch_qwen3, vkattn__arch_gemma2, vkattn__arch_gemma3,
    vkattn__arch_phi3, vkattn__arch_gpt2;
static const vkattn__arch *const ARCHS[] = {&vkattn__arch_llama,  &vkattn__arch_qwen2, &vkattn__arch_qwen3, &vkattn__arch_gemma2,
                                            &vkattn__arch_gemma3, &vkattn__arch_phi3,  &vkattn__arch_gpt2};

#define DEFAULT_N_CTX 4096
#define DEFAULT_N_BATCH 512

/* ---- errors: the file readers report through the thread's message; the model through ctx's ---- */

static vkattn_status forward_error(vkattn_context *ctx, vkattn_status st) {
    return vkattn__fail(ctx, st, "%s", vkattn_context_error(NULL));
}

/* ---- hyperparameters ------------------------------------------------------------------------ */

/* "<arch>.<suffix>" into key; 1 when present, 0 when absent (*st set to an error if it was required). */
static int arch_key(vkattn_model *m, const char *suffix, char *key, size_t cap, int required, vkattn_status *st) {
    snprintf(key, cap, "%s.%s", m->arch_name, suffix);
    *st = VKATTN_OK;
    if (vkattn_gguf_find_key(m->gguf, key) >= 0) return 1;
    if (required) *st = vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: metadata key %s is missing", key);
    return 0;
}

vkattn_status vkattn__hp_u32(vkattn_model *m, const char *suffix, uint32_t *out, int required, uint32_t dflt) {
    char key[128];
    vkattn_status st;
    *out = dflt;
    if (arch_key(m, suffix, key, sizeof key, required, &st) && (st = vkattn_gguf_get_u32(m->gguf, key, out))) st = forward_error(m->ctx, st);
    return st;
}

vkattn_status vkattn__hp_f32(vkattn_model *m, const char *suffix, float *out, int required, float dflt) {
    char key[128];
    vkattn_status st;
    *out = dflt;
    if (arch_key(m, suffix, key, sizeof key, required, &st) && (st = vkattn_gguf_get_f32(m->gguf, key, out))) st = forward_error(m->ctx, st);
    return st;
}

static vkattn_status read_hparams(vkattn_model *m) {
    vkattn__hparams *h = &m->hp;
    vkattn_status st;
    char key[128];
    if ((st = vkattn__hp_u32(m, "context_length", &h->n_ctx_train, 1, 0)) || (st = vkattn__hp_u32(m, "embedding_length", &h->n_embd, 1, 0)) ||
        (st = vkattn__hp_u32(m, "block_count", &h->n_layer, 1, 0)) || (st = vkattn__hp_u32(m, "feed_forward_length", &h->n_ff, 1, 0)) ||
        (st = vkattn__hp_u32(m, "attention.head_count", &h->n_head, 1, 0)) ||
        (st = vkattn__hp_u32(m, "attention.head_count_kv", &h->n_head_kv, 0, h->n_head)) ||
        (st = vkattn__hp_f32(m, "rope.freq_base", &h->rope_theta, 0, 10000.0f)) ||
        (st = vkattn__hp_f32(m, m->arch->norm_eps_key, &h->norm_eps, 1, 0)))
        return st;
    h->rope_mode = m->arch->rope_mode;
    const char *a = m->arch_name;
    if (!h->n_embd || !h->n_layer || !h->n_ff || !h->n_head || !h->n_ctx_train)
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT,
                            "model: %s.embedding_length, .block_count, .feed_forward_length, .attention.head_count and "
                            ".context_length must be non-zero (are %u, %u, %u, %u, %u)",
                            a, h->n_embd, h->n_layer, h->n_ff, h->n_head, h->n_ctx_train);
    uint32_t n_expert, v_len;
    if ((st = vkattn__hp_u32(m, "expert_count", &n_expert, 0, 0))) return st;
    if (n_expert > 0)
        return vkattn__fail(m->ctx, VKATTN_ERROR_UNSUPPORTED,
                            "model: this is a mixture-of-experts model (%s.expert_count = %u); vkattn runs dense models only", a,
                            n_expert);
    if ((st = vkattn__hp_u32(m, "attention.key_length", &h->head_dim, 0, h->n_embd / h->n_head)) ||
        (st = vkattn__hp_u32(m, "attention.value_length", &v_len, 0, h->head_dim)))
        return st;
    snprintf(key, sizeof key, "%s.attention.key_length", a);
    if (vkattn_gguf_find_key(m->gguf, key) < 0 && h->n_embd % h->n_head)
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT,
                            "model: %s.embedding_length %u is not a multiple of the %u heads and %s.attention.key_length is "
                            "missing", a, h->n_embd, h->n_head, a);
    if (!h->head_dim || v_len != h->head_dim)
        return vkattn__fail(m->ctx, VKATTN_ERROR_UNSUPPORTED,
                            "model: %s.attention.key_length %u and value_length %u must be equal and non-zero", a, h->head_dim,
                            v_len);
    if (!h->n_head_kv || h->n_head % h->n_head_kv)
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT,
                            "model: %s.attention.head_count_kv %u must divide attention.head_count %u", a, h->n_head_kv,
                            h->n_head);
    if (h->head_dim > 256)
        return vkattn__fail(m->ctx, VKATTN_ERROR_UNSUPPORTED, "model: head dimension %u > 256 is not supported", h->head_dim);
    if ((st = vkattn__hp_u32(m, "rope.dimension_count", &h->rope_dims, 0, h->head_dim))) return st;
    if (h->rope_mode >= 0 && (h->rope_dims > h->head_dim || h->rope_dims % 2 || !h->rope_dims))
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: %s.rope.dimension_count %u must be even and <= head dim %u",
                            a, h->rope_dims, h->head_dim);
    if (!(h->norm_eps >= 0) || !isfinite(h->norm_eps) || !(h->rope_theta > 0) || !isfinite(h->rope_theta))
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: norm epsilon %g or rope.freq_base %g out of range",
                            (double)h->norm_eps, (double)h->rope_theta);
    h->attn_scale = 1.0f / sqrtf((float)h->head_dim);
    if (!(m->layers = calloc(h->n_layer, sizeof *m->layers)))
        return vkattn__fail(m->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
    return VKATTN_OK;
}

/* ---- the tensor table ----------------------------------------------------------------------- */

/* One GGUF tensor going to the device: alone, or stacked by rows with the next ones into one device tensor
 * (attn_q | attn_k | attn_v, ffn_gate | ffn_up): the first of a stack has stack_n > 1 and creates it. */
typedef struct wspec {
    char name[96];
    vkattn_tensor **dst;
    uint32_t ndim;
    int64_t shape[2];    /* expected shape of the file tensor */
    int64_t dst_row0;    /* first row inside the device tensor */
    uint32_t stack_n;    /* on the first of a stack: how many specs it holds */
    int member;          /* a later part of a stack */
    vkattn_tensor **part_dst; /* in a stack: where this part goes if the parts' types differ (NULL: to f32) */
    int optional;
    int param;           /* a table ops take as a parameter (position_embd): f32 on the device */
    vkattn_gguf_tensor src;
    vkattn_dtype file_dtype, dev_dtype;
    int present;
} wspec;

struct vkattn__wtable {
    wspec *w;
    uint32_t n, cap;
};
typedef vkattn__wtable wtable;

static vkattn_status add_spec(vkattn_model *m, wtable *t, vkattn_tensor **dst, int optional, uint32_t ndim, int64_t d0,
                              int64_t d1, const char *fmt, int layer) {
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 64;
        wspec *w = realloc(t->w, cap * sizeof *w);
        if (!w) return vkattn__fail(m->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
        t->w = w;
        t->cap = cap;
    }
    wspec *s = &t->w[t->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, fmt, layer);
    s->dst = dst;
    s->ndim = ndim;
    s->shape[0] = d0;
    s->shape[1] = d1;
    s->optional = optional;
    return VKATTN_OK;
}

vkattn_status vkattn__w_mat(vkattn_model *m, wtable *t, vkattn_tensor **dst, int64_t rows, int64_t cols, const char *fmt,
                            int layer) {
    return add_spec(m, t, dst, 0, 2, rows, cols, fmt, layer);
}

vkattn_status vkattn__w_opt_mat(vkattn_model *m, wtable *t, vkattn_tensor **dst, int64_t rows, int64_t cols,
                                const char *fmt, int layer) {
    return add_spec(m, t, dst, 1, 2, rows, cols, fmt, layer);
}

vkattn_status vkattn__w_vec(vkattn_model *m, wtable *t, vkattn_tensor **dst, int64_t rows, const char *fmt, int layer) {
    return add_spec(m, t, dst, 0, 1, rows, 0, fmt, layer);
}

void vkattn__w_param(wtable *t) { t->w[t->n - 1].param = 1; }

void vkattn__w_stack(wtable *t, uint32_t k, vkattn_tensor **dst, vkattn_tensor **parts) {
    int64_t row = 0;
    for (uint32_t i = 0; i < k; i++) {
        wspec *s = &t->w[t->n - k + i];
        s->dst = dst;
        s->dst_row0 = row;
        s->member = i > 0;
        s->part_dst = parts ? &parts[i] : NULL;
        row += s->shape[0];
    }
    t->w[t->n - k].stack_n = k;
}

vkattn_status vkattn__linear_stack(vkattn_context *ctx, const vkattn_tensor *x, const vkattn__stack *w,
                                   const vkattn_tensor *bias, vkattn_tensor *y) {
    if (w->w) return vkattn_linear(ctx, x, w->w, bias, y);
    int64_t col = 0;
    vkattn_status st = VKATTN_OK;
    for (int i = 0; i < 3 && w->part[i] && !st; i++) {
        st = vkattn__linear_cols(ctx, x, w->part[i], bias, y, col);
        col += w->part[i]->shape[0];
    }
    return st;
}

/* Finds, type-checks and shape-checks every spec; picks the device dtype. */
static vkattn_status resolve_table(vkattn_model *m, wtable *t) {
    for (uint32_t i = 0; i < t->n; i++) {
        wspec *s = &t->w[i];
        if (vkattn_gguf_find_tensor(m->gguf, s->name, &s->src) != VKATTN_OK) {
            if (s->optional) continue;
            return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: tensor %s is missing (needed by the %s architecture)",
                                s->name, m->arch_name);
        }
        s->present = 1;
        vkattn_status st = vkattn_gguf_tensor_dtype(&s->src, &s->file_dtype);
        if (st) return vkattn__fail(m->ctx, st, "model: tensor %s: %s", s->name, vkattn_context_error(NULL));
        int ok = s->src.ndim == s->ndim && s->src.shape[0] == s->shape[0] && (s->ndim == 1 || s->src.shape[1] == s->shape[1]);
        if (!ok) {
            char got[96] = "", want[64];
            for (uint32_t d = 0; d < s->src.ndim; d++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "", (long long)s->src.shape[d]);
            if (s->ndim == 1) snprintf(want, sizeof want, "%lld", (long long)s->shape[0]);
            else snprintf(want, sizeof want, "%lld, %lld", (long long)s->shape[0], (long long)s->shape[1]);
            return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT,
                                "model: tensor %s has shape [%s], expected [%s] from the hyperparameters "
                                "(%s.embedding_length %u, head_count %u, head_count_kv %u, feed_forward_length %u, vocab %u)",
                                s->name, got, want, m->arch_name, m->hp.n_embd, m->hp.n_head, m->hp.n_head_kv, m->hp.n_ff,
                                m->hp.n_vocab);
        }
        vkattn_dtype f = s->file_dtype;
        if (s->ndim == 1 || s->param) s->dev_dtype = VKATTN_F32; /* norms, biases, positions: f32 parameters */
        else if (f == VKATTN_F16 || f == VKATTN_BF16) s->dev_dtype = VKATTN_F16; /* packed words without 16-bit storage */
        else s->dev_dtype = f;
    }
    /* one dtype per stack: as stored when its parts agree; else each part alone as stored (or, for a stack
     * without part slots, everything converted to f32) */
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t k = t->w[i].stack_n;
        int same = 1;
        for (uint32_t j = 1; j < k; j++) same &= t->w[i + j].dev_dtype == t->w[i].dev_dtype;
        for (uint32_t j = 0; j < k && !same; j++) {
            wspec *s = &t->w[i + j];
            if (!s->part_dst) {
                s->dev_dtype = VKATTN_F32;
                continue;
            }
            s->dst = s->part_dst;
            s->dst_row0 = 0;
            s->member = 0;
            s->stack_n = 0;
        }
    }
    return VKATTN_OK;
}

static int64_t spec_rows(const wspec *s) { return s->src.shape[0]; }
static int64_t spec_cols(const wspec *s) { return s->ndim == 2 ? s->src.shape[1] : 1; }

/* Converts rows [r0, r0 + nr) of a file tensor of `cols` columns to f32 (data may be unaligned). */
static void rows_to_f32(const vkattn_gguf_tensor *src, vkattn_dtype dt, int64_t cols, int64_t r0, int64_t nr, float *dst) {
    const uint64_t row_bytes = vkattn_dtype_bytes(dt, (uint64_t)cols), n = (uint64_t)(nr * cols);
    vkattn_dequantize(dt, (const uint8_t *)src->data + (uint64_t)r0 * row_bytes, n, dst); /* checked by resolve_table */
}

/* Rows [r0, r0 + n) of a 1-D or 2-D device tensor as a contiguous view. */
static vkattn_tensor dst_rows(const vkattn_tensor *t, uint32_t ndim, int64_t r0, int64_t n) {
    if (ndim == 2) return vkattn__rows(t, (uint64_t)r0, (uint64_t)n);
    const int64_t shape[1] = {n}, stride[1] = {1};
    return vkattn__view(t, (uint64_t)r0, 1, shape, stride);
}

/* Creates the device tensor (alone or first of a stack of total_rows) and uploads s's rows into it. */
static vkattn_status upload_spec(vkattn_model *m, const wspec *s, int64_t total_rows, float *buf, uint64_t buf_elems) {
    const int64_t rows = spec_rows(s), cols = spec_cols(s);
    vkattn_status st = VKATTN_OK;
    if (!s->member) {
        const int64_t shape[2] = {total_rows, cols};
        vkattn_tensor *t = NULL;
        if ((st = vkattn_tensor_create(m->ctx, s->dev_dtype, s->ndim, shape, &t))) return st;
        *s->dst = t;
        m->owned[m->n_owned++] = t;
    }
    const vkattn_tensor *t = *s->dst;
    if (s->dev_dtype == s->file_dtype) { /* as stored: one copy */
        vkattn_tensor v = dst_rows(t, s->ndim, s->dst_row0, rows);
        return vkattn_tensor_upload(&v, s->src.data, (size_t)vkattn_dtype_bytes(s->file_dtype, (uint64_t)(rows * cols)));
    }
    /* converted through f32 in chunks of rows (bounded host memory) */
    int64_t chunk = (int64_t)(buf_elems / (uint64_t)cols);
    if (chunk < 1) chunk = 1;
    for (int64_t r = 0; r < rows && !st; r += chunk) {
        int64_t nr = rows - r < chunk ? rows - r : chunk;
        rows_to_f32(&s->src, s->file_dtype, cols, r, nr, buf);
        vkattn_tensor v = dst_rows(t, s->ndim, s->dst_row0 + r, nr);
        st = vkattn_tensor_upload_f32(&v, buf, (size_t)(nr * cols));
    }
    return st;
}

/* ---- tokenizer ------------------------------------------------------------------------------ */

/* tokenizer.chat_template (optional), copied: the file is closed after loading. */
static vkattn_status load_chat_template(vkattn_model *m) {
    const char *src = NULL;
    uint64_t len = 0;
    if (vkattn_gguf_find_key(m->gguf, "tokenizer.chat_template") < 0) return VKATTN_OK;
    vkattn_status st = vkattn_gguf_get_string(m->gguf, "tokenizer.chat_template", &src, &len);
    if (st) return vkattn__fail(m->ctx, st, "model: tokenizer.chat_template: %s", vkattn_context_error(NULL));
    if (!(m->chat_template = malloc(len + 1))) return vkattn__fail(m->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
    memcpy(m->chat_template, src, len);
    m->chat_template[len] = 0;
    return VKATTN_OK;
}

static vkattn_status load_tokenizer(vkattn_model *m) {
    if (vkattn_gguf_find_key(m->gguf, "tokenizer.ggml.model") < 0) return VKATTN_OK; /* none: the model still runs on ids */
    vkattn_status st = vkattn_tokenizer_create_gguf(m->gguf, &m->tok);
    if (st) return vkattn__fail(m->ctx, st, "model: tokenizer: %s", vkattn_context_error(NULL));
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(m->tok, &info);
    if (info.n_vocab > m->hp.n_vocab)
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: tokenizer.ggml.tokens has %u tokens, token_embd.weight only %u rows",
                            info.n_vocab, m->hp.n_vocab);
    return VKATTN_OK;
}

/* ---- activations ---------------------------------------------------------------------------- */

static uint64_t activation_bytes(const vkattn_model *m, vkattn_dtype kv) {
    const vkattn__hparams *h = &m->hp;
    const uint64_t B = m->n_batch, Q = (uint64_t)h->n_head * h->head_dim;
    const uint64_t W = Q + 2ull * h->n_head_kv * h->head_dim;
    return B * h->n_embd * 4 * 3 + vkattn_dtype_bytes(kv, B * (W + Q)) + B * h->n_ff * 4 * 3 + (uint64_t)h->n_vocab * 4 + B * 4 + 4;
}

static vkattn_status create_acts(vkattn_model *m) {
    const vkattn__hparams *h = &m->hp;
    vkattn__acts *a = &m->a;
    const int64_t B = m->n_batch, Q = (int64_t)h->n_head * h->head_dim, W = Q + 2 * (int64_t)h->n_head_kv * h->head_dim;
    const int64_t sD[2] = {B, h->n_embd}, sW[2] = {B, W}, sQ[2] = {B, Q}, sF[2] = {B, h->n_ff}, sF2[2] = {B, 2 * (int64_t)h->n_ff};
    const int64_t sV[2] = {1, h->n_vocab}, sB[1] = {B}, s1[1] = {1};
    vkattn_status st;
    if ((st = vkattn_tensor_create(m->ctx, VKATTN_F32, 2, sD, &a->x)) || (st = vkattn_tensor_create(m->ctx, VKATTN_F32, 2, sD, &a->xn)) ||
        (st = vkattn_tensor_create(m->ctx, VKATTN_F32, 2, sD, &a->tmp)) ||
        (st = vkattn_tensor_create(m->ctx, m->kv.dtype, 2, sW, &a->qkv)) ||
        (st = vkattn_tensor_create(m->ctx, m->kv.dtype, 2, sQ, &a->att)) ||
        (st = vkattn_tensor_create(m->ctx, VKATTN_F32, 2, sF2, &a->gu)) || (st = vkattn_tensor_create(m->ctx, VKATTN_F32, 2, sF, &a->h)) ||
        (st = vkattn_tensor_create(m->ctx, VKATTN_F32, 2, sV, &a->logits)) ||
        (st = vkattn_tensor_create(m->ctx, VKATTN_I32, 1, sB, &a->ids)) ||
        (st = vkattn_tensor_create(m->ctx, VKATTN_I32, 1, s1, &a->argmax)))
        return st;
    return VKATTN_OK;
}

static void destroy_acts(vkattn__acts *a) {
    vkattn_tensor *ts[] = {a->x, a->xn, a->tmp, a->qkv, a->att, a->gu, a->h, a->logits, a->logits_all, a->ids, a->argmax};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) vkattn_tensor_destroy(ts[i]);
    memset(a, 0, sizeof *a);
}

/* ---- load ----------------------------------------------------------------------------------- */

static const char *mib(char *buf, uint64_t bytes) {
    snprintf(buf, 32, "%.1f MiB", bytes / 1048576.0);
    return buf;
}

static vkattn_status load(vkattn_model *m, const vkattn_model_desc *desc) {
    vkattn_context *ctx = m->ctx;
    const vkattn_device_info *info = vkattn_context_device(ctx);
    const char *arch;
    vkattn_status st;
    if (vkattn_gguf_find_key(m->gguf, "general.architecture") < 0)
        return vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "model: general.architecture is missing: not a model file?");
    if ((st = vkattn_gguf_get_string(m->gguf, "general.architecture", &arch, NULL))) return forward_error(ctx, st);
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0] && !m->arch; i++)
        if (strcmp(arch, ARCHS[i]->name) == 0) m->arch = ARCHS[i];
    if (!m->arch) {
        char list[256] = "", key[96];
        snprintf(key, sizeof key, "%.60s.expert_count", arch);
        if (vkattn_gguf_find_key(m->gguf, key) >= 0 || strstr(arch, "moe") || strcmp(arch, "mixtral") == 0)
            return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED,
                                "model: \"%.60s\" is a mixture-of-experts architecture; vkattn runs dense models only", arch);
        for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", ARCHS[i]->name);
        return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED, "model: architecture \"%.60s\" is not supported (supported: %s)", arch,
                            list);
    }
    snprintf(m->arch_name, sizeof m->arch_name, "%s", arch);
    const char *name = "";
    if (vkattn_gguf_find_key(m->gguf, "general.name") >= 0) vkattn_gguf_get_string(m->gguf, "general.name", &name, NULL);
    if (!(m->name = malloc(strlen(name) + 1))) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
    strcpy(m->name, name);
    if ((st = read_hparams(m))) return st;

    vkattn_gguf_tensor te;
    if (vkattn_gguf_find_tensor(m->gguf, "token_embd.weight", &te) != VKATTN_OK)
        return vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "model: tensor token_embd.weight is missing");
    if (te.ndim != 2 || te.shape[0] <= 0 || te.shape[0] > INT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "model: token_embd.weight must be 2-D [n_vocab, %u]", m->hp.n_embd);
    m->hp.n_vocab = (uint32_t)te.shape[0];

    m->n_ctx = desc && desc->n_ctx ? desc->n_ctx : (m->hp.n_ctx_train < DEFAULT_N_CTX ? m->hp.n_ctx_train : DEFAULT_N_CTX);
    if (m->n_ctx == VKATTN_N_CTX_TRAIN) m->n_ctx = m->hp.n_ctx_train;
    if (m->arch->learned_positions && m->n_ctx > m->hp.n_ctx_train)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "model: context %u exceeds %s's %u learned positions (%s.context_length); use a smaller -c",
                            m->n_ctx, m->arch_name, m->hp.n_ctx_train, m->arch_name);
    m->n_batch = desc && desc->n_batch ? desc->n_batch : DEFAULT_N_BATCH;
    if (desc) m->eval_progress = desc->eval_progress, m->eval_progress_user = desc->eval_progress_user;
    m->n_seq = desc && desc->n_seq ? desc->n_seq : 1;
    if (m->n_seq > 64)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model: n_seq %u is more than 64 sequences", m->n_seq);
    if (m->n_batch > m->n_ctx * (uint64_t)m->n_seq) m->n_batch = m->n_ctx * m->n_seq;
    if (!(m->seqs = calloc(m->n_seq, sizeof *m->seqs)))
        return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
    if ((m->arch->hparams && (st = m->arch->hparams(m))) || (st = vkattn__rope_freqs(m))) return st;

    wtable t = {0};
    if ((st = m->arch->tensors(m, &t)) || (st = resolve_table(m, &t))) {
        free(t.w);
        return st;
    }
    /* device memory: weights as they will be stored + KV cache + activations, checked before any upload */
    uint64_t wbytes = 0, file_bytes = 0, elems_by_type[VKATTN_IQ4_XS + 1] = {0};
    for (uint32_t i = 0; i < t.n; i++) {
        const wspec *s = &t.w[i];
        if (!s->present) continue;
        uint64_t ne = (uint64_t)(spec_rows(s) * spec_cols(s));
        wbytes += vkattn_dtype_bytes(s->dev_dtype, ne);
        file_bytes += vkattn_dtype_bytes(s->file_dtype, ne);
        m->n_params += ne;
        if (s->ndim == 2) elems_by_type[s->file_dtype] += ne;
    }
    /* f16 on every device: float16_t with 16-bit storage, packed words without */
    const vkattn_dtype kvt = !(desc && desc->kv_f32) ? VKATTN_F16 : VKATTN_F32;
    const uint64_t kvb = vkattn__kv_bytes(kvt, m->hp.n_layer, (uint64_t)m->n_ctx * m->n_seq, m->hp.n_head_kv, m->hp.head_dim);
    const uint64_t ab = activation_bytes(m, kvt);
    m->weight_bytes = wbytes;
    int best = 0;
    for (int i = 1; i <= VKATTN_IQ4_XS; i++)
        if (elems_by_type[i] > elems_by_type[best]) best = i;
    m->weight_type = vkattn_dtype_string((vkattn_dtype)best);
    if (info->device_local_bytes && wbytes + kvb + ab > info->device_local_bytes) {
        char b[5][32];
        free(t.w);
        return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_DEVICE_MEMORY,
                            "model: needs %s of device memory (weights %s, KV cache %s for %u tokens, activations %s) but "
                            "\"%s\" has %s; use a smaller -c or a quantized model",
                            mib(b[0], wbytes + kvb + ab), mib(b[1], wbytes), mib(b[2], kvb), m->n_ctx, mib(b[3], ab), info->name,
                            mib(b[4], info->device_local_bytes));
    }

    /* upload, converting where the device dtype differs */
    const uint64_t buf_elems = 1u << 20;
    float *buf = malloc(buf_elems * sizeof *buf);
    if (!(m->owned = calloc(t.n, sizeof *m->owned)) || !buf) st = vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
    uint64_t done = 0;
    for (uint32_t i = 0; i < t.n && !st; i++) {
        const wspec *s = &t.w[i];
        if (!s->present) continue;
        int64_t total = spec_rows(s);
        for (uint32_t j = 1; j < s->stack_n; j++) total += spec_rows(&t.w[i + j]);
        st = upload_spec(m, s, total, buf, buf_elems);
        const uint64_t bytes = vkattn_dtype_bytes(s->file_dtype, (uint64_t)(spec_rows(s) * spec_cols(s)));
        vkattn__gguf_drop(m->gguf, s->src.data, bytes); /* on the device now: its file pages can go */
        done += bytes;
        if (!st && desc && desc->progress) desc->progress(desc->progress_user, done, file_bytes);
    }
    free(buf);
    free(t.w);
    if (st) return st;
    if (!m->output) m->output = m->tok_embd; /* tied */
    if (m->hp.rope_inv_freq) {
        const int64_t shape[1] = {m->hp.rope_dims / 2};
        if ((st = vkattn_tensor_create(ctx, VKATTN_F32, 1, shape, &m->rope_freq)) ||
            (st = vkattn_tensor_upload_f32(m->rope_freq, m->hp.rope_inv_freq, (size_t)shape[0])))
            return st;
    }

    if ((st = load_tokenizer(m))) return st;
    if ((st = load_chat_template(m))) return st;
    if ((st = vkattn__kv_create(ctx, &m->kv, kvt, m->hp.n_layer, m->n_ctx, m->n_seq, m->hp.n_head_kv, m->hp.head_dim)))
        return st;
    return create_acts(m);
}

static vkattn_status load_opened(vkattn_context *ctx, vkattn_gguf *g, const vkattn_model_desc *desc, vkattn_model **out) {
    vkattn_model *m = calloc(1, sizeof *m);
    if (!m) {
        vkattn_gguf_close(g);
        return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
    }
    m->ctx = ctx;
    m->gguf = g;
    vkattn_status st = load(m, desc);
    if (st) {
        vkattn_model_destroy(m);
        return st;
    }
    *out = m;
    return VKATTN_OK;
}

vkattn_status vkattn_model_load(vkattn_context *ctx, const char *path, const vkattn_model_desc *desc, vkattn_model **out) {
    if (!out) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_load: out is NULL");
    *out = NULL;
    if (!ctx || !path) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_load: ctx or path is NULL");
    vkattn_gguf *g;
    vkattn_status st = vkattn_gguf_open(path, &g);
    if (st) return forward_error(ctx, st);
    return load_opened(ctx, g, desc, out);
}

vkattn_status vkattn_model_load_memory(vkattn_context *ctx, const void *data, size_t size, const vkattn_model_desc *desc,
                                       vkattn_model **out) {
    if (!out) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_load_memory: out is NULL");
    *out = NULL;
    if (!ctx || !data) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_load_memory: ctx or data is NULL");
    vkattn_gguf *g;
    vkattn_status st = vkattn_gguf_open_memory(data, size, "<built-in model>", &g);
    if (st) return forward_error(ctx, st);
    return load_opened(ctx, g, desc, out);
}

void vkattn_model_destroy(vkattn_model *m) {
    if (!m) return;
    for (uint32_t i = 0; i < m->n_owned; i++) vkattn_tensor_destroy(m->owned[i]);
    free(m->owned);
    vkattn_tensor_destroy(m->rope_freq);
    free(m->hp.rope_inv_freq);
    free(m->layers);
    vkattn__kv_destroy(&m->kv);
    destroy_acts(&m->a);
    free(m->seqs);
    vkattn_tokenizer_destroy(m->tok);
    vkattn_gguf_close(m->gguf);
    free(m->name);
    free(m->chat_template);
    free(m);
}

void vkattn_model_get_info(const vkattn_model *m, vkattn_model_info *info) {
    memset(info, 0, sizeof *info);
    if (!m) return;
    const vkattn__hparams *h = &m->hp;
    info->arch = m->arch_name;
    info->name = m->name;
    info->n_vocab = h->n_vocab;
    info->n_ctx_train = h->n_ctx_train;
    info->n_ctx = m->n_ctx;
    info->n_batch = m->n_batch;
    info->n_embd = h->n_embd;
    info->n_layer = h->n_layer;
    info->n_ff = h->n_ff;
    info->n_head = h->n_head;
    info->n_head_kv = h->n_head_kv;
    info->head_dim = h->head_dim;
    info->rope_dims = h->rope_dims;
    info->rope_theta = h->rope_theta;
    info->norm_eps = h->norm_eps;
    info->n_params = m->n_params;
    info->weight_bytes = m->weight_bytes;
    info->n_seq = m->n_seq;
    info->kv_bytes = vkattn__kv_bytes(m->kv.dtype, h->n_layer, (uint64_t)m->n_ctx * m->n_seq, h->n_head_kv, h->head_dim);
    info->activation_bytes = activation_bytes(m, m->kv.dtype);
    info->kv_dtype = m->kv.dtype;
    info->weight_type = m->weight_type;
}

const vkattn_tokenizer *vkattn_model_tokenizer(const vkattn_model *m) { return m ? m->tok : NULL; }
const char *vkattn_model_chat_template(const vkattn_model *m) { return m ? m->chat_template : NULL; }

/* ---- eval ----------------------------------------------------------------------------------- */

/* The chunk's token ids to the device (read by vkattn_embedding in the batch). */
static vkattn_status upload_ids(vkattn_model *m, const int32_t *tokens, uint32_t n) {
    const int64_t shape[1] = {n}, stride[1] = {1};
    vkattn_tensor ids = vkattn__view(m->a.ids, 0, 1, shape, stride);
    return vkattn_tensor_upload(&ids, tokens, (size_t)n * sizeof *tokens);
}

/* Rows of logits_all that fit one binding. */
static vkattn_status ensure_logits_all(vkattn_model *m) {
    if (m->a.logits_all) return VKATTN_OK;
    const uint64_t range = vkattn_context_device(m->ctx)->max_storage_buffer_range;
    uint64_t rows = range / ((uint64_t)m->hp.n_vocab * 4);
    if (rows > m->n_batch) rows = m->n_batch;
    if (rows < 1) rows = 1;
    const int64_t shape[2] = {(int64_t)rows, m->hp.n_vocab};
    m->a.logits_all_rows = (uint32_t)rows;
    return vkattn_tensor_create(m->ctx, VKATTN_F32, 2, shape, &m->a.logits_all);
}

/* One chunk of n <= n_batch tokens, m->seqs saying which rows belong to which sequence: embeddings, the layer
 * stack and the output projection in one batch. Logits of every row (all, one sequence), else of each
 * sequence's last row (row s of the output); argmax: of the last row (one sequence). */
static vkattn_status eval_chunk(vkattn_model *m, const int32_t *tokens, uint32_t n, float *logits, int all,
                                int32_t *argmax) {
    vkattn_status st = upload_ids(m, tokens, n), st2;
    if (st) return st;
    if ((st = vkattn_begin(m->ctx))) return st;
    const uint32_t S = m->n_seqs;
    const int64_t shape[1] = {n}, stride[1] = {1};
    vkattn_tensor ids = vkattn__view(m->a.ids, 0, 1, shape, stride), x = vkattn__rows(m->a.x, 0, n);
    st = vkattn_embedding(m->ctx, m->tok_embd, &ids, &x); /* token_embd */
    if (!st) st = m->arch->forward(m, n);
    vkattn_tensor out = all ? vkattn__rows(m->a.logits_all, 0, n) : S == 1 ? *m->a.logits : vkattn__rows(m->a.logits_all, 0, S);
    if (!st && (logits || argmax)) {
        if (all || S == n) { /* every row wanted, or every sequence is one token: one GEMM */
            vkattn_tensor xs = vkattn__rows(m->a.xn, 0, n);
            st = vkattn_linear(m->ctx, &xs, m->output, NULL, &out); /* output */
        } else {
            for (uint32_t s = 0; s < S && !st; s++) {
                vkattn_tensor xs = vkattn__rows(m->a.xn, m->seqs[s].row + m->seqs[s].n - 1, 1);
                vkattn_tensor os = S == 1 ? out : vkattn__rows(m->a.logits_all, s, 1);
                st = vkattn_linear(m->ctx, &xs, m->output, NULL, &os); /* output, last row of the sequence */
            }
        }
        if (!st && m->hp.logit_softcap > 0) st = vkattn_softcap(m->ctx, &out, m->hp.logit_softcap, &out);
    }
    if (!st && argmax) st = vkattn_argmax(m->ctx, &out, m->a.argmax);
    st2 = vkattn_submit(m->ctx);
    if (st || (st = st2)) return st;
    if (argmax) return vkattn_tensor_download(m->a.argmax, argmax, sizeof *argmax);
    if (!logits) return VKATTN_OK;
    return vkattn_tensor_download(&out, logits, (size_t)(all ? n : S) * m->hp.n_vocab * sizeof *logits);
}

static vkattn_status check_tokens(vkattn_model *m, const int32_t *tokens, uint32_t n, const char *what) {
    for (uint32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || (uint32_t)tokens[i] >= m->hp.n_vocab)
            return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: token %u is id %d, outside [0, %u)", what, i,
                                tokens[i], m->hp.n_vocab);
    return VKATTN_OK;
}

static vkattn_status eval(vkattn_model *m, const int32_t *tokens, uint32_t n, uint32_t pos, int all, float *logits,
                          int32_t *argmax) {
    if (!m) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "model_eval: model is NULL");
    if (!tokens || n == 0 || (!logits && !argmax))
        return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_eval: needs n >= 1 tokens and an output");
    if ((uint64_t)pos + n > m->n_ctx)
        return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "model_eval: context full: positions %u + %u tokens exceed the %u-token context; load the model "
                            "with a larger context (-c)",
                            pos, n, m->n_ctx);
    vkattn_status st = check_tokens(m, tokens, n, "model_eval");
    if (st) return st;
    uint32_t chunk = m->n_batch;
    if (all) {
        if ((st = ensure_logits_all(m))) return st;
        if (chunk > m->a.logits_all_rows) chunk = m->a.logits_all_rows;
    }
    for (uint32_t i = 0; i < n; i += chunk) {
        uint32_t c = n - i < chunk ? n - i : chunk;
        int last = i + c == n;
        /* without all_logits only the last chunk's last row is wanted (earlier chunks fill the cache) */
        float *out = all ? logits + (size_t)i * m->hp.n_vocab : last ? logits : NULL;
        m->seqs[0] = (vkattn__seq){.row = 0, .n = c, .pos = pos + i, .seq = 0};
        m->n_seqs = 1;
        if ((st = eval_chunk(m, tokens + i, c, out, all, last ? argmax : NULL))) return st;
        if (m->eval_progress && c < n) m->eval_progress(m->eval_progress_user, i + c, n);
    }
    return VKATTN_OK;
}

vkattn_status vkattn_model_eval(vkattn_model *m, const int32_t *tokens, uint32_t n, uint32_t pos, int all_logits, float *logits) {
    if (m && !logits) return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_eval: logits is NULL");
    return eval(m, tokens, n, pos, all_logits, logits, NULL);
}

vkattn_status vkattn_model_eval_argmax(vkattn_model *m, const int32_t *tokens, uint32_t n, uint32_t pos, int32_t *token) {
    if (m && !token) return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_eval_argmax: token is NULL");
    return eval(m, tokens, n, pos, 0, NULL, token);
}

vkattn_status vkattn_model_eval_batch(vkattn_model *m, const vkattn_model_seq *seqs, uint32_t n_seqs, float *logits) {
    if (!m) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "model_eval_batch: model is NULL");
    if (!seqs || !logits || n_seqs == 0 || n_seqs > m->kv.n_seq)
        return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "model_eval_batch: needs 1 to n_seq (%u) sequences and a logits buffer", m->kv.n_seq);
    uint64_t total = 0;
    uint64_t used = 0; /* bit per sequence id, n_seq <= 64 checked below */
    for (uint32_t i = 0; i < n_seqs; i++) {
        const vkattn_model_seq *q = &seqs[i];
        if (!q->tokens || q->n == 0 || q->seq >= m->kv.n_seq || (uint64_t)q->pos + q->n > m->n_ctx)
            return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                                "model_eval_batch: sequence %u: needs tokens, n >= 1, seq < %u and pos + n <= n_ctx (%u); got "
                                "n %u, seq %u, pos %u",
                                i, m->kv.n_seq, m->n_ctx, q->n, q->seq, q->pos);
        if (q->seq < 64 && (used >> q->seq & 1))
            return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model_eval_batch: sequence %u appears twice", q->seq);
        if (q->seq < 64) used |= 1ull << q->seq;
        vkattn_status st = check_tokens(m, q->tokens, q->n, "model_eval_batch");
        if (st) return st;
        total += q->n;
    }
    if (total > m->n_batch)
        return vkattn__fail(m->ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "model_eval_batch: %llu tokens in all exceed n_batch (%u); split the prompts", (unsigned long long)total,
                            m->n_batch);
    vkattn_status st;
    if (n_seqs > 1) {
        if ((st = ensure_logits_all(m))) return st;
        if (n_seqs > m->a.logits_all_rows)
            return vkattn__fail(m->ctx, VKATTN_ERROR_TOO_LARGE, "model_eval_batch: %u sequences exceed the %u logits rows that fit",
                                n_seqs, m->a.logits_all_rows);
    }
    int32_t *ids = malloc(total * sizeof *ids);
    if (!ids) return vkattn__fail(m->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model_eval_batch: out of host memory");
    uint32_t row = 0;
    for (uint32_t i = 0; i < n_seqs; i++) {
        memcpy(ids + row, seqs[i].tokens, seqs[i].n * sizeof *ids);
        m->seqs[i] = (vkattn__seq){.row = row, .n = seqs[i].n, .pos = seqs[i].pos, .seq = seqs[i].seq};
        row += seqs[i].n;
    }
    m->n_seqs = n_seqs;
    st = eval_chunk(m, ids, (uint32_t)total, logits, 0, NULL);
    free(ids);
    return st;
}
