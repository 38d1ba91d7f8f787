// The 32-value block types (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL) read as 64-bit words: gemm_ks's
// group path (QG). Four blocks make a whole number of words (136, 72, 80, 88, 96, 72 bytes), so in
// a row of whole groups that starts 8-byte aligned, block q of a group starts at byte o = q B % 8
// of a word, known when compiling; it is read as the QG_WORDS words it spans (never past the
// group: the last block ends on its last word). Layouts as in quant.glsl; needs `wq64`.
//
// qg_params(w, o) gives (a, b) and qg_raw4(w, o, i) raw values i .. i + 3 of the block, the weight
// being raw * a + b, so that a block's part of a dot product is a dot(x, raw) + b sum(x) (QG_SUM:
// b can be non-zero).
#if defined(VT_Q8) || defined(VT_Q4) || defined(VT_Q41) || defined(VT_Q50) || defined(VT_Q51) || defined(VT_IQ4NL)
#define QG32 1

#if defined(VT_Q8)
const uint QG_WORDS = 5u;
#elif defined(VT_Q50)
const uint QG_WORDS = 4u;
#else
const uint QG_WORDS = 3u;
#endif
#if defined(VT_Q4) || defined(VT_Q41) || defined(VT_Q50) || defined(VT_Q51)
#define QG_SUM 1
#endif

// The 32 bits from bit `bit` (a multiple of 8, < 64) of the 128-bit value b:a.
uint bits32(uint64_t a, uint64_t b, uint bit) {
    return bit <= 32u ? uint(a >> bit) : uint(a >> bit) | uint(b << (64u - bit));
}
// The 4 bytes from byte P of w (P + 4 <= 8 QG_WORDS).
uint qg_u32(uint64_t w[QG_WORDS], uint P) { return bits32(w[P / 8u], w[min(P / 8u + 1u, QG_WORDS - 1u)], P % 8u * 8u); }
// The f16 at an even byte P.
float qg_f16(uint64_t w[QG_WORDS], uint P) { return unpackHalf2x16(uint(w[P / 8u] >> (P % 8u * 8u)) & 0xffffu).x; }
// The 4 nibbles of values i .. i + 3 of 16 bytes of nibbles at byte P (as q_nib_word), unmasked.
uint qg_nib(uint64_t w[QG_WORDS], uint P, uint i) { return qg_u32(w, P + (i & 15u)) >> (i & 16u) / 4u; }

#if defined(VT_Q8) // f16 d, int8 q[32]: d q
vec2 qg_params(uint64_t w[QG_WORDS], uint o) { return vec2(qg_f16(w, o), 0.0); }
vec4 qg_raw4(uint64_t w[QG_WORDS], uint o, uint i) { return q8_0_unpack(qg_u32(w, o + 2u + i)); }
#elif defined(VT_Q4) // f16 d, qs[16]: d q - 8 d
vec2 qg_params(uint64_t w[QG_WORDS], uint o) { float d = qg_f16(w, o); return vec2(d, -8.0 * d); }
vec4 qg_raw4(uint64_t w[QG_WORDS], uint o, uint i) { return q_nibbles(qg_nib(w, o + 2u, i)); }
#elif defined(VT_Q41) // f16 d, f16 m, qs[16]: d q + m
vec2 qg_params(uint64_t w[QG_WORDS], uint o) { return vec2(qg_f16(w, o), qg_f16(w, o + 2u)); }
vec4 qg_raw4(uint64_t w[QG_WORDS], uint o, uint i) { return q_nibbles(qg_nib(w, o + 4u, i)); }
#elif defined(VT_Q50) // f16 d, qh[4], qs[16]: d q - 16 d, q's 5th bit (value i's: bit i of qh) included
vec2 qg_params(uint64_t w[QG_WORDS], uint o) { float d = qg_f16(w, o); return vec2(d, -16.0 * d); }
vec4 qg_raw4(uint64_t w[QG_WORDS], uint o, uint i) { return q_nibbles(qg_nib(w, o + 6u, i)) + q_hi5(qg_u32(w, o + 2u), i); }
#elif defined(VT_Q51) // f16 d, f16 m, qh[4], qs[16]: d q + m
vec2 qg_params(uint64_t w[QG_WORDS], uint o) { return vec2(qg_f16(w, o), qg_f16(w, o + 2u)); }
vec4 qg_raw4(uint64_t w[QG_WORDS], uint o, uint i) { return q_nibbles(qg_nib(w, o + 8u, i)) + q_hi5(qg_u32(w, o + 4u), i); }
#else // IQ4_NL: f16 d, qs[16]: d kvalues[q]
vec2 qg_params(uint64_t w[QG_WORDS], uint o) { return vec2(qg_f16(w, o), 0.0); }
vec4 qg_raw4(uint64_t w[QG_WORDS], uint o, uint i) { return q_iq4(qg_nib(w, o + 2u, i)); }
#endif
#endif
