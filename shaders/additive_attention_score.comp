#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Additive attention, scores + masked softmax. One workgroup per (b, t) row:
//   e[i] = v . tanh(hp[b,i,:] + sp[b,t,:]),  alpha[b,t,:] = softmax over the kept keys.
// LANES threads cooperate on one key (strided over A, reduced in shared memory),
// so neighbouring threads read neighbouring elements of hp. The row is written
// to alpha as raw scores, then rewritten in place by the same threads that
// wrote each element (program order: no cross-thread buffer visibility needed).
// A row with every key masked is all zeros (never NaN).
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint LANES = 8; // power of two, divides the workgroup size

layout(std430, binding = 0) readonly buffer Hp { TS hp[]; };
layout(std430, binding = 1) readonly buffer Sp { TS sp[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) readonly buffer M { uint mask[]; }; // i32 or f32 bits
layout(std430, binding = 4) buffer Alpha { float alpha[]; };
layout(push_constant) uniform P {
    uint T_, Lk, A, mask_kind;          // mask_kind: 0 none, 1 i32, 2 f32 (nonzero = keep)
    uint hp_off, hp_sb, hp_si, hp_sa;
    uint sp_off, sp_sb, sp_st, sp_sa;
    uint v_off, v_sa, m_off, m_sb;
    uint m_si, al_off, al_sb, al_st;
    uint al_si;
} p;

shared float red[gl_WorkGroupSize.x];

const float MASKED = -3.0e38; // scores are bounded by sum |v|: this never collides

bool keep(uint b, uint i) {
    if (p.mask_kind == 0) return true;
    uint m = mask[p.m_off + b * p.m_sb + i * p.m_si];
    return p.mask_kind == 1 ? m != 0 : (m & 0x7fffffffu) != 0; // f32: -0.0 counts as 0
}

// Reduces red[] over the whole workgroup (op 0 = max, 1 = sum); all threads get the result.
float reduce_all(float x, uint op) {
    uint tid = gl_LocalInvocationID.x;
    red[tid] = x;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1) {
        if (tid < s) red[tid] = op == 0 ? max(red[tid], red[tid + s]) : red[tid] + red[tid + s];
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

void main() {
    uint row = flat_group(), b = row / p.T_, t = row % p.T_;
    uint tid = gl_LocalInvocationID.x, lane = tid % LANES, slot = tid / LANES, slots = gl_WorkGroupSize.x / LANES;
    uint sp_base = p.sp_off + b * p.sp_sb + t * p.sp_st;
    uint al_base = p.al_off + b * p.al_sb + t * p.al_st;

    // pass 1: scores; lane 0 of each slot owns its keys from here on
    float mx = MASKED;
    for (uint i0 = 0; i0 < p.Lk; i0 += slots) { // uniform loop: barriers inside are fine
        uint i = i0 + slot;
        bool kept = i < p.Lk && keep(b, i);
        float part = 0.0;
        if (kept) {
            uint hp_base = p.hp_off + b * p.hp_sb + i * p.hp_si;
            for (uint a = lane; a < p.A; a += LANES) {
                // clamped: tanh(+-15) is +-1 in f32, and some drivers' tanh overflows to NaN far out
                float x = clamp(LD(hp, hp_base + a * p.hp_sa) + LD(sp, sp_base + a * p.sp_sa), -15.0, 15.0);
                part += v[p.v_off + a * p.v_sa] * tanh(x);
            }
        }
        red[tid] = part;
        barrier();
        for (uint s = LANES / 2; s > 0; s >>= 1) {
            if (lane < s) red[tid] += red[tid + s];
            barrier();
        }
        if (lane == 0 && i < p.Lk) {
            float e = kept ? red[tid] : MASKED;
            alpha[al_base + i * p.al_si] = e;
            mx = max(mx, e);
        }
        barrier();
    }
    mx = reduce_all(mx, 0);

    // pass 2: exponentials and their sum (masked keys contribute exactly 0)
    float sum = 0.0;
    if (lane == 0)
        for (uint i = slot; i < p.Lk; i += slots) {
            float e = alpha[al_base + i * p.al_si];
            float x = e <= MASKED ? 0.0 : exp(e - mx);
            alpha[al_base + i * p.al_si] = x;
            sum += x;
        }
    sum = reduce_all(sum, 1);

    // pass 3: normalize; an all-masked row has sum 0 and stays all zeros
    float inv = sum > 0.0 ? 1.0 / sum : 0.0;
    if (lane == 0)
        for (uint i = slot; i < p.Lk; i += slots) alpha[al_base + i * p.al_si] *= inv;
}
