/* Host-only: the device-dependent choices, made by pure functions, on the memory properties
 * and device infos of real GPUs that CI has none of: memory placement (memory.c), the GEMM
 * kernel (linear.c's vkattn__gemm_pick), the required subgroup size and the limit checks
 * (pipeline.c), the attention implementation (attention.h) and decode's kernel (attention_decode_lanes.c).
 *
 * The devices: memory layouts and limits as their drivers report them, each with its source
 * (checked against published vulkaninfo output and the Mesa drivers' code, see the comments at
 * each device), plus one device at the Vulkan spec's minimum limits. Where a value could not be
 * checked it says so; the choices tested here depend only on thresholds (>= 9 storage buffers,
 * 128 bytes of push constants, 256 invocations in x, shaderInt64, subgroup arithmetic and size
 * control, the shared memory a GEMM tile needs), which those values clear by far.
 */
#include "harness.h"
#include "core/core.h"
#include "ops/attention.h"
#include "ops/linear.h"

#include <string.h>

#define GIB (1024ull * 1024ull * 1024ull)
#define MIB (1024ull * 1024ull)

enum {
    DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
    HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
    HC = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
    CA = VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
    LZ = VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT,
    DC = VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD,
    DU = VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD,
};

typedef struct {
    const char *name;
    vkattn_device_type type;
    uint64_t heaps[4];       /* sizes; heap i is device-local when its bit is in dl_heaps */
    uint32_t dl_heaps;
    uint32_t types[2][12];   /* {flags...}, {heap...}; ends at the first flags == 0xffff */
    uint32_t bits;           /* memoryTypeBits of a storage buffer */
    uint32_t want_tensor, want_staging;
    int want_unified;
} mem_case;

#define END 0xffff
static const mem_case mem_cases[] = {
    /* NVIDIA's layout, type for type: github.com/stolk/MinimalVulkanCompute README (an RTX 3070: 5 types,
     * 3 heaps, the DL|HV|HC type on a 246 MiB BAR heap); the same 3 heaps / 5 types on an RTX 5080
     * (KhronosGroup/Vulkan-ValidationLayers#9499). */
    {"NVIDIA GeForce RTX 3070 (no resizable BAR: 256 MiB BAR heap)", VKATTN_DEVICE_DISCRETE, {8 * GIB, 24 * GIB, 246 * MIB}, 0x5,
     {{0, DL, HV | HC, HV | HC | CA, DL | HV | HC, END}, {1, 0, 1, 1, 2}}, 0x1f, 1, 3, 0},
    /* With resizable BAR NVIDIA keeps that layout and the BAR heap grows to all of VRAM ("8 GB of coherent
     * memory" on a 3070: GPUOpen VulkanMemoryAllocator#390; an 8 GiB DL|HV|HC heap on a 3060 Ti:
     * dust-engine/dust#11). */
    {"NVIDIA GeForce RTX 4090 (resizable BAR: the BAR heap spans VRAM)", VKATTN_DEVICE_DISCRETE, {24 * GIB, 64 * GIB, 24 * GIB}, 0x5,
     {{0, DL, HV | HC, HV | HC | CA, DL | HV | HC, END}, {1, 0, 1, 1, 2}}, 0x1f, 1, 3, 0},
    /* RADV (Mesa radv_physical_device_init_mem_types): with all VRAM CPU-visible (Smart Access Memory) the
     * heaps are GTT then VRAM; types DL, DL(32-bit), HV|HC, DL|HV|HC, DL|HV|HC(32-bit), HV|HC|CA,
     * HV|HC|CA(32-bit), then on GFX9+ (has_l2_uncached) the non-32-bit ones again with DEVICE_COHERENT |
     * DEVICE_UNCACHED: 11 types, as the RADV listing in stolk/MinimalVulkanCompute's README shows. A buffer's
     * memoryTypeBits exclude the 32-bit types (radv_get_buffer_memory_requirements): 0x7ad. */
    {"AMD Radeon RX 6800 XT (RADV, Smart Access Memory: GTT + one VRAM heap, device-coherent types)",
     VKATTN_DEVICE_DISCRETE, {32 * GIB, 16 * GIB}, 0x2,
     {{DL, DL, HV | HC, DL | HV | HC, DL | HV | HC, HV | HC | CA, HV | HC | CA, DL | DC | DU, HV | HC | DC | DU,
       DL | HV | HC | DC | DU, HV | HC | CA | DC | DU, END},
      {1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0}}, 0x7ad, 0, 5, 0},
    {"AMD Radeon RX 6800 XT, host-cached type 5 not allowed for the buffer: skip the device-coherent cached one",
     VKATTN_DEVICE_DISCRETE, {32 * GIB, 16 * GIB}, 0x2,
     {{DL, DL, HV | HC, DL | HV | HC, DL | HV | HC, HV | HC | CA, HV | HC | CA, DL | DC | DU, HV | HC | DC | DU,
       DL | HV | HC | DC | DU, HV | HC | CA | DC | DU, END},
      {1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0}}, 0x78d, 0, 2, 0},
    /* ANV on an LLC part: one heap, one type (an Intel Xe TGL GT2 in stolk/MinimalVulkanCompute's README) */
    {"Intel UHD Graphics 630 (ANV: one heap, one type)", VKATTN_DEVICE_INTEGRATED, {12 * GIB}, 0x1,
     {{DL | HV | HC | CA, END}, {0}}, 0x1, 0, 0, 1},
    /* Adreno and Mali: type lists as transcribed from vulkan.gpuinfo.org reports (not re-checked here) */
    {"Adreno 640 (Qualcomm)", VKATTN_DEVICE_INTEGRATED, {4 * GIB}, 0x1,
     {{DL, DL | HV | HC, DL | HV | CA, DL | HV | HC | CA, DL | LZ, END}, {0, 0, 0, 0, 0}}, 0x1f, 3, 3, 1},
    {"Adreno 640 without a coherent cached type: skip the non-coherent one", VKATTN_DEVICE_INTEGRATED, {4 * GIB}, 0x1,
     {{DL, DL | HV | HC, DL | HV | CA, DL | LZ, END}, {0, 0, 0, 0}}, 0xf, 1, 1, 1},
    {"Mali-G78 (Arm)", VKATTN_DEVICE_INTEGRATED, {8 * GIB}, 0x1,
     {{DL | HV | HC, DL | HV | HC | CA, DL | LZ, END}, {0, 0, 0}}, 0x7, 1, 1, 1},
    {"llvmpipe (lavapipe)", VKATTN_DEVICE_CPU, {16 * GIB}, 0x1, {{DL | HV | HC | CA, END}, {0}}, 0x1, 0, 0, 1},
};

static void test_memory(void) {
    for (size_t i = 0; i < sizeof mem_cases / sizeof mem_cases[0]; i++) {
        const mem_case *c = &mem_cases[i];
        VkPhysicalDeviceMemoryProperties mp;
        memset(&mp, 0, sizeof mp);
        for (uint32_t h = 0; h < 4 && c->heaps[h]; h++) {
            mp.memoryHeaps[h].size = c->heaps[h];
            mp.memoryHeaps[h].flags = (c->dl_heaps >> h & 1) ? VK_MEMORY_HEAP_DEVICE_LOCAL_BIT : 0;
            mp.memoryHeapCount = h + 1;
        }
        for (uint32_t t = 0; t < 12 && c->types[0][t] != END; t++) {
            mp.memoryTypes[t].propertyFlags = c->types[0][t];
            mp.memoryTypes[t].heapIndex = c->types[1][t];
            mp.memoryTypeCount = t + 1;
        }
        vkattn__memory_plan plan;
        CHECK(vkattn__plan_memory(c->type, &mp, c->bits, &plan), "%s: no plan", c->name);
        CHECK(plan.tensor_type == c->want_tensor && plan.staging_type == c->want_staging && plan.unified == c->want_unified,
              "%s: tensors in type %u, staging %u, unified %d; want %u, %u, %d", c->name, plan.tensor_type,
              plan.staging_type, plan.unified, c->want_tensor, c->want_staging, c->want_unified);
        /* what the plan picks never has a flag to avoid, and staging is always coherent */
        VkMemoryPropertyFlags tf = mp.memoryTypes[plan.tensor_type].propertyFlags,
                              sf = mp.memoryTypes[plan.staging_type].propertyFlags;
        CHECK(!(tf & (DC | DU | LZ)) && !(sf & (DC | DU | LZ)) && (sf & (HV | HC)) == (HV | HC), "%s: flags %x / %x",
              c->name, tf, sf);
    }
    VkPhysicalDeviceMemoryProperties none;
    memset(&none, 0, sizeof none);
    vkattn__memory_plan plan;
    CHECK(!vkattn__plan_memory(VKATTN_DEVICE_DISCRETE, &none, ~0u, &plan), "no memory types: no plan");
}

/* ---- device infos --------------------------------------------------------------------- */

static vkattn_device_info dev(const char *name, vkattn_device_type type, uint32_t sg, uint32_t sg_min, uint32_t sg_max,
                              int int64, int arith, uint32_t invocations, uint32_t wg_x, uint32_t shared,
                              uint32_t push, uint32_t storage_buffers, uint32_t wg_subgroups) {
    vkattn_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "%s", name);
    d.type = type;
    d.subgroup_size = sg;
    d.subgroup_min = sg_min;
    d.subgroup_max = sg_max;
    d.subgroup_size_control = sg_min != sg_max || wg_subgroups != 0;
    d.full_subgroups = d.subgroup_size_control;
    d.max_workgroup_subgroups = wg_subgroups;
    d.shader_int64 = int64;
    d.subgroup_arithmetic = arith;
    d.max_workgroup_invocations = invocations;
    d.max_workgroup_size[0] = wg_x;
    d.max_workgroup_size[1] = wg_x;
    d.max_workgroup_size[2] = 64;
    d.shared_memory_bytes = shared;
    d.max_push_constants = push;
    d.max_storage_buffers = storage_buffers;
    return d;
}

typedef struct {
    const char *kernel_m1, *kernel_m64; /* device's choice for M = 1 and M = 64 */
    uint32_t sg_m1, required_m1;        /* gemm_ks: planned and required subgroup size (0 = none) */
} gemm_want;

static void check_profile(const vkattn_device_info *d, uint32_t M, const char *force, const char *want) {
    vkattn__gemm_profile g;
    CHECK(vkattn__gemm_pick(d, M, force, &g), "%s: M=%u force %s refused", d->name, M, force ? force : "-");
    CHECK(strcmp(g.shader, want) == 0, "%s: M=%u force %s: %s, want %s", d->name, M, force ? force : "-", g.shader, want);
    char why[256];
    CHECK(vkattn__limits_ok(d, 4, g.wg, 36, why, sizeof why), "%s: %s workgroup %u: %s", d->name, g.shader, g.wg, why);
    CHECK(g.tile_n > 0 && g.tile_m > 0 && g.wg > 0, "%s: empty tile", d->name);
    if (!strcmp(g.shader, "gemm_ks")) CHECK(g.wg % g.sg == 0, "%s: gemm_ks workgroup %u not whole subgroups of %u", d->name, g.wg, g.sg);
    if (!strcmp(g.shader, "gemm_tiled")) /* f32 tiles, rows padded by (32 / bk) mod 8 words */
        CHECK((uint64_t)(g.tile_m + g.tile_n + 2 * (32 / g.bk % 8)) * g.bk * 4 <= d->shared_memory_bytes,
              "%s: tiled over shared memory", d->name);
}

/* The GPU-shaped decode (attention_decode_lanes.c) for a GQA group of 8 query rows: taken by
 * default on GPU device types only, forced by VKATTN_ATTN_KV=tiles anywhere, never with direct;
 * its workgroup, tile of keys, rows per workgroup and shared bytes at D = Dv = 128 and 256. */
typedef struct {
    int by_default;
    uint32_t wg, bc128, rows128, shared128, bc256, rows256, shared256;
} lanes_want;

static void check_decode_lanes(const vkattn_device_info *d, const lanes_want *w) {
    attn_lanes_plan p;
    CHECK(attn_decode_lanes_pick(d, ATTN_KV_AUTO, 128, 128, 8, &p) == w->by_default, "%s: decode lanes by default", d->name);
    CHECK(attn_decode_lanes_pick(d, ATTN_KV_SHARED, 128, 128, 8, &p) == w->by_default, "%s: decode lanes (shared)", d->name);
    CHECK(!attn_decode_lanes_pick(d, ATTN_KV_DIRECT, 128, 128, 8, &p), "%s: direct keeps the per-invocation decode", d->name);
    const uint32_t dims[2] = {128, 256}, bc[2] = {w->bc128, w->bc256}, rows[2] = {w->rows128, w->rows256},
                   shared[2] = {w->shared128, w->shared256};
    for (int i = 0; i < 2; i++) {
        CHECK(attn_decode_lanes_pick(d, ATTN_KV_TILES, dims[i], dims[i], 8, &p), "%s: tiles D %u refused", d->name, dims[i]);
        CHECK(p.wg == w->wg && p.bc == bc[i] && p.rows == rows[i] && p.shared_bytes == shared[i],
              "%s: D %u: wg %u bc %u rows %u shared %u, want %u %u %u %u", d->name, dims[i], p.wg, p.bc, p.rows, p.shared_bytes,
              w->wg, bc[i], rows[i], shared[i]);
        char why[256];
        CHECK(p.shared_bytes <= d->shared_memory_bytes && p.wg % p.bc == 0, "%s: D %u over shared memory", d->name, dims[i]);
        CHECK(vkattn__limits_ok(d, 6, p.wg, 128, why, sizeof why) == (d->max_storage_buffers >= 6), "%s: %s", d->name, why);
    }
    /* a group of 2 rows and odd head dims */
    CHECK(attn_decode_lanes_pick(d, ATTN_KV_TILES, 33, 17, 2, &p) && p.rows == 2, "%s: D 33 / Dv 17, 2 rows", d->name);
}

/* GPU-shaped flash (attn_tiles_pick): every device here has a tile for every head dim, within
 * 16 KiB of shared memory and its workgroup limits, at most 16 q and 16 output floats per lane;
 * GPUs take it by default, CPU drivers and unknown device types keep attention_flash. Every
 * device here allows 128 invocations and 16 KiB, so the plan is the same on all of them
 * (docs/gpu-next.md: the budget per vendor). */
static void check_flash_tiles(const vkattn_device_info *d) {
    static const uint32_t dims[][2] = {{40, 40}, {64, 64}, {128, 128}, {256, 256}, {128, 64}, {33, 17}};
    /* D = Dv = 64, 128, 256: br, lanes, bc, wg, shared bytes */
    static const attn_tiles_plan want[3] = {{32, 16, 4, 128, 14336}, {8, 16, 8, 64, 12800}, {8, 8, 16, 128, 12544}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        uint32_t D = dims[i][0], Dv = dims[i][1], kw = D > Dv ? D : Dv;
        attn_tiles_plan t;
        CHECK(attn_tiles_pick(d, D, Dv, &t), "%s: no flash tile for D %u Dv %u", d->name, D, Dv);
        char why[256];
        CHECK(t.wg == t.br * t.lanes && t.bc >= 1 && vkattn__limits_ok(d, 4, t.wg, 128, why, sizeof why), "%s: D %u: wg %u: %s",
              d->name, D, t.wg, why);
        CHECK(t.shared_bytes <= 16384 && t.shared_bytes <= d->shared_memory_bytes &&
              t.shared_bytes == 4 * (t.bc * kw + t.wg * t.bc + t.br * t.bc), "%s: D %u: %u shared bytes", d->name, D, t.shared_bytes);
        CHECK(vkattn__div_up(kw, t.lanes) <= 16, "%s: D %u: %u lanes hold %u floats each", d->name, D, t.lanes,
              vkattn__div_up(kw, t.lanes));
        if (D == Dv && (D == 64 || D == 128 || D == 256)) {
            const attn_tiles_plan *w = &want[D == 64 ? 0 : D == 128 ? 1 : 2];
            CHECK(t.br == w->br && t.bc == w->bc && t.lanes == w->lanes && t.wg == w->wg && t.shared_bytes == w->shared_bytes,
                  "%s: D %u: Br %u Bc %u lanes %u wg %u, %u bytes", d->name, D, t.br, t.bc, t.lanes, t.wg, t.shared_bytes);
        }
        int gpu = d->type == VKATTN_DEVICE_DISCRETE || d->type == VKATTN_DEVICE_INTEGRATED || d->type == VKATTN_DEVICE_VIRTUAL;
        CHECK(attn_tiles_default(d, D, Dv) == gpu, "%s: D %u: tiles by default %d", d->name, D, !gpu);
    }
    /* a device too small for 16 lanes a row (D = 256) keeps attention_flash */
    vkattn_device_info small = *d;
    small.type = VKATTN_DEVICE_DISCRETE;
    small.max_workgroup_invocations = 8;
    attn_tiles_plan t;
    CHECK(!attn_tiles_pick(&small, 256, 256, &t) && !attn_tiles_default(&small, 256, 256), "%s: 8 invocations", d->name);
    CHECK(attn_kv_parse(NULL) == ATTN_KV_AUTO && attn_kv_parse("tiles") == ATTN_KV_TILES && attn_kv_parse("tile") < 0,
          "VKATTN_ATTN_KV values");
}

static void test_devices(void) {
    /* name, type, subgroupSize, minSubgroupSize, maxSubgroupSize, shaderInt64, subgroup arithmetic,
     * maxComputeWorkGroupInvocations, maxComputeWorkGroupSize.x, maxComputeSharedMemorySize,
     * maxPushConstantsSize, maxPerStageDescriptorStorageBuffers, maxComputeWorkgroupSubgroups */
    const vkattn_device_info devs[] = {
        /* NVIDIA: wave 32 only, 48 KiB shared memory, 256 push bytes (gpuinfo reports; not re-checked here) */
        dev("NVIDIA GeForce RTX 3070", VKATTN_DEVICE_DISCRETE, 32, 32, 32, 1, 1, 1024, 1024, 49152, 256, 1048576, 32),
        /* RADV: subgroup 64, min 32 on GFX10+, maxComputeWorkgroupSubgroups UINT32_MAX (Mesa radv
         * get_physical_device_properties_1_3; vulkaninfo of an RX 6500 XT in KomputeProject/kompute#275) */
        dev("AMD Radeon RX 6800 XT (RADV)", VKATTN_DEVICE_DISCRETE, 64, 32, 64, 1, 1, 1024, 1024, 65536, 256, 8388606, UINT32_MAX),
        /* ANV: subgroups 8..32, invocations min(1024, 32 x max_cs_workgroup_threads), maxComputeWorkgroupSubgroups =
         * max_cs_workgroup_threads, 56 on Gen9 (Mesa anv_physical_device.c get_properties_1_3, intel_device_info.c
         * GFX9_HW_INFO); storage buffers: the descriptor heap / descriptor size, far above 9 */
        dev("Intel UHD Graphics 630 (ANV)", VKATTN_DEVICE_INTEGRATED, 32, 8, 32, 1, 1, 1024, 1024, 65536, 128, 8388606, 56),
        /* Qualcomm: subgroup 64, min 64, max 128, maxComputeWorkgroupSubgroups 16 (vulkaninfo of an Adreno 620 in
         * termux/termux-packages#7165; Turnip reports the same 16); no shaderInt64, 24 storage buffers (gpuinfo
         * reports; not re-checked here) */
        dev("Adreno 640", VKATTN_DEVICE_INTEGRATED, 64, 64, 128, 0, 1, 1024, 1024, 32768, 128, 24, 16),
        /* Arm Valhall: subgroup 16, 512 invocations (gpuinfo reports; not re-checked here) */
        dev("Mali-G78", VKATTN_DEVICE_INTEGRATED, 16, 16, 16, 1, 1, 512, 512, 32768, 128, 8388606, 0),
        dev("spec minimum", VKATTN_DEVICE_OTHER, 1, 1, 1, 0, 0, 128, 128, 16384, 128, 4, 0),
        /* the two CPU drivers as vulkaninfo reports them here (Mesa 22.3.6 llvmpipe, Debian 12's SwiftShader) */
        dev("llvmpipe", VKATTN_DEVICE_CPU, 8, 8, 8, 1, 1, 1024, 1024, 32768, 128, 32, 32),
        dev("SwiftShader", VKATTN_DEVICE_CPU, 4, 4, 4, 0, 1, 256, 256, 32768, 128, 30, 64),
    };
    const gemm_want want[] = {
        {"gemm_ks", "gemm_tiled", 32, 32},
        {"gemm_ks", "gemm_tiled", 64, 64},  /* RDNA: wave64 required, full subgroups */
        {"gemm_ks", "gemm_tiled", 32, 32},  /* Intel: SIMD32 required, not SIMD8/16 */
        {"gemm", "gemm_tiled", 0, 0},       /* no shaderInt64 */
        {"gemm_ks", "gemm_tiled", 16, 0},   /* no subgroup size control: the shader strides by the active lanes */
        {"gemm", "gemm", 0, 0},             /* "other" type, no subgroup arithmetic */
        {"gemm_ks", "gemm_ks", 8, 8},       /* lavapipe has subgroup size control: 8 required, full */
        {"gemm", "gemm", 0, 0},             /* no shaderInt64 */
    };
    /* 64 lanes and at least 32 KiB everywhere but the spec minimum (16 KiB): 16 keys a tile at D = 128
     * (22.8 KiB), 8 at D = 256 (26.4 KiB); the spec-minimum device shrinks tile and rows to fit 16 KiB */
    const lanes_want lanes[] = {
        {1, 64, 16, 8, 23296, 8, 8, 27008}, {1, 64, 16, 8, 23296, 8, 8, 27008}, {1, 64, 16, 8, 23296, 8, 8, 27008},
        {1, 64, 16, 8, 23296, 8, 8, 27008}, {1, 64, 16, 8, 23296, 8, 8, 27008}, {0, 64, 8, 8, 14720, 4, 4, 13440},
        {0, 64, 16, 8, 23296, 8, 8, 27008}, {0, 64, 16, 8, 23296, 8, 8, 27008},
    };
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        const vkattn_device_info *d = &devs[i];
        check_profile(d, 1, NULL, want[i].kernel_m1);
        check_profile(d, 64, NULL, want[i].kernel_m64);
        check_profile(d, 64, "", want[i].kernel_m64);
        check_profile(d, 3, "blocked", "gemm");
        /* forced: ks only with subgroup arithmetic and int64 (else blocked); tiled where a tile fits */
        check_profile(d, 5, "ks", d->shader_int64 && d->subgroup_arithmetic ? "gemm_ks" : "gemm");
        check_profile(d, 5, "tiled", "gemm_tiled");
        /* M <= 8 on GPUs: gemm_ks blocks of RM = 2 / 4 / 8 rows of x (a multi-column GEMV) where it exists */
        const int gpu = d->type == VKATTN_DEVICE_DISCRETE || d->type == VKATTN_DEVICE_INTEGRATED;
        if (gpu && !strcmp(want[i].kernel_m1, "gemm_ks")) {
            static const uint32_t Ms[][2] = {{2, 2}, {3, 4}, {4, 4}, {5, 8}, {8, 8}};
            for (size_t j = 0; j < sizeof Ms / sizeof Ms[0]; j++) {
                check_profile(d, Ms[j][0], NULL, "gemm_ks");
                vkattn__gemm_profile g;
                vkattn__gemm_pick(d, Ms[j][0], NULL, &g);
                CHECK(g.rm == Ms[j][1] && g.rn == 4 && g.tile_m == g.rm, "%s: M=%u: gemm_ks rm %u rn %u, want %u x 4", d->name,
                      Ms[j][0], g.rm, g.rn, Ms[j][1]);
            }
            check_profile(d, 9, NULL, want[i].kernel_m64);
        }
        /* gemm_tiled's 128 x 128 tile of 8 x 8 blocks: M > 64 on discrete GPUs, and whenever tiled is forced
         * (so the CPU drivers test it) on devices with 256 invocations */
        {
            vkattn__gemm_profile g;
            vkattn__gemm_pick(d, 130, "tiled", &g);
            const int large = d->max_workgroup_invocations >= 256 && d->max_workgroup_size[0] >= 256;
            CHECK(large ? g.tile_m == 128 && g.tile_n == 128 && g.rm == 8 && g.rn == 8 && g.wg == 256 : g.rm == 4,
                  "%s: forced tiled at M=130: %u x %u tile of %u x %u blocks", d->name, g.tile_m, g.tile_n, g.rm, g.rn);
            vkattn__gemm_pick(d, 64, "tiled", &g);
            CHECK(g.rm == 4 && g.rn == 4, "%s: tiled at M=64 keeps 4 x 4 blocks", d->name);
            if (gpu && !strcmp(want[i].kernel_m64, "gemm_tiled")) {
                vkattn__gemm_pick(d, 130, NULL, &g);
                CHECK((g.tile_m == 128) == (d->type == VKATTN_DEVICE_DISCRETE), "%s: M=130: tile %u (128 on discrete GPUs only)",
                      d->name, g.tile_m);
            }
        }
        vkattn__gemm_profile g;
        CHECK(!vkattn__gemm_pick(d, 1, "fast", &g), "%s: unknown VKATTN_GEMM accepted", d->name);
        CHECK(vkattn__gemm_pick(d, 1, NULL, &g), "%s", d->name);
        uint32_t planned = !strcmp(g.shader, "gemm_ks") ? g.sg : 0;
        CHECK(planned == want[i].sg_m1, "%s: gemm_ks planned for %u lanes, want %u", d->name, planned, want[i].sg_m1);
        uint32_t req = vkattn__required_subgroup(d, planned, g.wg);
        CHECK(req == want[i].required_m1, "%s: required subgroup %u, want %u", d->name, req, want[i].required_m1);
        /* the row kernels (softmax, norms, argmax) plan with the default size and 256 lanes */
        uint32_t row_req = vkattn__required_subgroup(d, d->subgroup_arithmetic ? d->subgroup_size : 0, 256);
        CHECK(row_req == 0 || (row_req >= d->subgroup_min && row_req <= d->subgroup_max), "%s: row kernels %u", d->name, row_req);

        /* limits: rnn binds 9 storage buffers, attention pushes 128 bytes, decode's combine
         * runs Dv = 256 invocations in x */
        char why[256];
        int rnn_ok = vkattn__limits_ok(d, 9, 64, 64, why, sizeof why);
        CHECK(rnn_ok == (d->max_storage_buffers >= 9), "%s: rnn's 9 bindings: %d", d->name, rnn_ok);
        if (!rnn_ok) CHECK(strstr(why, "maxPerStageDescriptorStorageBuffers") != NULL, "%s: message: %s", d->name, why);
        CHECK(vkattn__limits_ok(d, 4, 64, 128, why, sizeof why), "%s: 128 push bytes (attention): %s", d->name, why);
        CHECK(vkattn__limits_ok(d, 6, 64, 128, why, sizeof why) == (d->max_storage_buffers >= 6), "%s: attention 6 bindings", d->name);
        CHECK(!vkattn__limits_ok(d, 6, 64, d->max_push_constants + 4, why, sizeof why), "%s: push over the limit", d->name);
        CHECK(!vkattn__limits_ok(d, 2, d->max_workgroup_invocations * 2, 16, why, sizeof why), "%s: workgroup over", d->name);
        vkattn_attn_impl dec = attn_choose(d, VKATTN_ATTN_AUTO, 0, 1, 4096, 256);
        CHECK(dec == (d->max_workgroup_size[0] >= 256 ? VKATTN_ATTN_DECODE : VKATTN_ATTN_FLASH),
              "%s: decode Lq 1, Lk 4096, Dv 256 -> impl %d", d->name, (int)dec);
        CHECK(attn_choose(d, VKATTN_ATTN_AUTO, 0, 1, 4096, 64) == VKATTN_ATTN_DECODE, "%s: decode Dv 64", d->name);
        CHECK(attn_choose(d, VKATTN_ATTN_AUTO, 0, 128, 128, 64) == VKATTN_ATTN_FLASH, "%s: prefill", d->name);
        CHECK(attn_choose(d, VKATTN_ATTN_AUTO, 1, 1, 4096, 64) == VKATTN_ATTN_3PASS, "%s: probs", d->name);
        CHECK(attn_choose(d, VKATTN_ATTN_FLASH, 0, 1, 4096, 64) == VKATTN_ATTN_FLASH, "%s: forced", d->name);
        check_decode_lanes(d, &lanes[i]);
        check_flash_tiles(d);
    }
}

/* Per-vendor choices (vendor ids from the PCI-SIG / Khronos registry as drivers report them):
 * Mali's shared memory is main memory, so no shared-memory tiles there unless forced; the same
 * device info under another mobile vendor keeps the tiled kernel. */
static void test_vendors(void) {
    vkattn_device_info mali = dev("Mali-G78", VKATTN_DEVICE_INTEGRATED, 16, 16, 16, 1, 1, 512, 512, 32768, 128, 8388606, 0);
    vkattn_device_info adreno = mali;
    mali.vendor_id = 0x13B5;   /* Arm */
    adreno.vendor_id = 0x5143; /* Qualcomm */
    check_profile(&mali, 64, NULL, "gemm");
    check_profile(&mali, 512, NULL, "gemm");
    check_profile(&mali, 1, NULL, "gemm_ks"); /* decode: no shared memory in gemm_ks either */
    check_profile(&mali, 64, "tiled", "gemm_tiled");
    check_profile(&adreno, 64, NULL, "gemm_tiled");
}

/* The cooperative-matrix shape (vkattn__coopmat_pick) from the lists real devices report, written down from
 * public reports: NVK / NVIDIA (16x8x8, 16x8x16, 16x16x16 with f16 and f32 accumulators; VK-GL-CTS issue 546),
 * AMD RDNA3 on RADV (16x16x16, f16 and f32 accumulators, int8), Intel Arc on ANV (8x8x16; vkpeak's shaders),
 * and a list with workgroup scope only or f16 accumulators only, which a GEMM with f32 accumulation cannot use. */
#define CM(m, n, k, a, c, scope) {VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR, NULL, m, n, k, a, a, c, c, VK_FALSE, scope}
#define H VK_COMPONENT_TYPE_FLOAT16_KHR
#define F VK_COMPONENT_TYPE_FLOAT32_KHR
#define I8 VK_COMPONENT_TYPE_SINT8_KHR
#define I32 VK_COMPONENT_TYPE_SINT32_KHR
#define SG VK_SCOPE_SUBGROUP_KHR
#define WG VK_SCOPE_WORKGROUP_KHR
static void test_coopmat(void) {
    const VkCooperativeMatrixPropertiesKHR nvidia[] = {CM(16, 8, 8, H, H, SG),   CM(16, 8, 16, H, H, SG), CM(16, 16, 16, H, H, SG),
                                                       CM(16, 8, 8, H, F, SG),   CM(16, 8, 16, H, F, SG), CM(16, 16, 16, H, F, SG),
                                                       CM(16, 8, 32, I8, I32, SG)};
    const VkCooperativeMatrixPropertiesKHR rdna3[] = {CM(16, 16, 16, H, H, SG), CM(16, 16, 16, H, F, SG), CM(16, 16, 16, I8, I32, SG)};
    const VkCooperativeMatrixPropertiesKHR arc[] = {CM(8, 8, 16, H, F, SG), CM(8, 8, 32, I8, I32, SG)};
    const VkCooperativeMatrixPropertiesKHR none[] = {CM(32, 16, 16, H, F, WG), CM(16, 16, 16, H, H, SG), CM(16, 16, 32, I8, I32, SG)};
    struct {
        const char *name;
        const VkCooperativeMatrixPropertiesKHR *p;
        uint32_t n, want[3];
    } lists[] = {{"NVIDIA", nvidia, 7, {16, 16, 16}}, {"RDNA3", rdna3, 3, {16, 16, 16}}, {"Arc", arc, 2, {8, 8, 16}},
                 {"no f32 subgroup shape", none, 3, {0, 0, 0}}, {"empty", nvidia, 0, {0, 0, 0}}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        uint32_t mnk[3] = {0, 0, 0};
        int ok = vkattn__coopmat_pick(lists[i].p, lists[i].n, mnk);
        CHECK(ok == (lists[i].want[0] != 0) && !memcmp(mnk, lists[i].want, sizeof mnk), "%s: coopmat %d %ux%ux%u", lists[i].name,
              ok, mnk[0], mnk[1], mnk[2]);
    }
    /* without 16 x 16 x 16: the largest f16 -> f32 shape */
    const VkCooperativeMatrixPropertiesKHR odd[] = {CM(16, 8, 8, H, F, SG), CM(16, 8, 16, H, F, SG), CM(8, 8, 16, H, F, SG)};
    uint32_t mnk[3];
    CHECK(vkattn__coopmat_pick(odd, 3, mnk) && mnk[0] == 16 && mnk[1] == 8 && mnk[2] == 16, "largest: %ux%ux%u", mnk[0], mnk[1],
          mnk[2]);
}

#undef H
#undef F
#undef I8
#undef I32
#undef SG
#undef WG

int main(void) {
    test_coopmat();
    test_memory();
    test_devices();
    test_vendors();
    return th_finish(NULL);
}
