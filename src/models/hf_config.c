/* Hugging Face model directories: config.json (cJSON), model.safetensors or the shards of
 * model.safetensors.index.json ({"weight_map": {tensor: file}}), tensors checked against the shapes the
 * config implies and decoded to f32. Every error names the file and the key or tensor. */
#include "hf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vkattn_status read_text(vkattn__hf *hf, const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return vkattn__fail(hf->ctx, VKATTN_ERROR_IO, "%s: cannot open", path);
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = cap > ((size_t)1 << 30) ? NULL : realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb, cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return vkattn__fail(hf->ctx, VKATTN_ERROR_TOO_LARGE, "%s: too large or out of memory", path);
    *out = buf, *len = n;
    return VKATTN_OK;
}

vkattn_status vkattn__hf_json(vkattn__hf *hf, const char *name, int required, cJSON **out) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", hf->dir, name);
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return required ? vkattn__fail(hf->ctx, VKATTN_ERROR_IO, "%s: cannot open (a Hugging Face model directory "
                                                                     "needs it)", path)
                            : VKATTN_OK;
    fclose(f);
    char *text = NULL;
    size_t len = 0;
    vkattn_status st = read_text(hf, path, &text, &len);
    if (st) return st;
    *out = cJSON_ParseWithLength(text, len);
    free(text);
    int want_list = strcmp(name, "modules.json") == 0; /* sentence-transformers' module list */
    if (!*out || !(want_list ? cJSON_IsArray(*out) : cJSON_IsObject(*out))) {
        cJSON_Delete(*out), *out = NULL;
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s: not a JSON %s", path, want_list ? "list" : "object");
    }
    return VKATTN_OK;
}

static vkattn_status open_file(vkattn__hf *hf, const char *name) {
    if (hf->n_files == VKATTN__HF_MAX_SHARDS)
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s: more than %d safetensors shards", hf->dir, VKATTN__HF_MAX_SHARDS);
    if (strchr(name, '/') || !*name || strcmp(name, "..") == 0)
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/model.safetensors.index.json: shard name \"%s\" is not a file "
                            "name in the directory", hf->dir, name);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", hf->dir, name);
    vkattn_status st = vkattn_safetensors_open(path, &hf->files[hf->n_files]);
    if (st) return vkattn__fail(hf->ctx, st, "%s", vkattn_context_error(NULL));
    if (!(hf->file_names[hf->n_files] = malloc(strlen(name) + 1))) {
        vkattn_safetensors_close(hf->files[hf->n_files]);
        return vkattn__fail(hf->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    strcpy(hf->file_names[hf->n_files++], name);
    return VKATTN_OK;
}

vkattn_status vkattn__hf_open(vkattn_context *ctx, const char *dir, vkattn__hf *hf) {
    memset(hf, 0, sizeof *hf);
    hf->ctx = ctx;
    if (!dir || strlen(dir) >= sizeof hf->dir) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "model directory "
                                                                   "path is NULL or too long");
    strcpy(hf->dir, dir);
    vkattn_status st = vkattn__hf_json(hf, "config.json", 1, &hf->config);
    if (st) return st;
    if ((st = vkattn__hf_json(hf, "model.safetensors.index.json", 0, &hf->index))) return st;
    if (!hf->index) return open_file(hf, "model.safetensors");
    hf->weight_map = cJSON_GetObjectItemCaseSensitive(hf->index, "weight_map");
    if (!cJSON_IsObject(hf->weight_map))
        return vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "%s/model.safetensors.index.json: no \"weight_map\" object", dir);
    for (const cJSON *e = hf->weight_map->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "%s/model.safetensors.index.json: weight_map[\"%s\"] is not a "
                                "file name", dir, e->string);
        int seen = 0;
        for (uint32_t i = 0; i < hf->n_files && !seen; i++) seen = strcmp(hf->file_names[i], e->valuestring) == 0;
        if (!seen && (st = open_file(hf, e->valuestring))) return st;
    }
    if (!hf->n_files) return vkattn__fail(ctx, VKATTN_ERROR_FORMAT, "%s/model.safetensors.index.json: empty weight_map", dir);
    return VKATTN_OK;
}

void vkattn__hf_close(vkattn__hf *hf) {
    for (uint32_t i = 0; i < hf->n_files; i++) vkattn_safetensors_close(hf->files[i]), free(hf->file_names[i]);
    cJSON_Delete(hf->config), cJSON_Delete(hf->index);
    memset(hf, 0, sizeof *hf);
}

vkattn_status vkattn__hf_u32(vkattn__hf *hf, const cJSON *obj, const char *key, int required, uint32_t dflt, uint32_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj ? obj : hf->config, key);
    if (!v) {
        if (required)
            return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/config.json: required key \"%s\" is missing", hf->dir, key);
        *out = dflt;
        return VKATTN_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 || v->valuedouble != (double)(uint32_t)v->valuedouble)
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/config.json: \"%s\" must be a non-negative integer", hf->dir, key);
    *out = (uint32_t)v->valuedouble;
    return VKATTN_OK;
}

vkattn_status vkattn__hf_f32(vkattn__hf *hf, const cJSON *obj, const char *key, float dflt, float *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj ? obj : hf->config, key);
    if (!v) {
        *out = dflt;
        return VKATTN_OK;
    }
    if (!cJSON_IsNumber(v)) return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/config.json: \"%s\" must be a number", hf->dir, key);
    *out = (float)v->valuedouble;
    return VKATTN_OK;
}

int vkattn__hf_bool(const cJSON *obj, const char *key, int dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

const char *vkattn__hf_str(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The tensor and the file it is in; with an index, only the file the weight_map names. */
static int find(const vkattn__hf *hf, const char *name, vkattn_st_tensor *t, const char **file) {
    if (hf->weight_map) {
        const char *f = vkattn__hf_str(hf->weight_map, name);
        for (uint32_t i = 0; f && i < hf->n_files; i++)
            if (strcmp(hf->file_names[i], f) == 0) {
                *file = f;
                return vkattn_safetensors_find(hf->files[i], name, t) == VKATTN_OK;
            }
        *file = "model.safetensors.index.json";
        return 0;
    }
    *file = hf->file_names[0];
    return vkattn_safetensors_find(hf->files[0], name, t) == VKATTN_OK;
}

int vkattn__hf_has(const vkattn__hf *hf, const char *name) {
    vkattn_st_tensor t;
    const char *f;
    return find(hf, name, &t, &f);
}

vkattn_dtype vkattn__hf_file_dtype(const vkattn__hf *hf, const char *name) {
    vkattn_st_tensor t;
    const char *f;
    return find(hf, name, &t, &f) ? t.dtype : VKATTN_F32;
}

static void shape_str(char *buf, size_t n, uint32_t ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (uint32_t i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

vkattn_status vkattn__hf_read(vkattn__hf *hf, const char *name, uint32_t ndim, const int64_t *shape, float **out) {
    *out = NULL;
    vkattn_st_tensor t;
    const char *file;
    if (!find(hf, name, &t, &file))
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/%s: tensor \"%s\" is missing", hf->dir, file, name);
    if (t.dtype != VKATTN_F32 && t.dtype != VKATTN_F16 && t.dtype != VKATTN_BF16)
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/%s: tensor \"%s\" is %s; weights must be F32, F16 or BF16",
                            hf->dir, file, name, vkattn_dtype_string(t.dtype));
    int ok = t.ndim == ndim;
    uint64_t numel = 1;
    for (uint32_t i = 0; i < ndim; i++) ok = ok && t.shape[i] == shape[i], numel *= (uint64_t)shape[i];
    if (!ok) {
        char got[96], want[96];
        shape_str(got, sizeof got, t.ndim, t.shape), shape_str(want, sizeof want, ndim, shape);
        return vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/%s: tensor \"%s\" has shape %s, config.json implies %s", hf->dir,
                            file, name, got, want);
    }
    float *d = malloc((numel ? numel : 1) * sizeof *d);
    if (!d) return vkattn__fail(hf->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "%s: out of host memory", name);
    vkattn_status st = vkattn_st_tensor_read_f32(&t, d, numel);
    if (st) {
        free(d);
        return vkattn__fail(hf->ctx, st, "%s", vkattn_context_error(NULL));
    }
    *out = d;
    return VKATTN_OK;
}

/* ---- sentence-transformers layout ------------------------------------------------------------------------ */

vkattn_status vkattn__st_config(vkattn__hf *hf, vkattn_encoder_info *info) {
    info->st_pooling = -1;
    info->st_normalize = 0;
    info->max_seq_length = info->max_tokens;
    cJSON *modules = NULL, *pool = NULL, *sbc = NULL;
    vkattn_status st = vkattn__hf_json(hf, "modules.json", 0, &modules);
    if (st || !modules) return st;
    if (!cJSON_IsArray(modules)) {
        st = vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/modules.json: expected a list of modules", hf->dir);
        goto done;
    }
    const char *pool_path = NULL;
    const cJSON *m;
    cJSON_ArrayForEach(m, modules) {
        const char *type = vkattn__hf_str(m, "type");
        if (!type) continue;
        if (strstr(type, "models.Pooling")) pool_path = vkattn__hf_str(m, "path");
        else if (strstr(type, "models.Normalize")) info->st_normalize = 1;
    }
    if (pool_path) {
        char name[600];
        snprintf(name, sizeof name, "%s/config.json", pool_path);
        if (strstr(pool_path, "..") || pool_path[0] == '/') {
            st = vkattn__fail(hf->ctx, VKATTN_ERROR_FORMAT, "%s/modules.json: pooling path '%s' leaves the directory", hf->dir, pool_path);
            goto done;
        }
        if ((st = vkattn__hf_json(hf, name, 1, &pool))) goto done;
        static const struct { const char *key; int mode; } modes[] = {
            {"pooling_mode_cls_token", VKATTN_POOL_CLS}, {"pooling_mode_mean_tokens", VKATTN_POOL_MEAN},
            {"pooling_mode_max_tokens", VKATTN_POOL_MAX}, {"pooling_mode_mean_sqrt_len_tokens", VKATTN_POOL_MEAN_SQRT_LEN},
            {"pooling_mode_lasttoken", VKATTN_POOL_LAST}, {"pooling_mode_weightedmean_tokens", -2}};
        int n_on = 0;
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
            if (!vkattn__hf_bool(pool, modes[i].key, 0)) continue;
            n_on++;
            if (modes[i].mode == -2) {
                st = vkattn__fail(hf->ctx, VKATTN_ERROR_UNSUPPORTED, "%s/%s: %s is not supported (cls, mean, max, "
                                  "mean_sqrt_len, lasttoken are)", hf->dir, name, modes[i].key);
                goto done;
            }
            info->st_pooling = modes[i].mode;
        }
        if (n_on > 1) {
            st = vkattn__fail(hf->ctx, VKATTN_ERROR_UNSUPPORTED, "%s/%s: %d pooling modes at once (concatenated) are not "
                              "supported: one of cls, mean, max, mean_sqrt_len, lasttoken", hf->dir, name, n_on);
            goto done;
        }
        if (n_on == 0) info->st_pooling = VKATTN_POOL_MEAN; /* sentence-transformers' default */
    }
    if ((st = vkattn__hf_json(hf, "sentence_bert_config.json", 0, &sbc))) goto done;
    uint32_t msl = 0;
    if (sbc && (st = vkattn__hf_u32(hf, sbc, "max_seq_length", 0, 0, &msl))) goto done;
    if (msl >= 2 && msl < info->max_tokens) info->max_seq_length = msl;
done:
    cJSON_Delete(modules);
    cJSON_Delete(pool);
    cJSON_Delete(sbc);
    return st;
}
