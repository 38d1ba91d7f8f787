/* Streaming detokenizer: token pieces go in one by one, only complete and valid UTF-8 comes out. A
 * character split across tokens (byte-fallback or byte-level pieces) is held back until its last byte
 * arrives; ill-formed bytes become U+FFFD, one per maximal subpart (Unicode's recommended practice, as
 * Python's and WHATWG's decoders do). At most 3 bytes are ever pending. */
#include "tokenizer.h"

#include "base/base.h"

#include <stdlib.h>
#include <string.h>

struct vkattn_detok {
    const vkattn_tokenizer *tok;
    uint32_t flags;
    int at_start;
    uint8_t pending[4];
    size_t n_pending;
    uint8_t *buf; /* pending + one piece */
};

vkattn_status vkattn_detok_create(const vkattn_tokenizer *tok, uint32_t flags, vkattn_detok **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_detok_create: out is NULL");
    *out = NULL;
    if (!tok) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_detok_create: tok is NULL");
    vkattn_detok *d = calloc(1, sizeof *d);
    if (d) d->buf = malloc(tok->max_piece + 4);
    if (!d || !d->buf) {
        free(d);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "vkattn_detok_create: out of host memory");
    }
    d->tok = tok;
    d->flags = flags;
    d->at_start = 1;
    *out = d;
    return VKATTN_OK;
}

void vkattn_detok_destroy(vkattn_detok *d) {
    if (!d) return;
    free(d->buf);
    free(d);
}

/* Valid UTF-8 of s[0..n) into out (NULL: count only); with `final` an incomplete tail is replaced too,
 * else its length goes to *tail. Returns the output length. */
static size_t sanitize(const uint8_t *s, size_t n, int final, char *out, size_t *tail) {
    size_t m = 0, i = 0;
    *tail = 0;
    while (i < n) {
        uint32_t c;
        int k = vkattn__utf8_next(s + i, n - i, &c);
        if (k > 0) {
            if (out) memcpy(out + m, s + i, (size_t)k);
            m += (size_t)k;
            i += (size_t)k;
            continue;
        }
        if (k == 0 && !final) {
            *tail = n - i;
            break;
        }
        if (out) memcpy(out + m, "\xef\xbf\xbd", 3);
        m += 3;
        i += k == 0 ? n - i : (size_t)-k; /* an incomplete tail is one maximal subpart */
    }
    return m;
}

static vkattn_status emit(vkattn_detok *d, size_t n_in, int final, char *out, size_t cap, size_t *n) {
    size_t tail;
    size_t need = sanitize(d->buf, n_in, final, NULL, &tail);
    *n = need;
    if (need > cap)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT,
                            "vkattn_detok: the output needs %zu bytes, the buffer holds %zu (nothing was consumed)",
                            need, cap);
    sanitize(d->buf, n_in, final, out, &tail);
    memcpy(d->pending, d->buf + n_in - tail, tail);
    d->n_pending = tail;
    return VKATTN_OK;
}

vkattn_status vkattn_detok_push(vkattn_detok *d, int32_t id, char *out, size_t capacity, size_t *n) {
    if (n) *n = 0;
    if (!d || !n || (!out && capacity))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_detok_push: %s is NULL",
                            !d ? "d" : !n ? "n" : "out");
    if (id < 0 || (uint32_t)id >= d->tok->n_vocab)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_detok_push: token %d is out of range (n_vocab %u)",
                            id, d->tok->n_vocab);
    int at_start = d->at_start;
    size_t len;
    const char *p = vkattn__token_bytes(d->tok, id, d->flags, &at_start, &len);
    memcpy(d->buf, d->pending, d->n_pending);
    memcpy(d->buf + d->n_pending, p, len);
    vkattn_status st = emit(d, d->n_pending + len, 0, out, capacity, n);
    if (!st) d->at_start = at_start;
    return st;
}

vkattn_status vkattn_detok_flush(vkattn_detok *d, char *out, size_t capacity, size_t *n) {
    if (n) *n = 0;
    if (!d || !n || (!out && capacity))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_detok_flush: %s is NULL",
                            !d ? "d" : !n ? "n" : "out");
    memcpy(d->buf, d->pending, d->n_pending);
    return emit(d, d->n_pending, 1, out, capacity, n);
}
