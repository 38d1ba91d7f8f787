/* Helpers for the fuzz targets: a per-process scratch directory for path-based APIs, input splitting. */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512];

static void remove_dir(void) {
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.') unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

const char *fuzz_dir(void) {
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/vkattn-fuzz-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
        if (mkdir(dir, 0700) && access(dir, W_OK)) {
            perror(dir);
            abort();
        }
        atexit(remove_dir);
    }
    return dir;
}

const char *fuzz_write_file(const char *name, const void *data, size_t size) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
        perror(path);
        abort();
    }
    return path;
}

int fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t *a_len, const uint8_t **b, size_t *b_len) {
    size_t n = strlen(sep);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, sep, n) == 0) {
            *a_len = i, *b = data + i + n, *b_len = size - i - n;
            return 1;
        }
    *a_len = size, *b = data + size, *b_len = 0;
    return 0;
}
