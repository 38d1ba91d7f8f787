/* Layer scratch memory: see workspace.h. */
#include "workspace.h"

#include <stdlib.h>

static vkattn_status retire(vkattn__workspace *ws, vkattn_tensor *t) {
    if (ws->n_retired == ws->cap_retired) {
        uint32_t cap = ws->cap_retired ? ws->cap_retired * 2 : 4;
        vkattn_tensor **r = realloc(ws->retired, cap * sizeof *r);
        if (!r) return vkattn__fail(ws->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        ws->retired = r;
        ws->cap_retired = cap;
    }
    ws->retired[ws->n_retired++] = t;
    return VKATTN_OK;
}

vkattn_status vkattn__ws_view(vkattn__workspace *ws, uint32_t slot, vkattn_dtype dtype, uint32_t ndim,
                              const int64_t *shape, vkattn_tensor **view) {
    *view = NULL;
    uint64_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) n *= (uint64_t)shape[i];
    vkattn_tensor *t = ws->slot[slot];
    if (!t || t->dtype != dtype || vkattn_tensor_numel(t) < n) {
        /* grow by half at least, so a slowly growing sequence does not reallocate every call */
        uint64_t want = t && t->dtype == dtype && vkattn_tensor_numel(t) * 3 / 2 > n ? vkattn_tensor_numel(t) * 3 / 2 : n;
        vkattn__ws_collect(ws);
        if (t && ws->ctx->recording) {
            vkattn_status st = retire(ws, t);
            if (st) return st;
        } else {
            vkattn_tensor_destroy(t);
        }
        ws->slot[slot] = NULL;
        int64_t flat = (int64_t)want;
        vkattn_status st = vkattn_tensor_create(ws->ctx, dtype, 1, &flat, &ws->slot[slot]);
        if (st) return st;
        t = ws->slot[slot];
    }
    int64_t strides[VKATTN_MAX_DIMS], s = 1;
    for (int i = (int)ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i];
    }
    return vkattn_tensor_view(t, 0, ndim, shape, strides, view);
}

void vkattn__ws_collect(vkattn__workspace *ws) {
    if (ws->ctx->recording) return;
    for (uint32_t i = 0; i < ws->n_retired; i++) vkattn_tensor_destroy(ws->retired[i]);
    ws->n_retired = 0;
}

void vkattn__ws_free(vkattn__workspace *ws) {
    for (uint32_t i = 0; i < VKATTN__WS_SLOTS; i++) vkattn_tensor_destroy(ws->slot[i]);
    for (uint32_t i = 0; i < ws->n_retired; i++) vkattn_tensor_destroy(ws->retired[i]);
    free(ws->retired);
    ws->retired = NULL;
    ws->n_retired = ws->cap_retired = 0;
}
