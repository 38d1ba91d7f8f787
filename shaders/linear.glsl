// Bindings, push constants and loads shared by the linear kernels (gemm.comp,
// gemv.comp): y[m, n0 + n] = sum_k x[m, k] * W[n, k] (+ bias[n0 + n]).
// Variant names encode the storage types: xh = f16 x, wh = f16 W, q8 / q4 =
// Q8_0 / Q4_0 W, yh = f16 y; absent = f32. Arithmetic is f32 throughout.
#if defined(VARIANT_XH) || defined(VARIANT_XH_YH) || defined(VARIANT_XH_WH) || defined(VARIANT_XH_WH_YH) || \
    defined(VARIANT_XH_Q8) || defined(VARIANT_XH_Q8_YH) || defined(VARIANT_XH_Q4) || defined(VARIANT_XH_Q4_YH)
#define X_F16 1
#endif
#if defined(VARIANT_YH) || defined(VARIANT_XH_YH) || defined(VARIANT_WH_YH) || defined(VARIANT_XH_WH_YH) || \
    defined(VARIANT_Q8_YH) || defined(VARIANT_XH_Q8_YH) || defined(VARIANT_Q4_YH) || defined(VARIANT_XH_Q4_YH)
#define Y_F16 1
#endif
#if defined(VARIANT_WH) || defined(VARIANT_XH_WH) || defined(VARIANT_WH_YH) || defined(VARIANT_XH_WH_YH)
#define W_F16 1
#endif
#if defined(VARIANT_Q8) || defined(VARIANT_XH_Q8) || defined(VARIANT_Q8_YH) || defined(VARIANT_XH_Q8_YH)
#define W_Q8 1
#endif
#if defined(VARIANT_Q4) || defined(VARIANT_XH_Q4) || defined(VARIANT_Q4_YH) || defined(VARIANT_XH_Q4_YH)
#define W_Q4 1
#endif

#if defined(X_F16) || defined(Y_F16) || defined(W_F16)
#extension GL_EXT_shader_16bit_storage : require
#endif
#ifdef X_F16
#define XT float16_t
#else
#define XT float
#endif
#ifdef Y_F16
#define YT float16_t
#else
#define YT float
#endif

layout(std430, binding = 0) readonly buffer X { XT xs[]; };
#if defined(W_Q8) || defined(W_Q4)
#define W_QUANT 1
layout(std430, binding = 1) readonly buffer W { uint wq[]; };
#define QUANT_BUF wq
#include "quant.glsl"
#ifdef W_Q8
#define W_BLOCK_BYTES Q8_0_BYTES
#define w_block_vec4 q8_0_vec4
#else
#define W_BLOCK_BYTES Q4_0_BYTES
#define w_block_vec4 q4_0_vec4
#endif
#else
#ifdef W_F16
layout(std430, binding = 1) readonly buffer W { float16_t ws[]; };
#else
layout(std430, binding = 1) readonly buffer W { float ws[]; };
#endif
#endif
layout(std430, binding = 2) readonly buffer B { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { YT ys[]; };

layout(push_constant) uniform P {
    uint M, N, K;      // N: rows of W in this dispatch (one slice of W)
    uint x_off, y_off; // elements
    uint w_off;        // from the binding's start to W's row 0: elements (f32/f16) or bytes (q8/q4)
    uint n0;           // index of the slice's row 0 in y and bias
    uint ldy;          // elements between rows of y
    uint has_bias;
} p;

vec4 load_x4(uint i) { return vec4(xs[i], xs[i + 1u], xs[i + 2u], xs[i + 3u]); }

#ifndef W_QUANT
vec4 load_w4(uint i) { return vec4(ws[i], ws[i + 1u], ws[i + 2u], ws[i + 3u]); }
#endif

// Adds the bias and stores one output (clamped into f16 range for f16 y).
void store_y(uint m, uint n, float v) {
    if (p.has_bias != 0u) v += bias[p.n0 + n];
#ifdef Y_F16
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
    ys[p.y_off + m * p.ldy + p.n0 + n] = YT(v);
}
