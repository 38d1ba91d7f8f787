#include "vkattn_ref.h"

void ref_broadcast(const float *a, const int64_t as[4], const float *b, const int64_t bs[4], int mul, float *y) {
    size_t i = 0;
    for (int64_t i0 = 0; i0 < as[0]; i0++)
        for (int64_t i1 = 0; i1 < as[1]; i1++)
            for (int64_t i2 = 0; i2 < as[2]; i2++)
                for (int64_t i3 = 0; i3 < as[3]; i3++, i++) {
                    int64_t j0 = bs[0] == 1 ? 0 : i0, j1 = bs[1] == 1 ? 0 : i1, j2 = bs[2] == 1 ? 0 : i2,
                            j3 = bs[3] == 1 ? 0 : i3;
                    double bv = b[((j0 * bs[1] + j1) * bs[2] + j2) * bs[3] + j3];
                    y[i] = (float)(mul ? a[i] * bv : a[i] + bv);
                }
}
