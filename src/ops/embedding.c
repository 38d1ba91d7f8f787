/* embedding: y[i, :] = table[ids[i], :] (nn.Embedding, ggml get_rows). Records shaders/embedding.comp.
 *
 * The ids live on the device, so which rows are needed is unknown here. A table
 * larger than maxStorageBufferRange (a 32000 x 4096 f32 vocabulary is 500 MiB)
 * is bound in slices of whole rows, one dispatch per slice; each dispatch writes
 * the rows of y whose id falls into its slice (every row of y is written by exactly
 * one dispatch: no race, no read-modify-write). */
#include "opsutil.h"

typedef struct {
    uint32_t D, N, V, v0, cnt, t_off, row_bytes, ids_off, y_off, zero_fill;
} embedding_push; /* matches shaders/embedding.comp */

static vkattn_status check_args(vkattn_context *ctx, const vkattn_tensor *table, const vkattn_tensor *ids,
                                const vkattn_tensor *y) {
    vkattn_status st;
    if ((st = vkattn__check_tensor(ctx, table, "embedding", "table")) ||
        (st = vkattn__check_tensor(ctx, ids, "embedding", "ids")) || (st = vkattn__check_tensor(ctx, y, "embedding", "y")))
        return st;
    vkattn_dtype td = table->dtype;
    if (td != VKATTN_F32 && td != VKATTN_F16 && vkattn_dtype_block(td) == 1)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "embedding: table must be f32, f16 or a block type (is %s)",
                            vkattn_dtype_string(td));
    if (table->ndim != 2 || !vkattn_tensor_is_contiguous(table))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "embedding: table must be a contiguous 2-D [V, D] tensor");
    if (ids->dtype != VKATTN_I32 || !vkattn_tensor_is_contiguous(ids))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "embedding: ids must be contiguous i32 (is %s%s)",
                            vkattn_dtype_string(ids->dtype), vkattn_tensor_is_contiguous(ids) ? "" : ", strided");
    if (y->dtype != VKATTN_F32 && y->dtype != VKATTN_F16)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "embedding: y must be f32 or f16 (is %s)",
                            vkattn_dtype_string(y->dtype));
    const int64_t D = table->shape[1];
    const uint64_t N = vkattn_tensor_numel(ids);
    /* y is [N, D] or [ids' dims..., D] */
    int flat = y->ndim == 2 && (uint64_t)y->shape[0] == N;
    int lead = y->ndim == ids->ndim + 1 && memcmp(y->shape, ids->shape, ids->ndim * sizeof ids->shape[0]) == 0;
    char ys[80], is[80];
    if (y->shape[y->ndim - 1] != D || (!flat && !lead) || !vkattn_tensor_is_contiguous(y))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "embedding: y %s must be contiguous [N = %llu, D = %lld] or [ids' dims %s..., D]",
                            ou_shape_str(y, ys, sizeof ys), (unsigned long long)N, (long long)D,
                            ou_shape_str(ids, is, sizeof is));
    if (ou_overlap(y, table) || ou_overlap(y, ids))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "embedding: y overlaps table or ids; use a separate output");
    if ((st = ou_check_index_range(ctx, ids, "embedding", "ids")) || (st = ou_check_index_range(ctx, y, "embedding", "y")))
        return st;
    if ((uint64_t)table->shape[0] > INT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "embedding: table has more than 2^31 rows");
    return VKATTN_OK;
}

static vkattn_status record(vkattn_context *ctx, const vkattn_tensor *table, const vkattn_tensor *ids, vkattn_tensor *y) {
    const uint64_t V = (uint64_t)table->shape[0], D = (uint64_t)table->shape[1], N = vkattn_tensor_numel(ids);
    const uint64_t row_bytes = vkattn_dtype_bytes(table->dtype, D), base = vkattn_dtype_bytes(table->dtype, table->offset);
    const uint64_t align = ctx->info.min_storage_offset_alignment ? ctx->info.min_storage_offset_alignment : 1;
    /* byte offsets inside a binding are 32-bit in the shader */
    const uint64_t range = ctx->info.max_storage_buffer_range < UINT32_MAX ? ctx->info.max_storage_buffer_range : UINT32_MAX;
    if (N == 0) return VKATTN_OK;
    const int split = table->alloc.size > range;
    /* worst case a slice starts align - 1 bytes into its binding and its last word is padded by 3 bytes */
    uint64_t rows = V;
    if (split) {
        rows = range > align + 4 ? (range - align - 4) / row_bytes : 0;
        if (rows == 0)
            return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE,
                                "embedding: one table row (%llu bytes) exceeds maxStorageBufferRange",
                                (unsigned long long)row_bytes);
    }
    const uint32_t wg = ou_wg(ctx, D >= 256 ? 256 : D >= 64 ? 64 : 32);
    char name[32];
    /* an f16 y: float16_t, or packed words without 16-bit storage (_pk) */
    snprintf(name, sizeof name, "embedding%s%s", ou_wtype_suffix(table->dtype),
             y->dtype != VKATTN_F16 ? "" : ctx->info.storage16 ? "_yh" : "_yh_pk");
    embedding_push p = {.D = (uint32_t)D, .N = (uint32_t)N, .V = (uint32_t)V, .row_bytes = (uint32_t)row_bytes,
                        .ids_off = (uint32_t)ids->offset, .y_off = (uint32_t)y->offset};
    vkattn__dispatch d = {
        .shader = name, .label = "embedding", .spec = {wg}, .n_spec = 1, .push = &p, .push_size = sizeof p,
        .args = {{table, VKATTN__READ, 0, 0}, {ids, VKATTN__READ, 0, 0}, {y, VKATTN__WRITE, 0, 0}}, .n_args = 3,
        .groups = {vkattn__div_up(D, wg), N < 65535 ? (uint32_t)N : 65535u, vkattn__div_up(N, 65535)},
    };
    for (uint64_t v0 = 0; v0 < V; v0 += rows) {
        const uint64_t cnt = V - v0 < rows ? V - v0 : rows, start = base + v0 * row_bytes;
        uint64_t bind = 0;
        if (split) {
            bind = start / align * align;
            uint64_t size = ((start + cnt * row_bytes + 3) & ~(uint64_t)3) - bind;
            d.args[0].byte_offset = bind;
            d.args[0].size = bind + size > table->alloc.size ? table->alloc.size - bind : size;
        }
        p.v0 = (uint32_t)v0, p.cnt = (uint32_t)cnt, p.t_off = (uint32_t)(start - bind), p.zero_fill = v0 == 0;
        vkattn_status st = vkattn__record(ctx, &d);
        if (st) return st;
    }
    return VKATTN_OK;
}

vkattn_status vkattn_embedding(vkattn_context *ctx, const vkattn_tensor *table, const vkattn_tensor *ids, vkattn_tensor *y) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "embedding: ctx is NULL");
    vkattn_status st = check_args(ctx, table, ids, y);
    if (st) return st;
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    return vkattn__op_end(ctx, implicit, record(ctx, table, ids, y));
}
