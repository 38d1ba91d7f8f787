/* WordPiece (BERT's vocab.txt + BasicTokenizer). Input: flags byte, vocab.txt, "\n#text\n", text.
 * Properties: counting and writing agree; every id is in the vocabulary. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t vocab_len, text_len;
    const uint8_t *text;
    fuzz_split(data + 1, size - 1, "\n#text\n", &vocab_len, &text, &text_len);
    vkattn_wordpiece_desc d = {0};
    d.vocab_path = fuzz_write_file("vocab.txt", data + 1, vocab_len);
    d.lower_case = data[0] & 1;
    d.strip_accents = (data[0] >> 1 & 3) == 3 ? -1 : data[0] >> 1 & 1;
    d.no_cjk_split = data[0] >> 3 & 1;
    d.max_chars_per_word = data[0] >> 4; /* 0: the default 100 */
    vkattn_wordpiece *wp;
    if (vkattn_wordpiece_create(&d, &wp)) return 0;
    uint32_t nv = vkattn_wordpiece_vocab_size(wp);
    size_t n = 0, m = 0;
    vkattn_status st = vkattn_wordpiece_tokenize(wp, (const char *)text, text_len, NULL, 0, &n);
    FUZZ_CHECK(st == VKATTN_OK || n > 0);
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (ids) {
        FUZZ_CHECK(vkattn_wordpiece_tokenize(wp, (const char *)text, text_len, ids, n, &m) == VKATTN_OK && m == n);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(ids[i] >= 0 && (uint32_t)ids[i] < nv);
            const char *tok = vkattn_wordpiece_token(wp, ids[i]);
            FUZZ_CHECK(tok && vkattn_wordpiece_find(wp, tok) >= 0);
        }
    }
    free(ids);
    FUZZ_CHECK(vkattn_wordpiece_token(wp, (int32_t)nv) == NULL && vkattn_wordpiece_token(wp, -1) == NULL);
    vkattn_wordpiece_destroy(wp);
    return 0;
}
