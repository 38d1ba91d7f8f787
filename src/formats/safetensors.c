/* safetensors reader (memory-mapped, fully validated) and writer.
 *
 * Layout: u64 little-endian N, N bytes of JSON header (padded with spaces),
 * then the data section. Header: {"name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {..}} with offsets
 * relative to the data section. Every number from the file is checked before
 * use: nothing here trusts the header. */
#include "formats.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HEADER (100ull * 1024 * 1024) /* as the reference implementation */
#define MAX_JSON_INT 9007199254740992.0   /* 2^53: larger doubles are not exact integers */

typedef struct st_entry {
    char *name;
    vkattn_dtype dtype;
    uint32_t ndim;
    int64_t shape[VKATTN_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

struct vkattn_safetensors {
    vkattn__mapped map;
    const uint8_t *data; /* data section */
    uint64_t data_size;
    st_entry *entries;
    uint32_t count;
    st_entry **by_name; /* sorted by name, for find */
};

static const struct {
    const char *name;
    vkattn_dtype dtype;
} st_dtypes[] = {{"F32", VKATTN_F32}, {"F16", VKATTN_F16}, {"BF16", VKATTN_BF16}, {"I32", VKATTN_I32}};
#define N_DTYPES (sizeof st_dtypes / sizeof st_dtypes[0])
#define SUPPORTED "F32, F16, BF16, I32"

static const char *st_dtype_name(vkattn_dtype d) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if (st_dtypes[i].dtype == d) return st_dtypes[i].name;
    return NULL;
}

/* ---- reader ---------------------------------------------------------------- */

/* A JSON number that is an exact non-negative integer below 2^53. */
static int json_u64(const cJSON *j, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return 0;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= MAX_JSON_INT)) return 0; /* also rejects NaN */
    uint64_t u = (uint64_t)d;
    if ((double)u != d) return 0;
    *out = u;
    return 1;
}

/* qsort comparators over arrays of entry pointers */
static int cmp_name(const void *a, const void *b) {
    return strcmp((*(const st_entry *const *)a)->name, (*(const st_entry *const *)b)->name);
}

static int cmp_begin(const void *a, const void *b) {
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static vkattn_status parse_entry(const char *path, const cJSON *j, uint64_t data_size, st_entry *e) {
    const char *name = e->name;
    if (!cJSON_IsObject(j))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: tensor \"%s\": entry is not a JSON object", path, name);
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(j, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(j, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
    if (!cJSON_IsString(jd) || !cJSON_IsArray(js) || !cJSON_IsArray(jo))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                            "%s: tensor \"%s\": needs \"dtype\" (string), \"shape\" and \"data_offsets\" (arrays)", path,
                            name);
    size_t k = 0;
    while (k < N_DTYPES && strcmp(jd->valuestring, st_dtypes[k].name) != 0) k++;
    if (k == N_DTYPES)
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: tensor \"%s\": dtype %.32s is not supported (supported: %s)",
                            path, name, jd->valuestring, SUPPORTED);
    e->dtype = st_dtypes[k].dtype;

    int nd = cJSON_GetArraySize(js);
    if (nd > VKATTN_MAX_DIMS)
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: tensor \"%s\": %d dimensions, at most %d are supported", path,
                            name, nd, VKATTN_MAX_DIMS);
    uint64_t numel = 1;
    e->ndim = nd ? (uint32_t)nd : 1; /* a 0-d scalar reads as shape [1] */
    e->shape[0] = 1;
    int i = 0;
    for (const cJSON *d = js->child; d; d = d->next, i++) {
        uint64_t v;
        if (!json_u64(d, &v))
            return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                                "%s: tensor \"%s\": shape[%d] is not a non-negative integer below 2^53", path, name, i);
        if (!vkattn__mul_u64(numel, v, &numel))
            return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: tensor \"%s\": element count overflows", path, name);
        e->shape[i] = (int64_t)v;
    }
    uint64_t bytes;
    if (!vkattn__mul_u64(numel, vkattn_dtype_bytes(e->dtype, 1), &bytes))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: tensor \"%s\": byte size overflows", path, name);

    if (cJSON_GetArraySize(jo) != 2 || !json_u64(jo->child, &e->begin) || !json_u64(jo->child->next, &e->end))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                            "%s: tensor \"%s\": data_offsets must be two non-negative integers [begin, end]", path, name);
    if (e->begin > e->end)
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: tensor \"%s\": data_offsets [%llu, %llu] end before they begin",
                            path, name, (unsigned long long)e->begin, (unsigned long long)e->end);
    if (e->end > data_size)
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                            "%s: tensor \"%s\": data_offsets [%llu, %llu] lie outside the %llu-byte data section "
                            "(truncated file?)",
                            path, name, (unsigned long long)e->begin, (unsigned long long)e->end,
                            (unsigned long long)data_size);
    if (e->end - e->begin != bytes)
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                            "%s: tensor \"%s\": data_offsets span %llu bytes, but %llu elements of %s need %llu", path,
                            name, (unsigned long long)(e->end - e->begin), (unsigned long long)numel,
                            st_dtypes[k].name, (unsigned long long)bytes);
    return VKATTN_OK;
}

static vkattn_status parse_header(vkattn_safetensors *st, const char *path, const cJSON *root) {
    if (!cJSON_IsObject(root))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: the header is not a JSON object", path);
    uint32_t n = 0;
    for (const cJSON *c = root->child; c; c = c->next) n++;
    st->entries = calloc(n ? n : 1, sizeof *st->entries);
    st->by_name = calloc(n ? n : 1, sizeof *st->by_name);
    st_entry **by_begin = calloc(n ? n : 1, sizeof *by_begin);
    vkattn_status s = VKATTN_OK;
    if (!st->entries || !st->by_name || !by_begin) {
        free(by_begin);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "%s: out of host memory", path);
    }
    for (const cJSON *c = root->child; c && !s; c = c->next) {
        if (!c->string) {
            s = vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: header entry without a name", path);
            break;
        }
        if (strcmp(c->string, "__metadata__") == 0) continue;
        st_entry *e = &st->entries[st->count];
        if (!(e->name = malloc(strlen(c->string) + 1))) {
            s = vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "%s: out of host memory", path);
            break;
        }
        strcpy(e->name, c->string);
        st->count++;
        s = parse_entry(path, c, st->data_size, e);
    }
    if (!s) {
        for (uint32_t i = 0; i < st->count; i++) st->by_name[i] = by_begin[i] = &st->entries[i];
        qsort(st->by_name, st->count, sizeof *st->by_name, cmp_name);
        for (uint32_t i = 1; i < st->count && !s; i++)
            if (strcmp(st->by_name[i - 1]->name, st->by_name[i]->name) == 0)
                s = vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: tensor name \"%s\" appears twice", path,
                                 st->by_name[i]->name);
        qsort(by_begin, st->count, sizeof *by_begin, cmp_begin);
        const st_entry *prev = NULL; /* the non-empty tensor reaching furthest so far */
        for (uint32_t i = 0; i < st->count && !s; i++) {
            const st_entry *e = by_begin[i];
            if (e->begin == e->end) continue;
            if (prev && e->begin < prev->end)
                s = vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                                 "%s: tensors \"%s\" [%llu, %llu) and \"%s\" [%llu, %llu) overlap", path, prev->name,
                                 (unsigned long long)prev->begin, (unsigned long long)prev->end, e->name,
                                 (unsigned long long)e->begin, (unsigned long long)e->end);
            if (!prev || e->end > prev->end) prev = e;
        }
    }
    free(by_begin);
    return s;
}

void vkattn_safetensors_close(vkattn_safetensors *st) {
    if (!st) return;
    for (uint32_t i = 0; i < st->count; i++) free(st->entries[i].name);
    free(st->entries);
    free(st->by_name);
    vkattn__unmap_file(&st->map);
    free(st);
}

vkattn_status vkattn_safetensors_open(const char *path, vkattn_safetensors **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "safetensors_open: out is NULL");
    *out = NULL;
    vkattn_safetensors *st = calloc(1, sizeof *st);
    if (!st) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    vkattn_status s = vkattn__map_file(path, &st->map);
    if (s) {
        free(st);
        return s;
    }
    const uint8_t *p = st->map.data;
    uint64_t size = st->map.size;
    if (size < 8) {
        vkattn_safetensors_close(st);
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                            "%s: %llu bytes, too short for a safetensors file (8-byte header length + JSON header)",
                            path, (unsigned long long)size);
    }
    uint64_t n = vkattn__le64(p);
    const char *bad = n < 2 ? "is too small for a JSON object"
                      : n > MAX_HEADER ? "exceeds the 100 MB limit (not a safetensors file?)"
                      : n > size - 8 ? "runs past the end of the file (truncated?)" : NULL;
    if (bad) {
        vkattn_safetensors_close(st);
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: header length %llu %s; the file has %llu bytes", path,
                            (unsigned long long)n, bad, (unsigned long long)size);
    }
    st->data = p + 8 + n;
    st->data_size = size - 8 - n;
    const char *json = (const char *)p + 8, *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)n, &end, 0);
    if (!root) {
        uint64_t at = end && end >= json && end <= json + n ? (uint64_t)(end - json) : 0;
        vkattn_safetensors_close(st);
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: the %llu-byte header is not valid JSON (error at byte %llu)",
                            path, (unsigned long long)n, (unsigned long long)at);
    }
    /* after the object only the writer's space padding may follow */
    for (const char *q = end; q < json + n && !s; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
            s = vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: unexpected bytes after the JSON header (at byte %llu)",
                             path, (unsigned long long)(q - json));
    if (!s) s = parse_header(st, path, root);
    cJSON_Delete(root);
    if (s) {
        vkattn_safetensors_close(st);
        return s;
    }
    *out = st;
    return VKATTN_OK;
}

uint32_t vkattn_safetensors_count(const vkattn_safetensors *st) { return st ? st->count : 0; }

static void fill_tensor(const vkattn_safetensors *st, const st_entry *e, vkattn_st_tensor *out) {
    memset(out, 0, sizeof *out);
    out->name = e->name;
    out->dtype = e->dtype;
    out->ndim = e->ndim;
    memcpy(out->shape, e->shape, sizeof out->shape);
    out->data = st->data + e->begin;
    out->bytes = e->end - e->begin;
}

vkattn_status vkattn_safetensors_at(const vkattn_safetensors *st, uint32_t i, vkattn_st_tensor *out) {
    if (!st || !out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "safetensors_at: NULL argument");
    if (i >= st->count)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "safetensors_at: index %u, the file has %u tensors", i,
                            st->count);
    fill_tensor(st, &st->entries[i], out);
    return VKATTN_OK;
}

vkattn_status vkattn_safetensors_find(const vkattn_safetensors *st, const char *name, vkattn_st_tensor *out) {
    if (!st || !name || !out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "safetensors_find: NULL argument");
    uint32_t lo = 0, hi = st->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->by_name[mid]->name, name);
        if (c == 0) {
            fill_tensor(st, st->by_name[mid], out);
            return VKATTN_OK;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "no tensor named \"%s\" in the file (%u tensors)", name,
                        st->count);
}

/* ---- decoding ---------------------------------------------------------------- */

static vkattn_status check_read(const vkattn_st_tensor *t, const void *dst, uint64_t count, const char *fn) {
    if (!t || !dst || (!t->data && t->bytes))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (!st_dtype_name(t->dtype))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: \"%s\" is %s, not f32/f16/bf16/i32", fn,
                            t->name ? t->name : "?", vkattn_dtype_string(t->dtype));
    uint64_t want;
    if (!vkattn__mul_u64(count, vkattn_dtype_bytes(t->dtype, 1), &want) || want != t->bytes)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: \"%s\" has %llu elements, %llu asked", fn,
                            t->name ? t->name : "?", (unsigned long long)(t->bytes / vkattn_dtype_bytes(t->dtype, 1)),
                            (unsigned long long)count);
    return VKATTN_OK;
}

/* Element i as a double (exact for every supported dtype); the data may be unaligned. */
static double element(const vkattn_st_tensor *t, uint64_t i) {
    const uint8_t *p = (const uint8_t *)t->data;
    uint16_t h;
    uint32_t u;
    switch (t->dtype) {
    case VKATTN_F16: memcpy(&h, p + 2 * i, 2); return vkattn__f16_to_f32(h);
    case VKATTN_BF16: memcpy(&h, p + 2 * i, 2); return vkattn__bf16_to_f32(h);
    case VKATTN_I32: memcpy(&u, p + 4 * i, 4); return (int32_t)u;
    default: {
        float f;
        memcpy(&f, p + 4 * i, 4);
        return f;
    }
    }
}

vkattn_status vkattn_st_tensor_read_f32(const vkattn_st_tensor *t, float *dst, uint64_t count) {
    vkattn_status s = check_read(t, dst, count, "st_tensor_read_f32");
    if (s) return s;
    if (t->dtype == VKATTN_F32) memcpy(dst, t->data, (size_t)t->bytes);
    else for (uint64_t i = 0; i < count; i++) dst[i] = (float)element(t, i);
    return VKATTN_OK;
}

vkattn_status vkattn_st_tensor_read_i32(const vkattn_st_tensor *t, int32_t *dst, uint64_t count) {
    vkattn_status s = check_read(t, dst, count, "st_tensor_read_i32");
    if (s) return s;
    for (uint64_t i = 0; i < count; i++) {
        double x = element(t, i);
        if (!(x >= INT32_MIN && x <= INT32_MAX && x == (double)(int32_t)x))
            return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT,
                                "st_tensor_read_i32: \"%s\" must hold integers; element %llu is %g",
                                t->name ? t->name : "?", (unsigned long long)i, x);
        dst[i] = (int32_t)x;
    }
    return VKATTN_OK;
}

/* ---- writer ---------------------------------------------------------------- */

typedef struct w_entry {
    char *name;
    vkattn_dtype dtype;
    uint32_t ndim;
    int64_t shape[VKATTN_MAX_DIMS];
    void *data;
    uint64_t bytes;
} w_entry;

struct vkattn_st_writer {
    w_entry *items;
    uint32_t count, capacity;
};

vkattn_status vkattn_st_writer_create(vkattn_st_writer **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_create: out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? VKATTN_OK : vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
}

void vkattn_st_writer_destroy(vkattn_st_writer *w) {
    if (!w) return;
    for (uint32_t i = 0; i < w->count; i++) {
        free(w->items[i].name);
        free(w->items[i].data);
    }
    free(w->items);
    free(w);
}

vkattn_status vkattn_st_writer_add(vkattn_st_writer *w, const char *name, vkattn_dtype dtype, uint32_t ndim,
                                   const int64_t *shape, const void *data) {
    if (!w || !name || (ndim && !shape))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: NULL argument");
    if (!*name || strcmp(name, "__metadata__") == 0)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: invalid tensor name \"%s\"", name);
    if (!st_dtype_name(dtype))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: \"%s\": dtype %s cannot be stored (%s)",
                            name, vkattn_dtype_string(dtype), "supported: f32, f16, bf16, i32");
    if (ndim > VKATTN_MAX_DIMS)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: \"%s\": ndim %u > %d", name, ndim,
                            VKATTN_MAX_DIMS);
    for (uint32_t i = 0; i < w->count; i++)
        if (strcmp(w->items[i].name, name) == 0)
            return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: \"%s\" was already added", name);
    uint64_t numel = 1;
    for (uint32_t i = 0; i < ndim; i++)
        if (shape[i] < 0 || shape[i] > (int64_t)MAX_JSON_INT || !vkattn__mul_u64(numel, (uint64_t)shape[i], &numel))
            return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: \"%s\": bad shape (dim %u = %lld)",
                                name, i, (long long)shape[i]);
    uint64_t bytes;
    if (!vkattn__mul_u64(numel, vkattn_dtype_bytes(dtype, 1), &bytes) || bytes > (uint64_t)SIZE_MAX / 2)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: \"%s\": too large", name);
    if (bytes && !data) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_add: \"%s\": data is NULL", name);
    if (w->count == w->capacity) {
        uint32_t cap = w->capacity ? 2 * w->capacity : 16;
        w_entry *items = realloc(w->items, cap * sizeof *items);
        if (!items) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
        w->items = items;
        w->capacity = cap;
    }
    w_entry e = {.dtype = dtype, .ndim = ndim, .bytes = bytes};
    if (ndim) memcpy(e.shape, shape, ndim * sizeof *shape);
    e.name = malloc(strlen(name) + 1);
    e.data = malloc(bytes ? (size_t)bytes : 1);
    if (!e.name || !e.data) {
        free(e.name);
        free(e.data);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    strcpy(e.name, name);
    if (bytes) memcpy(e.data, data, (size_t)bytes);
    w->items[w->count++] = e;
    return VKATTN_OK;
}

typedef struct strbuf {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_printf(strbuf *b, const char *fmt, unsigned long long v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    sb_put(b, tmp, (size_t)n);
}

/* A JSON string literal: quotes, backslashes and control bytes escaped; UTF-8 passes through. */
static void sb_json_string(strbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sb_put(b, esc, 2);
        } else if (c < 0x20) {
            sb_printf(b, "\\u%04llx", c);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
    sb_put(b, "\"", 1);
}

vkattn_status vkattn_st_writer_save(vkattn_st_writer *w, const char *path) {
    if (!w || !path) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "st_writer_save: NULL argument");
    strbuf h = {0};
    uint64_t off = 0;
    sb_put(&h, "{", 1);
    for (uint32_t i = 0; i < w->count; i++) {
        const w_entry *e = &w->items[i];
        if (i) sb_put(&h, ",", 1);
        sb_json_string(&h, e->name);
        sb_put(&h, ":{\"dtype\":\"", 11);
        sb_put(&h, st_dtype_name(e->dtype), strlen(st_dtype_name(e->dtype)));
        sb_put(&h, "\",\"shape\":[", 11);
        for (uint32_t d = 0; d < e->ndim; d++) sb_printf(&h, d ? ",%llu" : "%llu", (unsigned long long)e->shape[d]);
        sb_printf(&h, "],\"data_offsets\":[%llu,", off);
        off += e->bytes;
        sb_printf(&h, "%llu]}", off);
    }
    sb_put(&h, "}", 1);
    while (h.len % 8) sb_put(&h, " ", 1); /* data section 8-byte aligned, as the reference writer does */
    if (h.oom) {
        free(h.p);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    /* write next to the target and rename: a failed save never leaves a half-written file under `path` */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) {
        free(h.p);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    snprintf(tmp, plen + 32, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    vkattn_status s = VKATTN_OK;
    if (!f) {
        s = vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: cannot create the file", tmp);
    } else {
        uint8_t len[8];
        for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)h.len >> (8 * i));
        int ok = fwrite(len, 1, 8, f) == 8 && fwrite(h.p, 1, h.len, f) == h.len;
        for (uint32_t i = 0; ok && i < w->count; i++)
            ok = fwrite(w->items[i].data, 1, (size_t)w->items[i].bytes, f) == w->items[i].bytes;
        ok = fclose(f) == 0 && ok;
        if (!ok) s = vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: write failed (disk full?)", tmp);
        else if (rename(tmp, path) != 0) s = vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: cannot rename into place", path);
        if (s) remove(tmp);
    }
    free(tmp);
    free(h.p);
    return s;
}
