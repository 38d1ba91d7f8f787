#include "vkattn_ref.h"

#include <math.h>

/* a ranks above b (NaN highest, then value, ties to the lower index ia < ib) */
int ref_rank_above(float a, size_t ia, float b, size_t ib);
int ref_rank_above(float a, size_t ia, float b, size_t ib) {
    if (isnan(a) || isnan(b)) return isnan(a) && (!isnan(b) || ia < ib);
    return a > b || (a == b && ia < ib);
}

void ref_argmax(const float *x, size_t rows, size_t v, int32_t *idx) {
    for (size_t r = 0; r < rows; r++) {
        size_t best = 0;
        for (size_t i = 1; i < v; i++)
            if (ref_rank_above(x[r * v + i], i, x[r * v + best], best)) best = i;
        idx[r] = (int32_t)best;
    }
}
