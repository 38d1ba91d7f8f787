/* GGUF reader (v2, v3; little-endian), memory-mapped and fully validated.
 *
 * Layout (ggml docs/gguf.md): "GGUF", u32 version, u64 tensor count, u64 kv count;
 * kv: string key, u32 value type, value; tensor info: string name, u32 n_dims,
 * u64 ne[n_dims] (ne[0] innermost), u32 ggml type, u64 offset; padding to the
 * alignment (general.alignment, default 32); tensor data. Strings are u64 length +
 * bytes (no NUL); arrays are u32 element type, u64 count, elements.
 *
 * The header is walked twice with the same code: pass 0 checks every length
 * against the bytes left and counts what must be stored, pass 1 stores it into
 * allocations of exactly that size. So no count from the file sizes an
 * allocation before the bytes it describes have been seen. */
#include "formats.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GGUF_DEFAULT_ALIGNMENT 32
#define MAX_ARRAY_DEPTH 8

/* ---- ggml tensor types: id -> name, block size, bytes per block ---- */

typedef struct ggml_type_info {
    const char *name;
    uint32_t block, size;
} ggml_type_info;

static const ggml_type_info ggml_types[] = {
    [0] = {"F32", 1, 4},          [1] = {"F16", 1, 2},         [2] = {"Q4_0", 32, 18},      [3] = {"Q4_1", 32, 20},
    [6] = {"Q5_0", 32, 22},       [7] = {"Q5_1", 32, 24},      [8] = {"Q8_0", 32, 34},      [9] = {"Q8_1", 32, 40},
    [10] = {"Q2_K", 256, 84},     [11] = {"Q3_K", 256, 110},   [12] = {"Q4_K", 256, 144},   [13] = {"Q5_K", 256, 176},
    [14] = {"Q6_K", 256, 210},    [15] = {"Q8_K", 256, 292},   [16] = {"IQ2_XXS", 256, 66}, [17] = {"IQ2_XS", 256, 74},
    [18] = {"IQ3_XXS", 256, 98},  [19] = {"IQ1_S", 256, 50},   [20] = {"IQ4_NL", 32, 18},   [21] = {"IQ3_S", 256, 110},
    [22] = {"IQ2_S", 256, 82},    [23] = {"IQ4_XS", 256, 136}, [24] = {"I8", 1, 1},         [25] = {"I16", 1, 2},
    [26] = {"I32", 1, 4},         [27] = {"I64", 1, 8},        [28] = {"F64", 1, 8},        [29] = {"IQ1_M", 256, 56},
    [30] = {"BF16", 1, 2},        [34] = {"TQ1_0", 256, 54},   [35] = {"TQ2_0", 256, 66},   [39] = {"MXFP4", 32, 17},
    [40] = {"NVFP4", 64, 36},     [41] = {"Q1_0", 128, 18},    [42] = {"Q2_0", 64, 18},
};
#define N_GGML_TYPES (sizeof ggml_types / sizeof ggml_types[0])

static const ggml_type_info *ggml_type(uint32_t id) {
    return id < N_GGML_TYPES && ggml_types[id].name ? &ggml_types[id] : NULL;
}

/* ---- metadata value types ---- */

static const char *const value_type_names[] = {"uint8", "int8",  "uint16", "int16", "uint32", "int32", "float32",
                                               "bool",  "string", "array", "uint64", "int64", "float64"};
static const uint8_t scalar_size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8}; /* 0: not a scalar */
#define N_VALUE_TYPES 13

const char *vkattn_gguf_type_string(vkattn_gguf_type t) {
    return (unsigned)t < N_VALUE_TYPES ? value_type_names[t] : "?";
}

static int is_int_type(uint32_t t) { return t <= VKATTN_GGUF_INT32 || t == VKATTN_GGUF_UINT64 || t == VKATTN_GGUF_INT64; }
/* element kinds the typed getters accept */
static int elem_string(uint32_t t) { return t == VKATTN_GGUF_STRING; }
static int elem_number(uint32_t t) { return is_int_type(t) || t == VKATTN_GGUF_FLOAT32 || t == VKATTN_GGUF_FLOAT64; }
static int elem_integer(uint32_t t) { return is_int_type(t) || t == VKATTN_GGUF_BOOL; }

typedef struct gg_str {
    const char *s; /* NUL-terminated copy */
    uint64_t len;
} gg_str;

typedef struct gg_kv {
    gg_str key;
    uint32_t type;
    const uint8_t *raw;  /* scalar value or numeric array elements, inside the mapping */
    gg_str str;          /* STRING */
    uint32_t elem_type;  /* ARRAY */
    uint64_t count;
    gg_str *strs;        /* ARRAY of STRING */
} gg_kv;

typedef struct gg_tensor {
    gg_str name;
    uint32_t type, ndim;
    uint64_t ne[VKATTN_MAX_DIMS];
    uint64_t offset, bytes;
} gg_tensor;

struct vkattn_gguf {
    vkattn__mapped map;
    int borrowed; /* map points at caller memory (vkattn_gguf_open_memory): not unmapped */
    char *path;
    uint32_t version;
    uint64_t alignment, data_offset, data_size;
    gg_kv *kvs;
    uint64_t n_kv;
    gg_tensor *tensors;
    uint64_t n_tensors;
    gg_kv **kv_by_key;
    gg_tensor **t_by_name;
    char *arena; /* every stored string, NUL-terminated */
    uint64_t arena_used;
    gg_str *strs; /* elements of every string array */
    uint64_t strs_used;
};

void vkattn__gguf_drop(const vkattn_gguf *g, const void *p, uint64_t n) {
    if (g && !g->borrowed) vkattn__mapped_drop(&g->map, p, n);
}

/* ---- the parser ---------------------------------------------------------------- */

typedef struct parser {
    vkattn_gguf *g;
    const uint8_t *p;
    uint64_t size, pos;
    int fill;                 /* pass 1: store */
    uint64_t n_chars, n_strs; /* pass 0: arena bytes and string-array elements needed */
    char where[160];          /* what is being read, for messages */
    vkattn_status st;
} parser;

static int perr(parser *ps, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int perr(parser *ps, const char *fmt, ...) {
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ps->st = vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: %s", ps->g->path, msg);
    return 0;
}

static int need(parser *ps, uint64_t n, const char *what) {
    if (n <= ps->size - ps->pos) return 1;
    return perr(ps, "truncated: %s of %s needs %llu bytes at offset %llu, but the file ends at %llu", what, ps->where,
                (unsigned long long)n, (unsigned long long)ps->pos, (unsigned long long)ps->size);
}

static int rd_u32(parser *ps, uint32_t *v, const char *what) {
    if (!need(ps, 4, what)) return 0;
    *v = vkattn__le32(ps->p + ps->pos);
    ps->pos += 4;
    return 1;
}

static int rd_u64(parser *ps, uint64_t *v, const char *what) {
    if (!need(ps, 8, what)) return 0;
    *v = vkattn__le64(ps->p + ps->pos);
    ps->pos += 8;
    return 1;
}

/* A string. *dst gets the bytes in the mapping (not NUL-terminated), or with `keep`
 * in pass 1 a NUL-terminated copy in the arena (counted in pass 0). */
static int rd_str(parser *ps, gg_str *dst, int keep, const char *what) {
    uint64_t len;
    if (!rd_u64(ps, &len, what)) return 0;
    if (len > ps->size - ps->pos)
        return perr(ps, "%s of %s claims %llu bytes at offset %llu, past the end of the file (%llu bytes)", what,
                    ps->where, (unsigned long long)len, (unsigned long long)ps->pos, (unsigned long long)ps->size);
    dst->s = (const char *)ps->p + ps->pos;
    dst->len = len;
    if (keep && ps->fill) {
        char *c = ps->g->arena + ps->g->arena_used;
        memcpy(c, ps->p + ps->pos, (size_t)len);
        c[len] = 0;
        ps->g->arena_used += len + 1;
        dst->s = c;
    } else if (keep) {
        ps->n_chars += len + 1;
    }
    ps->pos += len;
    return 1;
}

/* "what \"name\"" into ps->where, the name cut at 100 bytes. */
static void set_where(parser *ps, const char *what, const gg_str *name) {
    snprintf(ps->where, sizeof ps->where, "%s \"%.*s\"", what, (int)(name->len < 100 ? name->len : 100), name->s);
}

/* One value of `type`; `kv` receives it (top level) or is NULL (inside nested arrays). */
static int rd_value(parser *ps, uint32_t type, gg_kv *kv, int depth) {
    if (type >= N_VALUE_TYPES) return perr(ps, "%s has unknown value type %u (valid: 0..12)", ps->where, type);
    if (scalar_size[type]) {
        if (!need(ps, scalar_size[type], value_type_names[type])) return 0;
        if (type == VKATTN_GGUF_BOOL && ps->p[ps->pos] > 1)
            return perr(ps, "%s: bool value %u at offset %llu is neither 0 nor 1", ps->where, ps->p[ps->pos],
                        (unsigned long long)ps->pos);
        if (kv) kv->raw = ps->p + ps->pos;
        ps->pos += scalar_size[type];
        return 1;
    }
    if (type == VKATTN_GGUF_STRING) {
        gg_str scratch;
        return rd_str(ps, kv ? &kv->str : &scratch, kv != NULL, "string value");
    }
    /* array */
    if (depth >= MAX_ARRAY_DEPTH) return perr(ps, "%s: arrays nested deeper than %d levels", ps->where, MAX_ARRAY_DEPTH);
    uint32_t et;
    uint64_t count;
    if (!rd_u32(ps, &et, "array element type") || !rd_u64(ps, &count, "array length")) return 0;
    if (et >= N_VALUE_TYPES)
        return perr(ps, "%s: array of unknown value type %u (valid: 0..12)", ps->where, et);
    if (kv) {
        kv->elem_type = et;
        kv->count = count;
    }
    uint64_t left = ps->size - ps->pos, bytes;
    if (scalar_size[et]) {
        if (!vkattn__mul_u64(count, scalar_size[et], &bytes) || bytes > left)
            return perr(ps, "%s: array of %llu %s values at offset %llu runs past the end of the file (%llu bytes)",
                        ps->where, (unsigned long long)count, value_type_names[et], (unsigned long long)ps->pos,
                        (unsigned long long)ps->size);
        for (uint64_t i = 0; et == VKATTN_GGUF_BOOL && i < count; i++)
            if (ps->p[ps->pos + i] > 1)
                return perr(ps, "%s: bool element %llu is %u, neither 0 nor 1", ps->where, (unsigned long long)i,
                            ps->p[ps->pos + i]);
        if (kv) kv->raw = ps->p + ps->pos;
        ps->pos += bytes;
        return 1;
    }
    /* strings take >= 8 bytes each, arrays >= 12: a count beyond that cannot be right */
    uint64_t min = et == VKATTN_GGUF_STRING ? 8 : 12;
    if (count > left / min)
        return perr(ps, "%s: array of %llu %ss cannot fit in the %llu bytes left at offset %llu", ps->where,
                    (unsigned long long)count, value_type_names[et], (unsigned long long)left,
                    (unsigned long long)ps->pos);
    if (et == VKATTN_GGUF_STRING && kv) {
        if (ps->fill) {
            kv->strs = ps->g->strs + ps->g->strs_used;
            ps->g->strs_used += count;
        } else {
            ps->n_strs += count;
        }
    }
    for (uint64_t i = 0; i < count; i++) {
        if (et == VKATTN_GGUF_STRING) {
            gg_str scratch, *dst = kv && ps->fill ? &kv->strs[i] : &scratch;
            if (!rd_str(ps, dst, kv != NULL, "array string")) return 0;
        } else if (!rd_value(ps, VKATTN_GGUF_ARRAY, NULL, depth + 1)) {
            return 0;
        }
    }
    return 1;
}

static int rd_tensor_info(parser *ps, gg_tensor *t) {
    if (!rd_str(ps, &t->name, 1, "name")) return 0;
    if (t->name.len == 0) return perr(ps, "%s has an empty name", ps->where);
    set_where(ps, "tensor", &t->name);
    if (!rd_u32(ps, &t->ndim, "n_dims")) return 0;
    if (t->ndim == 0 || t->ndim > VKATTN_MAX_DIMS)
        return perr(ps, "%s has %u dimensions (supported: 1..%d)", ps->where, t->ndim, VKATTN_MAX_DIMS);
    uint64_t numel = 1;
    for (uint32_t d = 0; d < t->ndim; d++) {
        if (!rd_u64(ps, &t->ne[d], "dimension")) return 0;
        if (t->ne[d] == 0) return perr(ps, "%s: dimension ne[%u] is 0", ps->where, d);
        if (!vkattn__mul_u64(numel, t->ne[d], &numel) || numel > (uint64_t)INT64_MAX)
            return perr(ps, "%s: the element count overflows (ne[%u] = %llu)", ps->where, d,
                        (unsigned long long)t->ne[d]);
    }
    if (!rd_u32(ps, &t->type, "type") || !rd_u64(ps, &t->offset, "offset")) return 0;
    const ggml_type_info *ti = ggml_type(t->type);
    if (!ti) return perr(ps, "%s has unknown ggml type id %u", ps->where, t->type);
    if (t->ne[0] % ti->block)
        return perr(ps, "%s: ne[0] = %llu is not a multiple of the %s block size %u", ps->where,
                    (unsigned long long)t->ne[0], ti->name, ti->block);
    if (!vkattn__mul_u64(numel / ti->block, ti->size, &t->bytes))
        return perr(ps, "%s: the byte size overflows", ps->where);
    return 1;
}

static int parse_header(parser *ps) {
    vkattn_gguf *g = ps->g;
    ps->pos = 0;
    snprintf(ps->where, sizeof ps->where, "the header");
    if (ps->size < 4 || memcmp(ps->p, "GGUF", 4) != 0) {
        if (ps->size < 4) return perr(ps, "%llu bytes: too short for a GGUF file", (unsigned long long)ps->size);
        return perr(ps, "not a GGUF file (magic bytes %02x %02x %02x %02x, expected \"GGUF\")", ps->p[0], ps->p[1],
                    ps->p[2], ps->p[3]);
    }
    ps->pos = 4;
    uint64_t n_tensors, n_kv;
    if (!rd_u32(ps, &g->version, "version")) return 0;
    if (g->version == 1)
        return perr(ps, "GGUF version 1 is not supported (versions 2 and 3 are): convert the model again with a "
                        "current llama.cpp");
    if (g->version != 2 && g->version != 3) {
        uint32_t sw = (g->version >> 24) | ((g->version >> 8) & 0xff00) | ((g->version << 8) & 0xff0000) |
                      (g->version << 24);
        if (sw == 2 || sw == 3) return perr(ps, "big-endian GGUF files are not supported (version %u)", sw);
        return perr(ps, "GGUF version %u is not supported (versions 2 and 3 are)", g->version);
    }
    if (!rd_u64(ps, &n_tensors, "tensor count") || !rd_u64(ps, &n_kv, "metadata count")) return 0;
    /* a kv takes >= 14 bytes (key length, 1-byte key, type, 1-byte value), a tensor info >= 33 */
    uint64_t left = ps->size - ps->pos;
    if (n_kv > left / 14)
        return perr(ps, "metadata count %llu cannot fit in a file of %llu bytes", (unsigned long long)n_kv,
                    (unsigned long long)ps->size);
    if (n_tensors > (left - n_kv * 14) / 33)
        return perr(ps, "tensor count %llu cannot fit in a file of %llu bytes", (unsigned long long)n_tensors,
                    (unsigned long long)ps->size);
    g->n_kv = n_kv;
    g->n_tensors = n_tensors;
    for (uint64_t i = 0; i < n_kv; i++) {
        gg_kv scratch = {0}, *kv = ps->fill ? &g->kvs[i] : &scratch;
        snprintf(ps->where, sizeof ps->where, "metadata entry %llu", (unsigned long long)i);
        if (!rd_str(ps, &kv->key, 1, "key")) return 0;
        if (kv->key.len == 0) return perr(ps, "%s has an empty key", ps->where);
        set_where(ps, "metadata", &kv->key);
        if (!rd_u32(ps, &kv->type, "value type") || !rd_value(ps, kv->type, kv, 0)) return 0;
    }
    for (uint64_t i = 0; i < n_tensors; i++) {
        gg_tensor scratch = {0}, *t = ps->fill ? &g->tensors[i] : &scratch;
        snprintf(ps->where, sizeof ps->where, "tensor info %llu", (unsigned long long)i);
        if (!rd_tensor_info(ps, t)) return 0;
    }
    return 1;
}

/* ---- lookups ---------------------------------------------------------------- */

static int cmp_kv(const void *a, const void *b) {
    return strcmp((*(gg_kv *const *)a)->key.s, (*(gg_kv *const *)b)->key.s);
}
static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp((*(gg_tensor *const *)a)->name.s, (*(gg_tensor *const *)b)->name.s);
}
static int cmp_tensor_offset(const void *a, const void *b) {
    const gg_tensor *x = *(gg_tensor *const *)a, *y = *(gg_tensor *const *)b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

static int cmp_key_kv(const void *key, const void *e) { return strcmp(key, (*(gg_kv *const *)e)->key.s); }
static int cmp_name_tensor(const void *name, const void *e) { return strcmp(name, (*(gg_tensor *const *)e)->name.s); }

static const gg_kv *find_kv(const vkattn_gguf *g, const char *key) {
    gg_kv **hit = bsearch(key, g->kv_by_key, (size_t)g->n_kv, sizeof *g->kv_by_key, cmp_key_kv);
    return hit ? *hit : NULL;
}

static const gg_tensor *find_tensor(const vkattn_gguf *g, const char *name) {
    gg_tensor **hit = bsearch(name, g->t_by_name, (size_t)g->n_tensors, sizeof *g->t_by_name, cmp_name_tensor);
    return hit ? *hit : NULL;
}

/* ---- integer / float values of scalars and array elements ---- */

typedef struct num {
    int is_float, neg; /* neg: a negative integer (i holds it) */
    uint64_t u;
    int64_t i;
    double f;
} num;

static num load_num(uint32_t type, const uint8_t *p) {
    num n = {0};
    uint64_t u = 0;
    for (uint32_t k = 0; k < scalar_size[type]; k++) u |= (uint64_t)p[k] << (8 * k);
    switch (type) {
    case VKATTN_GGUF_INT8: n.i = (int8_t)u; break;
    case VKATTN_GGUF_INT16: n.i = (int16_t)u; break;
    case VKATTN_GGUF_INT32: n.i = (int32_t)u; break;
    case VKATTN_GGUF_INT64: n.i = (int64_t)u; break;
    case VKATTN_GGUF_FLOAT32: {
        uint32_t b = (uint32_t)u;
        float f;
        memcpy(&f, &b, 4);
        n.f = f;
        n.is_float = 1;
        return n;
    }
    case VKATTN_GGUF_FLOAT64: memcpy(&n.f, &u, 8); n.is_float = 1; return n;
    default: n.u = u; n.f = (double)u; return n; /* unsigned and bool */
    }
    n.neg = n.i < 0;
    n.u = (uint64_t)n.i;
    n.f = (double)n.i;
    return n;
}

/* ---- public: open / close ---------------------------------------------------------------- */

void vkattn_gguf_close(vkattn_gguf *g) {
    if (!g) return;
    free(g->kvs);
    free(g->tensors);
    free(g->kv_by_key);
    free(g->t_by_name);
    free(g->arena);
    free(g->strs);
    if (!g->borrowed) vkattn__unmap_file(&g->map);
    free(g->path);
    free(g);
}

static vkattn_status gfail(vkattn_gguf *g, vkattn_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static vkattn_status gfail(vkattn_gguf *g, vkattn_status st, const char *fmt, ...) {
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vkattn__fail(NULL, st, "%s: %s", g->path, msg);
}

/* After pass 1: alignment, data section, tensor offsets, unique keys and names. */
static vkattn_status check_layout(vkattn_gguf *g, uint64_t header_end) {
    for (uint64_t i = 1; i < g->n_kv; i++)
        if (strcmp(g->kv_by_key[i - 1]->key.s, g->kv_by_key[i]->key.s) == 0)
            return gfail(g, VKATTN_ERROR_FORMAT, "metadata key \"%.200s\" appears twice", g->kv_by_key[i]->key.s);
    for (uint64_t i = 1; i < g->n_tensors; i++)
        if (strcmp(g->t_by_name[i - 1]->name.s, g->t_by_name[i]->name.s) == 0)
            return gfail(g, VKATTN_ERROR_FORMAT, "tensor name \"%.200s\" appears twice", g->t_by_name[i]->name.s);
    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    if (find_kv(g, "general.alignment")) {
        uint32_t a;
        if (vkattn_gguf_get_u32(g, "general.alignment", &a) != VKATTN_OK) return VKATTN_ERROR_FORMAT;
        if (a == 0 || (a & (a - 1)))
            return gfail(g, VKATTN_ERROR_FORMAT, "general.alignment %u is not a power of two", a);
        g->alignment = a;
    }
    uint64_t pad = (g->alignment - header_end % g->alignment) % g->alignment;
    g->data_offset = header_end + pad; /* header_end <= file size: no overflow */
    g->data_size = g->data_offset <= g->map.size ? g->map.size - g->data_offset : 0;
    gg_tensor **by_off = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *by_off);
    if (!by_off) return gfail(g, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    vkattn_status st = VKATTN_OK;
    for (uint64_t i = 0; i < g->n_tensors && !st; i++) {
        gg_tensor *t = &g->tensors[i];
        by_off[i] = t;
        uint64_t end;
        if (t->offset % g->alignment)
            st = gfail(g, VKATTN_ERROR_FORMAT, "tensor \"%.100s\": offset %llu is not a multiple of the alignment %llu",
                       t->name.s, (unsigned long long)t->offset, (unsigned long long)g->alignment);
        else if (!vkattn__add_u64(t->offset, t->bytes, &end) || end > g->data_size)
            st = gfail(g, VKATTN_ERROR_FORMAT,
                       "tensor \"%.100s\": data [%llu, +%llu bytes) lies past the end of the %llu-byte data section "
                       "(truncated file?)",
                       t->name.s, (unsigned long long)t->offset, (unsigned long long)t->bytes,
                       (unsigned long long)g->data_size);
    }
    if (!st) {
        qsort(by_off, g->n_tensors, sizeof *by_off, cmp_tensor_offset);
        for (uint64_t i = 1; i < g->n_tensors && !st; i++)
            if (by_off[i]->offset < by_off[i - 1]->offset + by_off[i - 1]->bytes)
                st = gfail(g, VKATTN_ERROR_FORMAT, "tensors \"%.100s\" and \"%.100s\" overlap", by_off[i - 1]->name.s,
                           by_off[i]->name.s);
    }
    free(by_off);
    return st;
}

/* A handle named `name` (for messages) with nothing mapped yet. */
static vkattn_gguf *gguf_new(const char *name) {
    vkattn_gguf *g = calloc(1, sizeof *g);
    if (g) g->path = malloc(strlen(name) + 1);
    if (!g || !g->path) {
        free(g);
        vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        return NULL;
    }
    strcpy(g->path, name);
    return g;
}

static vkattn_status gguf_parse(vkattn_gguf *g, vkattn_gguf **out);

vkattn_status vkattn_gguf_open(const char *path, vkattn_gguf **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_open: out is NULL");
    *out = NULL;
    if (!path) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_open: path is NULL");
    vkattn_gguf *g = gguf_new(path);
    if (!g) return VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    vkattn_status st = vkattn__map_file(path, &g->map);
    if (st) {
        vkattn_gguf_close(g);
        return st;
    }
    return gguf_parse(g, out);
}

vkattn_status vkattn_gguf_open_memory(const void *data, size_t size, const char *name, vkattn_gguf **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_open_memory: out is NULL");
    *out = NULL;
    if (!data && size) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_open_memory: data is NULL");
    vkattn_gguf *g = gguf_new(name ? name : "<memory>");
    if (!g) return VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    g->borrowed = 1;
    g->map.data = size ? data : NULL;
    g->map.size = size;
    return gguf_parse(g, out);
}

/* Parses and validates the mapped bytes of g; closes g on failure. */
static vkattn_status gguf_parse(vkattn_gguf *g, vkattn_gguf **out) {
    vkattn_status st;
    const char *path = g->path;
    parser ps = {.g = g, .p = g->map.data, .size = g->map.size};
    if (!parse_header(&ps)) {
        vkattn_gguf_close(g);
        return ps.st;
    }
    /* pass 0 saw every byte these describe: sizes are bounded by the file */
    g->kvs = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kvs);
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
    g->kv_by_key = malloc((g->n_kv ? g->n_kv : 1) * sizeof *g->kv_by_key);
    g->t_by_name = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *g->t_by_name);
    g->arena = malloc(ps.n_chars ? ps.n_chars : 1);
    g->strs = malloc((ps.n_strs ? ps.n_strs : 1) * sizeof *g->strs);
    if (!g->kvs || !g->tensors || !g->kv_by_key || !g->t_by_name || !g->arena || !g->strs) {
        vkattn_gguf_close(g);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "%s: out of host memory", path);
    }
    ps.fill = 1;
    if (!parse_header(&ps)) { /* cannot fail after pass 0; kept as a guard */
        vkattn_gguf_close(g);
        return ps.st;
    }
    for (uint64_t i = 0; i < g->n_kv; i++) g->kv_by_key[i] = &g->kvs[i];
    for (uint64_t i = 0; i < g->n_tensors; i++) g->t_by_name[i] = &g->tensors[i];
    qsort(g->kv_by_key, g->n_kv, sizeof *g->kv_by_key, cmp_kv);
    qsort(g->t_by_name, g->n_tensors, sizeof *g->t_by_name, cmp_tensor_name);
    if ((st = check_layout(g, ps.pos)) != VKATTN_OK) {
        vkattn_gguf_close(g);
        return st;
    }
    *out = g;
    return VKATTN_OK;
}

uint32_t vkattn_gguf_version(const vkattn_gguf *g) { return g ? g->version : 0; }
uint64_t vkattn_gguf_alignment(const vkattn_gguf *g) { return g ? g->alignment : 0; }
uint64_t vkattn_gguf_data_offset(const vkattn_gguf *g) { return g ? g->data_offset : 0; }
uint64_t vkattn_gguf_kv_count(const vkattn_gguf *g) { return g ? g->n_kv : 0; }
uint64_t vkattn_gguf_tensor_count(const vkattn_gguf *g) { return g ? g->n_tensors : 0; }

const char *vkattn_gguf_kv_key(const vkattn_gguf *g, uint64_t i) { return g && i < g->n_kv ? g->kvs[i].key.s : NULL; }
int vkattn_gguf_kv_type(const vkattn_gguf *g, uint64_t i) { return g && i < g->n_kv ? (int)g->kvs[i].type : -1; }

int64_t vkattn_gguf_find_key(const vkattn_gguf *g, const char *key) {
    const gg_kv *kv = g && key ? find_kv(g, key) : NULL;
    return kv ? (int64_t)(kv - g->kvs) : -1;
}

/* ---- public: typed getters ---------------------------------------------------------------- */

/* The entry for `key`, or NULL with *st and the message set. */
static const gg_kv *get_kv(const vkattn_gguf *g, const char *key, const void *out, const char *fn,
                           vkattn_status *st) {
    if (!g || !key || !out) {
        *st = vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: NULL argument", fn);
        return NULL;
    }
    const gg_kv *kv = find_kv(g, key);
    *st = kv ? VKATTN_OK : vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: metadata key \"%s\" is missing", g->path, key);
    return kv;
}

static vkattn_status wrong_type(const vkattn_gguf *g, const gg_kv *kv, const char *want) {
    if (kv->type == VKATTN_GGUF_ARRAY)
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: metadata \"%s\" is an array of %s, expected %s", g->path,
                            kv->key.s, value_type_names[kv->elem_type], want);
    return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: metadata \"%s\" is %s, expected %s", g->path, kv->key.s,
                        value_type_names[kv->type], want);
}

/* An integer scalar in [lo, hi]. */
static vkattn_status get_int(const vkattn_gguf *g, const char *key, const void *out, int64_t lo, uint64_t hi,
                             const char *target, num *n) {
    vkattn_status st;
    const gg_kv *kv = get_kv(g, key, out, "gguf_get_int", &st);
    if (!kv) return st;
    if (!is_int_type(kv->type)) return wrong_type(g, kv, "an integer");
    *n = load_num(kv->type, kv->raw);
    if (n->neg ? n->i < lo : n->u > hi)
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: metadata \"%s\" = %s%llu is out of range for %s", g->path,
                            key, n->neg ? "-" : "", n->neg ? 0ull - (unsigned long long)n->u : (unsigned long long)n->u,
                            target);
    return VKATTN_OK;
}

vkattn_status vkattn_gguf_get_u32(const vkattn_gguf *g, const char *key, uint32_t *out) {
    num n = {0};
    vkattn_status st = get_int(g, key, out, 0, UINT32_MAX, "u32", &n);
    if (!st) *out = (uint32_t)n.u;
    return st;
}

vkattn_status vkattn_gguf_get_i32(const vkattn_gguf *g, const char *key, int32_t *out) {
    num n = {0};
    vkattn_status st = get_int(g, key, out, INT32_MIN, INT32_MAX, "i32", &n);
    if (!st) *out = n.neg ? (int32_t)n.i : (int32_t)n.u;
    return st;
}

vkattn_status vkattn_gguf_get_u64(const vkattn_gguf *g, const char *key, uint64_t *out) {
    num n = {0};
    vkattn_status st = get_int(g, key, out, 0, UINT64_MAX, "u64", &n);
    if (!st) *out = n.u;
    return st;
}

vkattn_status vkattn_gguf_get_i64(const vkattn_gguf *g, const char *key, int64_t *out) {
    num n = {0};
    vkattn_status st = get_int(g, key, out, INT64_MIN, INT64_MAX, "i64", &n);
    if (!st) *out = n.neg ? n.i : (int64_t)n.u;
    return st;
}

vkattn_status vkattn_gguf_get_f64(const vkattn_gguf *g, const char *key, double *out) {
    vkattn_status st;
    const gg_kv *kv = get_kv(g, key, out, "gguf_get_f64", &st);
    if (!kv) return st;
    if (!elem_number(kv->type)) return wrong_type(g, kv, "a number");
    *out = load_num(kv->type, kv->raw).f;
    return VKATTN_OK;
}

vkattn_status vkattn_gguf_get_f32(const vkattn_gguf *g, const char *key, float *out) {
    double d = 0;
    vkattn_status st = vkattn_gguf_get_f64(g, key, out ? &d : NULL);
    if (!st) *out = (float)d;
    return st;
}

vkattn_status vkattn_gguf_get_bool(const vkattn_gguf *g, const char *key, int *out) {
    vkattn_status st;
    const gg_kv *kv = get_kv(g, key, out, "gguf_get_bool", &st);
    if (!kv) return st;
    if (kv->type != VKATTN_GGUF_BOOL) return wrong_type(g, kv, "bool");
    *out = kv->raw[0];
    return VKATTN_OK;
}

vkattn_status vkattn_gguf_get_string(const vkattn_gguf *g, const char *key, const char **out, uint64_t *len) {
    vkattn_status st;
    const gg_kv *kv = get_kv(g, key, out, "gguf_get_string", &st);
    if (!kv) return st;
    if (kv->type != VKATTN_GGUF_STRING) return wrong_type(g, kv, "string");
    *out = kv->str.s;
    if (len) *len = kv->str.len;
    return VKATTN_OK;
}

vkattn_status vkattn_gguf_get_array(const vkattn_gguf *g, const char *key, vkattn_gguf_type *elem_type,
                                    uint64_t *count) {
    vkattn_status st;
    const gg_kv *kv = get_kv(g, key, g, "gguf_get_array", &st);
    if (!kv) return st;
    if (kv->type != VKATTN_GGUF_ARRAY) return wrong_type(g, kv, "an array");
    if (elem_type) *elem_type = (vkattn_gguf_type)kv->elem_type;
    if (count) *count = kv->count;
    return VKATTN_OK;
}

/* The array for `key`, its elements accepted by elem_ok and [first, first + n) in
 * range, or NULL with *st set. */
static const gg_kv *get_slice(const vkattn_gguf *g, const char *key, const void *out, uint64_t first, uint64_t n,
                              int (*elem_ok)(uint32_t), const char *want, const char *fn, vkattn_status *st) {
    const gg_kv *kv = get_kv(g, key, out, fn, st);
    if (!kv) return NULL;
    if (kv->type != VKATTN_GGUF_ARRAY || !elem_ok(kv->elem_type)) {
        *st = wrong_type(g, kv, want);
        return NULL;
    }
    if (first > kv->count || n > kv->count - first) {
        *st = vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: elements [%llu, +%llu) of \"%s\" asked; it has %llu",
                           fn, (unsigned long long)first, (unsigned long long)n, key, (unsigned long long)kv->count);
        return NULL;
    }
    return kv;
}

vkattn_status vkattn_gguf_array_string(const vkattn_gguf *g, const char *key, uint64_t i, const char **out,
                                       uint64_t *len) {
    vkattn_status st;
    const gg_kv *kv = get_slice(g, key, out, i, 1, elem_string, "an array of strings", "gguf_array_string", &st);
    if (!kv) return st;
    *out = kv->strs[i].s;
    if (len) *len = kv->strs[i].len;
    return VKATTN_OK;
}

enum { OUT_F32, OUT_F64, OUT_I32, OUT_I64, OUT_U64 };

/* Elements [first, first + n) of a numeric array converted to f32/f64 (any number)
 * or i32/i64/u64 (integers and bools, values must fit). */
static vkattn_status array_out(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, void *dst, int kind,
                               const char *fn) {
    vkattn_status st;
    int integer = kind >= OUT_I32;
    const gg_kv *kv = get_slice(g, key, dst, first, n, integer ? elem_integer : elem_number,
                                integer ? "an array of integers" : "an array of numbers", fn, &st);
    int64_t lo = kind == OUT_I32 ? INT32_MIN : kind == OUT_I64 ? INT64_MIN : 0;
    uint64_t hi = kind == OUT_I32 ? INT32_MAX : kind == OUT_I64 ? INT64_MAX : UINT64_MAX;
    for (uint64_t i = 0; kv && i < n; i++) {
        num v = load_num(kv->elem_type, kv->raw + (first + i) * scalar_size[kv->elem_type]);
        if (integer && (v.neg ? v.i < lo : v.u > hi))
            return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: \"%s\"[%llu] does not fit in %s", g->path, key,
                                (unsigned long long)(first + i), kind == OUT_I32 ? "i32" : kind == OUT_I64 ? "i64" : "u64");
        switch (kind) {
        case OUT_F32: ((float *)dst)[i] = (float)v.f; break;
        case OUT_F64: ((double *)dst)[i] = v.f; break;
        case OUT_I32: ((int32_t *)dst)[i] = (int32_t)(v.neg ? v.i : (int64_t)v.u); break;
        case OUT_I64: ((int64_t *)dst)[i] = v.neg ? v.i : (int64_t)v.u; break;
        default: ((uint64_t *)dst)[i] = v.u;
        }
    }
    return st;
}

vkattn_status vkattn_gguf_array_f32(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, float *dst) {
    return array_out(g, key, first, n, dst, OUT_F32, "gguf_array_f32");
}
vkattn_status vkattn_gguf_array_f64(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, double *dst) {
    return array_out(g, key, first, n, dst, OUT_F64, "gguf_array_f64");
}
vkattn_status vkattn_gguf_array_i32(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, int32_t *dst) {
    return array_out(g, key, first, n, dst, OUT_I32, "gguf_array_i32");
}
vkattn_status vkattn_gguf_array_i64(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, int64_t *dst) {
    return array_out(g, key, first, n, dst, OUT_I64, "gguf_array_i64");
}
vkattn_status vkattn_gguf_array_u64(const vkattn_gguf *g, const char *key, uint64_t first, uint64_t n, uint64_t *dst) {
    return array_out(g, key, first, n, dst, OUT_U64, "gguf_array_u64");
}

/* ---- public: tensors ---------------------------------------------------------------- */

static void fill_tensor(const vkattn_gguf *g, const gg_tensor *t, vkattn_gguf_tensor *out) {
    memset(out, 0, sizeof *out);
    out->name = t->name.s;
    out->ggml_type = t->type;
    out->type_name = ggml_type(t->type)->name;
    out->ndim = t->ndim;
    for (uint32_t d = 0; d < t->ndim; d++) out->shape[d] = (int64_t)t->ne[t->ndim - 1 - d];
    out->offset = t->offset;
    out->data = g->map.data + g->data_offset + t->offset;
    out->bytes = t->bytes;
}

vkattn_status vkattn_gguf_tensor_at(const vkattn_gguf *g, uint64_t i, vkattn_gguf_tensor *out) {
    if (!g || !out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_tensor_at: NULL argument");
    if (i >= g->n_tensors)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_tensor_at: index %llu, the file has %llu tensors",
                            (unsigned long long)i, (unsigned long long)g->n_tensors);
    fill_tensor(g, &g->tensors[i], out);
    return VKATTN_OK;
}

vkattn_status vkattn_gguf_find_tensor(const vkattn_gguf *g, const char *name, vkattn_gguf_tensor *out) {
    if (!g || !name || !out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_find_tensor: NULL argument");
    const gg_tensor *t = find_tensor(g, name);
    if (!t)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: no tensor named \"%s\" (%llu tensors)", g->path,
                            name, (unsigned long long)g->n_tensors);
    fill_tensor(g, t, out);
    return VKATTN_OK;
}

vkattn_status vkattn_gguf_tensor_dtype(const vkattn_gguf_tensor *t, vkattn_dtype *out) {
    if (!t || !out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "gguf_tensor_dtype: NULL argument");
    switch (t->ggml_type) {
    case 0: *out = VKATTN_F32; return VKATTN_OK;
    case 1: *out = VKATTN_F16; return VKATTN_OK;
    case 30: *out = VKATTN_BF16; return VKATTN_OK;
    case 8: *out = VKATTN_Q8_0; return VKATTN_OK;
    case 2: *out = VKATTN_Q4_0; return VKATTN_OK;
    case 3: *out = VKATTN_Q4_1; return VKATTN_OK;
    case 6: *out = VKATTN_Q5_0; return VKATTN_OK;
    case 7: *out = VKATTN_Q5_1; return VKATTN_OK;
    case 10: *out = VKATTN_Q2_K; return VKATTN_OK;
    case 11: *out = VKATTN_Q3_K; return VKATTN_OK;
    case 12: *out = VKATTN_Q4_K; return VKATTN_OK;
    case 13: *out = VKATTN_Q5_K; return VKATTN_OK;
    case 14: *out = VKATTN_Q6_K; return VKATTN_OK;
    case 20: *out = VKATTN_IQ4_NL; return VKATTN_OK;
    case 23: *out = VKATTN_IQ4_XS; return VKATTN_OK;
    default: {
        const ggml_type_info *ti = ggml_type(t->ggml_type);
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                            "tensor \"%s\" has ggml type %s (%u), which vkattn does not support (supported: %s); "
                            "requantize the model, e.g. llama-quantize --allow-requantize M.gguf OUT.gguf Q4_K_M",
                            t->name ? t->name : "?", ti ? ti->name : "unknown", t->ggml_type, VKATTN_GGUF_SUPPORTED_TYPES);
    }
    }
}
