/* Internal to vkattn_linear: the GEMM kernel choice, a pure function of the device info so
 * that tests can drive it with the infos of real GPUs (tests/host_device_plan.c); and the
 * column-slice form the model loader's mixed-type stacks use. */
#ifndef VKATTN_OPS_LINEAR_H
#define VKATTN_OPS_LINEAR_H

#include "vkattn.h"

/* How a device runs the GEMM: the shader, its workgroup size, the register block (rm rows of x
 * by rn rows of W), for gemm_ks the largest subgroup size (the host plans the grid with it;
 * the shader uses the actual one, so any size the driver picks is correct), and the tile of y
 * one workgroup computes (tile_m rows of x by tile_n rows of W). gemm_tiled also has its
 * shared-memory tile bm x bn (= tile_m x tile_n) and the K slice bk staged at a time. */
typedef struct vkattn__gemm_profile {
    const char *shader;
    uint32_t wg, rm, rn, sg, tile_m, tile_n, bk;
} vkattn__gemm_profile;

/* Products of up to this many rows of x run gemm_ks: on CPU drivers with the decode (M = 1) profile,
 * on GPUs as a multi-column GEMV (linear.c). */
#define VKATTN__GEMV_MAX_M 8

/* The profile for M rows of x on `info`; `force` is $VKATTN_GEMM (tiled | blocked | ks, or
 * NULL / "" for the device's choice). Returns 0 if force names no kernel. */
int vkattn__gemm_pick(const vkattn_device_info *info, uint32_t M, const char *force, vkattn__gemm_profile *out);

/* y[:, col0 : col0 + N] = x W^T (+ bias[col0 : col0 + N]) for W of N rows: the columns of a stacked
 * projection one part of it computes, when the parts are stored in different types (model.c). y and
 * bias span all of y's columns; the other columns are left as they are. */
vkattn_status vkattn__linear_cols(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *w, const vkattn_tensor *bias,
                                  vkattn_tensor *y, int64_t col0);

#endif
