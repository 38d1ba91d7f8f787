// Workgroup-wide reductions; every invocation gets the result. Call from
// uniform control flow with the whole workgroup active. The workgroup size
// (local_size_x_id = 0) must be a power of two (the host guarantees it).
// With USE_SUBGROUP (only built into *_sg variants, used only when the device
// reports subgroup arithmetic) each subgroup reduces in registers and one
// shared slot per subgroup is combined; otherwise a shared-memory tree.
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

shared float red_f[gl_WorkGroupSize.x];
shared uint red_u[gl_WorkGroupSize.x];

#define NEG_INF uintBitsToFloat(0xff800000u)

#ifdef USE_SUBGROUP
// Every subgroup re-reduces the per-subgroup partials, so no second barrier
// is needed to broadcast; the trailing barrier protects the slots for reuse.
#define WG_REDUCE(NAME, TY, ARR, SGOP, ID, COMBINE)                                         \
    TY NAME(TY v) {                                                                        \
        v = SGOP(v);                                                                       \
        if (subgroupElect()) ARR[gl_SubgroupID] = v;                                       \
        barrier();                                                                         \
        TY r = ID;                                                                         \
        for (uint i = gl_SubgroupInvocationID; i < gl_NumSubgroups; i += gl_SubgroupSize) \
            r = COMBINE(r, ARR[i]);                                                        \
        r = SGOP(r);                                                                       \
        barrier();                                                                         \
        return r;                                                                          \
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
