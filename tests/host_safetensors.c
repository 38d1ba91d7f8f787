/* Host-only: safetensors writer -> reader round trip (every dtype, scalars,
 * empty tensors, awkward names), and a malformed set built here, each of which
 * must give VKATTN_ERROR_FORMAT with a message, never a crash (also run under
 * ASan + UBSan): truncations at every byte, bad header lengths, bad JSON, bad
 * offsets, overlaps, byte counts, dtypes, shapes, ndim, duplicate names. */
#include "harness.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void write_bytes(const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* A file with header length `len` (as stored), JSON `json`, and `data_bytes` bytes of data. */
static void write_st(uint64_t len, const char *json, size_t data_bytes) {
    size_t jn = strlen(json), n = 8 + jn + data_bytes;
    uint8_t *b = calloc(n, 1);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(len >> (8 * i));
    memcpy(b + 8, json, jn);
    for (size_t i = 0; i < data_bytes; i++) b[8 + jn + i] = (uint8_t)i;
    write_bytes(b, n);
    free(b);
}

/* Expects open to fail with `want` and a message containing `needle` (may be NULL). */
static void expect_fail(const char *what, vkattn_status want, const char *needle) {
    vkattn_safetensors *st = (vkattn_safetensors *)&st; /* must be reset to NULL */
    vkattn_status s = vkattn_safetensors_open(path, &st);
    const char *msg = vkattn_context_error(NULL);
    CHECK(s == want, "%s: got %s (%s), expected %s", what, vkattn_status_string(s), msg, vkattn_status_string(want));
    CHECK(st == NULL, "%s: handle not reset", what);
    CHECK(msg[0] != 0 && strstr(msg, path) != NULL, "%s: message should name the file: \"%s\"", what, msg);
    if (needle) CHECK(strstr(msg, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, msg, needle);
    if (getenv("VKATTN_TEST_VERBOSE")) printf("  %-28s %s\n", what, msg);
    if (s == VKATTN_OK) vkattn_safetensors_close(st);
}

static void round_trip(void) {
    float f32[6] = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-20f};
    uint16_t f16[5] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000};
    uint16_t bf16[3] = {0x3f80, 0xc040, 0x7f80};
    int32_t i32[4] = {7, -1, INT32_MAX, INT32_MIN};
    float scalar = 42.0f;
    int64_t s23[2] = {2, 3}, s5[1] = {5}, s13[3] = {1, 3, 1}, s2x2[2] = {2, 2}, s0[2] = {4, 0}, s4d[4] = {1, 1, 2, 3};
    vkattn_st_writer *w = NULL;
    CHECK_OK(NULL, vkattn_st_writer_create(&w));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "layer.0/weight", VKATTN_F32, 2, s23, f32));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "half", VKATTN_F16, 1, s5, f16));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "brain \"float\" \\ \xc3\xa9\t", VKATTN_BF16, 3, s13, bf16));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "ints", VKATTN_I32, 2, s2x2, i32));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "scalar", VKATTN_F32, 0, NULL, &scalar));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "empty", VKATTN_F32, 2, s0, NULL));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "four_d", VKATTN_F32, 4, s4d, f32));
    /* writer argument checks */
    CHECK_STATUS(NULL, vkattn_st_writer_add(w, "half", VKATTN_F32, 1, s5, f32), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_st_writer_add(w, "q", VKATTN_Q8_0, 1, s5, f32), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_st_writer_add(w, "__metadata__", VKATTN_F32, 1, s5, f32), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_st_writer_add(w, "", VKATTN_F32, 1, s5, f32), VKATTN_ERROR_INVALID_ARGUMENT);
    int64_t s5d[5] = {1, 1, 1, 1, 1}, neg[1] = {-3};
    CHECK_STATUS(NULL, vkattn_st_writer_add(w, "five", VKATTN_F32, 5, s5d, f32), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_st_writer_add(w, "neg", VKATTN_F32, 1, neg, f32), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_st_writer_add(w, "nodata", VKATTN_F32, 1, s5, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_OK(NULL, vkattn_st_writer_save(w, path));
    char bad_path[160];
    snprintf(bad_path, sizeof bad_path, "%s/no/such/dir/x.safetensors", dir);
    CHECK_STATUS(NULL, vkattn_st_writer_save(w, bad_path), VKATTN_ERROR_IO);
    vkattn_st_writer_destroy(w);

    /* the header is padded so the data section starts 8-byte aligned */
    FILE *f = fopen(path, "rb");
    uint8_t len[8] = {0};
    CHECK(f && fread(len, 1, 8, f) == 8, "read header length");
    if (f) fclose(f);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)len[i] << (8 * i);
    CHECK(hl % 8 == 0, "header length %llu not a multiple of 8", (unsigned long long)hl);

    vkattn_safetensors *st = NULL;
    CHECK_OK(NULL, vkattn_safetensors_open(path, &st));
    if (!st) return;
    CHECK(vkattn_safetensors_count(st) == 7, "count %u", vkattn_safetensors_count(st));
    vkattn_st_tensor t;
    const char *order[7] = {"layer.0/weight", "half", "brain \"float\" \\ \xc3\xa9\t", "ints", "scalar", "empty", "four_d"};
    for (uint32_t i = 0; i < 7; i++) {
        CHECK_OK(NULL, vkattn_safetensors_at(st, i, &t));
        CHECK(strcmp(t.name, order[i]) == 0, "order: %u is %s", i, t.name);
    }
    CHECK_STATUS(NULL, vkattn_safetensors_at(st, 7, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_OK(NULL, vkattn_safetensors_find(st, "layer.0/weight", &t));
    CHECK(t.dtype == VKATTN_F32 && t.ndim == 2 && t.shape[0] == 2 && t.shape[1] == 3 && t.bytes == 24 &&
              memcmp(t.data, f32, 24) == 0, "f32 tensor");
    CHECK_OK(NULL, vkattn_safetensors_find(st, "half", &t));
    CHECK(t.dtype == VKATTN_F16 && t.ndim == 1 && t.shape[0] == 5 && t.bytes == 10 && memcmp(t.data, f16, 10) == 0,
          "f16 tensor");
    CHECK_OK(NULL, vkattn_safetensors_find(st, order[2], &t));
    CHECK(t.dtype == VKATTN_BF16 && t.ndim == 3 && t.shape[1] == 3 && t.bytes == 6 && memcmp(t.data, bf16, 6) == 0,
          "bf16 tensor with an escaped name");
    CHECK_OK(NULL, vkattn_safetensors_find(st, "ints", &t));
    CHECK(t.dtype == VKATTN_I32 && t.bytes == 16 && memcmp(t.data, i32, 16) == 0, "i32 tensor");
    CHECK_OK(NULL, vkattn_safetensors_find(st, "scalar", &t));
    CHECK(t.ndim == 1 && t.shape[0] == 1 && t.bytes == 4 && memcmp(t.data, &scalar, 4) == 0, "0-d scalar as [1]");
    CHECK_OK(NULL, vkattn_safetensors_find(st, "empty", &t));
    CHECK(t.ndim == 2 && t.shape[0] == 4 && t.shape[1] == 0 && t.bytes == 0, "empty tensor");
    CHECK_OK(NULL, vkattn_safetensors_find(st, "four_d", &t));
    CHECK(t.ndim == 4 && t.shape[3] == 3 && t.bytes == 24, "4-d tensor");
    /* decoding to f32 / i32 */
    float fv[6];
    int32_t iv[6];
    CHECK_OK(NULL, vkattn_safetensors_find(st, "half", &t));
    CHECK_OK(NULL, vkattn_st_tensor_read_f32(&t, fv, 5));
    CHECK(fv[0] == 1.0f && fv[1] == -2.0f && fv[2] == 65504.0f && fv[3] > 5.9e-8f && fv[3] < 6.0e-8f && fv[4] == 0,
          "f16 decode: %g %g %g %g %g", fv[0], fv[1], fv[2], fv[3], fv[4]);
    CHECK_STATUS(NULL, vkattn_st_tensor_read_f32(&t, fv, 4), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_st_tensor_read_i32(&t, iv, 5), VKATTN_ERROR_INVALID_ARGUMENT); /* 6e-8 is no integer */
    CHECK_OK(NULL, vkattn_safetensors_find(st, order[2], &t));
    CHECK_OK(NULL, vkattn_st_tensor_read_f32(&t, fv, 3));
    CHECK(fv[0] == 1.0f && fv[1] == -3.0f && fv[2] > 3e38f, "bf16 decode: %g %g %g", fv[0], fv[1], fv[2]);
    CHECK_OK(NULL, vkattn_safetensors_find(st, "ints", &t));
    CHECK_OK(NULL, vkattn_st_tensor_read_i32(&t, iv, 4));
    CHECK(memcmp(iv, i32, 16) == 0, "i32 decode");
    CHECK_OK(NULL, vkattn_st_tensor_read_f32(&t, fv, 4));
    CHECK(fv[0] == 7.0f && fv[1] == -1.0f, "i32 -> f32 decode");
    CHECK_OK(NULL, vkattn_safetensors_find(st, "layer.0/weight", &t));
    CHECK_STATUS(NULL, vkattn_st_tensor_read_i32(&t, iv, 6), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(NULL), "must hold integers") != NULL, "i32 decode message");
    CHECK_OK(NULL, vkattn_st_tensor_read_f32(&t, fv, 6));
    CHECK(memcmp(fv, f32, 24) == 0, "f32 decode");

    CHECK_STATUS(NULL, vkattn_safetensors_find(st, "nope", &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(NULL), "nope") != NULL, "find message names the tensor");
    vkattn_safetensors_close(st);

    /* an empty writer gives a valid empty file */
    CHECK_OK(NULL, vkattn_st_writer_create(&w));
    CHECK_OK(NULL, vkattn_st_writer_save(w, path));
    vkattn_st_writer_destroy(w);
    CHECK_OK(NULL, vkattn_safetensors_open(path, &st));
    CHECK(vkattn_safetensors_count(st) == 0, "empty file count");
    vkattn_safetensors_close(st);
}

/* Every proper prefix of a valid file is refused; random header bytes never crash. */
static void truncations_and_corruption(void) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t s[2] = {2, 4};
    vkattn_st_writer *w = NULL;
    CHECK_OK(NULL, vkattn_st_writer_create(&w));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "a", VKATTN_F32, 2, s, x));
    CHECK_OK(NULL, vkattn_st_writer_add(w, "b", VKATTN_F16, 1, s, x));
    CHECK_OK(NULL, vkattn_st_writer_save(w, path));
    vkattn_st_writer_destroy(w);
    FILE *f = fopen(path, "rb");
    uint8_t buf[512];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    CHECK(n > 40 && n < sizeof buf, "valid file size %zu", n);
    int wrong = 0;
    for (size_t cut = 0; cut < n; cut++) {
        write_bytes(buf, cut);
        vkattn_safetensors *st = NULL;
        vkattn_status s2 = vkattn_safetensors_open(path, &st);
        if (s2 != VKATTN_ERROR_FORMAT || !vkattn_context_error(NULL)[0]) {
            wrong++;
            fprintf(stderr, "truncated at %zu: %s\n", cut, vkattn_status_string(s2));
        }
        vkattn_safetensors_close(st);
    }
    CHECK(wrong == 0, "%d truncations not refused with VKATTN_ERROR_FORMAT", wrong);
    /* flip header bytes: either still valid or a clean FORMAT error */
    th_seed(7);
    int other = 0;
    for (int it = 0; it < 2000; it++) {
        uint8_t c[512];
        memcpy(c, buf, n);
        int flips = 1 + it % 3;
        for (int k = 0; k < flips; k++) c[(size_t)th_uniform(0, 8 + (float)(buf[0] + 1))] ^= (uint8_t)th_uniform(1, 256);
        write_bytes(c, n);
        vkattn_safetensors *st = NULL;
        vkattn_status s2 = vkattn_safetensors_open(path, &st);
        if (s2 != VKATTN_OK && s2 != VKATTN_ERROR_FORMAT) other++;
        vkattn_safetensors_close(st);
    }
    CHECK(other == 0, "%d corrupted files gave a status other than OK/FORMAT", other);
}

#define T(dtype, shape, off) "{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" off "}"

static void malformed(void) {
    snprintf(path, sizeof path, "%s/missing.safetensors", dir);
    expect_fail("missing file", VKATTN_ERROR_IO, NULL);
    snprintf(path, sizeof path, "%s", dir);
    expect_fail("a directory", VKATTN_ERROR_IO, NULL);
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);

    write_bytes("", 0);
    expect_fail("empty file", VKATTN_ERROR_FORMAT, "too short");
    write_bytes("\x10\x00\x00\x00", 4);
    expect_fail("truncated length", VKATTN_ERROR_FORMAT, "too short");
    write_st(1000, "{}      ", 16);
    expect_fail("header length past EOF", VKATTN_ERROR_FORMAT, "past the end");
    write_st(UINT64_MAX, "{}      ", 0);
    expect_fail("header length 2^64-1", VKATTN_ERROR_FORMAT, "header length");
    write_st(200ull << 20, "{}      ", 0);
    expect_fail("header length 200 MB", VKATTN_ERROR_FORMAT, "header length");
    write_st(0, "", 0);
    expect_fail("header length 0", VKATTN_ERROR_FORMAT, "too small");

    static const struct {
        const char *what, *json;
        size_t data_bytes;
        const char *needle;
    } cases[] = {
        {"bad JSON", "{\"a\": {\"dtype\": \"F32\",", 0, "not valid JSON"},
        {"not JSON at all", "\x89PNG\r\n\x1a\n", 0, "not valid JSON"},
        {"JSON array", "[1, 2, 3]", 0, "not a JSON object"},
        {"trailing bytes", "{}  xyz ", 0, "after the JSON header"},
        {"entry not an object", "{\"a\": 5}", 0, "not a JSON object"},
        {"missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "needs \"dtype\""},
        {"shape not an array", "{\"a\":" T("F32", "3", "[0,12]") "}", 12, "needs \"dtype\""},
        {"offsets past end", "{\"a\":" T("F32", "[4]", "[0,16]") "}", 8, "outside"},
        {"offsets begin > end", "{\"a\":" T("F32", "[0]", "[8,4]") "}", 16, "end before"},
        {"offsets huge", "{\"a\":" T("F32", "[1]", "[1e300,1e300]") "}", 16, "data_offsets"},
        {"offsets negative", "{\"a\":" T("F32", "[1]", "[-4,0]") "}", 16, "data_offsets"},
        {"offsets fractional", "{\"a\":" T("F32", "[1]", "[0.5,4.5]") "}", 16, "data_offsets"},
        {"offsets three values", "{\"a\":" T("F32", "[1]", "[0,4,8]") "}", 16, "data_offsets"},
        {"offsets strings", "{\"a\":" T("F32", "[1]", "[\"0\",\"4\"]") "}", 16, "data_offsets"},
        {"overlapping offsets", "{\"a\":" T("F32", "[2]", "[0,8]") ",\"b\":" T("F32", "[2]", "[4,12]") "}",
         16, "overlap"},
        {"overlap, reverse order", "{\"a\":" T("F32", "[4]", "[8,24]") ",\"b\":" T("F32", "[6]", "[0,24]") "}",
         32, "overlap"},
        {"contained overlap", "{\"a\":" T("F32", "[8]", "[0,32]") ",\"b\":" T("F32", "[1]", "[12,16]") "}",
         32, "overlap"},
        {"wrong byte count", "{\"a\":" T("F32", "[3]", "[0,8]") "}", 16, "need 12"},
        {"wrong byte count f16", "{\"a\":" T("F16", "[2,2]", "[0,4]") "}", 16, "need 8"},
        {"unknown dtype F64", "{\"a\":" T("F64", "[1]", "[0,8]") "}", 8, "F64"},
        {"unknown dtype I64", "{\"a\":" T("I64", "[1]", "[0,8]") "}", 8, "F32, F16, BF16, I32"},
        {"unknown dtype U8", "{\"a\":" T("U8", "[1]", "[0,1]") "}", 8, "U8"},
        {"dtype not a string", "{\"a\":" T("F32", "[1]", "[0,4]") ",\"b\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[4,8]}}",
         8, "dtype"},
        {"shape overflow", "{\"a\":" T("F32", "[4294967296,4294967296,4294967296]", "[0,4]") "}", 8, "overflow"},
        {"byte size overflow", "{\"a\":" T("F32", "[2147483648,2147483648]", "[0,4]") "}", 8, "byte size"},
        {"shape negative", "{\"a\":" T("F32", "[-1]", "[0,4]") "}", 8, "shape[0]"},
        {"shape fractional", "{\"a\":" T("F32", "[2, 1.5]", "[0,12]") "}", 16, "shape[1]"},
        {"shape string", "{\"a\":" T("F32", "[\"2\"]", "[0,8]") "}", 8, "shape[0]"},
        {"shape huge double", "{\"a\":" T("F32", "[1e30]", "[0,8]") "}", 8, "shape[0]"},
        {"ndim 5", "{\"a\":" T("F32", "[1,1,1,1,1]", "[0,4]") "}", 8, "5 dimensions"},
        {"duplicate names", "{\"a\":" T("F32", "[1]", "[0,4]") ",\"a\":" T("F32", "[1]", "[4,8]") "}",
         8, "appears twice"},
        {"deep nesting", "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
         0, "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_st(strlen(cases[i].json), cases[i].json, cases[i].data_bytes);
        expect_fail(cases[i].what, VKATTN_ERROR_FORMAT, cases[i].needle);
    }

    /* accepted: metadata skipped, gaps between tensors, scalars */
    const char *ok = "{\"__metadata__\":{\"format\":\"pt\"},\"s\":" T("I32", "[]", "[0,4]") ",\"g\":"
                     T("F32", "[1]", "[8,12]") "}";
    write_st(strlen(ok), ok, 16);
    vkattn_safetensors *st = NULL;
    CHECK_OK(NULL, vkattn_safetensors_open(path, &st));
    CHECK(vkattn_safetensors_count(st) == 2, "metadata is not a tensor");
    vkattn_st_tensor t;
    CHECK_OK(NULL, vkattn_safetensors_find(st, "s", &t));
    CHECK(t.ndim == 1 && t.shape[0] == 1 && t.dtype == VKATTN_I32, "scalar");
    vkattn_safetensors_close(st);
    vkattn_safetensors_close(NULL);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/vkattn_st_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/t.safetensors", dir);
    round_trip();
    truncations_and_corruption();
    malformed();
    snprintf(path, sizeof path, "%s/t.safetensors", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    remove(path);
    rmdir(dir);
    return th_finish(NULL);
}
