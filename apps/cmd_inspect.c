/* vkattn inspect: lists the metadata and tensors of a .gguf or .safetensors file
 * (as gguf-dump does), as text or JSON. The format is told by the magic bytes.
 * --dump NAME OUT writes one GGUF tensor's values, dequantized on the host, as raw f32. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_PREVIEW 8 /* array elements shown without --all */

typedef struct inspect_opts {
    int json, all;
} inspect_opts;

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static int utf8_len(const unsigned char *s, uint64_t n) {
    int len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || (uint64_t)len > n || (len == 2 && s[0] < 0xc2)) return 0;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return len;
}

/* A quoted string: JSON escapes (invalid UTF-8 -> U+FFFD) or, for text, \xNN for
 * bytes that are not valid UTF-8; text output is cut after `max` bytes. */
static void print_string(const char *str, uint64_t n, int json, uint64_t max) {
    const unsigned char *s = (const unsigned char *)str;
    putchar('"');
    for (uint64_t i = 0; i < n;) {
        if (!json && i >= max) {
            printf("...");
            break;
        }
        int len = utf8_len(s + i, n - i);
        unsigned char c = s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') printf("\\n");
        else if (c == '\t') printf("\\t");
        else if (c < 0x20 || c == 0x7f) printf(json ? "\\u%04x" : "\\x%02x", c);
        else if (len > 1) fwrite(s + i, 1, (size_t)len, stdout);
        else if (len == 1) putchar(c);
        else printf(json ? "\\ufffd" : "\\x%02x", c);
        i += len > 1 ? (uint64_t)len : 1;
    }
    putchar('"');
}

static void print_double(double v, int json, int f32) {
    if (!isfinite(v)) printf(json ? "null" : "%g", v);
    else printf(f32 ? "%.9g" : "%.17g", v);
}

/* ---- GGUF ---------------------------------------------------------------- */

static int is_float(int type) { return type == VKATTN_GGUF_FLOAT32 || type == VKATTN_GGUF_FLOAT64; }
static int is_unsigned(int type) {
    return type == VKATTN_GGUF_UINT8 || type == VKATTN_GGUF_UINT16 || type == VKATTN_GGUF_UINT32 ||
           type == VKATTN_GGUF_UINT64;
}

static void print_scalar(const vkattn_gguf *g, const char *key, int type, int json) {
    uint64_t u;
    int64_t i;
    double f;
    int b;
    const char *s;
    uint64_t len;
    if (type == VKATTN_GGUF_STRING && vkattn_gguf_get_string(g, key, &s, &len) == VKATTN_OK)
        print_string(s, len, json, 200);
    else if (type == VKATTN_GGUF_BOOL && vkattn_gguf_get_bool(g, key, &b) == VKATTN_OK)
        printf(b ? "true" : "false");
    else if (is_float(type) && vkattn_gguf_get_f64(g, key, &f) == VKATTN_OK)
        print_double(f, json, type == VKATTN_GGUF_FLOAT32);
    else if (is_unsigned(type) && vkattn_gguf_get_u64(g, key, &u) == VKATTN_OK)
        printf("%llu", (unsigned long long)u);
    else if (vkattn_gguf_get_i64(g, key, &i) == VKATTN_OK)
        printf("%lld", (long long)i);
}

/* Prints the first n elements. */
static void print_array(const vkattn_gguf *g, const char *key, vkattn_gguf_type et, uint64_t n, int json) {
    printf("[");
    for (uint64_t k = 0; k < n; k++) {
        if (k) printf(", ");
        const char *s;
        uint64_t len;
        double f;
        int64_t iv;
        uint64_t uv;
        if (et == VKATTN_GGUF_STRING && vkattn_gguf_array_string(g, key, k, &s, &len) == VKATTN_OK)
            print_string(s, len, json, 60);
        else if (is_float(et) && vkattn_gguf_array_f64(g, key, k, 1, &f) == VKATTN_OK)
            print_double(f, json, et == VKATTN_GGUF_FLOAT32);
        else if (et == VKATTN_GGUF_BOOL && vkattn_gguf_array_i64(g, key, k, 1, &iv) == VKATTN_OK)
            printf(iv ? "true" : "false");
        else if (is_unsigned(et) && vkattn_gguf_array_u64(g, key, k, 1, &uv) == VKATTN_OK)
            printf("%llu", (unsigned long long)uv);
        else if (vkattn_gguf_array_i64(g, key, k, 1, &iv) == VKATTN_OK)
            printf("%lld", (long long)iv);
        else
            printf("%s", json ? "null" : "[...]"); /* nested arrays are not readable element-wise */
    }
    printf("]");
}

/* "[a, b, c]" into buf (cut if too long). */
static const char *format_shape(char *buf, size_t size, const int64_t *shape, uint32_t ndim) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (uint32_t d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (n < size) snprintf(buf + n, size - n, "]");
    return buf;
}

static int inspect_gguf(const char *path, const inspect_opts *o) {
    vkattn_gguf *g = NULL;
    vkattn_status st = vkattn_gguf_open(path, &g);
    if (st != VKATTN_OK) return cli_fail("inspect", st, NULL);
    uint64_t nkv = vkattn_gguf_kv_count(g), nt = vkattn_gguf_tensor_count(g);
    if (o->json)
        printf("{\"format\": \"gguf\", \"version\": %u, \"alignment\": %llu, \"data_offset\": %llu,\n \"metadata\": [",
               vkattn_gguf_version(g), (unsigned long long)vkattn_gguf_alignment(g),
               (unsigned long long)vkattn_gguf_data_offset(g));
    else
        printf("%s: GGUF v%u, alignment %llu, data at byte %llu, %llu metadata entries, %llu tensors\n\nmetadata:\n",
               path, vkattn_gguf_version(g), (unsigned long long)vkattn_gguf_alignment(g),
               (unsigned long long)vkattn_gguf_data_offset(g), (unsigned long long)nkv, (unsigned long long)nt);
    for (uint64_t i = 0; i < nkv; i++) {
        const char *key = vkattn_gguf_kv_key(g, i);
        int type = vkattn_gguf_kv_type(g, i);
        vkattn_gguf_type et = VKATTN_GGUF_UINT8;
        uint64_t count = 0;
        if (type == VKATTN_GGUF_ARRAY) vkattn_gguf_get_array(g, key, &et, &count);
        if (o->json) {
            printf("%s\n  {\"key\": ", i ? "," : "");
            print_string(key, strlen(key), 1, 0);
            printf(", \"type\": \"%s\", ", vkattn_gguf_type_string((vkattn_gguf_type)type));
            if (type == VKATTN_GGUF_ARRAY)
                printf("\"elem_type\": \"%s\", \"count\": %llu, ", vkattn_gguf_type_string(et), (unsigned long long)count);
            printf("\"value\": ");
        } else {
            char t[48];
            if (type == VKATTN_GGUF_ARRAY)
                snprintf(t, sizeof t, "%s[%llu]", vkattn_gguf_type_string(et), (unsigned long long)count);
            else
                snprintf(t, sizeof t, "%s", vkattn_gguf_type_string((vkattn_gguf_type)type));
            printf("  %-44s %-16s ", key, t);
        }
        uint64_t shown = o->all || count <= ARRAY_PREVIEW ? count : ARRAY_PREVIEW;
        if (type == VKATTN_GGUF_ARRAY) print_array(g, key, et, shown, o->json);
        else print_scalar(g, key, type, o->json);
        if (o->json) printf("%s}", shown < count ? ", \"truncated\": true" : "");
        else if (shown < count) printf(" ... %llu more\n", (unsigned long long)(count - shown));
        else printf("\n");
    }
    if (o->json) printf("],\n \"tensors\": [");
    else printf("\ntensors (shape row-major, outermost first: GGUF's ne reversed):\n  %5s  %-40s %-8s %-24s %12s %12s\n",
                "#", "name", "type", "shape", "offset", "bytes");
    int unsupported = 0;
    for (uint64_t i = 0; i < nt; i++) {
        vkattn_gguf_tensor t;
        vkattn_dtype dt;
        char shape[96];
        vkattn_gguf_tensor_at(g, i, &t);
        int ok = vkattn_gguf_tensor_dtype(&t, &dt) == VKATTN_OK;
        unsupported += !ok;
        if (o->json) {
            printf("%s\n  {\"name\": ", i ? "," : "");
            print_string(t.name, strlen(t.name), 1, 0);
            printf(", \"type\": \"%s\", \"ggml_type\": %u, \"supported\": %s, \"shape\": %s, \"offset\": %llu, "
                   "\"bytes\": %llu}",
                   t.type_name, t.ggml_type, ok ? "true" : "false", format_shape(shape, sizeof shape, t.shape, t.ndim),
                   (unsigned long long)t.offset, (unsigned long long)t.bytes);
        } else {
            printf("  %5llu  %-40s %-6s%-2s %-24s %12llu %12llu\n", (unsigned long long)i, t.name, t.type_name,
                   ok ? "" : " *", format_shape(shape, sizeof shape, t.shape, t.ndim), (unsigned long long)t.offset,
                   (unsigned long long)t.bytes);
        }
    }
    if (o->json) printf("]}\n");
    else if (unsupported)
        printf("\n* %d tensor(s) of a type vkattn does not support (supported: " VKATTN_GGUF_SUPPORTED_TYPES ")\n",
               unsupported);
    vkattn_gguf_close(g);
    return 0;
}

/* ---- safetensors ---------------------------------------------------------------- */

static int inspect_safetensors(const char *path, const inspect_opts *o) {
    vkattn_safetensors *st = NULL;
    vkattn_status s = vkattn_safetensors_open(path, &st);
    if (s != VKATTN_OK) return cli_fail("inspect", s, NULL);
    uint32_t n = vkattn_safetensors_count(st);
    uint64_t total = 0;
    if (o->json) printf("{\"format\": \"safetensors\", \"tensors\": [");
    else printf("%s: safetensors, %u tensors\n\n  %5s  %-40s %-6s %-24s %12s\n", path, n, "#", "name", "dtype", "shape",
                "bytes");
    char shape[96];
    for (uint32_t i = 0; i < n; i++) {
        vkattn_st_tensor t;
        vkattn_safetensors_at(st, i, &t);
        total += t.bytes;
        if (o->json) {
            printf("%s\n  {\"name\": ", i ? "," : "");
            print_string(t.name, strlen(t.name), 1, 0);
            printf(", \"dtype\": \"%s\", \"shape\": %s, \"bytes\": %llu}", vkattn_dtype_string(t.dtype),
                   format_shape(shape, sizeof shape, t.shape, t.ndim), (unsigned long long)t.bytes);
        } else {
            printf("  %5u  %-40s %-6s %-24s %12llu\n", i, t.name, vkattn_dtype_string(t.dtype),
                   format_shape(shape, sizeof shape, t.shape, t.ndim), (unsigned long long)t.bytes);
        }
    }
    if (o->json) printf("]}\n");
    else printf("\n%llu bytes of tensor data\n", (unsigned long long)total);
    vkattn_safetensors_close(st);
    return 0;
}

/* Writes tensor `name` of the GGUF at path as little-endian f32 (vkattn_dequantize) to out. */
static int dump_tensor(const char *path, const char *name, const char *out) {
    vkattn_gguf *g = NULL;
    vkattn_gguf_tensor t;
    vkattn_dtype dt;
    if (vkattn_gguf_open(path, &g) || vkattn_gguf_find_tensor(g, name, &t) || vkattn_gguf_tensor_dtype(&t, &dt)) {
        fprintf(stderr, "vkattn inspect: %s\n", vkattn_context_error(NULL));
        vkattn_gguf_close(g);
        return 1;
    }
    uint64_t n = 1;
    for (uint32_t d = 0; d < t.ndim; d++) n *= (uint64_t)t.shape[d];
    float *v = malloc(n ? n * sizeof *v : 1);
    FILE *f = v ? fopen(out, "wb") : NULL;
    int ok = f && vkattn_dequantize(dt, t.data, n, v) == VKATTN_OK && fwrite(v, sizeof *v, n, f) == n;
    if (f && fclose(f)) ok = 0;
    if (!ok) fprintf(stderr, "vkattn inspect: cannot write %s: %s\n", out, v ? vkattn_context_error(NULL) : "out of memory");
    free(v);
    vkattn_gguf_close(g);
    return ok ? 0 : 1;
}

int cmd_inspect(int argc, char **argv) {
    inspect_opts o = {0};
    const char *path = NULL, *dump = NULL, *dump_out = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vkattn inspect FILE [--json] [--all] [--dump TENSOR OUT.f32]\n\n"
                   "Lists the metadata and tensors of a .gguf or .safetensors file (told apart by content).\n"
                   "  --json   machine-readable output\n"
                   "  --all    every array element (default: the first %d)\n"
                   "  --dump TENSOR OUT.f32   instead, write a GGUF tensor's values (dequantized) as raw f32\n",
                   ARRAY_PREVIEW);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) o.json = 1;
        else if (strcmp(argv[i], "--all") == 0) o.all = 1;
        else if (strcmp(argv[i], "--dump") == 0 && i + 2 < argc) dump = argv[++i], dump_out = argv[++i];
        else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "vkattn inspect: unexpected argument \"%s\" (see --help)\n", argv[i]);
            return 2;
        } else path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: vkattn inspect FILE [--json] [--all] [--dump TENSOR OUT.f32]\n");
        return 2;
    }
    if (dump) return dump_tensor(path, dump, dump_out);
    char magic[4] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(magic, 1, 4, f) : 0;
    if (f) fclose(f);
    if (got == 4 && memcmp(magic, "GGUF", 4) == 0) return inspect_gguf(path, &o);
    return inspect_safetensors(path, &o); /* it reports missing files and unknown content */
}
