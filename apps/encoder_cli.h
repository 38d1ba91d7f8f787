/* Shared by the encoder subcommands (embed, classify, classify-image, attn-map). */
#ifndef VKATTN_ENCODER_CLI_H
#define VKATTN_ENCODER_CLI_H

#include "cli.h"

/* Token ids of n texts ([CLS] ... [SEP]); free with enc_texts_free. */
typedef struct enc_texts {
    uint32_t n, max_len;
    int32_t **ids;
    uint32_t *lens;
} enc_texts;

/* Common options: -m DIR, --device D, --out FILE, positional inputs. */
typedef struct enc_args {
    const char *dir, *device, *out;
    char **inputs;
    uint32_t n;
} enc_args;

/* Parses argv; an option it does not know goes to extra(argc, argv, &i, user), which returns 1 when it took it
 * (advancing i past its value), 0 when unknown, -1 on a bad value. Returns 0 to go on, else the exit status
 * (0 after --help as *done). -m is required, inputs with need_inputs. Free a->inputs. */
int enc_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *), int (*extra)(int, char **, int *, void *),
              void *user, int need_inputs, enc_args *a, int *done);
/* A running encoder subcommand: its options, context, model. */
typedef struct enc_cmd {
    enc_args args;
    vkattn_context *ctx;
    vkattn_encoder *enc;
    vkattn_encoder_info info;
} enc_cmd;

/* enc_parse, then the context and the model: 1 to go on; 0 when the command is over (exit status in *rc). */
int enc_start(int argc, char **argv, const char *cmd, void (*usage)(FILE *), int (*extra)(int, char **, int *, void *),
              void *user, int need_inputs, enc_cmd *c, int *rc);
/* Frees everything; returns rc, or 1 after validation messages. */
int enc_finish(enc_cmd *c, int rc);
/* Creates the context and the encoder from a model directory; prints errors. 0 on success. */
int enc_open(const char *dir, const char *device, vkattn_context **ctx, vkattn_encoder **enc);
/* Destroys both; returns rc, or 1 when the device reported validation messages (printed). */
int enc_close(vkattn_context *ctx, vkattn_encoder *enc, int rc);
int enc_tokenize(vkattn_encoder *enc, char **texts, uint32_t n, enc_texts *out);
void enc_texts_free(enc_texts *t);
/* Writes the named f32 arrays to a safetensors file (tests read the raw outputs from it). */
int enc_save(const char *path, uint32_t n, const char *const *names, float *const *data, const uint32_t *ndims,
             const int64_t (*shapes)[4]);

#endif
