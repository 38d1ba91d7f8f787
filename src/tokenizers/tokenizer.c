/* The vkattn_tokenizer handle: vocabulary tables built from GGUF-style arrays, special-token splitting,
 * tokenize, token pieces and whole-sequence detokenization. Model-specific work is in bpe.c / spm.c.
 *
 * As llama.cpp (llama-vocab.cpp): control, unknown and user-defined tokens are cut out of the input text
 * first, longest first (user-defined ones always, control/unknown ones only with parse_special); tokens
 * whose text is a known end-of-generation marker ("<|endoftext|>", "<|im_end|>", "<|eot_id|>", ...) are
 * typed control. Not done: llama.cpp's clean_up_tokenization_spaces for some BPE models (it would break
 * exact round trips) and per-token lstrip/rstrip attributes (not stored in GGUF). */
#include "tokenizer.h"

#include "base/base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(st, ...) vkattn__fail(NULL, st, __VA_ARGS__)
#define OOM() FAIL(VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenizer: out of host memory")

/* ---- small helpers ---------------------------------------------------------------------------- */

vkattn_status vkattn__emit_symbols(const vkattn_tokenizer *t, vkattn__enc *e, vkattn__fallback_fn fallback) {
    vkattn_status st = VKATTN_OK;
    for (int32_t i = e->merger.n_sym ? 0 : -1; i >= 0 && !st; i = e->merger.sym[i].next) {
        const vkattn__sym *y = &e->merger.sym[i];
        int32_t id = vkattn__tok_find(t, e->buf + y->off, y->n);
        st = id >= 0 ? vkattn__ivec_push(&e->out, id) : fallback(t, e, e->buf + y->off, y->n);
    }
    return st;
}

vkattn_status vkattn__enc_reserve_buf(vkattn__enc *e, size_t n) {
    if (n <= e->buf_cap) return VKATTN_OK;
    char *b = realloc(e->buf, n);
    if (!b) return OOM();
    e->buf = b;
    e->buf_cap = n;
    return VKATTN_OK;
}

void vkattn__enc_free(vkattn__enc *e) {
    free(e->out.v);
    vkattn__merger_free(&e->merger);
    free(e->buf);
    free(e->ends);
    free(e->prev_ends);
    free(e->cp);
    free(e->cls);
    free(e->cp_off);
}

static uint64_t fnv(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}
#define FNV0 0xcbf29ce484222325ull

static vkattn_status htab_init(vkattn__htab *h, uint32_t n) {
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)n) cap *= 2; /* load <= 1/2 */
    h->slot = calloc(cap, sizeof *h->slot);
    h->mask = cap - 1;
    return h->slot ? VKATTN_OK : OOM();
}

static int tok_eq(const vkattn_tokenizer *t, uint32_t id, const char *s, size_t n) {
    return t->text_len[id] == n && memcmp(t->text + t->text_off[id], s, n) == 0;
}

int32_t vkattn__tok_find(const vkattn_tokenizer *t, const char *s, size_t n) {
    for (uint32_t i = (uint32_t)fnv(FNV0, s, n) & t->tok_map.mask;; i = (i + 1) & t->tok_map.mask) {
        uint32_t v = t->tok_map.slot[i];
        if (!v) return -1;
        if (tok_eq(t, v - 1, s, n)) return (int32_t)(v - 1);
    }
}

static uint64_t pair_hash(const char *l, size_t ln, const char *r, size_t rn) {
    return fnv(fnv(FNV0, l, ln) * 31 + ln, r, rn);
}

static int merge_eq(const vkattn_tokenizer *t, uint32_t k, const char *l, size_t ln, const char *r, size_t rn) {
    const char *m = t->merge_text + t->merge_off[k];
    return t->merge_llen[k] == ln && t->merge_rlen[k] == rn && memcmp(m, l, ln) == 0 && memcmp(m + ln + 1, r, rn) == 0;
}

int32_t vkattn__merge_rank(const vkattn_tokenizer *t, const char *l, size_t ln, const char *r, size_t rn) {
    if (!t->n_merges) return -1;
    for (uint32_t i = (uint32_t)pair_hash(l, ln, r, rn) & t->merge_map.mask;; i = (i + 1) & t->merge_map.mask) {
        uint32_t v = t->merge_map.slot[i];
        if (!v) return -1;
        if (merge_eq(t, v - 1, l, ln, r, rn)) return (int32_t)(v - 1);
    }
}

/* ---- creation --------------------------------------------------------------------------------- */

void vkattn_tokenizer_desc_default(vkattn_tokenizer_desc *desc) {
    if (!desc) return;
    *desc = (vkattn_tokenizer_desc){0};
    desc->bos_id = desc->eos_id = desc->unknown_id = desc->padding_id = desc->eot_id = -1;
    desc->add_bos = desc->add_eos = desc->add_space_prefix = -1;
}

/* tokenizer.ggml.pre names as llama.cpp (llama-vocab.cpp) maps them onto the pre-tokenizers implemented
 * here; its LLAMA3 group also sets ignore_merges and add_bos. Names llama.cpp knows but vkattn does not
 * implement are refused with the list below. */
static const struct {
    const char *name;
    int pre, ignore_merges, add_bos;
} pre_names[] = {
    {"llama3", VKATTN__PRE_LLAMA3, 1, 1}, {"llama-v3", VKATTN__PRE_LLAMA3, 1, 1},
    {"llama-bpe", VKATTN__PRE_LLAMA3, 1, 1}, {"falcon3", VKATTN__PRE_LLAMA3, 1, 1},
    {"falcon-h1", VKATTN__PRE_LLAMA3, 1, 1}, {"pixtral", VKATTN__PRE_LLAMA3, 1, 1},
    {"midm-2.0", VKATTN__PRE_LLAMA3, 1, 1}, {"lfm2", VKATTN__PRE_LLAMA3, 1, 1},
    {"jina-v5-nano", VKATTN__PRE_LLAMA3, 1, 1},
    {"dbrx", VKATTN__PRE_LLAMA3, 0, 0}, {"smaug-bpe", VKATTN__PRE_LLAMA3, 0, 0},
    {"glm4", VKATTN__PRE_LLAMA3, 0, 0}, {"chatglm-bpe", VKATTN__PRE_LLAMA3, 0, 0},
    {"qwen2", VKATTN__PRE_QWEN2, 0, 0}, {"deepseek-r1-qwen", VKATTN__PRE_QWEN2, 0, 0},
    {"kormo", VKATTN__PRE_QWEN2, 0, 0}, {"f2llmv2", VKATTN__PRE_QWEN2, 0, 0},
    {"stablelm2", VKATTN__PRE_QWEN2, 0, 0}, {"megrez", VKATTN__PRE_QWEN2, 0, 0},
    {"grok-2", VKATTN__PRE_QWEN2, 0, 0},
    {"smollm", VKATTN__PRE_SMOLLM, 0, 0}, {"starcoder", VKATTN__PRE_SMOLLM, 0, 0},
    {"refact", VKATTN__PRE_SMOLLM, 0, 0}, {"command-r", VKATTN__PRE_SMOLLM, 0, 0},
    {"codeshell", VKATTN__PRE_SMOLLM, 0, 0}, {"exaone", VKATTN__PRE_SMOLLM, 0, 0},
    {"minerva-7b", VKATTN__PRE_SMOLLM, 0, 0}, {"mellum2", VKATTN__PRE_SMOLLM, 0, 0},
    {"gpt-2", VKATTN__PRE_GPT2, 0, 0}, {"gpt2", VKATTN__PRE_GPT2, 0, 0} /* vkattn's alias */,
    {"phi-2", VKATTN__PRE_GPT2, 0, 0}, {"mpt", VKATTN__PRE_GPT2, 0, 0}, {"olmo", VKATTN__PRE_GPT2, 0, 0},
    {"jais", VKATTN__PRE_GPT2, 0, 0}, {"trillion", VKATTN__PRE_GPT2, 0, 0},
    {"granite-docling", VKATTN__PRE_GPT2, 0, 0}, {"exaone4", VKATTN__PRE_GPT2, 0, 0},
    {"roberta-bpe", VKATTN__PRE_GPT2, 0, 0}, {"gigachat", VKATTN__PRE_GPT2, 0, 0},
    {"a.x-4.0", VKATTN__PRE_GPT2, 0, 0}, {"mellum", VKATTN__PRE_GPT2, 0, 0},
    {"modern-bert", VKATTN__PRE_GPT2, 0, 0}, {"jina-es", VKATTN__PRE_GPT2, 0, 0},
    {"jina-de", VKATTN__PRE_GPT2, 0, 0}, {"jina-v1-en", VKATTN__PRE_GPT2, 0, 0},
    {"jina-v2-es", VKATTN__PRE_GPT2, 0, 0}, {"jina-v2-de", VKATTN__PRE_GPT2, 0, 0},
    {"jina-v2-code", VKATTN__PRE_GPT2, 0, 0},
    {"falcon", VKATTN__PRE_FALCON, 0, 0},
    {"default", VKATTN__PRE_DEFAULT, 0, 0}, /* also what a file without the key gets */
};

/* Token texts llama.cpp recognizes (llama_vocab::impl::load): a match is forced to control type. The
 * first lists name one token each (EOT, EOM, fill-in-the-middle), the last every end of generation. */
static const char *const eot_texts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                        "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
                                        "<end_of_utterance>", NULL};
static const char *const eom_texts[] = {"<|eom_id|>", NULL};
static const char *const fim_pre_texts[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>",
                                            "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL};
static const char *const fim_suf_texts[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>", "<SUF>",
                                            "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL};
static const char *const fim_mid_texts[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>",
                                            "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL};
/* these three also end generation */
static const char *const fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
static const char *const fim_rep_texts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL};
static const char *const fim_sep_texts[] = {"<|file_sep|>", NULL};
static const char *const eog_texts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                                        "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
                                        "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
                                        "<turn|>", "<|tool_response>",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
                                        "[e~[", NULL};
/* gpt-oss: always rendered, so user-defined */
static const char *const user_texts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL};

/* The first token (lowest id) whose text is in list, or -1. */
static int32_t first_of(const vkattn_tokenizer *t, const char *const *list) {
    int32_t best = -1;
    for (size_t k = 0; list[k]; k++) {
        int32_t id = vkattn__tok_find(t, list[k], strlen(list[k]));
        if (id >= 0 && (best < 0 || id < best)) best = id;
    }
    return best;
}

static void mark_control(vkattn_tokenizer *t, int32_t id, int eog) {
    if (id < 0) return;
    t->type[id] = VKATTN_TOKEN_CONTROL;
    if (eog) t->eog[id] = 1;
}

/* llama.cpp's text-based special-token detection: control types and the end-of-generation set. Where
 * llama.cpp picks one token per list in hash order, vkattn picks the lowest id. */
static void mark_special_texts(vkattn_tokenizer *t) {
    if (t->eot < 0) {
        t->eot = first_of(t, eot_texts);
        mark_control(t, t->eot, 0);
    }
    mark_control(t, first_of(t, eom_texts), 1);
    mark_control(t, first_of(t, fim_pre_texts), 0);
    mark_control(t, first_of(t, fim_suf_texts), 0);
    mark_control(t, first_of(t, fim_mid_texts), 0);
    mark_control(t, first_of(t, fim_pad_texts), 1);
    mark_control(t, first_of(t, fim_rep_texts), 1);
    mark_control(t, first_of(t, fim_sep_texts), 1);
    for (size_t k = 0; eog_texts[k]; k++) mark_control(t, vkattn__tok_find(t, eog_texts[k], strlen(eog_texts[k])), 1);
    for (size_t k = 0; user_texts[k]; k++) {
        int32_t id = vkattn__tok_find(t, user_texts[k], strlen(user_texts[k]));
        if (id >= 0) t->type[id] = VKATTN_TOKEN_USER_DEFINED;
    }
    if (t->eos >= 0) t->eog[t->eos] = 1;
    if (t->eot >= 0) t->eog[t->eot] = 1;
    /* o200k_harmony / solar-open: <|end|> is no end of generation there */
    int32_t end = vkattn__tok_find(t, "<|end|>", 7), ret = vkattn__tok_find(t, "<|return|>", 10);
    int32_t call = vkattn__tok_find(t, "<|call|>", 8), calls = vkattn__tok_find(t, "<|calls|>", 9);
    int32_t flush = vkattn__tok_find(t, "<|flush|>", 9);
    if (end >= 0 && t->eog[end] && ((ret >= 0 && call >= 0) || (calls >= 0 && flush >= 0))) {
        t->eog[end] = 0;
        t->type[end] = VKATTN_TOKEN_USER_DEFINED;
    }
    /* Gemma 4 / PaddleOCR: </s> is a normal token beside <|tool_response> */
    int32_t s_end = vkattn__tok_find(t, "</s>", 4);
    if (s_end >= 0 && t->eog[s_end] && vkattn__tok_find(t, "<|tool_response>", 16) >= 0) {
        t->eog[s_end] = 0;
        t->type[s_end] = VKATTN_TOKEN_NORMAL;
    }
}

static size_t text_len(const char *const *v, const uint32_t *lens, uint32_t i) {
    return lens ? lens[i] : strlen(v[i]);
}

/* Fills the decoded bytes of token id (as with VKATTN_DETOK_SPECIAL) into out; returns the length. */
static size_t render(const vkattn_tokenizer *t, uint32_t id, char *out) {
    const char *s = t->text + t->text_off[id];
    size_t n = t->text_len[id], m = 0;
    switch (t->type[id]) {
    case VKATTN_TOKEN_CONTROL:
    case VKATTN_TOKEN_UNKNOWN:
    case VKATTN_TOKEN_USER_DEFINED:
        memcpy(out, s, n);
        return n;
    case VKATTN_TOKEN_BYTE: { /* "<0xXX>" -> the byte */
        char hex[3] = {n == 6 ? s[3] : 0, n == 6 ? s[4] : 0, 0};
        char *end;
        long b = strtol(hex, &end, 16);
        if (n == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>' && end == hex + 2) {
            out[0] = (char)b;
            return 1;
        }
        memcpy(out, s, n); /* malformed: show the text */
        return n;
    }
    case VKATTN_TOKEN_NORMAL:
        break;
    default: /* unused / undefined: nothing, as llama.cpp */
        return 0;
    }
    if (t->model == VKATTN__MODEL_SPM) { /* U+2581 -> ' ' */
        for (size_t i = 0; i < n; i++) {
            if (i + 2 < n && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
                out[m++] = ' ';
                i += 2;
            } else {
                out[m++] = s[i];
            }
        }
        return m;
    }
    for (size_t i = 0; i < n;) { /* GPT-2 byte-level: code point -> byte; others pass through unchanged */
        uint32_t c = 0;
        int k = vkattn__utf8_next((const uint8_t *)s + i, n - i, &c);
        int b = k > 0 ? vkattn__cp_to_byte(c) : -1;
        if (b >= 0) {
            out[m++] = (char)b;
        } else {
            size_t len = k > 0 ? (size_t)k : 1;
            memcpy(out + m, s + i, len);
            m += len;
        }
        i += k > 0 ? (size_t)k : 1;
    }
    return m;
}

typedef struct special_key {
    uint32_t len;
    int32_t id;
} special_key;

static int cmp_special(const void *a, const void *b) {
    const special_key *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static vkattn_status check_id(const char *what, int32_t id, uint32_t n_vocab) {
    if (id < -1 || (id >= 0 && (uint32_t)id >= n_vocab))
        return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: %s %d is out of range (n_vocab %u; -1 = none)", what,
                    id, n_vocab);
    return VKATTN_OK;
}

static vkattn_status build(vkattn_tokenizer *t, const vkattn_tokenizer_desc *d) {
    uint32_t n = d->n_vocab;
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!d->tokens[i]) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: tokens[%u] is NULL", i);
        total += text_len(d->tokens, d->token_lens, i);
    }
    t->n_vocab = n;
    t->text = malloc(total ? total : 1);
    t->text_off = malloc(n * sizeof *t->text_off);
    t->text_len = malloc(n * sizeof *t->text_len);
    t->score = malloc(n * sizeof *t->score);
    t->type = malloc(n);
    t->eog = calloc(n, 1);
    t->piece = malloc(total ? total : 1); /* a piece is never longer than its text */
    t->piece_off = malloc(n * sizeof *t->piece_off);
    t->piece_len = malloc(n * sizeof *t->piece_len);
    if (!t->text || !t->text_off || !t->text_len || !t->score || !t->type || !t->eog || !t->piece || !t->piece_off ||
        !t->piece_len)
        return OOM();
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = text_len(d->tokens, d->token_lens, i);
        memcpy(t->text + off, d->tokens[i], len);
        t->text_off[i] = off;
        t->text_len[i] = (uint32_t)len;
        off += len;
        float sc = d->scores ? d->scores[i] : 0.0f;
        t->score[i] = isnan(sc) ? -INFINITY : sc;
        int ty = d->token_types ? d->token_types[i] : VKATTN_TOKEN_NORMAL;
        t->type[i] = (uint8_t)(ty >= VKATTN_TOKEN_NORMAL && ty <= VKATTN_TOKEN_BYTE ? ty : VKATTN_TOKEN_UNDEFINED);
    }
    vkattn_status st = htab_init(&t->tok_map, n);
    if (st) return st;
    for (uint32_t id = 0; id < n; id++) {
        const char *s = t->text + t->text_off[id];
        uint32_t i = (uint32_t)fnv(FNV0, s, t->text_len[id]) & t->tok_map.mask;
        while (t->tok_map.slot[i] && !tok_eq(t, t->tok_map.slot[i] - 1, s, t->text_len[id])) i = (i + 1) & t->tok_map.mask;
        t->tok_map.slot[i] = id + 1; /* a later duplicate wins */
    }

    mark_special_texts(t);

    /* merges: "left right", split at the first space after the first byte (as llama.cpp) */
    if (t->model == VKATTN__MODEL_BPE && d->n_merges) {
        uint32_t m = d->n_merges;
        size_t mtotal = 0;
        for (uint32_t i = 0; i < m; i++) {
            if (!d->merges[i]) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: merges[%u] is NULL", i);
            mtotal += text_len(d->merges, d->merge_lens, i);
        }
        t->merge_text = malloc(mtotal ? mtotal : 1);
        t->merge_off = malloc(m * sizeof *t->merge_off);
        t->merge_llen = malloc(m * sizeof *t->merge_llen);
        t->merge_rlen = malloc(m * sizeof *t->merge_rlen);
        if (!t->merge_text || !t->merge_off || !t->merge_llen || !t->merge_rlen) return OOM();
        if ((st = htab_init(&t->merge_map, m))) return st;
        t->n_merges = m;
        off = 0;
        for (uint32_t k = 0; k < m; k++) {
            size_t len = text_len(d->merges, d->merge_lens, k);
            const char *s = d->merges[k];
            const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
            if (!sp)
                return FAIL(VKATTN_ERROR_FORMAT, "tokenizer: merges[%u] (\"%.*s\") is not \"left right\"", k,
                            (int)(len < 64 ? len : 64), s);
            memcpy(t->merge_text + off, s, len);
            t->merge_off[k] = off;
            t->merge_llen[k] = (uint32_t)(sp - s);
            t->merge_rlen[k] = (uint32_t)(len - (size_t)(sp - s) - 1);
            off += len;
            const char *l = t->merge_text + t->merge_off[k], *r = l + t->merge_llen[k] + 1;
            uint32_t i = (uint32_t)pair_hash(l, t->merge_llen[k], r, t->merge_rlen[k]) & t->merge_map.mask;
            int dup = 0;
            for (; t->merge_map.slot[i]; i = (i + 1) & t->merge_map.mask)
                if ((dup = merge_eq(t, t->merge_map.slot[i] - 1, l, t->merge_llen[k], r, t->merge_rlen[k]))) break;
            if (!dup) t->merge_map.slot[i] = k + 1; /* the first duplicate keeps its rank */
        }
    }

    /* byte fallback tokens */
    for (int b = 0; b < 256; b++) {
        char s[8];
        size_t len;
        if (t->model == VKATTN__MODEL_SPM) {
            static const char hex[] = "0123456789ABCDEF";
            memcpy(s, "<0x", 3);
            s[3] = hex[b >> 4];
            s[4] = hex[b & 15];
            s[5] = '>';
            t->byte_token[b] = vkattn__tok_find(t, s, 6);
            s[0] = (char)b;
            if (t->byte_token[b] < 0) t->byte_token[b] = vkattn__tok_find(t, s, 1);
        } else {
            len = vkattn__utf8_put(vkattn__byte_to_cp((uint8_t)b), s);
            t->byte_token[b] = vkattn__tok_find(t, s, len);
        }
    }

    /* special tokens for input splitting, longest first (ties: lower id) */
    special_key *keys = malloc((n ? n : 1) * sizeof *keys);
    t->special = malloc((n ? n : 1) * sizeof *t->special);
    if (!keys || !t->special) {
        free(keys);
        return OOM();
    }
    for (uint32_t id = 0; id < n; id++) {
        int ty = t->type[id];
        if ((ty == VKATTN_TOKEN_CONTROL || ty == VKATTN_TOKEN_UNKNOWN || ty == VKATTN_TOKEN_USER_DEFINED) &&
            t->text_len[id] > 0)
            keys[t->n_special++] = (special_key){t->text_len[id], (int32_t)id};
    }
    qsort(keys, t->n_special, sizeof *keys, cmp_special);
    for (uint32_t i = 0; i < t->n_special; i++) t->special[i] = keys[i].id;
    free(keys);

    /* decoded pieces */
    off = 0;
    for (uint32_t id = 0; id < n; id++) {
        size_t len = render(t, id, t->piece + off);
        t->piece_off[id] = off;
        t->piece_len[id] = (uint32_t)len;
        if (len > t->max_piece) t->max_piece = (uint32_t)len;
        off += len;
    }
    return VKATTN_OK;
}

vkattn_status vkattn_tokenizer_create(const vkattn_tokenizer_desc *d, vkattn_tokenizer **out) {
    if (!out) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_tokenizer_create: out is NULL");
    *out = NULL;
    if (!d) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_tokenizer_create: desc is NULL");
    if (!d->model) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: model is NULL (\"gpt2\" or \"llama\")");
    int model = strcmp(d->model, "gpt2") == 0 ? VKATTN__MODEL_BPE : strcmp(d->model, "llama") == 0 ? VKATTN__MODEL_SPM : 0;
    if (!model)
        return FAIL(VKATTN_ERROR_UNSUPPORTED,
                    "tokenizer: model \"%.64s\" is not supported (tokenizer.ggml.model must be \"gpt2\" for byte-level "
                    "BPE or \"llama\" for SentencePiece)", d->model);
    if (d->n_vocab == 0 || !d->tokens) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: no tokens (n_vocab 0 or tokens NULL)");
    if (d->n_vocab > INT32_MAX / 2)
        return FAIL(VKATTN_ERROR_TOO_LARGE, "tokenizer: n_vocab %u is too large", d->n_vocab);
    if (d->n_merges && !d->merges) return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: n_merges %u but merges is NULL", d->n_merges);
    if (d->n_merges > INT32_MAX / 2)
        return FAIL(VKATTN_ERROR_TOO_LARGE, "tokenizer: n_merges %u is too large", d->n_merges);
    vkattn_status st;
    if ((st = check_id("bos_id", d->bos_id, d->n_vocab)) || (st = check_id("eos_id", d->eos_id, d->n_vocab)) ||
        (st = check_id("unknown_id", d->unknown_id, d->n_vocab)) || (st = check_id("padding_id", d->padding_id, d->n_vocab)) ||
        (st = check_id("eot_id", d->eot_id, d->n_vocab)))
        return st;

    int pre = VKATTN__PRE_GPT2, ignore_merges = 0, add_bos = model == VKATTN__MODEL_SPM;
    const char *pre_name = d->pre && d->pre[0] ? d->pre : "default";
    if (model == VKATTN__MODEL_BPE) {
        size_t k = 0, count = sizeof pre_names / sizeof pre_names[0];
        while (k < count && strcmp(pre_names[k].name, pre_name) != 0) k++;
        if (k == count) {
            char list[768] = "";
            for (size_t i = 0; i < count; i++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", pre_names[i].name);
            }
            return FAIL(VKATTN_ERROR_UNSUPPORTED, "tokenizer: pre-tokenizer \"%.64s\" is not supported; supported: %s",
                        pre_name, list);
        }
        pre = pre_names[k].pre;
        ignore_merges = pre_names[k].ignore_merges;
        add_bos = pre_names[k].add_bos;
    }

    vkattn_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return OOM();
    t->model = model;
    t->pre = pre;
    snprintf(t->pre_name, sizeof t->pre_name, "%s", model == VKATTN__MODEL_BPE ? pre_name : "");
    if (model == VKATTN__MODEL_BPE && pre == VKATTN__PRE_DEFAULT) /* llama.cpp warns about a missing key */
        snprintf(t->warning, sizeof t->warning, "%s, using llama.cpp's 'default' pre-tokenizer: generation quality "
                 "will be degraded; consider regenerating the model file", d->pre && d->pre[0]
                 ? "the file asks for pre-tokenizer 'default'" : "missing pre-tokenizer type (tokenizer.ggml.pre)");
    t->ignore_merges = ignore_merges;
    t->bos = d->bos_id;
    t->eos = d->eos_id;
    t->unk = d->unknown_id;
    t->pad = d->padding_id;
    t->eot = d->eot_id;
    t->add_bos = d->add_bos >= 0 ? d->add_bos != 0 : add_bos;
    t->add_eos = d->add_eos >= 0 ? d->add_eos != 0 : 0;
    t->add_space_prefix = model == VKATTN__MODEL_SPM && (d->add_space_prefix < 0 || d->add_space_prefix);
    if (t->add_bos && t->bos < 0) st = FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: add_bos is set but bos_id is -1");
    else if (t->add_eos && t->eos < 0) st = FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "tokenizer: add_eos is set but eos_id is -1");
    else st = build(t, d);
    if (st) {
        vkattn_tokenizer_destroy(t);
        return st;
    }
    *out = t;
    return VKATTN_OK;
}

void vkattn_tokenizer_destroy(vkattn_tokenizer *t) {
    if (!t) return;
    free(t->text);
    free(t->text_off);
    free(t->text_len);
    free(t->score);
    free(t->type);
    free(t->eog);
    free(t->tok_map.slot);
    free(t->piece);
    free(t->piece_off);
    free(t->piece_len);
    free(t->merge_text);
    free(t->merge_off);
    free(t->merge_llen);
    free(t->merge_rlen);
    free(t->merge_map.slot);
    free(t->special);
    free(t);
}

/* ---- tokenize --------------------------------------------------------------------------------- */

typedef struct frag {
    size_t off, len;
    int32_t id; /* >= 0: a special token; -1: raw text */
} frag;

typedef struct frags {
    frag *v;
    size_t n, cap;
} frags;

static vkattn_status frag_push(frags *f, frag x) {
    frag *v = vkattn__grow(f->v, &f->cap, f->n + 1, sizeof *v);
    if (!v) return OOM();
    f->v = v;
    f->v[f->n++] = x;
    return VKATTN_OK;
}

static const char *find(const char *h, size_t hn, const char *s, size_t sn) {
    for (const char *p = h, *end = h + hn; (size_t)(end - p) >= sn;) {
        const char *q = memchr(p, s[0], (size_t)(end - p) - sn + 1);
        if (!q) return NULL;
        if (memcmp(q, s, sn) == 0) return q;
        p = q + 1;
    }
    return NULL;
}

/* llama.cpp's tokenizer_st_partition: every special token, longest first, splits every raw fragment at
 * each of its (non-overlapping, leftmost-first) occurrences. */
static vkattn_status partition(const vkattn_tokenizer *t, const char *text, size_t len, int parse_special, frags *a,
                               frags *b) {
    vkattn_status st;
    if (len && (st = frag_push(a, (frag){0, len, -1}))) return st;
    for (uint32_t k = 0; k < t->n_special; k++) {
        int32_t id = t->special[k];
        if (!parse_special && t->type[id] != VKATTN_TOKEN_USER_DEFINED) continue;
        const char *s = t->text + t->text_off[id];
        size_t sn = t->text_len[id];
        b->n = 0;
        for (size_t i = 0; i < a->n; i++) {
            frag f = a->v[i];
            if (f.id >= 0) {
                if ((st = frag_push(b, f))) return st;
                continue;
            }
            size_t pos = f.off, end = f.off + f.len;
            const char *m;
            while ((m = find(text + pos, end - pos, s, sn))) {
                size_t at = (size_t)(m - text);
                if (at > pos && (st = frag_push(b, (frag){pos, at - pos, -1}))) return st;
                if ((st = frag_push(b, (frag){at, sn, id}))) return st;
                pos = at + sn;
            }
            if (pos < end && (st = frag_push(b, (frag){pos, end - pos, -1}))) return st;
        }
        frags tmp = *a;
        *a = *b;
        *b = tmp;
    }
    return VKATTN_OK;
}

static vkattn_status encode(const vkattn_tokenizer *t, vkattn__enc *e, const char *text, size_t len, int add_special,
                            int parse_special) {
    frags a = {0}, b = {0};
    vkattn_status st = partition(t, text, len, parse_special, &a, &b);
    if (!st && add_special && t->add_bos) st = vkattn__ivec_push(&e->out, t->bos);
    int prev_special = 1; /* SentencePiece: the dummy prefix goes at the start and after special tokens */
    for (size_t i = 0; i < a.n && !st; i++) {
        frag f = a.v[i];
        if (f.id >= 0) {
            st = vkattn__ivec_push(&e->out, f.id);
            prev_special = 1;
        } else if (t->model == VKATTN__MODEL_SPM) {
            st = vkattn__spm_encode(t, e, text + f.off, f.len, t->add_space_prefix && prev_special);
            prev_special = 0;
        } else {
            st = vkattn__bpe_encode(t, e, text + f.off, f.len);
        }
    }
    if (!st && add_special && t->add_eos) st = vkattn__ivec_push(&e->out, t->eos);
    free(a.v);
    free(b.v);
    return st;
}

vkattn_status vkattn_tokenize(const vkattn_tokenizer *tok, const char *text, size_t len, int add_special,
                              int parse_special, int32_t *ids, size_t capacity, size_t *n) {
    if (n) *n = 0;
    if (!tok || !n || (!text && len) || (!ids && capacity))
        return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_tokenize: %s is NULL",
                    !tok ? "tok" : !n ? "n" : !ids && capacity ? "ids (with capacity > 0)" : "text (with len > 0)");
    if (len > INT32_MAX / 4) return FAIL(VKATTN_ERROR_TOO_LARGE, "vkattn_tokenize: text of %zu bytes is too long", len);
    vkattn__enc e = {0};
    vkattn_status st = encode(tok, &e, text, len, add_special, parse_special);
    if (!st) {
        *n = e.out.n;
        if (e.out.n > capacity)
            st = FAIL(VKATTN_ERROR_INVALID_ARGUMENT,
                      "vkattn_tokenize: the text has %zu tokens but ids holds %zu (*n says how many are needed)",
                      e.out.n, capacity);
        else if (e.out.n)
            memcpy(ids, e.out.v, e.out.n * sizeof *ids);
    }
    vkattn__enc_free(&e);
    return st;
}

/* ---- pieces and detokenization ----------------------------------------------------------------- */

const char *vkattn__token_bytes(const vkattn_tokenizer *t, int32_t id, uint32_t flags, int *at_start, size_t *len) {
    int ty = t->type[id];
    const char *p = t->piece + t->piece_off[id];
    size_t n = t->piece_len[id];
    if (ty == VKATTN_TOKEN_CONTROL || ty == VKATTN_TOKEN_UNKNOWN || ty == VKATTN_TOKEN_USER_DEFINED) {
        if (!(flags & VKATTN_DETOK_SPECIAL) && ty != VKATTN_TOKEN_USER_DEFINED) n = 0;
        *at_start = 1; /* the encoder put a dummy prefix after it */
    } else if (ty == VKATTN_TOKEN_NORMAL || ty == VKATTN_TOKEN_BYTE) {
        if (*at_start && (flags & VKATTN_DETOK_STRIP_PREFIX) && t->add_space_prefix && ty == VKATTN_TOKEN_NORMAL &&
            n && p[0] == ' ') {
            p++;
            n--;
        }
        *at_start = 0;
    }
    *len = n;
    return p;
}

static vkattn_status check_token(const vkattn_tokenizer *t, int32_t id, const char *fn) {
    if (id < 0 || (uint32_t)id >= t->n_vocab)
        return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "%s: token %d is out of range (n_vocab %u)", fn, id, t->n_vocab);
    return VKATTN_OK;
}

vkattn_status vkattn_token_to_piece(const vkattn_tokenizer *tok, int32_t id, int special, char *buf, size_t capacity,
                                    size_t *n) {
    if (n) *n = 0;
    if (!tok || !n || (!buf && capacity))
        return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_token_to_piece: %s is NULL", !tok ? "tok" : !n ? "n" : "buf");
    vkattn_status st = check_token(tok, id, "vkattn_token_to_piece");
    if (st) return st;
    int at_start = 0;
    size_t len;
    const char *p = vkattn__token_bytes(tok, id, special ? VKATTN_DETOK_SPECIAL : 0, &at_start, &len);
    *n = len;
    if (len > capacity)
        return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_token_to_piece: token %d needs %zu bytes, buf holds %zu", id,
                    len, capacity);
    if (len) memcpy(buf, p, len);
    return VKATTN_OK;
}

vkattn_status vkattn_detokenize(const vkattn_tokenizer *tok, const int32_t *ids, size_t n_ids, uint32_t flags,
                                char *text, size_t capacity, size_t *n) {
    if (n) *n = 0;
    if (!tok || !n || (!ids && n_ids) || (!text && capacity))
        return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_detokenize: %s is NULL",
                    !tok ? "tok" : !n ? "n" : !ids && n_ids ? "ids" : "text");
    int at_start = 1;
    size_t total = 0;
    for (size_t i = 0; i < n_ids; i++) {
        vkattn_status st = check_token(tok, ids[i], "vkattn_detokenize");
        if (st) return st;
        size_t len;
        const char *p = vkattn__token_bytes(tok, ids[i], flags, &at_start, &len);
        if (total + len <= capacity && len) memcpy(text + total, p, len);
        total += len;
    }
    *n = total;
    if (total > capacity)
        return FAIL(VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_detokenize: the text needs %zu bytes, text holds %zu", total,
                    capacity);
    return VKATTN_OK;
}

/* ---- queries ------------------------------------------------------------------------------------ */

void vkattn_tokenizer_get_info(const vkattn_tokenizer *t, vkattn_tokenizer_info *info) {
    if (!info) return;
    *info = (vkattn_tokenizer_info){0};
    if (!t) return;
    info->model = t->model == VKATTN__MODEL_BPE ? "gpt2" : "llama";
    info->pre = t->pre_name;
    info->n_vocab = t->n_vocab;
    info->n_merges = t->n_merges;
    info->bos_id = t->bos;
    info->eos_id = t->eos;
    info->unknown_id = t->unk;
    info->padding_id = t->pad;
    info->eot_id = t->eot;
    info->add_bos = t->add_bos;
    info->add_eos = t->add_eos;
    info->add_space_prefix = t->add_space_prefix;
    info->max_piece_bytes = t->max_piece;
    info->warning = t->warning[0] ? t->warning : NULL;
}

int vkattn_tokenizer_is_eog(const vkattn_tokenizer *t, int32_t id) {
    return t && id >= 0 && (uint32_t)id < t->n_vocab && t->eog[id];
}

vkattn_token_type vkattn_tokenizer_token_type(const vkattn_tokenizer *t, int32_t id) {
    if (!t || id < 0 || (uint32_t)id >= t->n_vocab) return VKATTN_TOKEN_UNDEFINED;
    return (vkattn_token_type)t->type[id];
}

const char *vkattn_tokenizer_token_text(const vkattn_tokenizer *t, int32_t id, size_t *len) {
    if (len) *len = 0;
    if (!t || id < 0 || (uint32_t)id >= t->n_vocab) return NULL;
    if (len) *len = t->text_len[id];
    return t->text + t->text_off[id];
}

int32_t vkattn_tokenizer_find(const vkattn_tokenizer *t, const char *text, size_t len) {
    if (!t || (!text && len)) return -1;
    return vkattn__tok_find(t, text ? text : "", len);
}
