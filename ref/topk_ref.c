#include "vkattn_ref.h"

#include <stdlib.h>

int ref_rank_above(float a, size_t ia, float b, size_t ib); /* argmax_ref.c */

static const float *sort_row; /* qsort has no context argument; the reference is single-threaded */

static int by_rank(const void *pa, const void *pb) {
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return ref_rank_above(sort_row[a], a, sort_row[b], b) ? -1 : ref_rank_above(sort_row[b], b, sort_row[a], a) ? 1 : 0;
}

void ref_topk(const float *x, size_t rows, size_t v, size_t k, float *values, int32_t *idx) {
    size_t *order = malloc(v * sizeof *order);
    if (!order) abort();
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < v; i++) order[i] = i;
        sort_row = x + r * v;
        qsort(order, v, sizeof *order, by_rank);
        for (size_t j = 0; j < k; j++) {
            idx[r * k + j] = (int32_t)order[j];
            values[r * k + j] = sort_row[order[j]];
        }
    }
    free(order);
}
