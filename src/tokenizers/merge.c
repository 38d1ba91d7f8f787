/* The merge loop shared by SentencePiece and byte-level BPE: a linked list of symbols over the text and
 * a binary heap of candidate adjacent pairs. Entries become stale when a neighbour merges; they are
 * recognised by their recorded size (symbols only grow, so a stale pair never matches again) and skipped.
 * O(n log n) in the text length. */
#include "tokenizer.h"

#include "base/base.h"

#include <stdlib.h>


static int before(const vkattn__bigram *a, const vkattn__bigram *b) {
    return a->prio > b->prio || (a->prio == b->prio && a->left < b->left);
}

static vkattn_status heap_push(vkattn__merger *m, vkattn__bigram g) {
    vkattn__bigram *h = vkattn__grow(m->heap, &m->cap_heap, m->n_heap + 1, sizeof *h);
    if (!h) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenize: out of host memory");
    m->heap = h;
    size_t i = m->n_heap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&g, &m->heap[p])) break;
        m->heap[i] = m->heap[p];
        i = p;
    }
    m->heap[i] = g;
    return VKATTN_OK;
}

static vkattn__bigram heap_pop(vkattn__merger *m) {
    vkattn__bigram top = m->heap[0], last = m->heap[--m->n_heap];
    size_t i = 0, n = m->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(&m->heap[c + 1], &m->heap[c])) c++;
        if (!before(&m->heap[c], &last)) break;
        m->heap[i] = m->heap[c];
        i = c;
    }
    if (n) m->heap[i] = last;
    return top;
}

static vkattn_status try_pair(vkattn__merger *m, const char *text, int32_t l, int32_t r, vkattn__prio_fn fn,
                              const void *user) {
    if (l < 0 || r < 0) return VKATTN_OK;
    const vkattn__sym *a = &m->sym[l], *b = &m->sym[r];
    double prio;
    if (!fn(user, text + a->off, a->n, text + b->off, b->n, &prio)) return VKATTN_OK;
    return heap_push(m, (vkattn__bigram){prio, l, r, a->n + b->n});
}

vkattn_status vkattn__merge(vkattn__merger *m, const char *text, size_t n, vkattn__prio_fn fn, const void *user) {
    m->n_sym = m->n_heap = 0;
    if (n > INT32_MAX) return vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE, "tokenize: a word of %zu bytes is too long", n);
    vkattn__sym *s = vkattn__grow(m->sym, &m->cap_sym, n, sizeof *s);
    if (!s) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "tokenize: out of host memory");
    m->sym = s;
    for (size_t off = 0; off < n;) {
        uint32_t cp;
        int k = vkattn__utf8_next((const uint8_t *)text + off, n - off, &cp);
        size_t len = k > 0 ? (size_t)k : 1;
        int32_t i = (int32_t)m->n_sym++;
        m->sym[i] = (vkattn__sym){i - 1, off + len == n ? -1 : i + 1, (uint32_t)off, (uint32_t)len};
        off += len;
    }
    vkattn_status st;
    for (size_t i = 1; i < m->n_sym; i++)
        if ((st = try_pair(m, text, (int32_t)i - 1, (int32_t)i, fn, user))) return st;
    while (m->n_heap) {
        vkattn__bigram g = heap_pop(m);
        vkattn__sym *a = &m->sym[g.left], *b = &m->sym[g.right];
        if (a->n == 0 || b->n == 0 || a->n + b->n != g.size) continue; /* stale */
        a->n += b->n;
        b->n = 0;
        a->next = b->next;
        if (b->next >= 0) m->sym[b->next].prev = g.left;
        if ((st = try_pair(m, text, a->prev, g.left, fn, user))) return st;
        if ((st = try_pair(m, text, g.left, m->sym[g.left].next, fn, user))) return st;
    }
    return VKATTN_OK;
}

void vkattn__merger_free(vkattn__merger *m) {
    free(m->sym);
    free(m->heap);
    *m = (vkattn__merger){0};
}
