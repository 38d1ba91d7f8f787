#version 450
#extension GL_GOOGLE_include_directive : require
// The masked row softmax of 3-pass attention, in place on a chunk of f32 scores
// (already scaled): x = softcap(s) + mask over the keys row i sees (kv_len, causal, window), then
// p = exp(x - max) / sum; every other entry becomes 0. Numerically stable (max
// subtracted; a row with every key masked gives zeros, never NaN). TPR invocations
// share a row (reductions in shared memory; TPR = 1 on CPU drivers: no barriers).
#include "common.glsl"
#include "act.glsl"

layout(local_size_x_id = 0) in;            // = TPR * rows per workgroup
layout(constant_id = 1) const uint TPR = 1; // invocations per row
layout(constant_id = 2) const float SOFTCAP = 0.0; // score soft-capping cap * tanh(s / cap) (0 = none)

layout(std430, binding = 0) buffer Sb { float sbuf[]; };
layout(std430, binding = 1) readonly buffer Mb { float mbuf[]; };
layout(std430, binding = 2) readonly buffer KLb { int kvlen[]; };
layout(push_constant) uniform P {
    uvec4 m_st;                 // mask strides: batch, head, query, key
    uint m_off, s_off, M, Lk;   // scores of the chunk at s_off + ((s - s0) * M + (i - row0)) * Lk + j
    uint Lq, row0, s0, Hq;
    int shift;                  // Lk - Lq
    uint flags, kv_off;         // 1 causal, 2 mask, 4 kv_len; flags >> 8: sliding window (0 = none)
} p;

float soft_cap(float x) { return SOFTCAP > 0.0 ? SOFTCAP * tanh_stable(x / SOFTCAP) : x; }

shared float red[TPR > 1 ? gl_WorkGroupSize.x : 1];

float reduce(float x, bool is_max) {
    if (TPR == 1) return x;
    uint lid = gl_LocalInvocationID.x, base = lid - lid % TPR;
    red[lid] = x;
    barrier();
    for (uint w = TPR / 2; w > 0; w /= 2) {
        if (lid % TPR < w) red[lid] = is_max ? max(red[lid], red[lid + w]) : red[lid] + red[lid + w];
        barrier();
    }
    float r = red[base];
    barrier();
    return r;
}

void main() {
    uint rpw = gl_WorkGroupSize.x / TPR, t = gl_LocalInvocationID.x % TPR;
    uint local = gl_WorkGroupID.x * rpw + gl_LocalInvocationID.x / TPR;
    uint z = gl_WorkGroupID.z, s = p.s0 + z, b = s / p.Hq, h = s % p.Hq;
    bool live = local < p.M; // rows past the chunk still join the barriers
    uint i = p.row0 + min(local, p.M - 1);
    int lim = int(p.Lk);
    if ((p.flags & 4u) != 0) lim = clamp(kvlen[p.kv_off + b], 0, lim);
    if ((p.flags & 1u) != 0) lim = min(lim, int(i) + p.shift + 1);
    lim = max(lim, 0);
    uint w = p.flags >> 8; // sliding window: keys j > i + Lk - Lq - w
    int first = w != 0u ? max(0, int(i) + p.shift - int(w) + 1) : 0;
    uint sbase = p.s_off + (z * p.M + min(local, p.M - 1)) * p.Lk;
    uint mbase = p.m_off + b * p.m_st.x + h * p.m_st.y + i * p.m_st.z;
    float mx = -1.7014117e38;
    for (uint j = uint(first) + t; int(j) < lim; j += TPR) {
        float x = soft_cap(sbuf[sbase + j]);
        if ((p.flags & 2u) != 0) x += mbuf[mbase + j * p.m_st.w];
        if (live) sbuf[sbase + j] = x;
        mx = max(mx, x);
    }
    mx = reduce(mx, true);
    float sum = 0.0;
    for (uint j = uint(first) + t; int(j) < lim; j += TPR) sum += exp(sbuf[sbase + j] - mx);
    sum = reduce(sum, false);
    float inv = sum > 0.0 ? 1.0 / sum : 0.0;
    if (!live) return;
    for (uint j = t; j < p.Lk; j += TPR)
        sbuf[sbase + j] = int(j) < lim && int(j) >= first ? exp(sbuf[sbase + j] - mx) * inv : 0.0;
}
