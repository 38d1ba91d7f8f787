/* The tokenizer of a GGUF file: its tokenizer.ggml.* metadata into vkattn_tokenizer_create. Only the
 * metadata is read, so a tokenizer-only file (no tensors) works, as llama.cpp's vocab_only. */
#include "tokenizer.h"

#include "base/base.h"

#include <stdlib.h>
#include <string.h>

#define FAIL(st, ...) vkattn__fail(NULL, st, __VA_ARGS__)

static int has(const vkattn_gguf *g, const char *key) { return vkattn_gguf_find_key(g, key) >= 0; }

static vkattn_status opt_id(const vkattn_gguf *g, const char *key, int32_t *id) {
    if (!has(g, key)) return VKATTN_OK;
    vkattn_status st = vkattn_gguf_get_i32(g, key, id);
    return st ? FAIL(VKATTN_ERROR_FORMAT, "tokenizer: %s must be a token id", key) : VKATTN_OK;
}

static vkattn_status opt_bool(const vkattn_gguf *g, const char *key, int *v) {
    if (!has(g, key)) return VKATTN_OK;
    vkattn_status st = vkattn_gguf_get_bool(g, key, v);
    return st ? FAIL(VKATTN_ERROR_FORMAT, "tokenizer: %s must be a bool", key) : VKATTN_OK;
}

/* A string array as pointer + length arrays (the strings stay in the GGUF handle). */
static vkattn_status string_array(const vkattn_gguf *g, const char *key, uint32_t *n, const char ***strs,
                                  uint32_t **lens) {
    vkattn_gguf_type et;
    uint64_t count;
    vkattn_status st = vkattn_gguf_get_array(g, key, &et, &count);
    if (st) return st;
    if (et != VKATTN_GGUF_STRING || count > INT32_MAX / 2)
        return FAIL(VKATTN_ERROR_FORMAT, "tokenizer: %s must be an array of at most %d strings", key, INT32_MAX / 2);
    *n = (uint32_t)count;
    *strs = malloc((count ? count : 1) * sizeof **strs);
    *lens = malloc((count ? count : 1) * sizeof **lens);
    if (!*strs || !*lens) return FAIL(VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenizer: out of host memory");
    for (uint64_t i = 0; i < count; i++) {
        uint64_t len;
        if ((st = vkattn_gguf_array_string(g, key, i, &(*strs)[i], &len))) return st;
        if (len > UINT32_MAX) return FAIL(VKATTN_ERROR_FORMAT, "tokenizer: %s[%llu] is too long", key, (unsigned long long)i);
        (*lens)[i] = (uint32_t)len;
    }
    return VKATTN_OK;
}

/* A numeric array of exactly n elements, converted by fetch. */
static vkattn_status number_array(const vkattn_gguf *g, const char *key, uint32_t n, size_t elem, void **out,
                                  int is_float) {
    vkattn_gguf_type et;
    uint64_t count;
    vkattn_status st = vkattn_gguf_get_array(g, key, &et, &count);
    if (st) return st;
    if (count != n) return FAIL(VKATTN_ERROR_FORMAT, "tokenizer: %s has %llu entries, tokens %u", key, (unsigned long long)count, n);
    if (!(*out = malloc((n ? n : 1) * elem))) return FAIL(VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenizer: out of host memory");
    st = is_float ? vkattn_gguf_array_f32(g, key, 0, n, *out) : vkattn_gguf_array_i32(g, key, 0, n, *out);
    return st ? FAIL(VKATTN_ERROR_FORMAT, "tokenizer: %s must hold one %s per token", key, is_float ? "number" : "integer")
              : VKATTN_OK;
}

vkattn_status vkattn_tokenizer_create_gguf(const vkattn_gguf *g, vkattn_tokenizer **out) {
    if (!out) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_tokenizer_create_gguf: out is NULL");
    *out = NULL;
    if (!g) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_tokenizer_create_gguf: g is NULL");
    if (!has(g, "tokenizer.ggml.model"))
        return FAIL(VKATTN_ERROR_FORMAT, "tokenizer: the file has no vocabulary (no tokenizer.ggml.model key)");
    vkattn_tokenizer_desc d;
    vkattn_tokenizer_desc_default(&d);
    const char **tokens = NULL, **merges = NULL;
    uint32_t *token_lens = NULL, *merge_lens = NULL;
    void *scores = NULL, *types = NULL;
    vkattn_status st = vkattn_gguf_get_string(g, "tokenizer.ggml.model", &d.model, NULL);
    if (!st && has(g, "tokenizer.ggml.pre")) st = vkattn_gguf_get_string(g, "tokenizer.ggml.pre", &d.pre, NULL);
    if (!st && !has(g, "tokenizer.ggml.tokens"))
        st = FAIL(VKATTN_ERROR_FORMAT, "tokenizer: tokenizer.ggml.tokens is missing");
    if (!st) st = string_array(g, "tokenizer.ggml.tokens", &d.n_vocab, &tokens, &token_lens);
    if (!st && has(g, "tokenizer.ggml.merges")) st = string_array(g, "tokenizer.ggml.merges", &d.n_merges, &merges, &merge_lens);
    if (!st && has(g, "tokenizer.ggml.scores")) st = number_array(g, "tokenizer.ggml.scores", d.n_vocab, sizeof(float), &scores, 1);
    if (!st && has(g, "tokenizer.ggml.token_type"))
        st = number_array(g, "tokenizer.ggml.token_type", d.n_vocab, sizeof(int32_t), &types, 0);
    if (!st && strcmp(d.model, "llama") == 0) { /* llama.cpp's SentencePiece defaults when the keys are absent */
        d.unknown_id = d.n_vocab > 0 ? 0 : -1;
        d.bos_id = d.n_vocab > 1 ? 1 : -1;
        d.eos_id = d.n_vocab > 2 ? 2 : -1;
    }
    if (!st) st = opt_id(g, "tokenizer.ggml.bos_token_id", &d.bos_id);
    if (!st) st = opt_id(g, "tokenizer.ggml.eos_token_id", &d.eos_id);
    if (!st) st = opt_id(g, "tokenizer.ggml.unknown_token_id", &d.unknown_id);
    if (!st) st = opt_id(g, "tokenizer.ggml.padding_token_id", &d.padding_id);
    if (!st) st = opt_id(g, "tokenizer.ggml.eot_token_id", &d.eot_id);
    if (!st) st = opt_bool(g, "tokenizer.ggml.add_bos_token", &d.add_bos);
    if (!st) st = opt_bool(g, "tokenizer.ggml.add_eos_token", &d.add_eos);
    if (!st) st = opt_bool(g, "tokenizer.ggml.add_space_prefix", &d.add_space_prefix);
    if (!st) {
        d.tokens = tokens;
        d.token_lens = token_lens;
        d.merges = merges;
        d.merge_lens = merge_lens;
        d.scores = scores;
        d.token_types = types;
        st = vkattn_tokenizer_create(&d, out);
    }
    free(tokens);
    free(token_lens);
    free(merges);
    free(merge_lens);
    free(scores);
    free(types);
    return st;
}

vkattn_status vkattn_tokenizer_load(const char *path, vkattn_tokenizer **out) {
    if (!out) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_tokenizer_load: out is NULL");
    *out = NULL;
    if (!path) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_tokenizer_load: path is NULL");
    vkattn_gguf *g = NULL;
    vkattn_status st = vkattn_gguf_open(path, &g);
    if (!st) st = vkattn_tokenizer_create_gguf(g, out);
    vkattn_gguf_close(g);
    return st;
}
