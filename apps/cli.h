/* Shared by the CLI's subcommands: one file per subcommand (cmd_<name>.c),
 * each a `int cmd_<name>(int argc, char **argv)` listed in main.c's table. */
#ifndef VKATTN_CLI_H
#define VKATTN_CLI_H

#include "vkattn.h"

#include <stdio.h>

int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_op(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_chat(int argc, char **argv);
/* encoders (cmd_embed.c, cmd_classify.c, ...) */
int cmd_embed(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_attn_map(int argc, char **argv);
int cmd_classify_image(int argc, char **argv);
int cmd_seq2seq(int argc, char **argv);
int cmd_selftest(int argc, char **argv);

/* ---- devices (cmd_info.c) ---- */
/* "NVIDIA", "AMD", ... for a PCI vendor id ("other" when unknown). */
const char *cli_vendor_name(uint32_t id);
/* A device's capabilities as `vkattn info` prints them: an indented table, or one JSON object. */
void cli_device_table(FILE *f, const vkattn_device_info *info);
void cli_device_json(FILE *f, const vkattn_device_info *info);
/* s as a JSON string literal (quotes and escapes). */
void cli_json_string(FILE *f, const char *s);
/* The same for len bytes (which may hold NULs). */
void cli_json_string_n(FILE *f, const char *s, size_t len);

/* Prints "vkattn: <what>: <status>: <message>" to stderr; returns 1. */
int cli_fail(const char *what, vkattn_status st, const vkattn_context *ctx);
/* True when argv[i] is -h / --help. */
int cli_is_help(const char *arg);
/* Creates a context on `device` (NULL: default selection); prints errors. */
vkattn_context *cli_context(const char *device, int profiling);
/* A whole file into a malloc'ed buffer (*len bytes); NULL if unreadable. */
char *cli_read_file(const char *path, size_t *len);
/* Prints the per-kernel GPU time table of a profiling context. */
void cli_print_profile(const vkattn_context *ctx, FILE *f);

/* ---- strict numeric option values (cli_args.c) ---- */
/* The whole of `s` as a base-10 integer (a finite number for cli_parse_float) in [min, max]. Returns 0, or
 * prints "vkattn CMD: bad value "S" for OPT: expected ..." and returns 2, the usage-error exit status. */
int cli_parse_int(const char *cmd, const char *opt, const char *s, long long min, long long max, long long *out);
int cli_parse_uint(const char *cmd, const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out);
int cli_parse_float(const char *cmd, const char *opt, const char *s, double min, double max, double *out);
/* 1..cap integers in [min, max] separated by `sep` ("64,128", "4096x4096") into out[0..*n). Same returns;
 * cmd NULL: no message (for a caller that parses a composite value and reports it whole). */
/* Prints "vkattn CMD: bad value "S" for OPT: expected EXPECTED"; returns 2. */
int cli_bad_value(const char *cmd, const char *opt, const char *s, const char *expected);
int cli_parse_list(const char *cmd, const char *opt, const char *s, char sep, uint32_t min, uint32_t max, uint32_t *out,
                   uint32_t cap, uint32_t *n);

/* ---- sampling options, shared by run, chat and serve (cli_args.c) ---- */
typedef struct cli_sampling {
    vkattn_sampler_desc d;  /* llama.cpp's defaults (cli_sampling_init), then the flags */
    int seed_set;           /* --seed S >= 0 given (-1: a random seed; serve: a random seed per request) */
    int last_n_ctx;         /* --repeat-last-n -1: the whole context (cli_sampling_desc resolves it) */
} cli_sampling;

#define CLI_SAMPLING_USAGE                                                                                             \
    "  --temp T                temperature (default 0.8; 0 = greedy)\n"                                                \
    "  --top-k K, --top-p P, --min-p P   (defaults 40, 0.95, 0.05; 0 = off)\n"                                        \
    "  --repeat-penalty R      a token seen in the window: positive logit / R, negative logit x R (default 1 = off)\n" \
    "  --repeat-last-n N       the window: the last N tokens, prompt included (default 64; 0 = no penalties;\n"      \
    "                          -1 = the whole context)\n"                                                            \
    "  --frequency-penalty F   logit -= F x (times the token is in the window) (default 0; -2..2)\n"                  \
    "  --presence-penalty P    logit -= P if the token is in the window (default 0; -2..2)\n"                         \
    "  --seed S                sampling seed (default 0; -1 = random)\n"

void cli_sampling_init(cli_sampling *s);
/* When `opt` is a sampling flag: parses its value v (NULL: missing) into *s and returns 1 with *rc 0, or 2 (a usage
 * error, after printing why). Otherwise returns 0. */
int cli_sampling_option(const char *cmd, const char *opt, const char *v, cli_sampling *s, int *rc);
/* The sampler description for a context of n_ctx tokens (--repeat-last-n -1 becomes n_ctx). */
vkattn_sampler_desc cli_sampling_desc(const cli_sampling *s, uint32_t n_ctx);

/* An output file option: checks that `path` can be written (without truncating it) before any work is done;
 * else prints "vkattn CMD: cannot write OPT PATH: <OS reason>" and returns 2. */
int cli_check_writable(const char *cmd, const char *opt, const char *path);

/* ---- models (model_load.c) ---- */
/* Loads a GGUF model from `path`, or from `size` bytes at `data` when path is NULL, with a progress bar
 * when stderr is a terminal; prints errors (NULL then). *load_ms (may be NULL) gets the time taken. */
vkattn_model *cli_load_model(vkattn_context *ctx, const char *path, const void *data, size_t size,
                             vkattn_model_desc *desc, double *load_ms);

#endif
