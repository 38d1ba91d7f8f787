/* vkattn bench attention: placeholder until the attention benchmark lands. */
#include "bench.h"

int bench_attention(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "vkattn bench attention: not built yet\n");
    return 1;
}
