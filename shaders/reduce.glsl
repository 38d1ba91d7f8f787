// Workgroup-wide reductions; every invocation gets the result. Call from
// uniform control flow with the whole workgroup active. The workgroup size
// (local_size_x_id = 0) must be a power of two (the host guarantees it).
// With USE_SUBGROUP (only built into *_sg variants, used only when the device
// reports subgroup arithmetic) each subgroup reduces in registers and one
// shared slot per subgroup is combined; otherwise a shared-memory tree. Subgroups may be
// partially filled: the partials are strided over the active lanes, not gl_SubgroupSize.
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_ballot : require
// Test only ($VKATTN_TEST_IDLE_LANES): odd invocations hand their value to their even
// neighbour and sit out the subgroup operations, so CPU drivers run them on partial subgroups.
layout(constant_id = 99) const bool IDLE_LANES = false;
#endif

shared float red_f[gl_WorkGroupSize.x];
shared uint red_u[gl_WorkGroupSize.x];

#define NEG_INF uintBitsToFloat(0xff800000u)

#ifdef USE_SUBGROUP
// Every subgroup re-reduces the per-subgroup partials, so no second barrier
// is needed to broadcast; the trailing barrier protects the slots for reuse.
#define WG_REDUCE(NAME, TY, ARR, SGOP, ID, COMBINE)                                          \
    TY NAME(TY v) {                                                                         \
        uint t = gl_LocalInvocationID.x;                                                    \
        bool on = !IDLE_LANES || (t & 1u) == 0u;                                            \
        if (IDLE_LANES) {                                                                   \
            ARR[t] = v;                                                                     \
            barrier();                                                                      \
            if (on && t + 1u < gl_WorkGroupSize.x) v = COMBINE(v, ARR[t + 1u]);             \
            barrier();                                                                      \
        }                                                                                   \
        if (on) {                                                                           \
            v = SGOP(v);                                                                    \
            if (subgroupElect()) ARR[gl_SubgroupID] = v;                                    \
        }                                                                                   \
        barrier();                                                                          \
        TY r = ID;                                                                          \
        if (on) {                                                                           \
            uvec4 act = subgroupBallot(true);                                               \
            uint n = subgroupBallotBitCount(act);                                           \
            for (uint i = subgroupBallotExclusiveBitCount(act); i < gl_NumSubgroups; i += n) \
                r = COMBINE(r, ARR[i]);                                                     \
            r = SGOP(r);                                                                    \
        }                                                                                   \
        barrier();                                                                          \
        if (IDLE_LANES) {                                                                   \
            if (t == 0u) ARR[0] = r;                                                        \
            barrier();                                                                      \
            r = ARR[0];                                                                     \
            barrier();                                                                      \
        }                                                                                   \
        return r;                                                                           \
    }
#else
#define WG_REDUCE(NAME, TY, ARR, SGOP, ID, COMBINE)                              \
    TY NAME(TY v) {                                                             \
        uint t = gl_LocalInvocationID.x;                                        \
        ARR[t] = v;                                                             \
        barrier();                                                              \
        for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1) {                 \
            if (t < s) ARR[t] = COMBINE(ARR[t], ARR[t + s]);                    \
            barrier();                                                          \
        }                                                                       \
        TY r = ARR[0];                                                          \
        barrier();                                                              \
        return r;                                                               \
    }
#endif

float red_add(float a, float b) { return a + b; }
WG_REDUCE(wg_sum, float, red_f, subgroupAdd, 0.0, red_add)
WG_REDUCE(wg_max, float, red_f, subgroupMax, NEG_INF, max)
WG_REDUCE(wg_max_u, uint, red_u, subgroupMax, 0u, max)
WG_REDUCE(wg_min_u, uint, red_u, subgroupMin, 0xffffffffu, min)
