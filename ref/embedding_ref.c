#include "vkattn_ref.h"

#include <string.h>

void ref_embedding(const float *table, int64_t V, int64_t D, const int32_t *ids, size_t n, float *y) {
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= V)
            memset(y + i * D, 0, (size_t)D * sizeof *y);
        else
            memcpy(y + i * D, table + (size_t)ids[i] * D, (size_t)D * sizeof *y);
    }
}
