/* Byte-level BPE (tokenizer.ggml.model "gpt2"), as llama.cpp's llm_tokenizer_bpe:
 *  1. pre-tokenization: the text is split into words by the model's regex, implemented by hand over code
 *     point classes (utf8.c) exactly as llama.cpp's unicode_regex_split_custom_gpt2/_llama3 do;
 *  2. every byte of a word becomes GPT-2's printable code point (bytes_to_unicode);
 *  3. with ignore_merges (Llama-3), a word that is itself a token is emitted as is;
 *  4. otherwise adjacent symbols merge by rank, lowest first (ties: leftmost), and each final symbol is
 *     looked up in the vocabulary.
 * Deviations: invalid UTF-8 bytes are kept as raw bytes (one "other" character each) where llama.cpp
 * substitutes U+FFFD, so any byte string round-trips exactly; a final symbol that is not a token falls
 * back to the tokens of its single bytes (then the unknown token), where llama.cpp looks up raw bytes. */
#include "tokenizer.h"

#include "base/base.h"

#include <stdlib.h>
#include <string.h>

#define OUT_OF_RANGE 0xFFFFFFFFu
#define SENTINEL 7 /* class past the end of the range */

static vkattn_status push_end(vkattn__enc *e, size_t end) {
    size_t *p = vkattn__grow(e->ends, &e->cap_ends, e->n_ends + 1, sizeof *p);
    if (!p) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenize: out of host memory");
    e->ends = p;
    e->ends[e->n_ends++] = end;
    return VKATTN_OK;
}

/* A splitter sees the decoded units [ini, end) and reports word ends (unit indices) through add(). */
typedef struct split {
    vkattn__enc *e;
    size_t ini, end, prev;
    vkattn_status st;
} split;

static uint32_t cpt(const split *s, size_t p) { return p >= s->ini && p < s->end ? s->e->cp[p] : OUT_OF_RANGE; }
static int cls(const split *s, size_t p) {
    if (p < s->ini || p >= s->end) return SENTINEL;
    return s->e->cls[p] == VKATTN__CLS_PUNCT ? VKATTN__CLS_OTHER : s->e->cls[p];
}
static int is_other(int c) { return c == VKATTN__CLS_OTHER; }

static void add(split *s, size_t p) {
    if (p > s->prev && !s->st) s->st = push_end(s->e, p);
    s->prev = p;
}

static uint32_t lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 's|'t|'re|'ve|'m|'ll|'d at p: returns its length (0 = none). icase for Llama-3's (?i:...). */
static size_t contraction(const split *s, size_t p, int icase) {
    if (cpt(s, p) != '\'' || p + 1 >= s->end) return 0;
    uint32_t a = cpt(s, p + 1), b = p + 2 < s->end ? cpt(s, p + 2) : OUT_OF_RANGE;
    if (icase) {
        a = lower(a);
        b = lower(b);
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

static void split_gpt2(split *s) {
    for (size_t pos = s->ini; pos < s->end;) {
        uint32_t c = cpt(s, pos);
        size_t k = contraction(s, pos, 0);
        if (k) {
            add(s, pos += k);
            continue;
        }
        int c2 = c == ' ' ? cls(s, pos + 1) : cls(s, pos);
        if (c2 == VKATTN__CLS_LETTER || c2 == VKATTN__CLS_NUMBER || is_other(c2)) { /*  ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+ */
            pos += c == ' ';
            while (cls(s, pos) == c2) pos++;
            add(s, pos);
            continue;
        }
        size_t nws = 0;
        while (cls(s, pos + nws) == VKATTN__CLS_SPACE) nws++;
        if (nws > 1 && cpt(s, pos + nws) != OUT_OF_RANGE) pos += nws - 1; /* \s+(?!\S) */
        else if (nws > 0) pos += nws;                                      /* \s+ */
        else pos++;
        add(s, pos);
    }
}

static void split_llama3(split *s, size_t max_digits) {
    for (size_t pos = s->ini; pos < s->end;) {
        uint32_t c = cpt(s, pos);
        int k0 = cls(s, pos);
        size_t k = contraction(s, pos, 1);
        if (k) {
            add(s, pos += k);
            continue;
        }
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (!(c == '\r' || c == '\n' || k0 == VKATTN__CLS_NUMBER) &&
            (k0 == VKATTN__CLS_LETTER || cls(s, pos + 1) == VKATTN__CLS_LETTER)) {
            pos++;
            while (cls(s, pos) == VKATTN__CLS_LETTER) pos++;
            add(s, pos);
            continue;
        }
        if (k0 == VKATTN__CLS_NUMBER) { /* \p{N}{1,max_digits} */
            size_t ini = pos;
            while (cls(s, pos) == VKATTN__CLS_NUMBER) {
                if (++pos - ini >= max_digits) {
                    add(s, pos);
                    ini = pos;
                }
            }
            add(s, pos);
            continue;
        }
        int c2 = c == ' ' ? cls(s, pos + 1) : k0;
        if (is_other(c2)) { /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
            pos += c == ' ';
            while (is_other(cls(s, pos))) pos++;
            while (cpt(s, pos) == '\r' || cpt(s, pos) == '\n') pos++;
            add(s, pos);
            continue;
        }
        size_t nws = 0, last_rn = 0;
        while (cls(s, pos + nws) == VKATTN__CLS_SPACE) {
            uint32_t w = cpt(s, pos + nws);
            if (w == '\r' || w == '\n') last_rn = pos + nws + 1;
            nws++;
        }
        if (last_rn > 0) pos = last_rn;                                    /* \s*[\r\n]+ */
        else if (nws > 1 && cpt(s, pos + nws) != OUT_OF_RANGE) pos += nws - 1; /* \s+(?!\S) */
        else if (nws > 0) pos += nws;                                      /* \s+ */
        else pos++;
        add(s, pos);
    }
}

/* The splits of llama.cpp's regex chains that are not one of the custom splitters above (llama.cpp runs
 * them with std::regex on text whose non-ASCII code points are collapsed to one byte per class). */

/* [\p{P}\$\+<=>\^~\|] (and ` for Falcon): ASCII as the regex lists it, beyond ASCII Unicode's P*. */
static int punct_at(const split *s, size_t p, int backtick) {
    uint32_t c = cpt(s, p);
    if (c == OUT_OF_RANGE) return 0;
    if (c >= 0x80) return s->e->cls[p] == VKATTN__CLS_PUNCT;
    return (c >= '!' && c <= '#') || (c >= '%' && c <= '*') || (c >= ',' && c <= '/') || c == ':' || c == ';' ||
           c == '?' || c == '@' || (c >= '[' && c <= ']') || c == '_' || c == '{' || c == '}' || c == '$' ||
           c == '+' || (c >= '<' && c <= '>') || c == '^' || c == '~' || c == '|' || (backtick && c == '`');
}

static int punct_default(const split *s, size_t p) { return punct_at(s, p, 0); }
static int punct_falcon(const split *s, size_t p) { return punct_at(s, p, 1); }
static int is_number(const split *s, size_t p) { return cls(s, p) == VKATTN__CLS_NUMBER; }

/* Runs of matching units become pieces of their own (a regex "[...]+"), and so does the text between. */
static void split_runs(split *s, int (*match)(const split *, size_t)) {
    for (size_t pos = s->ini; pos < s->end;) {
        if (!match(s, pos)) {
            pos++;
            continue;
        }
        add(s, pos);
        while (pos < s->end && match(s, pos)) pos++;
        add(s, pos);
    }
    add(s, s->end);
}

static void pass_gpt2(split *s) { split_gpt2(s); }
static void pass_llama3(split *s) { split_llama3(s, 3); }
static void pass_qwen2(split *s) { split_llama3(s, 1); }
static void pass_punct(split *s) { split_runs(s, punct_default); }
static void pass_punct_falcon(split *s) { split_runs(s, punct_falcon); }
static void pass_numbers(split *s) { split_runs(s, is_number); } /* \p{N}+ */

static void pass_each_number(split *s) { /* \p{N}: every number character alone */
    for (size_t pos = s->ini; pos < s->end; pos++) {
        if (!is_number(s, pos)) continue;
        add(s, pos);
        add(s, pos + 1);
    }
    add(s, s->end);
}

static int ascii_digit(const split *s, size_t p) {
    uint32_t c = cpt(s, p);
    return c >= '0' && c <= '9';
}

static void pass_triples(split *s) { /* [0-9][0-9][0-9], leftmost first */
    for (size_t pos = s->ini; pos < s->end;) {
        if (ascii_digit(s, pos) && ascii_digit(s, pos + 1) && ascii_digit(s, pos + 2)) {
            add(s, pos);
            add(s, pos += 3);
        } else {
            pos++;
        }
    }
    add(s, s->end);
}

typedef void (*pass_fn)(split *s);

static const struct chain {
    pass_fn pass[4];
} chains[] = {
    [VKATTN__PRE_GPT2] = {{pass_gpt2}},
    [VKATTN__PRE_LLAMA3] = {{pass_llama3}},
    [VKATTN__PRE_QWEN2] = {{pass_qwen2}},
    [VKATTN__PRE_SMOLLM] = {{pass_each_number, pass_gpt2}},
    [VKATTN__PRE_DEFAULT] = {{pass_punct, pass_gpt2, pass_numbers, pass_triples}},
    [VKATTN__PRE_FALCON] = {{pass_punct_falcon, pass_gpt2, pass_triples}},
};

/* Runs pre's chain over the units [0, m): each pass refines every piece the previous one left. */
static vkattn_status run_chain(vkattn__enc *e, int pre, size_t m) {
    vkattn_status st = push_end(e, m);
    const struct chain *c = &chains[pre];
    for (size_t k = 0; k < sizeof c->pass / sizeof c->pass[0] && c->pass[k] && !st; k++) {
        size_t *prev = vkattn__grow(e->prev_ends, &e->cap_prev_ends, e->n_ends, sizeof *prev);
        if (!prev) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenize: out of host memory");
        e->prev_ends = prev;
        size_t n = e->n_ends, start = 0;
        memcpy(prev, e->ends, n * sizeof *prev);
        e->n_ends = 0;
        for (size_t i = 0; i < n && !st; i++) {
            split s = {e, start, prev[i], start, VKATTN_OK};
            c->pass[k](&s);
            st = s.st;
            start = prev[i];
        }
    }
    return st;
}

vkattn_status vkattn__pretokenize(vkattn__enc *e, int pre, const char *text, size_t n) {
    e->n_ends = 0;
    if (n == 0) return VKATTN_OK;
    if (n > e->cap_cp) {
        uint32_t *cp = realloc(e->cp, n * sizeof *cp);
        if (cp) e->cp = cp;
        uint8_t *c = realloc(e->cls, n);
        if (c) e->cls = c;
        size_t *off = realloc(e->cp_off, (n + 1) * sizeof *off);
        if (off) e->cp_off = off;
        if (!cp || !c || !off) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenize: out of host memory");
        e->cap_cp = n;
    }
    const uint8_t *s = (const uint8_t *)text;
    size_t m = 0;
    for (size_t i = 0; i < n; m++) {
        uint32_t c;
        int k = vkattn__utf8_next(s + i, n - i, &c);
        e->cp_off[m] = i;
        if (k > 0) {
            e->cp[m] = c;
            e->cls[m] = (uint8_t)(c < 0x80 ? (c == ' ' || (c >= 9 && c <= 13) ? VKATTN__CLS_SPACE
                                              : (c | 32) >= 'a' && (c | 32) <= 'z' ? VKATTN__CLS_LETTER
                                              : c >= '0' && c <= '9' ? VKATTN__CLS_NUMBER : VKATTN__CLS_OTHER)
                                           : vkattn__unicode_class(c));
            i += (size_t)k;
        } else { /* an invalid byte: one "other" character that is no code point */
            e->cp[m] = 0xFFFFFFFEu;
            e->cls[m] = VKATTN__CLS_OTHER;
            i++;
        }
    }
    e->cp_off[m] = n;
    vkattn_status st = run_chain(e, pre, m);
    for (size_t i = 0; i < e->n_ends; i++) e->ends[i] = e->cp_off[e->ends[i]]; /* units -> bytes */
    return st;
}

static int bpe_prio(const void *user, const char *l, size_t ln, const char *r, size_t rn, double *prio) {
    int32_t rank = vkattn__merge_rank(user, l, ln, r, rn);
    if (rank < 0) return 0;
    *prio = -(double)rank;
    return 1;
}

/* A final symbol that is no token: the tokens of its characters (each one input byte), else unknown. */
static vkattn_status bytes(const vkattn_tokenizer *t, vkattn__enc *e, const char *s, size_t n) {
    vkattn_status st = VKATTN_OK;
    for (size_t j = 0; j < n && !st;) {
        uint32_t c = 0;
        int k = vkattn__utf8_next((const uint8_t *)s + j, n - j, &c);
        int b = k > 0 ? vkattn__cp_to_byte(c) : -1;
        j += k > 0 ? (size_t)k : 1;
        int32_t id = b >= 0 && t->byte_token[b] >= 0 ? t->byte_token[b] : t->unk;
        if (id >= 0) st = vkattn__ivec_push(&e->out, id);
    }
    return st;
}

vkattn_status vkattn__bpe_encode(const vkattn_tokenizer *t, vkattn__enc *e, const char *s, size_t n) {
    vkattn_status st = vkattn__pretokenize(e, t->pre, s, n);
    if (st) return st;
    if ((st = vkattn__enc_reserve_buf(e, 2 * n))) return st; /* every byte maps to 1 or 2 UTF-8 bytes */
    size_t start = 0;
    for (size_t w = 0; w < e->n_ends; w++) {
        size_t end = e->ends[w], m = 0;
        for (size_t i = start; i < end; i++) m += vkattn__utf8_put(vkattn__byte_to_cp((uint8_t)s[i]), e->buf + m);
        start = end;
        if (t->ignore_merges) {
            int32_t id = vkattn__tok_find(t, e->buf, m);
            if (id >= 0) {
                if ((st = vkattn__ivec_push(&e->out, id))) return st;
                continue;
            }
        }
        if ((st = vkattn__merge(&e->merger, e->buf, m, bpe_prio, t)) || (st = vkattn__emit_symbols(t, e, bytes))) return st;
    }
    return VKATTN_OK;
}
