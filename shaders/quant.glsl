// GGUF block-quantized weights, read from a uint buffer so that no 8/16-bit storage is needed
// (SwiftShader has none). Define QUANT_BUF as the uint array to read before including; byte
// offsets are from the binding's start. Layouts are ggml's block_<type> (ggml-common.h).
//
// Every block size is even but most are not multiples of 4 (Q5_0 22 bytes, Q6_K 210, ...), so a
// block starts 2-byte aligned: words are assembled from two halves when the offset is 2 mod 4,
// and every multi-byte field inside a block sits at an even offset.
//
// A block of WQ_QK values (32, or 256 for the K-quants and IQ4_XS) is read as chunks of 32:
// value i of chunk c is raw * a + b, where raw = wq_raw4(blk, c, i) (small integers or code-book
// values) and (a, b) = wq_params(blk, c).xy for i < 16, .zw for i >= 16 (Q2_K, Q3_K, Q6_K scale
// every 16 values).
//
// The type is picked by the variant: VT_Q8 (Q8_0), VT_Q4 (Q4_0), VT_Q41, VT_Q50, VT_Q51,
// VT_Q2K .. VT_Q6K, VT_IQ4NL, VT_IQ4XS; WQ_TYPE is defined when one is.

const uint Q8_0_BYTES = 34u;
const uint Q4_0_BYTES = 18u;

// The 4 bytes at an even byte offset, little-endian.
uint q_word(uint off) {
    uint i = off >> 2;
    if ((off & 2u) == 0u) return QUANT_BUF[i];
    return (QUANT_BUF[i] >> 16) | (QUANT_BUF[i + 1u] << 16);
}

// The byte at any offset.
uint q_byte(uint off) { return (QUANT_BUF[off >> 2] >> ((off & 3u) * 8u)) & 255u; }

// The 16-bit word at an even offset.
uint q_u16(uint off) { return (QUANT_BUF[off >> 2] >> ((off & 2u) * 8u)) & 0xffffu; }

// The f16 at an even offset (a block's scale).
float q_scale(uint off) { return unpackHalf2x16(q_u16(off)).x; }

// The four bytes of a word, as unsigned integers and masked.
uvec4 q_bytes(uint w) { return uvec4(w, w >> 8, w >> 16, w >> 24); }
vec4 q_nibbles(uint w) { return vec4(q_bytes(w) & 15u); }

// Four int8 values packed in a word, sign-extended.
vec4 q8_0_unpack(uint w) {
    return vec4(ivec4(int(w << 24), int(w << 16), int(w << 8), int(w)) >> 24);
}

// The 4 nibbles of values i..i+3 of 32 stored as 16 bytes at `off` (value i < 16 in the low
// nibble of byte i, value i >= 16 in the high nibble of byte i - 16), unmasked.
uint q_nib_word(uint off, uint i) { return q_word(off + (i & 15u)) >> (i & 16u) / 4u; }

// IQ4_NL / IQ4_XS code book (ggml's kvalues_iq4nl), as int8 packed in 4 words: selected with
// comparisons and shifts rather than an indexed array, which CPU drivers turn into a local copy
// of the table per use (and llvmpipe's compiler then takes minutes).
const uvec4 IQ4NL_WORDS = uvec4(0xbfad9881u, 0xf6eaddcfu, 0x26190d01u, 0x71594535u);
vec4 q_iq4(uint w) {
    uvec4 n = q_bytes(w) & 15u;
    bvec4 hi = greaterThanEqual(n, uvec4(8u)), odd = notEqual(n & 4u, uvec4(0u));
    uvec4 word = mix(mix(uvec4(IQ4NL_WORDS.x), uvec4(IQ4NL_WORDS.y), odd), mix(uvec4(IQ4NL_WORDS.z), uvec4(IQ4NL_WORDS.w), odd), hi);
    return vec4(ivec4(word << (24u - 8u * (n & 3u))) >> 24);
}

// The 5th bits of values i..i+3 from a 32-bit qh (value i's is bit i), as 0 / 16.
vec4 q_hi5(uint qh, uint i) {
    uint h = qh >> i;
    return vec4(uvec4(h, h >> 1, h >> 2, h >> 3) & 1u) * 16.0;
}

// Q4_K / Q5_K: sub-block j's 6-bit scale and min from the 12 bytes at `off` (ggml's get_scale_min_k4).
vec2 q_k4_scale_min(uint off, uint j) {
    if (j < 4u) return vec2(q_byte(off + j) & 63u, q_byte(off + j + 4u) & 63u);
    uint hi = q_byte(off + j + 4u);
    return vec2((hi & 15u) | (q_byte(off + j - 4u) >> 6) << 4, (hi >> 4) | (q_byte(off + j) >> 6) << 4);
}

// Q3_K: 6-bit scale s (0..15) of the 12 bytes at `off`, minus 32.
float q_k3_scale(uint off, uint s) {
    uint lo = (q_byte(off + s % 8u) >> (s / 8u * 4u)) & 15u, hi = (q_byte(off + 8u + s % 4u) >> (s / 4u * 2u)) & 3u;
    return float(int(lo | hi << 4) - 32);
}

#if defined(VT_Q8)
#define WQ_TYPE 1
const uint WQ_QK = 32u, WQ_BYTES = 34u; // f16 d, int8 q[32]: d q
vec4 wq_params(uint blk, uint c) { float d = q_scale(blk); return vec4(d, 0.0, d, 0.0); }
vec4 wq_raw4(uint blk, uint c, uint i) { return q8_0_unpack(q_word(blk + 2u + i)); }
#elif defined(VT_Q4)
#define WQ_TYPE 1
const uint WQ_QK = 32u, WQ_BYTES = 18u; // f16 d, qs[16]: d (q - 8)
vec4 wq_params(uint blk, uint c) { float d = q_scale(blk); return vec4(d, 0.0, d, 0.0); }
vec4 wq_raw4(uint blk, uint c, uint i) { return q_nibbles(q_nib_word(blk + 2u, i)) - 8.0; }
#elif defined(VT_Q41)
#define WQ_TYPE 1
const uint WQ_QK = 32u, WQ_BYTES = 20u; // f16 d, f16 m, qs[16]: d q + m
vec4 wq_params(uint blk, uint c) { vec2 dm = vec2(q_scale(blk), q_scale(blk + 2u)); return dm.xyxy; }
vec4 wq_raw4(uint blk, uint c, uint i) { return q_nibbles(q_nib_word(blk + 4u, i)); }
#elif defined(VT_Q50)
#define WQ_TYPE 1
const uint WQ_QK = 32u, WQ_BYTES = 22u; // f16 d, qh[4], qs[16]: d (q - 16)
vec4 wq_params(uint blk, uint c) { float d = q_scale(blk); return vec4(d, 0.0, d, 0.0); }
vec4 wq_raw4(uint blk, uint c, uint i) { return q_nibbles(q_nib_word(blk + 6u, i)) + q_hi5(q_word(blk + 2u), i) - 16.0; }
#elif defined(VT_Q51)
#define WQ_TYPE 1
const uint WQ_QK = 32u, WQ_BYTES = 24u; // f16 d, f16 m, qh[4], qs[16]: d q + m
vec4 wq_params(uint blk, uint c) { vec2 dm = vec2(q_scale(blk), q_scale(blk + 2u)); return dm.xyxy; }
vec4 wq_raw4(uint blk, uint c, uint i) { return q_nibbles(q_nib_word(blk + 8u, i)) + q_hi5(q_word(blk + 4u), i); }
#elif defined(VT_IQ4NL)
#define WQ_TYPE 1
const uint WQ_QK = 32u, WQ_BYTES = 18u; // f16 d, qs[16]: d kvalues[q]
vec4 wq_params(uint blk, uint c) { float d = q_scale(blk); return vec4(d, 0.0, d, 0.0); }
vec4 wq_raw4(uint blk, uint c, uint i) { return q_iq4(q_nib_word(blk + 2u, i)); }
#elif defined(VT_IQ4XS)
#define WQ_TYPE 1
// f16 d, u16 scales_h, scales_l[4], qs[128]: chunk c is IQ4_NL with scale d (ls - 32), ls 6 bits
const uint WQ_QK = 256u, WQ_BYTES = 136u;
vec4 wq_params(uint blk, uint c) {
    uint ls = ((q_byte(blk + 4u + c / 2u) >> (c % 2u * 4u)) & 15u) | ((q_u16(blk + 2u) >> (2u * c)) & 3u) << 4;
    float a = q_scale(blk) * float(int(ls) - 32);
    return vec4(a, 0.0, a, 0.0);
}
vec4 wq_raw4(uint blk, uint c, uint i) { return q_iq4(q_nib_word(blk + 8u + 16u * c, i)); }
#elif defined(VT_Q2K)
#define WQ_TYPE 1
// scales[16] (scale | min << 4 per 16 values), qs[64], f16 d, f16 dmin: d sc q - dmin min;
// chunk c's 2-bit values are bits 2 (c % 4) of qs[32 (c / 4) ..]
const uint WQ_QK = 256u, WQ_BYTES = 84u;
vec4 wq_params(uint blk, uint c) {
    float d = q_scale(blk + 80u), dmin = q_scale(blk + 82u);
    uint s = q_u16(blk + 2u * c);
    return vec4(d * float(s & 15u), -dmin * float((s >> 4) & 15u), d * float((s >> 8) & 15u), -dmin * float(s >> 12));
}
vec4 wq_raw4(uint blk, uint c, uint i) { return vec4(q_bytes(q_word(blk + 16u + c / 4u * 32u + i) >> (c % 4u * 2u)) & 3u); }
#elif defined(VT_Q3K)
#define WQ_TYPE 1
// hmask[32], qs[64], scales[12], f16 d: d (sc - 32) (q - (high bit clear ? 4 : 0)); the 2 low
// bits as Q2_K, the high bit of value i of chunk c is bit c of hmask[i]
const uint WQ_QK = 256u, WQ_BYTES = 110u;
vec4 wq_params(uint blk, uint c) {
    float d = q_scale(blk + 108u);
    return vec4(d * q_k3_scale(blk + 96u, 2u * c), 0.0, d * q_k3_scale(blk + 96u, 2u * c + 1u), 0.0);
}
vec4 wq_raw4(uint blk, uint c, uint i) {
    vec4 lo = vec4(q_bytes(q_word(blk + 32u + c / 4u * 32u + i) >> (c % 4u * 2u)) & 3u);
    return lo + vec4(q_bytes(q_word(blk + i) >> c) & 1u) * 4.0 - 4.0;
}
#elif defined(VT_Q4K) || defined(VT_Q5K)
#define WQ_TYPE 1
// f16 d, f16 dmin, scales[12], [Q5_K: qh[32]], qs[128]: d sc q - dmin min; chunk c is the low
// (c even) or high nibbles of qs[32 (c / 2) ..]; Q5_K's 5th bit of value i is bit c of qh[i]
#ifdef VT_Q5K
const uint WQ_QK = 256u, WQ_BYTES = 176u, WQ_QS = 48u;
#else
const uint WQ_QK = 256u, WQ_BYTES = 144u, WQ_QS = 16u;
#endif
vec4 wq_params(uint blk, uint c) {
    vec2 sm = q_k4_scale_min(blk + 4u, c);
    vec2 ab = vec2(q_scale(blk) * sm.x, -q_scale(blk + 2u) * sm.y);
    return ab.xyxy;
}
vec4 wq_raw4(uint blk, uint c, uint i) {
    vec4 q = q_nibbles(q_word(blk + WQ_QS + c / 2u * 32u + i) >> (c % 2u * 4u));
#ifdef VT_Q5K
    q += vec4(q_bytes(q_word(blk + 16u + i) >> c) & 1u) * 16.0;
#endif
    return q;
}
#elif defined(VT_Q6K)
#define WQ_TYPE 1
// ql[128], qh[64], int8 scales[16], f16 d: d sc (q - 32); value i of chunk c = 4 n + t: low 4
// bits in ql[64 n + 32 (t % 2) + i] (high nibble for t >= 2), high 2 bits at bit 2 t of qh[32 n + i]
const uint WQ_QK = 256u, WQ_BYTES = 210u;
vec4 wq_params(uint blk, uint c) {
    float d = q_scale(blk + 208u);
    uint s = q_u16(blk + 192u + 2u * c);
    return vec4(d * float(int(s << 24) >> 24), 0.0, d * float(int(s << 16) >> 24), 0.0);
}
vec4 wq_raw4(uint blk, uint c, uint i) {
    uint n = c / 4u, t = c % 4u;
    uint lo = (q_word(blk + 64u * n + 32u * (t % 2u) + i) >> (t / 2u * 4u)) & 0x0f0f0f0fu;
    uint hi = (q_word(blk + 128u + 32u * n + i) >> (2u * t)) & 0x03030303u;
    return vec4(q_bytes(lo | hi << 4) & 63u) - 32.0;
}
#endif

#ifdef WQ_TYPE
// Dequantized values j..j+3 (j % 4 == 0) of the block at byte `blk`.
vec4 wq_get4(uint blk, uint j) {
    uint c = j / 32u, i = j % 32u;
    vec4 p = wq_params(blk, c);
    vec2 ab = i < 16u ? p.xy : p.zw;
    return wq_raw4(blk, c, i) * ab.x + ab.y;
}
#endif
