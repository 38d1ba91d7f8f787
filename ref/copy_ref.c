#include "vkattn_ref.h"

void ref_copy_strided(const float *src, const int64_t shape[4], const int64_t ss[4], float *dst, const int64_t ds[4]) {
    for (int64_t a = 0; a < shape[0]; a++)
        for (int64_t b = 0; b < shape[1]; b++)
            for (int64_t c = 0; c < shape[2]; c++)
                for (int64_t d = 0; d < shape[3]; d++)
                    dst[a * ds[0] + b * ds[1] + c * ds[2] + d * ds[3]] = src[a * ss[0] + b * ss[1] + c * ss[2] + d * ss[3]];
}
