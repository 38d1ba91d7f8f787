/* Scratch memory owned by a layer object (projections, scores between its kernels).
 *
 * Tensors may not be freed while a batch that uses them is open, and a layer can be
 * recorded into the caller's batch. So a slot that must grow inside a batch allocates
 * a new buffer and retires the old one; retired buffers are freed by the next call made
 * outside a batch, or by vkattn__ws_free. Reusing a slot across ops of one batch is
 * safe: the recorder puts barriers on the read/write hazards. */
#ifndef VKATTN_WORKSPACE_H
#define VKATTN_WORKSPACE_H

#include "../core/core.h"

#define VKATTN__WS_SLOTS 4

typedef struct vkattn__workspace {
    vkattn_context *ctx;
    vkattn_tensor *slot[VKATTN__WS_SLOTS];
    vkattn_tensor **retired;
    uint32_t n_retired, cap_retired;
} vkattn__workspace;

/* A contiguous [shape] view of dtype backed by `slot` (valid until the slot is next requested). */
vkattn_status vkattn__ws_view(vkattn__workspace *ws, uint32_t slot, vkattn_dtype dtype, uint32_t ndim,
                              const int64_t *shape, vkattn_tensor **view);
/* Frees retired buffers when no batch is open (a no-op inside one). */
void vkattn__ws_collect(vkattn__workspace *ws);
void vkattn__ws_free(vkattn__workspace *ws);

#endif
