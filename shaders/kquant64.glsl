// Q2_K .. Q6_K and IQ4_XS read as 64-bit words, half a super-block (128 values) at a time: gemm_ks's
// wide path for one row of x per workgroup row (QG). Layouts as in quant.glsl; needs `wq64` (the
// weights as uint64_t) beside quant.glsl's `wq`, a binding that starts 8-byte aligned, and for
// Q4_K / Q5_K / IQ4_XS (whose blocks are whole words) a block at a multiple of 8 bytes. Q2_K,
// Q3_K and Q6_K blocks (84, 110, 210 bytes) start at any even offset: their runs are read one
// word longer and shifted into place, their scales at the block's end through the 32-bit view.
//
// kq_load reads half h of the block at byte `blk` into w[KQ_WORDS]; kq_scales gives, per group
// s of 16 values, a[s / 4][s % 4] and b[s / 4][s % 4] with value = raw * a + b; kq_raw4 gives
// the raw values 16 s + 4 i .. + 3 of the half (every index but blk and h known when compiling).
#if defined(VT_Q2K) || defined(VT_Q3K) || defined(VT_Q4K) || defined(VT_Q5K) || defined(VT_Q6K) || defined(VT_IQ4XS)
#define KQ_WIDE 1

// a's bytes from byte o8 / 8 on, then b's: the 64-bit word at an even byte offset (o8 < 64)
uint64_t kq_shift(uint64_t a, uint64_t b, uint o8) { return (a >> o8) | ((b << (63u - o8)) << 1u); }

// The 32 bytes at the even byte `off` as 4 words: the words holding them (a fifth only when off
// is not 8-byte aligned: never a word past the run's last byte), shifted into place.
void kq_run4(uint off, out uint64_t v[4]) {
    uint o8 = off % 8u * 8u, base = off / 8u;
    uint64_t r[5];
    [[unroll]] for (uint t = 0u; t < 4u; t++) r[t] = wq64[base + t];
    r[4] = wq64[base + 3u + uint(o8 != 0u)];
    [[unroll]] for (uint t = 0u; t < 4u; t++) v[t] = kq_shift(r[t], r[t + 1u], o8);
}

// The sub-blocks' scales (d sc) and offsets (-dmin m) of half h, ggml's get_scale_min_k4 for
// sub-blocks 4 h .. 4 h + 3, from the first two words (f16 d, f16 dmin, scales[12]).
void kq_k4_scales(uint64_t w0, uint64_t w1, uint h, out vec4 a[2], out vec4 b[2]) {
    uvec4 s0 = q_bytes(uint(w0 >> 32)) & 255u, s1 = q_bytes(uint(w1)) & 255u, s2 = q_bytes(uint(w1 >> 32)) & 255u;
    uvec4 sc = h == 0u ? s0 & 63u : (s2 & 15u) | (s0 >> 6) << 4;
    uvec4 mn = h == 0u ? s1 & 63u : (s2 >> 4) | (s1 >> 6) << 4;
    vec2 dm = unpackHalf2x16(uint(w0));
    vec4 ac = dm.x * vec4(sc), bc = -dm.y * vec4(mn);
    a[0] = ac.xxyy, a[1] = ac.zzww, b[0] = bc.xxyy, b[1] = bc.zzww;
}

#if defined(VT_Q2K)
const uint KQ_WORDS = 4u; // qs of the half
void kq_load(uint blk, uint h, out uint64_t w[KQ_WORDS]) { kq_run4(blk + 16u + 32u * h, w); }
// scales[8 h + s] = sc | mn << 4 (bytes 8 h .. of the block), f16 d and dmin at 80: a = d sc, b = -dmin mn
void kq_scales(uint blk, uint h, uint64_t w[KQ_WORDS], out vec4 a[2], out vec4 b[2]) {
    vec2 dm = unpackHalf2x16(q_word(blk + 80u));
    uvec4 s0 = q_bytes(q_word(blk + 8u * h)), s1 = q_bytes(q_word(blk + 8u * h + 4u));
    a[0] = dm.x * vec4(s0 & 15u), a[1] = dm.x * vec4(s1 & 15u);
    b[0] = -dm.y * vec4((s0 >> 4) & 15u), b[1] = -dm.y * vec4((s1 >> 4) & 15u);
}
// value l of chunk c = s / 2 of the half: bits 2 c of qs[32 h + l]
vec4 kq_raw4(uint64_t w[KQ_WORDS], uint h, uint s, uint i) {
    uint c = s / 2u, l = 16u * (s % 2u) + 4u * i;
    return vec4(q_bytes(uint(w[l / 8u] >> (l % 8u * 8u)) >> (2u * c)) & 3u);
}
#elif defined(VT_Q3K)
const uint KQ_WORDS = 8u; // hmask (4: the whole block's), qs of the half (4)
void kq_load(uint blk, uint h, out uint64_t w[KQ_WORDS]) {
    uint64_t hm[4], qs[4];
    kq_run4(blk, hm);
    kq_run4(blk + 32u + 32u * h, qs);
    [[unroll]] for (uint t = 0u; t < 4u; t++) w[t] = hm[t], w[4u + t] = qs[t];
}
// 6-bit scale 8 h + s (quant.glsl's q_k3_scale): low 4 bits in nibble h of scales[s], high 2 bits at
// bit 2 (2 h + s / 4) of scales[8 + s % 4]; a = d (scale - 32), b = -4 a (raw has the high bit as +4)
void kq_scales(uint blk, uint h, uint64_t w[KQ_WORDS], out vec4 a[2], out vec4 b[2]) {
    float d = q_scale(blk + 108u);
    uint hi = q_word(blk + 104u) >> (4u * h);
    uvec4 l0 = q_bytes(q_word(blk + 96u) >> (4u * h)) & 15u, l1 = q_bytes(q_word(blk + 100u) >> (4u * h)) & 15u;
    a[0] = d * (vec4(l0 | (q_bytes(hi) & 3u) << 4) - 32.0);
    a[1] = d * (vec4(l1 | (q_bytes(hi >> 2) & 3u) << 4) - 32.0);
    b[0] = -4.0 * a[0], b[1] = -4.0 * a[1];
}
// value l of chunk c = s / 2 of the half: low 2 bits at bit 2 c of qs[32 h + l], high bit at bit
// 4 h + c of hmask[l]
vec4 kq_raw4(uint64_t w[KQ_WORDS], uint h, uint s, uint i) {
    uint c = s / 2u, l = 16u * (s % 2u) + 4u * i;
    uint lo = (uint(w[4u + l / 8u] >> (l % 8u * 8u)) >> (2u * c)) & 0x03030303u;
    uint hb = (uint(w[l / 8u] >> (l % 8u * 8u)) >> (4u * h + c)) & 0x01010101u;
    return vec4(q_bytes(lo | hb << 2) & 7u);
}
#elif defined(VT_Q4K)
const uint KQ_WORDS = 10u; // d/dmin/scales (2), qs of the half (8)
void kq_load(uint blk, uint h, out uint64_t w[KQ_WORDS]) {
    uint base = blk / 8u;
    w[0] = wq64[base], w[1] = wq64[base + 1u];
    [[unroll]] for (uint t = 0u; t < 8u; t++) w[2u + t] = wq64[base + 2u + 8u * h + t];
}
void kq_scales(uint blk, uint h, uint64_t w[KQ_WORDS], out vec4 a[2], out vec4 b[2]) { kq_k4_scales(w[0], w[1], h, a, b); }
// chunk c = s / 2 of the half: the low (c even) or high nibbles of the 32 bytes of pair c / 2
vec4 kq_raw4(uint64_t w[KQ_WORDS], uint h, uint s, uint i) {
    uint c = s / 2u, l = 16u * (s % 2u) + 4u * i;
    return q_nibbles(uint(w[2u + c / 2u * 4u + l / 8u] >> (l % 8u * 8u)) >> (c % 2u * 4u));
}
#elif defined(VT_Q5K)
const uint KQ_WORDS = 14u; // d/dmin/scales (2), qh (4: the whole block's), qs of the half (8)
void kq_load(uint blk, uint h, out uint64_t w[KQ_WORDS]) {
    uint base = blk / 8u;
    [[unroll]] for (uint t = 0u; t < 6u; t++) w[t] = wq64[base + t];
    [[unroll]] for (uint t = 0u; t < 8u; t++) w[6u + t] = wq64[base + 6u + 8u * h + t];
}
void kq_scales(uint blk, uint h, uint64_t w[KQ_WORDS], out vec4 a[2], out vec4 b[2]) { kq_k4_scales(w[0], w[1], h, a, b); }
// as Q4_K, plus the 5th bit of value l of sub-block 4 h + c: bit 4 h + c of qh[l]
vec4 kq_raw4(uint64_t w[KQ_WORDS], uint h, uint s, uint i) {
    uint c = s / 2u, l = 16u * (s % 2u) + 4u * i;
    vec4 q = q_nibbles(uint(w[6u + c / 2u * 4u + l / 8u] >> (l % 8u * 8u)) >> (c % 2u * 4u));
    return q + vec4(q_bytes(uint(w[2u + l / 8u] >> (l % 8u * 8u)) >> (4u * h + c)) & 1u) * 16.0;
}
#elif defined(VT_IQ4XS)
const uint KQ_WORDS = 9u; // d/scales_h/scales_l (1), qs of the half (8)
void kq_load(uint blk, uint h, out uint64_t w[KQ_WORDS]) {
    uint base = blk / 8u;
    w[0] = wq64[base];
    [[unroll]] for (uint t = 0u; t < 8u; t++) w[1u + t] = wq64[base + 1u + 8u * h + t];
}
// sub-block 4 h + c: d (ls - 32), ls = 4 bits of scales_l[(4 h + c) / 2] | 2 bits of scales_h << 4
void kq_scales(uint blk, uint h, uint64_t w[KQ_WORDS], out vec4 a[2], out vec4 b[2]) {
    uint sh = uint(w[0]) >> (16u + 8u * h), sl = uint(w[0] >> 32) >> (16u * h);
    uvec4 ls = (uvec4(sl, sl >> 4, sl >> 8, sl >> 12) & 15u) | (uvec4(sh, sh >> 2, sh >> 4, sh >> 6) & 3u) << 4;
    vec4 ac = unpackHalf2x16(uint(w[0])).x * (vec4(ls) - 32.0);
    a[0] = ac.xxyy, a[1] = ac.zzww, b[0] = vec4(0.0), b[1] = vec4(0.0);
}
// chunk c = s / 2 of the half is IQ4_NL's 16 bytes qs[16 c ..]: low nibbles first, then high
vec4 kq_raw4(uint64_t w[KQ_WORDS], uint h, uint s, uint i) {
    uint c = s / 2u;
    return q_iq4(uint(w[1u + 2u * c + i / 2u] >> (i % 2u * 32u)) >> (s % 2u * 4u));
}
#else
const uint KQ_WORDS = 12u; // ql of the half (8), qh of the half (4)
void kq_load(uint blk, uint h, out uint64_t w[KQ_WORDS]) {
    // both runs start at the block's offset mod 8; the word after each run is still in the block
    uint o8 = blk % 8u * 8u, ql = (blk + 64u * h) / 8u, qh = (blk + 128u + 32u * h) / 8u;
    uint64_t r[13];
    [[unroll]] for (uint t = 0u; t < 9u; t++) r[t] = wq64[ql + t];
    [[unroll]] for (uint t = 0u; t < 4u; t++) r[9u + t] = wq64[qh + t];
    [[unroll]] for (uint t = 0u; t < 8u; t++) w[t] = kq_shift(r[t], r[t + 1u], o8);
    uint64_t last = wq64[qh + 4u];
    [[unroll]] for (uint t = 0u; t < 4u; t++) w[8u + t] = kq_shift(r[9u + t], t < 3u ? r[10u + t] : last, o8);
}
// int8 scales[16] at 192 and f16 d at 208, through the 32-bit view: at the block's end, a 64-bit
// word could reach past it (and past the binding)
void kq_scales(uint blk, uint h, uint64_t w[KQ_WORDS], out vec4 a[2], out vec4 b[2]) {
    float d = q_scale(blk + 208u);
    a[0] = d * q8_0_unpack(q_word(blk + 192u + 8u * h));
    a[1] = d * q8_0_unpack(q_word(blk + 196u + 8u * h));
    b[0] = -32.0 * a[0], b[1] = -32.0 * a[1];
}
// value l of chunk c = s / 2: low 4 bits in ql[32 (c % 2) + l] (high nibble for c >= 2), high 2
// bits at bit 2 c of qh[l]
vec4 kq_raw4(uint64_t w[KQ_WORDS], uint h, uint s, uint i) {
    uint c = s / 2u, l = 16u * (s % 2u) + 4u * i, lq = 32u * (c % 2u) + l;
    uint lo = (uint(w[lq / 8u] >> (lq % 8u * 8u)) >> (c / 2u * 4u)) & 0x0f0f0f0fu;
    uint hi = (uint(w[8u + l / 8u] >> (l % 8u * 8u)) >> (2u * c)) & 0x03030303u;
    return vec4(q_bytes(lo | hi << 4) & 63u);
}
#endif
#endif
