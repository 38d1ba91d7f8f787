/* Context-level behaviour: validation messages are caught, the pipeline cache
 * persists and rejects foreign/corrupt data, device selection errors, limits
 * refused with clear errors, profiling. */
#include "harness.h"
#include "core/core.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The messenger must see a real validation error (else a clean run proves nothing). */
static void test_validation_is_live(vkattn_context *ctx) {
    if (!vkattn_context_validation_messages(ctx, NULL, 0) && getenv("VKATTN_TEST_VALIDATION") &&
        strcmp(getenv("VKATTN_TEST_VALIDATION"), "0") == 0)
        return;
    uint32_t before = vkattn_context_validation_messages(ctx, NULL, 0);
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 256, .usage = 0}; /* usage 0 is invalid */
    VkBuffer b = VK_NULL_HANDLE;
    if (ctx->vk.vkCreateBuffer(ctx->device, &bci, NULL, &b) == VK_SUCCESS) ctx->vk.vkDestroyBuffer(ctx->device, b, NULL);
    uint32_t after = vkattn_context_validation_messages(ctx, NULL, 0);
    CHECK(after > before, "an invalid vkCreateBuffer produced no validation message: is the layer active?");
    /* reset so th_finish checks only the real work */
    ctx->validation_count = 0;
}

static void workload(vkattn_context *ctx) {
    int64_t shape[1] = {100};
    vkattn_tensor *a = th_tensor(ctx, VKATTN_F32, 1, shape, NULL), *b = th_tensor(ctx, VKATTN_F32, 1, shape, NULL);
    CHECK_OK(ctx, vkattn_fill(ctx, a, 3));
    CHECK_OK(ctx, vkattn_copy(ctx, a, b));
    vkattn_tensor_destroy(a);
    vkattn_tensor_destroy(b);
}

static vkattn_context *open_with_cache(const char *dir) {
    vkattn_context_desc d = {.validation = 1, .cache_dir = dir};
    vkattn_context *c = NULL;
    vkattn_status st = vkattn_context_create(&d, &c);
    CHECK(st == VKATTN_OK, "context with cache dir: %s", vkattn_context_error(NULL));
    return c;
}

static void test_pipeline_cache(void) {
    char dir[] = "/tmp/vkattn-test-cache-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    vkattn_context *c = open_with_cache(dir);
    if (!c) return;
    char path[1100];
    snprintf(path, sizeof path, "%s", c->cache_path);
    vkattn_stats s;
    vkattn_context_stats(c, &s);
    CHECK(!s.pipeline_cache_loaded, "fresh directory yet a cache was loaded");
    workload(c);
    vkattn_context_destroy(c);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && sb.st_size > 0, "no cache file written at %s", path);

    c = open_with_cache(dir);
    vkattn_context_stats(c, &s);
    CHECK(s.pipeline_cache_loaded, "cache written by the first context was not loaded");
    workload(c);
    vkattn_context_destroy(c);

    /* corrupt: garbage of a plausible size */
    FILE *f = fopen(path, "wb");
    for (int i = 0; f && i < 4096; i++) fputc(i * 7 + 3, f);
    if (f) fclose(f);
    c = open_with_cache(dir);
    vkattn_context_stats(c, &s);
    CHECK(!s.pipeline_cache_loaded, "corrupt cache data was trusted");
    workload(c);
    vkattn_context_destroy(c);

    /* foreign: a valid-looking header from another device (uuid flipped) */
    size_t n = 0;
    f = fopen(path, "rb");
    uint8_t buf[1 << 16];
    if (f) {
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
    }
    if (n >= 32) {
        buf[16] ^= 0xff;
        f = fopen(path, "wb");
        if (f) {
            fwrite(buf, 1, n, f);
            fclose(f);
        }
        c = open_with_cache(dir);
        vkattn_context_stats(c, &s);
        CHECK(!s.pipeline_cache_loaded, "a cache with another device's UUID was trusted");
        vkattn_context_destroy(c);
    }
    remove(path);
    rmdir(dir);
}

static void test_device_selection(void) {
    vkattn_context_desc d = {.device = "no-such-gpu-xyz"};
    vkattn_context *c = (vkattn_context *)&d;
    CHECK(vkattn_context_create(&d, &c) == VKATTN_ERROR_NO_DEVICE, "unknown device name accepted");
    CHECK(c == NULL, "out not cleared");
    CHECK(strstr(vkattn_context_error(NULL), "no-such-gpu-xyz") != NULL, "message: %s", vkattn_context_error(NULL));
    d.device = "99";
    CHECK(vkattn_context_create(&d, &c) == VKATTN_ERROR_NO_DEVICE, "device index 99 accepted");
    d.device = "cpu"; /* both test drivers are CPU devices */
    CHECK(vkattn_context_create(&d, &c) == VKATTN_OK, "select by type: %s", vkattn_context_error(NULL));
    vkattn_context_destroy(c);
}

static void test_limits(vkattn_context *ctx) {
    const vkattn_device_info *info = vkattn_context_device(ctx);
    /* larger than one allocation may be: refused, not attempted */
    int64_t huge[1] = {(int64_t)(info->max_allocation_size / 4) + 4096};
    vkattn_tensor *t = NULL;
    CHECK_STATUS(ctx, vkattn_tensor_create(ctx, VKATTN_F32, 1, huge, &t), VKATTN_ERROR_TOO_LARGE);
    /* a binding over maxStorageBufferRange is refused by ops that cannot split it */
    if (info->max_storage_buffer_range < info->max_allocation_size &&
        info->max_storage_buffer_range <= 256ull * 1024 * 1024) {
        int64_t big[1] = {(int64_t)(info->max_storage_buffer_range / 4) + 1024};
        vkattn_tensor *a = th_tensor(ctx, VKATTN_F32, 1, big, NULL), *b = th_tensor(ctx, VKATTN_F32, 1, big, NULL);
        CHECK_STATUS(ctx, vkattn_copy(ctx, a, b), VKATTN_ERROR_TOO_LARGE);
        CHECK(strstr(vkattn_context_error(ctx), "maxStorageBufferRange") != NULL, "message: %s", vkattn_context_error(ctx));
        /* fill splits its binding, so it works at any size */
        CHECK_OK(ctx, vkattn_fill(ctx, a, 2.0f));
        float *x = th_download(ctx, a);
        CHECK(x[0] == 2.0f && x[big[0] - 1] == 2.0f, "split fill: %g %g", x[0], x[big[0] - 1]);
        free(x);
        vkattn_tensor_destroy(a);
        vkattn_tensor_destroy(b);
    }
}

static void test_profiling(void) {
    vkattn_context_desc d = {.validation = 1, .profiling = 1, .cache_dir = ""};
    vkattn_context *c = NULL;
    CHECK(vkattn_context_create(&d, &c) == VKATTN_OK, "profiling context: %s", vkattn_context_error(NULL));
    if (!c) return;
    if (!vkattn_context_device(c)->timestamps) {
        printf("note: profiling not checked on %s: no timestamps\n", vkattn_context_device(c)->name);
        vkattn_context_destroy(c);
        return;
    }
    CHECK_OK(c, vkattn_begin(c));
    int64_t shape[1] = {1000};
    vkattn_tensor *a = NULL;
    CHECK_OK(c, vkattn_submit(c));
    a = th_tensor(c, VKATTN_F32, 1, shape, NULL);
    CHECK_OK(c, vkattn_begin(c));
    CHECK_OK(c, vkattn_fill(c, a, 1));
    CHECK_OK(c, vkattn_fill(c, a, 2));
    CHECK_OK(c, vkattn_submit(c));
    vkattn_profile_entry e[4];
    uint32_t n = vkattn_profile_get(c, e, 4);
    CHECK(n == 1 && e[0].count == 2 && strcmp(e[0].label, "fill") == 0 && e[0].total_ms >= 0,
          "profile: %u entries, first %s x%u", n, n ? e[0].label : "-", n ? e[0].count : 0);
    CHECK(vkattn_context_validation_messages(c, NULL, 0) == 0, "validation messages while profiling");
    vkattn_tensor_destroy(a);
    vkattn_context_destroy(c);
}

int main(void) {
    vkattn_context *ctx = th_context();
    test_validation_is_live(ctx);
    test_limits(ctx);
    test_pipeline_cache();
    test_device_selection();
    test_profiling();
    return th_finish(ctx);
}
