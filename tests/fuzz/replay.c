/* main() for fuzz targets built without libFuzzer (ctest, any compiler): runs the target once on every
 * file named, or in a directory named, on the command line: the committed corpus and every past crash.
 * FUZZ_VERBOSE=1 prints each input's last error message (did a seed get past the parser?). */
#include "fuzz.h"

#include "base/base.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return perror(path), 1;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, r;
    do {
        if (n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536))) abort();
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r);
    fclose(f);
    /* an exact-size copy, so that ASan sees reads past the input's end */
    uint8_t *in = malloc(n ? n : 1);
    if (!in) abort();
    memcpy(in, buf, n);
    free(buf);
    vkattn__fail(NULL, VKATTN_OK, "no error");
    LLVMFuzzerTestOneInput(in, n);
    if (getenv("FUZZ_VERBOSE")) printf("%s: %s\n", path, vkattn_context_error(NULL));
    free(in);
    return 0;
}

int main(int argc, char **argv) {
    unsigned files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat s;
        if (stat(argv[i], &s)) return perror(argv[i]), 1;
        if (!S_ISDIR(s.st_mode)) {
            if (run_file(argv[i])) return 1;
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) return perror(argv[i]), 1;
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue; /* ., .., .gitkeep */
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (run_file(path)) return closedir(d), 1;
            files++;
        }
        closedir(d);
    }
    printf("%s: %u inputs ran without a finding\n", argv[0], files);
    return files ? 0 : 1; /* an empty corpus proves nothing */
}
