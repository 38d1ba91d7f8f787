#include "vkattn_ref.h"

#include <math.h>

void ref_softmax(const float *x, size_t rows, size_t d, float *y) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * d;
        double m = -INFINITY, s = 0;
        for (size_t i = 0; i < d; i++) m = xr[i] > m ? xr[i] : m;
        if (m == -INFINITY) {
            for (size_t i = 0; i < d; i++) y[r * d + i] = 0;
            continue;
        }
        for (size_t i = 0; i < d; i++) s += exp(xr[i] - m);
        for (size_t i = 0; i < d; i++) y[r * d + i] = (float)(exp(xr[i] - m) / s);
    }
}
