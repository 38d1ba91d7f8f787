/* WordPiece (BERT): Hugging Face's BasicTokenizer + WordpieceTokenizer (tokenization_bert.py).
 *   1. clean: drop U+0000, U+FFFD and control characters; whitespace becomes ' ';
 *   2. CJK ideographs get spaces around them (each is a word);
 *   3. split on whitespace; per word: lower-case, strip accents (NFD minus Mn), split off every punctuation character;
 *   4. per piece: greedy longest-match-first against the vocabulary, continuations prefixed "##"; a piece with no
 *      full cover (or longer than max_chars characters) becomes the unknown token.
 * Deviations: no NFC normalisation first (transformers >= 4.36 does it; it only matters for decomposed input
 * without accent stripping), and special tokens written in the text are not kept whole (never_split). */
#include "base/base.h"
#include "tokenizer.h"
#include "wordpiece_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vkattn_wordpiece {
    uint32_t n_vocab;
    char *text;           /* all tokens, NUL-terminated, back to back */
    uint32_t *off;        /* token i at text + off[i] */
    uint32_t *slot;       /* open addressing: id + 1, 0 = empty */
    uint32_t mask;
    int lower, strip, cjk;
    int32_t unk;
    uint32_t max_chars;
};

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int32_t find(const vkattn_wordpiece *wp, const char *s, size_t n) {
    for (uint32_t i = hash(s, n) & wp->mask;; i = (i + 1) & wp->mask) {
        uint32_t v = wp->slot[i];
        if (!v) return -1;
        const char *t = wp->text + wp->off[v - 1];
        if (strlen(t) == n && memcmp(t, s, n) == 0) return (int32_t)(v - 1);
    }
}

int32_t vkattn_wordpiece_find(const vkattn_wordpiece *wp, const char *token) {
    return wp && token ? find(wp, token, strlen(token)) : -1;
}

const char *vkattn_wordpiece_token(const vkattn_wordpiece *wp, int32_t id) {
    return wp && id >= 0 && (uint32_t)id < wp->n_vocab ? wp->text + wp->off[id] : NULL;
}

uint32_t vkattn_wordpiece_vocab_size(const vkattn_wordpiece *wp) { return wp ? wp->n_vocab : 0; }

void vkattn_wordpiece_destroy(vkattn_wordpiece *wp) {
    if (!wp) return;
    free(wp->text), free(wp->off), free(wp->slot), free(wp);
}

vkattn_status vkattn_wordpiece_create(const vkattn_wordpiece_desc *desc, vkattn_wordpiece **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "wordpiece_create: out is NULL");
    *out = NULL;
    if (!desc || !desc->vocab_path)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "wordpiece_create: desc or vocab_path is NULL");
    FILE *f = fopen(desc->vocab_path, "rb");
    if (!f) return vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: cannot open the vocabulary", desc->vocab_path);
    vkattn_wordpiece *wp = calloc(1, sizeof *wp);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    vkattn_status st = VKATTN_OK;
    if (!wp || !buf) st = vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (size_t r; !st && (r = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
        len += r;
        if (len + 1 == cap) {
            char *nb = cap > ((size_t)1 << 30) ? NULL : realloc(buf, cap * 2);
            if (!nb) st = vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE, "%s: vocabulary too large", desc->vocab_path);
            else buf = nb, cap *= 2;
        }
    }
    fclose(f);
    if (st) {
        free(buf), vkattn_wordpiece_destroy(wp);
        return st;
    }
    /* one token per line (vocab.txt); "\r\n" tolerated; id = line number */
    uint32_t n = 0;
    for (size_t i = 0; i < len; i++) n += buf[i] == '\n';
    if (len && buf[len - 1] != '\n') n++;
    if (!n) st = vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: empty vocabulary", desc->vocab_path);
    uint32_t tab = 16;
    while (!st && tab < 2 * n) tab *= 2;
    if (!st && (!(wp->off = malloc(n * sizeof *wp->off)) || !(wp->slot = calloc(tab, sizeof *wp->slot))))
        st = vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if (st) {
        free(buf), vkattn_wordpiece_destroy(wp);
        return st;
    }
    buf[len] = 0;
    wp->text = buf, wp->n_vocab = n, wp->mask = tab - 1;
    size_t pos = 0;
    for (uint32_t id = 0; id < n; id++) {
        size_t e = pos;
        while (e < len && buf[e] != '\n') e++;
        size_t end = e;
        if (end > pos && buf[end - 1] == '\r') end--;
        buf[end] = 0;
        if (memchr(buf + pos, 0, end - pos)) {
            vkattn_wordpiece_destroy(wp);
            return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: line %u holds a NUL byte", desc->vocab_path, id + 1);
        }
        wp->off[id] = (uint32_t)pos;
        uint32_t i = hash(buf + pos, end - pos) & wp->mask;
        while (wp->slot[i] && strcmp(buf + wp->off[wp->slot[i] - 1], buf + pos) != 0) i = (i + 1) & wp->mask;
        wp->slot[i] = id + 1; /* a duplicate line: the last wins, as in HF's load_vocab dict */
        pos = e + 1;
    }
    wp->lower = desc->lower_case;
    wp->strip = desc->strip_accents < 0 ? desc->lower_case : desc->strip_accents;
    wp->cjk = !desc->no_cjk_split;
    wp->max_chars = desc->max_chars_per_word ? desc->max_chars_per_word : 100;
    const char *unk = desc->unk_token ? desc->unk_token : "[UNK]";
    wp->unk = find(wp, unk, strlen(unk));
    if (wp->unk < 0) {
        vkattn_wordpiece_destroy(wp);
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: the unknown token \"%s\" is not in the vocabulary",
                            desc->vocab_path, unk);
    }
    *out = wp;
    return VKATTN_OK;
}

/* ---- Unicode classes ------------------------------------------------------------------------------------- */

enum { PUNCT = 1, CONTROL = 2, SPACE = 4 };

static int char_class(uint32_t cp) {
    size_t lo = 0, hi = sizeof vkattn__wp_class / sizeof vkattn__wp_class[0];
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (cp < vkattn__wp_class[m][0]) hi = m;
        else if (cp > (vkattn__wp_class[m][1] & 0xFFFFFF)) lo = m + 1;
        else return (int)(vkattn__wp_class[m][1] >> 24);
    }
    return 0;
}

static int is_cjk(uint32_t cp) { /* the CJK Unified Ideographs blocks, as tokenization_bert.py's _is_chinese_char */
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* The mapping of cp in a generated table (lower / strip): *n code points at the returned pointer, or NULL. */
static const uint32_t *mapped(const uint32_t (*tab)[2], size_t count, const uint32_t *pool, uint32_t cp, uint32_t *n) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (tab[m][0] < cp) lo = m + 1;
        else hi = m;
    }
    if (lo == count || tab[lo][0] != cp) return NULL;
    *n = tab[lo][1] & 0xFF;
    return pool + (tab[lo][1] >> 8);
}

/* ---- tokenizing ------------------------------------------------------------------------------------------ */

typedef struct cpbuf {
    uint32_t *v;
    size_t n, cap;
} cpbuf;

static int push(cpbuf *b, uint32_t cp) {
    if (b->n == b->cap) {
        void *p = vkattn__grow(b->v, &b->cap, b->n + 1, sizeof *b->v);
        if (!p) return 0;
        b->v = p;
    }
    b->v[b->n++] = cp;
    return 1;
}

/* Appends cp after lower-casing and accent stripping as configured. */
static int push_normalized(const vkattn_wordpiece *wp, cpbuf *b, uint32_t cp) {
    uint32_t low[4] = {cp}, nl = 1, k;
    const uint32_t *m;
    if (wp->lower && (m = mapped(vkattn__wp_lower, sizeof vkattn__wp_lower / sizeof vkattn__wp_lower[0],
                                 vkattn__wp_lower_pool, cp, &k)) && k <= 4)
        memcpy(low, m, k * sizeof *m), nl = k;
    for (uint32_t i = 0; i < nl; i++) {
        uint32_t c = low[i];
        if (!wp->strip) {
            if (!push(b, c)) return 0;
        } else if (c >= 0xAC00 && c <= 0xD7A3) { /* Hangul syllable: L V (T) jamo (Unicode 3.12) */
            uint32_t s = c - 0xAC00;
            if (!push(b, 0x1100 + s / 588) || !push(b, 0x1161 + (s % 588) / 28) || (s % 28 && !push(b, 0x11A7 + s % 28)))
                return 0;
        } else if ((m = mapped(vkattn__wp_strip, sizeof vkattn__wp_strip / sizeof vkattn__wp_strip[0],
                               vkattn__wp_strip_pool, c, &k))) {
            for (uint32_t j = 0; j < k; j++)
                if (!push(b, m[j])) return 0;
        } else if (!push(b, c)) {
            return 0;
        }
    }
    return 1;
}

typedef struct out_ids {
    int32_t *ids;
    size_t cap, n;
} out_ids;

static void emit(out_ids *o, int32_t id) {
    if (o->n < o->cap) o->ids[o->n] = id;
    o->n++;
}

/* Greedy longest-match-first over one piece (code points w[0..n)). utf8 holds its UTF-8 (offs[i]: where
 * character i starts), cand room for "##" + all of it. */
static void wordpiece(const vkattn_wordpiece *wp, const uint32_t *w, size_t n, char *utf8, char *cand, size_t *offs,
                      out_ids *o) {
    if (n > wp->max_chars) {
        emit(o, wp->unk);
        return;
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++) offs[i] = len, len += vkattn__utf8_put(w[i], utf8 + len);
    offs[n] = len;
    size_t first = o->n;
    cand[0] = cand[1] = '#';
    for (size_t start = 0; start < n;) {
        int32_t id = -1;
        size_t end = n;
        for (; end > start; end--) {
            size_t bytes = offs[end] - offs[start];
            if (start) { /* a continuation: "##" + the characters */
                memcpy(cand + 2, utf8 + offs[start], bytes);
                id = find(wp, cand, bytes + 2);
            } else {
                id = find(wp, utf8, bytes);
            }
            if (id >= 0) break;
        }
        if (id < 0) {
            o->n = first; /* no full cover: the whole piece is unknown */
            emit(o, wp->unk);
            return;
        }
        emit(o, id);
        start = end;
    }
}

vkattn_status vkattn_wordpiece_tokenize(const vkattn_wordpiece *wp, const char *text, size_t len, int32_t *ids,
                                        size_t capacity, size_t *n) {
    if (!wp || (!text && len) || !n || (!ids && capacity))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "wordpiece_tokenize: NULL argument");
    cpbuf c = {0};
    vkattn_status st = VKATTN_OK;
    /* 1-2: clean and space out CJK */
    for (size_t i = 0; i < len && !st;) {
        uint32_t cp;
        int k = vkattn__utf8_next((const uint8_t *)text + i, len - i, &cp);
        if (k <= 0) cp = 0xFFFD, k = k < 0 ? -k : (int)(len - i); /* ill-formed bytes: dropped like U+FFFD */
        i += (size_t)k;
        int cl = char_class(cp);
        if (cp == 0 || cp == 0xFFFD || (cl & CONTROL)) continue;
        if (cl & SPACE) cp = ' ';
        if (wp->cjk && is_cjk(cp)) {
            if (!push(&c, ' ') || !push(&c, cp) || !push(&c, ' ')) st = VKATTN_ERROR_OUT_OF_HOST_MEMORY;
        } else if (!push(&c, cp)) {
            st = VKATTN_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    /* 3-4: words -> normalized -> punctuation-split pieces -> wordpieces */
    cpbuf w = {0};
    char *utf8 = NULL, *cand = NULL;
    size_t *offs = NULL;
    out_ids o = {ids, capacity, 0};
    if (!st && c.n && (!(utf8 = malloc(4 * (size_t)wp->max_chars + 8)) || !(cand = malloc(4 * (size_t)wp->max_chars + 8)) || !(offs = malloc((wp->max_chars + 1) * sizeof *offs))))
        st = VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < c.n && !st;) {
        if (c.v[i] == ' ') {
            i++;
            continue;
        }
        w.n = 0;
        for (; i < c.n && c.v[i] != ' '; i++)
            if (!push_normalized(wp, &w, c.v[i])) st = VKATTN_ERROR_OUT_OF_HOST_MEMORY;
        for (size_t s = 0; s < w.n && !st;) {
            size_t e = s;
            if (char_class(w.v[s]) & PUNCT) e = s + 1;
            else
                while (e < w.n && !(char_class(w.v[e]) & PUNCT)) e++;
            wordpiece(wp, w.v + s, e - s, utf8, cand, offs, &o);
            s = e;
        }
    }
    free(c.v), free(w.v), free(utf8), free(cand), free(offs);
    if (st) return vkattn__fail(NULL, st, "out of host memory");
    *n = o.n;
    if (o.n > capacity)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "wordpiece_tokenize: %zu tokens, room for %zu", o.n, capacity);
    return VKATTN_OK;
}
