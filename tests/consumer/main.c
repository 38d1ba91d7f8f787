/* A program using an installed vkattn through find_package(vkattn). */
#include <vkattn.h>
#include <stdio.h>

int main(void) {
    uint32_t n = 0;
    vkattn_status st = vkattn_list_devices(NULL, 0, &n);
    printf("vkattn %d.%d.%d: %s, %u device(s)\n", VKATTN_VERSION_MAJOR, VKATTN_VERSION_MINOR, VKATTN_VERSION_PATCH,
           vkattn_status_string(st), n);
    if (st != VKATTN_OK) return st == VKATTN_ERROR_NO_DEVICE ? 0 : 1;
    vkattn_context *ctx;
    if (vkattn_context_create(NULL, &ctx) != VKATTN_OK) return 1;
    int64_t shape[1] = {4};
    vkattn_tensor *t;
    float out[4] = {0};
    st = vkattn_tensor_create(ctx, VKATTN_F32, 1, shape, &t);
    if (st == VKATTN_OK) st = vkattn_fill(ctx, t, 2.5f);
    if (st == VKATTN_OK) st = vkattn_tensor_download_f32(t, out, 4);
    printf("%s: %g %g %g %g on %s\n", vkattn_status_string(st), out[0], out[1], out[2], out[3], vkattn_context_device(ctx)->name);
    vkattn_tensor_destroy(t);
    vkattn_context_destroy(ctx);
    return st == VKATTN_OK && out[3] == 2.5f ? 0 : 1;
}
