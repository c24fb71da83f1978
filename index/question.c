/* question.c: a question as the declared indexes and the pools see it (pool.h). */
#include <string.h>

#include "pool.h"

uint32_t idx_band_of(uint32_t attempts, uint32_t correct)
{
    uint32_t rate = (uint32_t)(10000ULL * correct / attempts);
    return rate >= 9000 ? 9 : rate / 1000;
}

int idx_question_load(qs_txn *txn, uint32_t id, idx_question *out)
{
    eng_qstat s;
    memset(out, 0, sizeof *out);
    int rc = eng_question_head(txn, id, &out->head);
    if (rc)
        return rc;
    rc = eng_qstat_get(txn, id, &s);
    if (rc == 0 && s.attempts) {
        out->has_band = 1;
        out->band = (uint8_t)idx_band_of(s.attempts, s.correct);
    }
    return rc == QS_NOTFOUND ? 0 : rc;
}
