#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Top-k of each row (k <= 256), sorted descending, ties to the lower index;
// one workgroup per row, rows of any length (vocabularies):
//  1. radix select: four 8-bit histogram passes over the row's order keys find
//     the k-th largest key `thr` and how many entries equal to it are needed;
//  2. gather: entries > thr go anywhere in the first slots; entries == thr are
//     ranked in index order (contiguous chunks per invocation + a prefix sum)
//     and the lowest-index ones fill the remaining slots;
//  3. bitonic sort of the k (padded to SORT) slots by (key desc, index asc).
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint SORT = 256; // power of two >= k
layout(std430, binding = 0) readonly buffer X { TS x[]; };
layout(std430, binding = 1) WO buffer V { TS vals[]; };
layout(std430, binding = 2) writeonly buffer I { int idx[]; };
layout(push_constant) uniform P {
    uvec4 shape; // [d0, d1, d2, V]
    uvec4 xs;
    uint x_off, v_off, i_off, rows;
    uint k, has_vals;
    uint row0; // first row of this dispatch (rows run in chunks when tensors exceed one binding)
} p;

#include "index.glsl"
#include "select.glsl"

shared uint hist[256];
shared uint s_key[SORT], s_idx[SORT];
shared uint s_scan[gl_WorkGroupSize.x];
shared uint s_prefix, s_need, s_gt;

uint key_at(uint xb, uint i) { return float_key(LD(x, xb + i * p.xs.w)); }

void main() {
    uint row = p.row0 + flat_group();
    if (row >= p.rows) return; // whole workgroup
    uint xb = p.x_off + row_offset(row, p.shape, p.xs), t = gl_LocalInvocationID.x, WG = gl_WorkGroupSize.x;
    uint n = p.shape.w;

    // 1. radix select, most significant byte first
    uint prefix = 0u, mask = 0u, need = p.k;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (uint b = t; b < 256u; b += WG) hist[b] = 0u;
        barrier();
        for (uint i = t; i < n; i += WG) {
            uint key = key_at(xb, i);
            if ((key & mask) == prefix) atomicAdd(hist[(key >> uint(shift)) & 255u], 1u);
        }
        barrier();
        if (t == 0u) { // the bin holding the need-th largest of the candidates
            uint above = 0u, b = 255u;
            for (;; b--) {
                if (above + hist[b] >= need || b == 0u) break;
                above += hist[b];
            }
            s_prefix = prefix | (b << uint(shift));
            s_need = need - above;
        }
        barrier();
        prefix = s_prefix;
        need = s_need;
        mask |= 255u << uint(shift);
        barrier(); // s_prefix / s_need are rewritten by the next pass
    }
    uint thr = prefix, n_gt = p.k - need;

    // 2. gather: chunks in index order so the ties' ranks follow the index
    uint chunk = (n + WG - 1u) / WG, lo = min(t * chunk, n), hi = min(lo + chunk, n), eq = 0u;
    for (uint i = lo; i < hi; i++) eq += key_at(xb, i) == thr ? 1u : 0u;
    s_scan[t] = eq;
    if (t == 0u) s_gt = 0u;
    barrier();
    if (t == 0u) { // exclusive prefix sum over the workgroup (<= 256 entries)
        uint sum = 0u;
        for (uint j = 0u; j < WG; j++) {
            uint c = s_scan[j];
            s_scan[j] = sum;
            sum += c;
        }
    }
    barrier();
    uint rank = s_scan[t];
    for (uint i = lo; i < hi; i++) {
        uint key = key_at(xb, i);
        if (key > thr) {
            uint slot = atomicAdd(s_gt, 1u);
            s_key[slot] = key;
            s_idx[slot] = i;
        } else if (key == thr) {
            if (rank < need) {
                s_key[n_gt + rank] = key;
                s_idx[n_gt + rank] = i;
            }
            rank++;
        }
    }
    for (uint i = p.k + t; i < SORT; i += WG) { // padding sorts last
        s_key[i] = 0u;
        s_idx[i] = 0xffffffffu;
    }
    barrier();

    // 3. bitonic sort, descending by key, ascending by index
    for (uint size = 2u; size <= SORT; size <<= 1) {
        for (uint stride = size >> 1; stride > 0u; stride >>= 1) {
            for (uint i = t; i < SORT; i += WG) {
                uint j = i ^ stride;
                if (j > i) {
                    uint ki = s_key[i], kj = s_key[j], ii = s_idx[i], ij = s_idx[j];
                    bool i_first = ki > kj || (ki == kj && ii < ij);
                    if (((i & size) == 0u) != i_first) {
                        s_key[i] = kj;
                        s_key[j] = ki;
                        s_idx[i] = ij;
                        s_idx[j] = ii;
                    }
                }
            }
            barrier();
        }
    }

    for (uint i = t; i < p.k; i += WG) {
        uint at = s_idx[i];
        idx[p.i_off + row * p.k + i] = int(at);
        if (p.has_vals != 0u) ST(vals, p.v_off + row * p.k + i, LD(x, xb + at * p.xs.w));
    }
}
