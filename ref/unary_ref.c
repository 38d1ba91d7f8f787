#include "vkattn_ref.h"

#include <math.h>

double ref_activation(ref_act act, double x) {
    switch (act) {
    case REF_RELU: return x > 0 ? x : 0;
    case REF_SILU: return x / (1 + exp(-x));
    case REF_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case REF_GELU_TANH:
        return 0.5 * x * (1 + tanh(0.79788456080286535588 /* sqrt(2 / pi) */ * (x + 0.044715 * x * x * x)));
    }
    return x;
}

void ref_unary(ref_act act, const float *x, size_t n, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = (float)ref_activation(act, x[i]);
}
