/* Loading a model for the CLI's run / perplexity / bench model: a progress bar on a terminal. */
#include "bench_report.h"
#include "cli.h"

#include <stdlib.h>
#include <unistd.h>

static void progress_bar(void *user, uint64_t done, uint64_t total) {
    (void)user;
    const int width = 40;
    int filled = total ? (int)(done * width / total) : width;
    fprintf(stderr, "\rloading [%.*s%*s] %3d%%", filled, "########################################", width - filled, "",
            total ? (int)(done * 100 / total) : 100);
    if (done >= total) fprintf(stderr, "\r%*s\r", width + 20, "");
    fflush(stderr);
}

vkattn_model *cli_load_model(vkattn_context *ctx, const char *path, const void *data, size_t size,
                             vkattn_model_desc *desc, double *load_ms) {
    if (isatty(2)) desc->progress = progress_bar;
    vkattn_model *m = NULL;
    double t0 = bench_now_ms();
    vkattn_status st = path ? vkattn_model_load(ctx, path, desc, &m) : vkattn_model_load_memory(ctx, data, size, desc, &m);
    if (load_ms) *load_ms = bench_now_ms() - t0;
    if (st) cli_fail(path ? path : "loading the built-in model", st, ctx);
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(m ? vkattn_model_tokenizer(m) : NULL, &info);
    if (info.warning) fprintf(stderr, "vkattn: warning: %s\n", info.warning); /* once per load, as llama.cpp */
    return m;
}
