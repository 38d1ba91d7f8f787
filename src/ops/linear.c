/* linear: y = x W^T (+ bias), PyTorch's F.linear. Records shaders/gemm_tiled.comp,
 * shaders/gemm.comp, shaders/gemm_ks.comp or shaders/gemm_ubo.comp (pick_profile).
 *
 * W may be f32, f16 or any GGUF block type (dequantized in the shader); x, W and y may be f16
 * on any device (as packed 32-bit words where there is no 16-bit storage). A W larger
 * than the device's maxStorageBufferRange is split by rows: each dispatch binds
 * one slice (offset aligned to minStorageBufferOffsetAlignment) and writes the
 * matching columns of y. */
#include "opsutil.h"
#include "linear.h"

#include <stdlib.h>

typedef struct {
    uint32_t M, N, K, x_off, y_off, w_off, n0, ldy, has_bias;
} linear_push; /* matches shaders/linear.glsl */

typedef vkattn__gemm_profile gemm_profile; /* linear.h */

/* Shared bytes of gemm_tiled's x and W tiles for (bm, bn, bk), staged as f32 (f16 tensors take half):
 * rows padded by (32 / bk) mod 8 words against bank conflicts (shaders/gemm_tiled.comp). */
static uint64_t tiled_shared_bytes(uint32_t bm, uint32_t bn, uint32_t bk) {
    const uint32_t pad = 32 / bk % 8;
    return (uint64_t)(bm + pad + bn + pad) * bk * 4;
}

/* gemm_tiled: a 64 x 64 tile of 4 x 4 register blocks (BM 32 / 16 for M <= 32 / 16, but at least one
 * subgroup of invocations), 16-wide K slices. `large`: a 128 x 128 tile of 8 x 8 blocks for M > 64 (256
 * invocations, 64 accumulators + 16 operands per invocation: within the 255 registers of NVIDIA and
 * AMD's 256 VGPRs; each staged value serves 8 FMAs per k instead of 4, half the shared-memory reads
 * per FMA). The tile shrinks (BN first) to fit the invocation limits and the K slice to fit the shared
 * memory. Returns 0 if even the smallest tile does not fit. */
static int tiled_profile(const vkattn_device_info *info, uint32_t M, int large, gemm_profile *g) {
    uint32_t tm = 4, tn = 4, bm = M > 32 ? 64 : M > 16 ? 32 : 16, bn = 64, bk = 16;
    uint32_t lim = info->max_workgroup_invocations;
    if (info->max_workgroup_size[0] && info->max_workgroup_size[0] < lim) lim = info->max_workgroup_size[0];
    if (large && M > 64 && lim >= 256 && tiled_shared_bytes(128, 128, 8) <= info->shared_memory_bytes)
        tm = tn = 8, bm = bn = 128;
    while (bm < 64 && (bm / tm) * (bn / tn) < info->subgroup_size) bm *= 2;
    while ((bm / tm) * (bn / tn) > lim) {
        if (bn >= bm && bn > tn) bn /= 2;
        else if (bm > tm) bm /= 2;
        else return 0;
    }
    while (tiled_shared_bytes(bm, bn, bk) > info->shared_memory_bytes) {
        if (bk == 4) return 0;
        bk /= 2;
    }
    *g = (gemm_profile){"gemm_tiled", (bm / tm) * (bn / tn), tm, tn, 1, bm, bn, bk};
    return 1;
}

/*  Per-device choice from what the device reports (measurements: bench/results/gemm-*.md).
 * - gemm_tiled (shared-memory tiles, register blocks) for M > 8 on GPUs (discrete, integrated,
 *   virtual): each staged value of x is used BN times and of W BM times from shared memory. The
 *   128 x 128 tile at M > 64 on discrete GPUs (and under a forced tiled, so CPU drivers test it).
 * - gemm_ks (K split across a subgroup's lanes, 64-bit loads) on CPU drivers: llvmpipe runs
 *   arithmetic 8 lanes wide but loads every lane's every component one by one, so what counts
 *   is FMAs per loaded component: wide blocks (8 x 16) and no value loaded twice. Also for
 *   M <= 8 (decoding, short prompts, speculative batches) on every device that has it: a few rows
 *   of x cannot fill a tile (a 64-row tile would stage mostly padding), so the lanes share the K
 *   loop; on GPUs an RM x 4 block (RM = M rounded up to 2, 4 or 8) reads each row of W once for
 *   all M rows of x (a multi-column GEMV).
 * - gemm_ubo (gemm_ks with W read through uniform buffers, one dispatch per slice of W rows
 *   that fits in one) on CPU drivers at M >= 128 for f32 and f16 W when the rows fit (pick_profile):
 *   llvmpipe fetches a uniform buffer with one gather per component where it loads a storage
 *   buffer lane by lane. On an idle lavapipe (bench gemm, 1024x1024) 1.1-1.2x gemm_ks for f16 W at
 *   M = 256..512 and about 1.0x for f32; slower below 128 (a dispatch per slice of W: 16 rows of
 *   f32 K = 1024).
 * - gemm (register blocks without shared memory, 4 x 4 per invocation, 64 lanes) elsewhere:
 *   CPU drivers without subgroup arithmetic or 64-bit integers (SwiftShader; shared memory is
 *   emulated and slow there), M = 1 without gemm_ks, "other" devices, and M > 1 on Arm Mali,
 *   whose shared memory is ordinary memory.
 * VKATTN_GEMM=tiled|blocked|ks|ubo forces a kernel (ks and ubo only where the device has what they
 * need, else blocked; ubo only where W's rows fit, else ks); any other non-empty value is an error. */
int vkattn__gemm_pick(const vkattn_device_info *info, uint32_t M, const char *force, gemm_profile *out) {
    gemm_profile g = {"gemm", 64, 4, 4, 1, 4, 0, 0};
    const uint32_t sg = info->subgroup_max > info->subgroup_size ? info->subgroup_max : info->subgroup_size;
    const int ks = info->subgroup_arithmetic && info->shader_int64 && sg >= 1 && sg <= 128;
    const int cpu = info->type == VKATTN_DEVICE_CPU;
    const int gpu = vkattn__is_gpu(info);
    if (force && *force && strcmp(force, "tiled") && strcmp(force, "blocked") && strcmp(force, "ks") && strcmp(force, "ubo"))
        return 0;
    /* Arm Mali (vendor 0x13B5; Bifrost, Valhall): workgroup shared memory is main memory behind the
     * same caches (Arm's Mali guides: do not use local memory as a cache), so staging tiles there
     * only adds copies and barriers: the register-blocked kernel instead */
    const int shared_is_main_memory = info->vendor_id == 0x13B5;
    const int forced = force && *force;
    const int want_tiled = forced ? !strcmp(force, "tiled") : gpu && M > VKATTN__GEMV_MAX_M && !shared_is_main_memory;
    const int want_ubo = forced ? !strcmp(force, "ubo") : cpu && M >= 128;
    const int want_ks = forced ? !strcmp(force, "ks") || want_ubo : cpu || M <= VKATTN__GEMV_MAX_M;
    /* short prompts on CPU drivers take the decode (M = 1) pipeline, one row of x per workgroup
     * row: llvmpipe compiles it anyway for the tokens that follow, while the 8 x 16 block costs
     * 2-3 s of JIT per dtype variant, most of a cold start (bench startup); a forced ks keeps
     * the blocks, so tests reach them at small M */
    const int gemv = M == 1 || (cpu && M <= VKATTN__GEMV_MAX_M && !forced);
    if (want_tiled && tiled_profile(info, M, forced || info->type == VKATTN_DEVICE_DISCRETE, out)) return 1;
    if (ks && want_ks) {
        g.shader = "gemm_ks";
        g.sg = sg;
        g.wg = cpu ? (gemv ? 2 * sg : sg) : (sg >= 64 ? sg : 64 / sg * sg);
        g.rm = gemv ? 1 : M <= 2 ? 2 : M <= 4 ? 4 : 8;
        g.rn = gemv ? 8 : cpu ? 16 : 4;
        /* one subgroup of 8 x 16 blocks per workgroup; pick_profile keeps it only where W fits */
        if (want_ubo && M > 1 && info->max_uniform_buffer_range >= 1024) g = (gemm_profile){"gemm_ubo", sg, 8, 16, sg, 0, 0, 0};
    }
    if (g.wg > info->max_workgroup_invocations) g.wg = info->max_workgroup_invocations / g.sg * g.sg;
    /* W rows per workgroup: gemm_ks gives each subgroup one block */
    g.tile_m = g.rm;
    g.tile_n = (g.sg > 1 ? g.wg / g.sg : g.wg) * g.rn;
    *out = g;
    return 1;
}

/* Bytes of one uniform-buffer slice of W for gemm_ubo: the range, at most the 64 KiB its shader declares. */
static uint64_t ubo_range(const vkattn_device_info *info) {
    return info->max_uniform_buffer_range < 65536 ? info->max_uniform_buffer_range : 65536;
}

/* ubo: gemm_ubo's conditions (else gemm_ks): f32/f16 W whose rows are whole 16-byte (and
 * uniform-offset aligned) pieces starting aligned, x rows 4-element aligned, and a slice of at
 * least one block of rows (RN) per dispatch */
static vkattn_status pick_profile(vkattn_context *ctx, uint32_t M, const vkattn_tensor *x, const vkattn_tensor *w,
                                  gemm_profile *out) {
    const vkattn_dtype wdt = w->dtype;
    const char *force = getenv("VKATTN_GEMM");
    if (!vkattn__gemm_pick(&ctx->info, M, force, out))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "linear: VKATTN_GEMM must be tiled, blocked, ks or ubo (is \"%s\")", force);
    if (!strcmp(out->shader, "gemm_ubo")) {
        const uint64_t align = ctx->info.min_uniform_offset_alignment > 16 ? ctx->info.min_uniform_offset_alignment : 16;
        const uint64_t K = (uint64_t)w->shape[1], row = vkattn_dtype_bytes(wdt, K);
        const uint64_t base = w->alloc.offset + vkattn_dtype_bytes(wdt, (uint64_t)w->offset);
        const int fits = (wdt == VKATTN_F32 || wdt == VKATTN_F16) && K % 4 == 0 && x->offset % 4 == 0 && row % align == 0 &&
                         base % align == 0 && ubo_range(&ctx->info) / row >= out->rn;
        if (!fits) vkattn__gemm_pick(&ctx->info, M, "ks", out);
    }
    /* the K-quants' and other newer block types' decode, unrolled over a 16-row gemm_ks block, makes
     * shaders llvmpipe takes minutes to compile: 4 rows of W per subgroup for them */
    if (!strcmp(out->shader, "gemm_ks") && out->rm > 1 && vkattn_dtype_block(wdt) > 1 && wdt != VKATTN_Q8_0 &&
        wdt != VKATTN_Q4_0 && out->rn > 4) {
        out->tile_n = out->tile_n / out->rn * 4;
        out->rn = 4;
    }
    return VKATTN_OK;
}

/* "<base>[_xh][_wh|_q8|_q4|_q4k|...][_yh][_pk]": the storage types of x, W and y (see
 * shaders/linear.glsl); _pk when f16 tensors are read as packed words (no 16-bit storage). */
static const char *variant_name(char *buf, size_t n, const char *base, vkattn_dtype x, vkattn_dtype w, vkattn_dtype y,
                                int packed) {
    snprintf(buf, n, "%s%s%s%s%s", base, x == VKATTN_F16 ? "_xh" : "", ou_wtype_suffix(w), y == VKATTN_F16 ? "_yh" : "",
             packed ? "_pk" : "");
    return buf;
}

static int is_float(vkattn_dtype d) { return d == VKATTN_F32 || d == VKATTN_F16; }

/* cols: w's N rows make columns [col0, col0 + N) of y (and index bias there), else all of y's columns. */
static vkattn_status check_args(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *w, const vkattn_tensor *bias,
                                const vkattn_tensor *y, int cols, int64_t col0) {
    vkattn_status st;
    if ((st = vkattn__check_tensor(ctx, x, "linear", "x")) || (st = vkattn__check_tensor(ctx, w, "linear", "w")) ||
        (st = vkattn__check_tensor(ctx, y, "linear", "y")))
        return st;
    if (bias && (st = vkattn__check_tensor(ctx, bias, "linear", "bias"))) return st;
    if (!is_float(x->dtype) || !is_float(y->dtype))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "linear: x and y must be f32 or f16 (are %s, %s)",
                            vkattn_dtype_string(x->dtype), vkattn_dtype_string(y->dtype));
    if (!is_float(w->dtype) && vkattn_dtype_block(w->dtype) == 1)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "linear: w must be f32, f16 or a block type (is %s)",
                            vkattn_dtype_string(w->dtype));
    if (w->ndim != 2)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "linear: w must be 2-D [N, K] (has %u dims)", w->ndim);
    const int64_t K = w->shape[1], N = w->shape[0], Ny = y->shape[y->ndim - 1];
    if (x->shape[x->ndim - 1] != K)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "linear: x's last dim %lld != w's K = %lld",
                            (long long)x->shape[x->ndim - 1], (long long)K);
    if (y->ndim != x->ndim || memcmp(y->shape, x->shape, (x->ndim - 1) * sizeof x->shape[0]) || (!cols && Ny != N))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "linear: y must have x's leading dims and a last dim of N = %lld", (long long)N);
    if (cols && (col0 < 0 || col0 + N > Ny))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "linear: columns [%lld, %lld) are outside y's %lld",
                            (long long)col0, (long long)(col0 + N), (long long)Ny);
    if (bias && (bias->dtype != VKATTN_F32 || bias->ndim != 1 || bias->shape[0] != Ny))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "linear: bias must be f32 [%lld]", (long long)Ny);
    if (!vkattn_tensor_is_contiguous(x) || !vkattn_tensor_is_contiguous(w) || !vkattn_tensor_is_contiguous(y) ||
        (bias && !vkattn_tensor_is_contiguous(bias)))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "linear: x, w, bias and y must be contiguous (copy strided views first)");
    if (ou_overlap(y, x) || ou_overlap(y, w) || ou_overlap(y, bias))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "linear: y overlaps an input; use a separate output tensor");
    if (x->offset + vkattn_tensor_numel(x) > UINT32_MAX || y->offset + vkattn_tensor_numel(y) > UINT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "linear: x or y has more than 2^32 elements; split the rows");
    return VKATTN_OK;
}

/* Records the dispatches for W rows [0, N) into columns [col0, col0 + N) of y, in slices that each fit one
 * binding. */
static vkattn_status record(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *w, const vkattn_tensor *bias,
                            vkattn_tensor *y, int64_t col0) {
    const uint32_t K = (uint32_t)w->shape[1], N = (uint32_t)w->shape[0], Ny = (uint32_t)y->shape[y->ndim - 1];
    const uint32_t M = (uint32_t)(vkattn_tensor_numel(x) / K);
    const int quant = vkattn_dtype_block(w->dtype) > 1;
    /* f16 tensors without 16-bit storage: packed words (the "_pk" variants of gemm and gemm_tiled;
     * gemm_ks and gemm_ubo have none, so the blocked kernel runs in their place) */
    const int packed = (x->dtype == VKATTN_F16 || y->dtype == VKATTN_F16 || w->dtype == VKATTN_F16) && !ctx->info.storage16;
    gemm_profile g = {0};
    vkattn_status st = pick_profile(ctx, M, x, w, &g);
    if (st) return st;
    if (packed && (!strcmp(g.shader, "gemm_ks") || !strcmp(g.shader, "gemm_ubo"))) vkattn__gemm_pick(&ctx->info, M, "blocked", &g);
    const uint32_t tile_n = g.tile_n;

    const int ubo = !strcmp(g.shader, "gemm_ubo");
    const uint64_t align_min = ubo ? ctx->info.min_uniform_offset_alignment : ctx->info.min_storage_offset_alignment;
    const uint64_t align = align_min ? align_min : 1;
    const uint64_t row_bytes = vkattn_dtype_bytes(w->dtype, K), base = vkattn_dtype_bytes(w->dtype, w->offset);
    const uint64_t range = ubo ? ubo_range(&ctx->info) : ctx->info.max_storage_buffer_range;
    /* worst case a slice starts align - 1 bytes into its binding and reads 4 bytes of padding */
    uint64_t rows = ubo ? range / row_bytes : range > align + 4 ? (range - align - 4) / row_bytes : 0;
    if (rows == 0)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "linear: one row of w (%llu bytes) exceeds maxStorageBufferRange",
                            (unsigned long long)row_bytes);
    if (rows > tile_n) rows -= rows % tile_n;

    char name[64];
    vkattn__dispatch d = {
        .shader = variant_name(name, sizeof name, g.shader, x->dtype, w->dtype, y->dtype, packed),
        .label = "linear",
        .spec = {g.wg, g.rm, g.rn, 0, g.tile_m, g.tile_n, g.bk}, .n_spec = g.bk ? 7 : 5,
        .n_args = 4,
        .subgroup = g.sg > 1 ? g.sg : 0,
    };
    for (uint64_t n0 = 0; n0 < N; n0 += rows) {
        const uint64_t cnt = N - n0 < rows ? N - n0 : rows;
        const uint64_t start = base + n0 * row_bytes, bind = start / align * align;
        uint64_t size = ((start + cnt * row_bytes + 3) & ~(uint64_t)3) - bind;
        if (bind + size > w->alloc.size) size = w->alloc.size - bind;
        linear_push p = {.M = M, .N = (uint32_t)cnt, .K = K, .x_off = (uint32_t)x->offset, .y_off = (uint32_t)y->offset,
                         .w_off = (uint32_t)(quant ? start - bind : (start - bind) / vkattn_dtype_bytes(w->dtype, 1)),
                         .n0 = (uint32_t)(col0 + n0), .ldy = Ny, .has_bias = bias != NULL};
        /* whole-vec4 loads when every row of x (and of a float W) starts 4-element aligned */
        d.spec[3] = K % 4 == 0 && p.x_off % 4 == 0 && (quant || p.w_off % 4 == 0);
        /* gemm_ks's 64-bit-word path (QG; gemm_tiled: constant_id 4..6 are its tile sizes), in a binding
         * that starts 8-byte aligned: 32-value types in rows of whole 4-block groups, 8-byte aligned
         * (qgroup64.glsl; Q8_0/Q4_0 at any rows of x per block, the others, whose decode unrolled over an
         * 8-row block llvmpipe compiles slowly, one row of x per workgroup row); one row of x per
         * workgroup row, Q4_K/Q5_K/IQ4_XS rows 8-byte aligned, Q2_K/Q3_K/Q6_K rows anywhere (kquant64.glsl) */
        const int bind8 = (w->alloc.offset + bind) % 8 == 0, gemv = !strcmp(g.shader, "gemm_ks") && g.rm == 1;
        const vkattn_dtype wt = w->dtype;
        const int group32 = wt == VKATTN_Q8_0 || wt == VKATTN_Q4_0 ||
                            (gemv && (wt == VKATTN_Q4_1 || wt == VKATTN_Q5_0 || wt == VKATTN_Q5_1 || wt == VKATTN_IQ4_NL));
        const int wide256 = gemv && (wt == VKATTN_Q2_K || wt == VKATTN_Q3_K || wt == VKATTN_Q6_K ||
                                     ((wt == VKATTN_Q4_K || wt == VKATTN_Q5_K || wt == VKATTN_IQ4_XS) && p.w_off % 8 == 0));
        if (!g.bk) d.spec[4] = bind8 && ((group32 && K % 128 == 0 && p.w_off % 8 == 0) || wide256);
        d.push = &p;
        d.push_size = sizeof p;
        d.args[0] = (vkattn__arg){x, VKATTN__READ, 0, 0};
        d.args[1] = (vkattn__arg){w, ubo ? VKATTN__READ | VKATTN__UNIFORM : VKATTN__READ, bind, size};
        d.args[2] = (vkattn__arg){bias ? bias : x, VKATTN__READ, 0, 0};
        d.args[3] = (vkattn__arg){y, VKATTN__WRITE, 0, 0};
        uint32_t mt = vkattn__div_up(M, g.tile_m);
        d.groups[0] = vkattn__div_up(cnt, tile_n);
        d.groups[1] = mt < 65535 ? mt : 65535;
        d.groups[2] = vkattn__div_up(mt, 65535);
        if ((st = vkattn__record(ctx, &d))) return st;
    }
    return VKATTN_OK;
}

vkattn_status vkattn_linear(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *w, const vkattn_tensor *bias,
                            vkattn_tensor *y) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "linear: ctx is NULL");
    vkattn_status st = check_args(ctx, x, w, bias, y, 0, 0);
    if (st) return st;
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    return vkattn__op_end(ctx, implicit, record(ctx, x, w, bias, y, 0));
}

vkattn_status vkattn__linear_cols(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *w, const vkattn_tensor *bias,
                                  vkattn_tensor *y, int64_t col0) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "linear: ctx is NULL");
    vkattn_status st = check_args(ctx, x, w, bias, y, 1, col0);
    if (st) return st;
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    return vkattn__op_end(ctx, implicit, record(ctx, x, w, bias, y, col0));
}
