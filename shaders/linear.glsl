// Bindings, push constants and loads shared by the linear kernels (gemm.comp,
// gemm_ks.comp, gemm_tiled.comp): y[m, n0 + n] = sum_k x[m, k] * W[n, k] (+ bias[n0 + n]).
// Variant names encode the storage types: xh = f16 x, wh = f16 W, q8 / q4 / q41 / q50 / q51 /
// q2k .. q6k / iq4nl / iq4xs = a GGUF block type of W (quant.glsl), yh = f16 y; absent = f32.
// Arithmetic is f32 throughout.
#ifdef VT_XH
#define X_F16 1
#endif
#ifdef VT_YH
#define Y_F16 1
#endif
#ifdef VT_WH
#define W_F16 1
#endif
#ifdef VT_Q8
#define W_Q8 1
#endif
#ifdef VT_Q4
#define W_Q4 1
#endif

// pk (with xh / wh / yh): those f16 tensors are bound as packed 32-bit words, two halves per
// word, for devices without 16-bit storage (packed.glsl); the bytes in memory are the same.
#ifdef VT_PK
#define F16_PACKED 1
#endif
#if !defined(F16_PACKED) && (defined(X_F16) || defined(Y_F16) || defined(W_F16))
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "packed.glsl"
#ifdef X_F16
#define XT float16_t
#define XT4 f16vec4
#else
#define XT float
#define XT4 vec4
#endif
#ifdef Y_F16
#define YT float16_t
#else
#define YT float
#endif

// VEC4: x (and a float W) are read as whole vec4s, which CPU drivers (llvmpipe
// loads every lane's every component in a loop) turn into far fewer loads. The
// host sets it when K and the offsets are multiples of 4; the vec4 views alias
// the scalar ones.
layout(constant_id = 3) const bool VEC4 = false;
// X_AT(i) / W_AT(i): element i as float; X4_AT(i) / W4_AT(i): elements i .. i + 3 (i % 4 == 0)
#if defined(X_F16) && defined(F16_PACKED)
layout(std430, binding = 0) readonly buffer X { uint xs[]; };
layout(std430, binding = 0) readonly buffer X4 { uvec2 xs4[]; };
#define X_AT(i) LOAD_H(xs, i)
#define X4_AT(i) unpack_h4(xs4[(i) >> 2])
#else
layout(std430, binding = 0) readonly buffer X { XT xs[]; };
layout(std430, binding = 0) readonly buffer X4 { XT4 xs4[]; };
#define X_AT(i) float(xs[i])
#define X4_AT(i) vec4(xs4[(i) >> 2])
#endif
#ifdef GEMM_INT64
// With 64-bit integers (gemm_ks), VEC4 loads are 64-bit words: 2 per vec4 of f32, 1 per
// vec4 of f16. llvmpipe's cost is per loaded component, so this halves (f16: quarters) it.
#ifdef X_F16
layout(std430, binding = 0) readonly buffer X64 { uint64_t xs64[]; };
#else
layout(std430, binding = 0) readonly buffer X64 { u64vec2 xs64[]; };
#endif
#endif
#ifndef W_UBO // gemm_ubo declares W itself (a uniform buffer)
layout(std430, binding = 1) readonly buffer WQ { uint wq[]; };
#define QUANT_BUF wq
#include "quant.glsl"
#ifdef WQ_TYPE
#define W_QUANT 1
#else
#if defined(W_F16) && defined(F16_PACKED)
layout(std430, binding = 1) readonly buffer W { uint ws[]; };
layout(std430, binding = 1) readonly buffer W4 { uvec2 ws4[]; };
#define W_AT(i) LOAD_H(ws, i)
#define W4_AT(i) unpack_h4(ws4[(i) >> 2])
#else
#ifdef W_F16
layout(std430, binding = 1) readonly buffer W { float16_t ws[]; };
layout(std430, binding = 1) readonly buffer W4 { f16vec4 ws4[]; };
#else
layout(std430, binding = 1) readonly buffer W { float ws[]; };
layout(std430, binding = 1) readonly buffer W4 { vec4 ws4[]; };
#endif
#define W_AT(i) float(ws[i])
#define W4_AT(i) vec4(ws4[(i) >> 2])
#endif
#ifdef GEMM_INT64
#ifdef W_F16
layout(std430, binding = 1) readonly buffer W64 { uint64_t ws64[]; };
#else
layout(std430, binding = 1) readonly buffer W64 { u64vec2 ws64[]; };
#endif
#endif
#endif
#endif // W_UBO
layout(std430, binding = 2) readonly buffer B { float bias[]; };
#if defined(Y_F16) && defined(F16_PACKED)
layout(std430, binding = 3) buffer Y { uint ys[]; }; // STORE_H reads the word it writes half of
#else
layout(std430, binding = 3) writeonly buffer Y { YT ys[]; };
#endif

layout(push_constant) uniform P {
    uint M, N, K;      // N: rows of W in this dispatch (one slice of W)
    uint x_off, y_off; // elements
    uint w_off;        // from the binding's start to W's row 0: elements (f32/f16) or bytes (q8/q4)
    uint n0;           // index of the slice's row 0 in y and bias
    uint ldy;          // elements between rows of y
    uint has_bias;
} p;

#ifdef GEMM_INT64
vec4 unpack64_f32(u64vec2 q) { return vec4(uintBitsToFloat(unpackUint2x32(q.x)), uintBitsToFloat(unpackUint2x32(q.y))); }
vec4 unpack64_f16(uint64_t q) {
    uvec2 u = unpackUint2x32(q);
    return vec4(unpackHalf2x16(u.x), unpackHalf2x16(u.y));
}
#ifdef X_F16
#define X64_VEC4(i) unpack64_f16(xs64[(i) >> 2])
#else
#define X64_VEC4(i) unpack64_f32(xs64[(i) >> 2])
#endif
#ifdef W_UBO
#elif defined(W_F16)
#define W64_VEC4(i) unpack64_f16(ws64[(i) >> 2])
#else
#define W64_VEC4(i) unpack64_f32(ws64[(i) >> 2])
#endif
#endif

// Four consecutive elements from element i (i % 4 == 0 when VEC4).
vec4 load_x4(uint i) {
#ifdef GEMM_INT64
    if (VEC4) return X64_VEC4(i);
#endif
    if (VEC4) return X4_AT(i);
    return vec4(X_AT(i), X_AT(i + 1u), X_AT(i + 2u), X_AT(i + 3u));
}

#if !defined(W_QUANT) && !defined(W_UBO)
vec4 load_w4(uint i) {
#ifdef GEMM_INT64
    if (VEC4) return W64_VEC4(i);
#endif
    if (VEC4) return W4_AT(i);
    return vec4(W_AT(i), W_AT(i + 1u), W_AT(i + 2u), W_AT(i + 3u));
}
#endif

// Adds the bias and stores one output (clamped into f16 range for f16 y).
void store_y(uint m, uint n, float v) {
    if (p.has_bias != 0u) v += bias[p.n0 + n];
#ifdef Y_F16
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
#if defined(Y_F16) && defined(F16_PACKED)
    STORE_H(ys, p.y_off + m * p.ldy + p.n0 + n, v);
#else
    ys[p.y_off + m * p.ldy + p.n0 + n] = YT(v);
#endif
}
