#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: wh q8 q4 yh wh_yh q8_yh q4_yh
//! variants: q41 q41_yh q50 q50_yh q51 q51_yh q2k q2k_yh q3k q3k_yh q4k q4k_yh q5k q5k_yh q6k q6k_yh iq4nl iq4nl_yh iq4xs iq4xs_yh
//! variants: yh_pk wh_yh_pk q8_yh_pk q4_yh_pk q41_yh_pk q50_yh_pk q51_yh_pk q2k_yh_pk q3k_yh_pk q4k_yh_pk q5k_yh_pk
//! variants: q6k_yh_pk iq4nl_yh_pk iq4xs_yh_pk
// Token embedding lookup: y[r, d] = table[ids[r], d], dequantized. The table is
// read as uint words (f32 bits, packed f16 pairs or GGUF blocks, quant.glsl), so f16 and
// block tables need no 16-bit storage; an f16 y is float16_t (yh) or, without 16-bit storage,
// packed words (yh_pk: neighbouring lanes share a word, see STORE_H).
// A table beyond maxStorageBufferRange is bound in row slices, one dispatch
// each: a dispatch writes only the rows whose id falls into its slice, and
// the one with zero_fill set writes the zero rows of ids outside [0, V).
#if defined(VT_YH) && !defined(VT_PK)
#extension GL_EXT_shader_16bit_storage : require
#endif
#ifdef VT_YH
#define Y_F16 1
#define YT float16_t
#else
#define YT float
#endif
#include "common.glsl"
#include "packed.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Table { uint tw[]; };
#define QUANT_BUF tw
#include "quant.glsl"
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
#if defined(Y_F16) && defined(VT_PK)
layout(std430, binding = 2) buffer Y { uint ys[]; };
#else
layout(std430, binding = 2) writeonly buffer Y { YT ys[]; };
#endif

layout(push_constant) uniform P {
    uint D, N;        // row length; rows of y (= number of ids)
    uint V;           // rows of the whole table
    uint v0, cnt;     // table rows [v0, v0 + cnt) are bound in this dispatch
    uint t_off;       // bytes from the binding's start to table row v0
    uint row_bytes;   // bytes of one table row
    uint ids_off, y_off; // elements
    uint zero_fill;   // this dispatch writes the rows of out-of-range ids
} p;

void main() {
    uint d = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    uint r = gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y;
    if (d >= p.D || r >= p.N) return;
    int id = ids[p.ids_off + r];
    float v = 0.0;
    if (id < 0 || uint(id) >= p.V) {
        if (p.zero_fill == 0u) return;
    } else {
        uint local = uint(id) - p.v0; // wraps around for id < v0
        if (local >= p.cnt) return;
        uint row = p.t_off + local * p.row_bytes;
#if defined(WQ_TYPE)
        uint j = d % WQ_QK;
        v = wq_get4(row + d / WQ_QK * WQ_BYTES, j & ~3u)[j & 3u];
#elif defined(VT_WH)
        uint b = row + d * 2u;
        v = load_packed_f16(tw[b >> 2], b >> 1);
#else
        v = uintBitsToFloat(tw[(row >> 2) + d]);
#endif
    }
#ifdef Y_F16
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
#if defined(Y_F16) && defined(VT_PK)
    STORE_H(ys, p.y_off + r * p.D + d, v);
#else
    ys[p.y_off + r * p.D + d] = YT(v);
#endif
}
