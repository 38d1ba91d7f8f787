#include "vkattn_ref.h"

void ref_glu(ref_act act, const float *gate, const float *up, size_t n, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = (float)(ref_activation(act, gate[i]) * up[i]);
}
