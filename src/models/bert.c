/* BERT (BertModel / BertForSequenceClassification parameter names, bert-base and MiniLM-style):
 *   x = LN(word[id] + position[t] + token_type[0])        vkattn_embedding, one broadcast add, LayerNorm
 *   12 x post-LN encoder layers (encoder.c)               one batch, padding masked through kv_len
 *   pooled = [CLS] / mean / max / last row (+ L2)         host
 *   logits = classifier(tanh(pooler(h[CLS])))            host: B x D, and tanh is not a device op
 * Tensor names with or without the "bert." prefix (BertModel saves them bare). */
#include "core/core.h"
#include "hf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vkattn__layer_names bert_names = {
    .q = "encoder.layer.%u.attention.self.query", .k = "encoder.layer.%u.attention.self.key",
    .v = "encoder.layer.%u.attention.self.value", .o = "encoder.layer.%u.attention.output.dense",
    .ln1 = "encoder.layer.%u.attention.output.LayerNorm", .up = "encoder.layer.%u.intermediate.dense",
    .down = "encoder.layer.%u.output.dense", .ln2 = "encoder.layer.%u.output.LayerNorm"};

/* tokenizer_config.json's special tokens: a string or {"content": "..."}. */
static const char *special(const cJSON *tc, const char *key, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(tc, key);
    if (cJSON_IsString(v)) return v->valuestring;
    const char *c = cJSON_IsObject(v) ? vkattn__hf_str(v, "content") : NULL;
    return c ? c : dflt;
}

static vkattn_status load_tokenizer(vkattn__hf *hf, vkattn_encoder *enc) {
    cJSON *tc = NULL;
    vkattn_status st = vkattn__hf_json(hf, "tokenizer_config.json", 0, &tc);
    if (st) return st;
    char path[1200];
    snprintf(path, sizeof path, "%s/vocab.txt", hf->dir);
    const cJSON *sa = cJSON_GetObjectItemCaseSensitive(tc, "strip_accents");
    vkattn_wordpiece_desc d = {.vocab_path = path, .lower_case = vkattn__hf_bool(tc, "do_lower_case", 1),
                               .strip_accents = cJSON_IsBool(sa) ? cJSON_IsTrue(sa) : -1,
                               .no_cjk_split = !vkattn__hf_bool(tc, "tokenize_chinese_chars", 1),
                               .unk_token = special(tc, "unk_token", "[UNK]")};
    st = vkattn_wordpiece_create(&d, &enc->wp);
    if (st) st = vkattn__fail(enc->ctx, st, "%s", vkattn_context_error(NULL));
    const char *cls = special(tc, "cls_token", "[CLS]"), *sep = special(tc, "sep_token", "[SEP]");
    if (!st) {
        enc->cls_id = vkattn_wordpiece_find(enc->wp, cls), enc->sep_id = vkattn_wordpiece_find(enc->wp, sep);
        if (enc->cls_id < 0 || enc->sep_id < 0)
            st = vkattn__fail(enc->ctx, VKATTN_ERROR_FORMAT, "%s: \"%s\" or \"%s\" is not in the vocabulary", path, cls, sep);
        else if ((uint32_t)enc->cls_id >= enc->vocab_size || (uint32_t)enc->sep_id >= enc->vocab_size ||
                 vkattn_wordpiece_vocab_size(enc->wp) > enc->vocab_size)
            st = vkattn__fail(enc->ctx, VKATTN_ERROR_FORMAT, "%s: %u tokens, more than config.json's vocab_size %u", path,
                              vkattn_wordpiece_vocab_size(enc->wp), enc->vocab_size);
    }
    cJSON_Delete(tc);
    return st;
}

vkattn_status vkattn__bert_create(vkattn__hf *hf, vkattn_encoder *enc) {
    vkattn_encoder_info *in = &enc->info;
    uint32_t types;
    in->arch = VKATTN_ENCODER_BERT;
    vkattn_status st;
    if ((st = vkattn__hf_u32(hf, NULL, "hidden_size", 1, 0, &in->hidden_size)) ||
        (st = vkattn__hf_u32(hf, NULL, "num_hidden_layers", 1, 0, &in->num_layers)) ||
        (st = vkattn__hf_u32(hf, NULL, "num_attention_heads", 1, 0, &in->num_heads)) ||
        (st = vkattn__hf_u32(hf, NULL, "intermediate_size", 1, 0, &in->intermediate_size)) ||
        (st = vkattn__hf_u32(hf, NULL, "vocab_size", 1, 0, &enc->vocab_size)) ||
        (st = vkattn__hf_u32(hf, NULL, "max_position_embeddings", 1, 0, &in->max_tokens)) ||
        (st = vkattn__hf_u32(hf, NULL, "type_vocab_size", 0, 2, &types)) ||
        (st = vkattn__hf_f32(hf, NULL, "layer_norm_eps", 1e-12f, &enc->eps)) ||
        (st = vkattn__enc_act(hf, &enc->act)))
        return st;
    const uint32_t D = in->hidden_size;
    if (!D || !in->num_heads || D % in->num_heads || D / in->num_heads > 256 || !in->num_layers || !in->intermediate_size ||
        !enc->vocab_size || in->max_tokens < 2 || !types)
        return vkattn__fail(enc->ctx, VKATTN_ERROR_FORMAT, "%s/config.json: inconsistent sizes (hidden_size %u, heads %u, "
                            "layers %u, intermediate %u, vocab %u, positions %u, types %u)", hf->dir, D, in->num_heads,
                            in->num_layers, in->intermediate_size, enc->vocab_size, in->max_tokens, types);
    if ((st = load_tokenizer(hf, enc)) || (st = vkattn__st_config(hf, in))) return st;
    const char *prefix = vkattn__hf_has(hf, "bert.embeddings.word_embeddings.weight") ? "bert." : "";
    char name[256];
    snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", prefix);
    if ((st = vkattn__hf_weight(hf, name, 2, (int64_t[]){enc->vocab_size, D}, &enc->word_emb))) return st;
    float *pos = NULL, *type = NULL;
    snprintf(name, sizeof name, "%sembeddings.position_embeddings.weight", prefix);
    if (!(st = vkattn__hf_read(hf, name, 2, (int64_t[]){in->max_tokens, D}, &pos))) {
        snprintf(name, sizeof name, "%sembeddings.token_type_embeddings.weight", prefix);
        st = vkattn__hf_read(hf, name, 2, (int64_t[]){types, D}, &type);
    }
    for (uint32_t t = 0; !st && t < in->max_tokens; t++) /* token type 0 folded into the position rows */
        for (uint32_t d = 0; d < D; d++) pos[(size_t)t * D + d] += type[d];
    if (!st) st = vkattn__upload_new(enc->ctx, pos, 2, (int64_t[]){in->max_tokens, D}, &enc->pos_type_emb);
    free(pos), free(type);
    if (st) return st;
    snprintf(name, sizeof name, "%sembeddings.LayerNorm.weight", prefix);
    if ((st = vkattn__hf_tensor(hf, name, 1, (int64_t[]){D}, &enc->emb_ln_w))) return st;
    snprintf(name, sizeof name, "%sembeddings.LayerNorm.bias", prefix);
    if ((st = vkattn__hf_tensor(hf, name, 1, (int64_t[]){D}, &enc->emb_ln_b))) return st;
    if (!(enc->layers = calloc(in->num_layers, sizeof *enc->layers)))
        return vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t i = 0; i < in->num_layers; i++)
        if ((st = vkattn__enc_load_layer(hf, enc, prefix, &bert_names, i))) return st;
    snprintf(name, sizeof name, "%spooler.dense.weight", prefix);
    in->has_pooler = vkattn__hf_has(hf, name);
    if (in->has_pooler) {
        if ((st = vkattn__hf_read(hf, name, 2, (int64_t[]){D, D}, &enc->pool_w))) return st;
        snprintf(name, sizeof name, "%spooler.dense.bias", prefix);
        if ((st = vkattn__hf_read(hf, name, 1, (int64_t[]){D}, &enc->pool_b))) return st;
    }
    if (vkattn__hf_has(hf, "classifier.weight")) {
        uint32_t n = 0;
        const cJSON *map = cJSON_GetObjectItemCaseSensitive(hf->config, "id2label");
        if ((st = vkattn__hf_u32(hf, NULL, "num_labels", 0, cJSON_IsObject(map) ? (uint32_t)cJSON_GetArraySize(map) : 2, &n)))
            return st;
        if (!in->has_pooler)
            return vkattn__fail(enc->ctx, VKATTN_ERROR_FORMAT, "%s: classifier.weight without %spooler.dense.weight "
                                "(BertForSequenceClassification classifies the pooler output)", hf->dir, prefix);
        if ((st = vkattn__hf_read(hf, "classifier.weight", 2, (int64_t[]){n, D}, &enc->cls_w)) ||
            (st = vkattn__hf_read(hf, "classifier.bias", 1, (int64_t[]){n}, &enc->cls_b)) ||
            (st = vkattn__enc_load_labels(hf, enc, n)))
            return st;
    }
    return VKATTN_OK;
}

vkattn_status vkattn_encoder_tokenize(const vkattn_encoder *enc, const char *text, int32_t *ids, size_t capacity, size_t *n) {
    if (!enc || !text || !n || (!ids && capacity))
        return vkattn__fail(enc ? enc->ctx : NULL, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_tokenize: NULL argument");
    if (!enc->wp) return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_tokenize: not a text encoder");
    size_t m = 0;
    vkattn_status st = vkattn_wordpiece_tokenize(enc->wp, text, strlen(text), NULL, 0, &m);
    if (st && m == 0) return vkattn__fail(enc->ctx, st, "%s", vkattn_context_error(NULL));
    int32_t *tmp = malloc((m + 1) * sizeof *tmp);
    if (!tmp) return vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    if ((st = vkattn_wordpiece_tokenize(enc->wp, text, strlen(text), tmp, m, &m))) {
        free(tmp);
        return vkattn__fail(enc->ctx, st, "%s", vkattn_context_error(NULL));
    }
    size_t keep = m + 2 > enc->info.max_seq_length ? enc->info.max_seq_length - 2 : m; /* truncation as HF's */
    *n = keep + 2;
    if (*n > capacity) {
        free(tmp);
        return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_tokenize: %zu tokens, room for %zu", *n, capacity);
    }
    ids[0] = enc->cls_id;
    memcpy(ids + 1, tmp, keep * sizeof *tmp);
    ids[keep + 1] = enc->sep_id;
    free(tmp);
    return VKATTN_OK;
}

vkattn_status vkattn_encoder_forward(vkattn_encoder *enc, const int32_t *const *ids, const uint32_t *lens, uint32_t batch,
                                     vkattn_encoder_outputs *out) {
    if (!enc || !ids || !lens || !batch || !out)
        return vkattn__fail(enc ? enc->ctx : NULL, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward: NULL argument or batch 0");
    if (enc->info.arch != VKATTN_ENCODER_BERT)
        return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward: a ViT takes images "
                            "(vkattn_encoder_forward_images)");
    if (enc->ctx->recording) return vkattn__fail(enc->ctx, VKATTN_ERROR_STATE, "encoder_forward: not inside a batch");
    if (out->logits && !enc->info.num_labels)
        return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward: the model has no classifier");
    uint32_t L = 0;
    for (uint32_t b = 0; b < batch; b++) {
        if (!lens[b] || lens[b] > enc->info.max_tokens || !ids[b])
            return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward: input %u has %u tokens (1..%u "
                                "allowed)", b, lens[b], enc->info.max_tokens);
        for (uint32_t t = 0; t < lens[b]; t++)
            if (ids[b][t] < 0 || (uint32_t)ids[b][t] >= enc->vocab_size)
                return vkattn__fail(enc->ctx, VKATTN_ERROR_INVALID_ARGUMENT, "encoder_forward: token id %d out of range "
                                    "(vocab_size %u)", ids[b][t], enc->vocab_size);
        if (lens[b] > L) L = lens[b];
    }
    int32_t *x = calloc((size_t)batch * L, sizeof *x); /* padding: token 0 (masked keys, ignored queries) */
    if (!x) return vkattn__fail(enc->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    for (uint32_t b = 0; b < batch; b++) memcpy(x + (size_t)b * L, ids[b], lens[b] * sizeof *x);
    vkattn_status st = vkattn__enc_run(enc, x, lens, batch, L, out);
    free(x);
    return st;
}
