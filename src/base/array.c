/* Growable arrays. */
#include "base.h"

#include <stdlib.h>

void *vkattn__grow(void *p, size_t *cap, size_t n, size_t elem) {
    if (n <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < n) {
        if (c > SIZE_MAX / 2) return NULL;
        c *= 2;
    }
    if (elem && c > SIZE_MAX / elem) return NULL;
    void *q = realloc(p, c * elem);
    if (q) *cap = c;
    return q;
}

vkattn_status vkattn__ivec_push(vkattn__ivec *a, int32_t x) {
    int32_t *v = vkattn__grow(a->v, &a->cap, a->n + 1, sizeof *v);
    if (!v) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    a->v = v;
    a->v[a->n++] = x;
    return VKATTN_OK;
}
