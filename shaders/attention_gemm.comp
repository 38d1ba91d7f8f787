#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: qk16 pv16 qk16_pk pv16_pk
// The two matrix products of 3-pass attention, batched over (batch, head) slices:
//   QK mode: S[s][i][j] = scale * sum_k Q[i][k] K[j][k]     (A = Q, B = K, C = scores)
//   PV mode: O[s][i][c] = sum_k P[i][k] V[k][c]             (A = P, B = V^T, C = O)
// i.e. C = A B^T with every operand addressed as off + b*st.x + h*st.y + row*st.z + k*st.w
// (B uses the KV head h / group), so strided views need no copy. A workgroup computes a
// (TY*TM) x (TX*TN) tile of C, each invocation TM x TN of it, staging A and B in shared
// memory TK columns at a time. Causal: QK skips tiles above the diagonal entirely (the
// softmax never reads them); PV stops at the last key the tile's last row sees.
// Variants: qk16 reads f16 Q/K and writes f32 scores; pv16 reads f32 P and f16 V,
// writes f16 O (clamped to the f16 range).
// *_pk: those f16 operands as packed words (no 16-bit storage; packed.glsl).
#if (defined(VT_QK16) || defined(VT_PV16)) && !defined(VT_PK)
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"

// H_*: an f16 operand (float16_t, or uint words when packed); F_*: an f32 one.
// A_LD / B_LD(buf, i): element i as float; C_ST(buf, i, v): stores v.
#ifdef VT_PK
#define H_T uint
#define H_LD(BUF, I) LOAD_H(BUF, I)
#define H_ST(BUF, I, V) STORE_H(BUF, I, V)
#else
#define H_T float16_t
#define H_LD(BUF, I) float(BUF[I])
#define H_ST(BUF, I, V) BUF[I] = float16_t(V)
#endif
#define F_LD(BUF, I) BUF[I]
#define F_ST(BUF, I, V) BUF[I] = (V)
#if defined(VT_QK16)
#define A_T H_T
#define B_T H_T
#define C_T float
#define A_LD H_LD
#define B_LD H_LD
#define C_ST F_ST
#elif defined(VT_PV16)
#define A_T float
#define B_T H_T
#define C_T H_T
#define A_LD F_LD
#define B_LD H_LD
#define C_ST H_ST
#else
#define A_T float
#define B_T float
#define C_T float
#define A_LD F_LD
#define B_LD F_LD
#define C_ST F_ST
#endif
#if defined(VT_PV16) && defined(VT_PK)
#define C_WO // packed stores read the word they write half of
#else
#define C_WO writeonly
#endif

layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 2) const uint TM = 4;  // rows per invocation
layout(constant_id = 3) const uint TN = 4;  // columns per invocation
layout(constant_id = 4) const uint TK = 16; // reduction step staged in shared memory

layout(std430, binding = 0) readonly buffer Ab { A_T abuf[]; };
layout(std430, binding = 1) readonly buffer Bb { B_T bbuf[]; };
layout(std430, binding = 2) C_WO buffer Cb { C_T cbuf[]; };
layout(push_constant) uniform P {
    uvec4 a_st, b_st, c_st; // batch, head, row (B: column of C), k (C: column)
    uint a_off, b_off, c_off;
    uint M, N, K;           // rows of this chunk, columns, reduction length
    uint row0, s0, heads;   // first query row and first slice of the chunk; Hq | group << 16
    float scale;
    int shift;              // causal: row i sees keys j <= i + shift (Lk - Lq); else huge
    uint pv;                // 1 in PV mode (K limited by the causal diagonal)
} p;

const uint TX = gl_WorkGroupSize.x, TY = gl_WorkGroupSize.y;
shared float sa[TY * TM][TK + 1];
shared float sb[TX * TN][TK + 1];

void main() {
    uint Hq = p.heads & 0xffffu, group = p.heads >> 16;
    uint s = p.s0 + gl_WorkGroupID.z, b = s / Hq, h = s % Hq;
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y, lid = ty * TX + tx, nthreads = TX * TY;
    uint m0 = gl_WorkGroupID.y * TY * TM, n0 = gl_WorkGroupID.x * TX * TN; // within the chunk
    uint mlast = min(m0 + TY * TM, p.M) - 1;
    int last_row = int(p.row0 + mlast);
    uint kend = p.K;
    if (p.pv == 0u) {
        if (int(n0) > last_row + p.shift) return; // whole tile above the diagonal (uniform)
    } else {
        kend = uint(clamp(last_row + p.shift + 1, 0, int(p.K)));
    }
    uint abase = p.a_off + b * p.a_st.x + h * p.a_st.y + p.row0 * p.a_st.z;
    uint bbase = p.b_off + b * p.b_st.x + (h / group) * p.b_st.y;
    float acc[TM][TN];
    [[unroll]] for (uint i = 0; i < TM; i++) [[unroll]] for (uint j = 0; j < TN; j++) acc[i][j] = 0.0;
    for (uint k0 = 0; k0 < kend; k0 += TK) {
        for (uint e = lid; e < TY * TM * TK; e += nthreads) {
            uint r = e / TK, kk = e % TK, m = m0 + r, k = k0 + kk;
            sa[r][kk] = (m < p.M && k < kend) ? A_LD(abuf, abase + m * p.a_st.z + k * p.a_st.w) : 0.0;
        }
        for (uint e = lid; e < TX * TN * TK; e += nthreads) {
            uint r = e / TK, kk = e % TK, n = n0 + r, k = k0 + kk;
            sb[r][kk] = (n < p.N && k < kend) ? B_LD(bbuf, bbase + n * p.b_st.z + k * p.b_st.w) : 0.0;
        }
        barrier();
        for (uint kk = 0; kk < TK; kk++) {
            float a[TM], bv[TN];
            [[unroll]] for (uint i = 0; i < TM; i++) a[i] = sa[ty + i * TY][kk];
            [[unroll]] for (uint j = 0; j < TN; j++) bv[j] = sb[tx + j * TX][kk];
            [[unroll]] for (uint i = 0; i < TM; i++) [[unroll]] for (uint j = 0; j < TN; j++) acc[i][j] += a[i] * bv[j];
        }
        barrier();
    }
    uint cbase = p.c_off + b * p.c_st.x + h * p.c_st.y + p.row0 * p.c_st.z;
    [[unroll]] for (uint i = 0; i < TM; i++) {
        uint m = m0 + ty + i * TY;
        if (m >= p.M) continue;
        [[unroll]] for (uint j = 0; j < TN; j++) {
            uint n = n0 + tx + j * TX;
            if (n < p.N) {
                C_ST(cbuf, cbase + m * p.c_st.z + n * p.c_st.w, clamp(acc[i][j] * p.scale, -F16_MAX, F16_MAX));
            }
        }
    }
}
