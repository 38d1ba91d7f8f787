/* A Hugging Face model directory: config.json, model.safetensors.index.json (shard list) and a shard,
 * read as the encoders read them. Input: config.json ["\n#index\n" index.json ["\n#shard\n" shard bytes]];
 * without a shard, model.safetensors holds one F32 tensor "w" [2]. */
#include "fuzz.h"

#include "models/hf.h"

#include <string.h>
#include <unistd.h>

/* Every config key the models read (bert.c, vit.c, seq2seq.c, encoder.c). */
static const char *const keys[] = {
    "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
    "max_position_embeddings", "type_vocab_size", "num_labels", "image_size", "patch_size", "num_channels",
    "d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward", "src_vocab_size",
    "tgt_vocab_size", "max_len", "bos_token_id", "eos_token_id", "layer_norm_eps", "hidden_act", "activation",
    "model_type", "qkv_bias", "norm_first", "do_lower_case", "id2label", "label2id", "weight_map"};

static const uint8_t default_shard[] = "\x36\0\0\0\0\0\0\0{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
                                       "\0\0\x80\x3f\0\0\0\x40";

/* Tensor `name` read with its own shape (when small) and with a wrong one. */
static void read_tensor(vkattn__hf *hf, const char *name) {
    int64_t shape[VKATTN_MAX_DIMS] = {2, 0, 0, 0};
    uint32_t ndim = 1;
    for (uint32_t i = 0; i < hf->n_files; i++) {
        vkattn_st_tensor t;
        if (vkattn_safetensors_find(hf->files[i], name, &t) == VKATTN_OK && t.bytes <= (1u << 20))
            ndim = t.ndim, memcpy(shape, t.shape, sizeof shape);
    }
    float *out;
    if (vkattn__hf_has(hf, name) && vkattn__hf_read(hf, name, ndim, shape, &out) == VKATTN_OK) free(out);
    shape[0]++;
    FUZZ_CHECK(vkattn__hf_read(hf, name, ndim, shape, &out) != VKATTN_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t config_len, rest_len, index_len, shard_len;
    const uint8_t *rest, *shard;
    int has_index = fuzz_split(data, size, "\n#index\n", &config_len, &rest, &rest_len);
    int has_shard = fuzz_split(rest, rest_len, "\n#shard\n", &index_len, &shard, &shard_len);
    fuzz_write_file("config.json", data, config_len);
    if (has_index) fuzz_write_file("model.safetensors.index.json", rest, index_len);
    else unlink(fuzz_write_file("model.safetensors.index.json", "", 0));
    if (has_shard) fuzz_write_file("model.safetensors", shard, shard_len);
    else fuzz_write_file("model.safetensors", default_shard, sizeof default_shard - 1);

    vkattn__hf hf;
    if (vkattn__hf_open(NULL, fuzz_dir(), &hf) == VKATTN_OK) {
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            uint32_t u;
            float f;
            vkattn__hf_u32(&hf, NULL, keys[i], 1, 0, &u);
            vkattn__hf_f32(&hf, NULL, keys[i], 0, &f);
            vkattn__hf_bool(hf.config, keys[i], 0);
            vkattn__hf_str(hf.config, keys[i]);
        }
        if (!hf.weight_map) read_tensor(&hf, "w");
        for (const cJSON *e = hf.weight_map ? hf.weight_map->child : NULL; e; e = e->next) read_tensor(&hf, e->string);
    }
    vkattn__hf_close(&hf);
    return 0;
}
