// Activations shared by unary.comp and glu.comp. Written so that no input
// overflows into NaN (exp(+large) = inf gives the right limit).
#define ACT_RELU 0u
#define ACT_SILU 1u
#define ACT_GELU_ERF 2u
#define ACT_GELU_TANH 3u
#define ACT_SCALE 4u
#define ACT_SOFTCAP 5u

// tanh without overflow (one exp of a non-positive argument: no inf/inf) and without the
// cancellation of (1 - t) / (1 + t) near 0 (odd Taylor polynomial there, error < 3e-8 relative).
float tanh_stable(float x) {
    float a = abs(x);
    if (a < 0.125) {
        float z = x * x;
        return x * (1.0 + z * (-0.33333333 + z * (0.13333333 - z * 0.053968254)));
    }
    float t = exp(-2.0 * a);
    return sign(x) * (1.0 - t) / (1.0 + t);
}

float sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

// Standard normal CDF Phi(x) = 0.5 erfc(-x / sqrt 2). erfc by the Chebyshev
// fit of Numerical Recipes (erfcc: relative error < 1.2e-7 for all z >= 0),
// evaluated on |x| so the small tail keeps its relative accuracy (no 1 - erf
// cancellation for x < 0).
float normal_cdf(float x) {
    float z = abs(x) * 0.70710678118654752;
    float t = 1.0 / (1.0 + 0.5 * z);
    float p = 0.17087277;
    p = p * t - 0.82215223;
    p = p * t + 1.48851587;
    p = p * t - 1.13520398;
    p = p * t + 0.27886807;
    p = p * t - 0.18628806;
    p = p * t + 0.09678418;
    p = p * t + 0.37409196;
    p = p * t + 1.00002368;
    p = p * t - 1.26551223;
    float tail = 0.5 * t * exp(p - z * z); // = 0.5 erfc(z)
    return x >= 0.0 ? 1.0 - tail : tail;
}

// 0.5 x (1 + tanh(u)) = x sigmoid(2u): no cancellation, no inf/inf.
float gelu_tanh(float x) { return x * sigmoid(1.5957691216057308 * (x + 0.044715 * x * x * x)); }

float activate(uint op, float x, float alpha) {
    if (op == ACT_RELU) return max(x, 0.0);
    if (op == ACT_SILU) return x * sigmoid(x);
    if (op == ACT_GELU_ERF) return x * normal_cdf(x);
    if (op == ACT_GELU_TANH) return gelu_tanh(x);
    if (op == ACT_SOFTCAP) return alpha * tanh_stable(x / alpha);
    return alpha * x;
}
