/* log_replay.c: the redo log's records past a checkpoint (log.h), read back and
 * applied to LMDB after a crash, each once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "log.h"

/* ------------------------------------------------------------------ recovery */

/* The first record of the log past the checkpoint of @p h, and each after it: 0 with
 * *rec (malloc'ed, *len bytes of payload at *rec + REC_HEAD) while the next holds;
 * QS_NOTFOUND at the end of the log. */
static int record_at(int fd, const log_header *h, uint64_t at, uint64_t lsn, uint8_t **rec,
                     size_t *len)
{
    uint8_t head[REC_HEAD];
    struct stat st;
    if (eng_log_read_all(fd, head, sizeof head, at) != 0 || fstat(fd, &st) != 0)
        return QS_NOTFOUND;
    size_t payload = eng_get32(head + 4);
    if (eng_get32(head) != REC_MAGIC || eng_get64(head + 8) != lsn ||
        eng_get64(head + 16) != h->epoch ||
        at + REC_HEAD + payload + REC_TAIL > (uint64_t)st.st_size)
        return QS_NOTFOUND;
    uint8_t *b = malloc(REC_HEAD + payload + REC_TAIL);
    if (!b)
        return eng_fail(ENOMEM, "out of memory reading the redo log");
    if (eng_log_read_all(fd, b, REC_HEAD + payload + REC_TAIL, at) != 0 ||
        eng_get64(b + REC_HEAD + payload) != XXH3_64bits(b, REC_HEAD + payload)) {
        free(b);
        return QS_NOTFOUND;
    }
    *rec = b;
    *len = payload;
    return 0;
}

typedef struct change {
    char op;
    char name[256];
    MDB_val k, v;
    uint32_t flags;
} change;

/* The change at @p *p of a record's payload ending at @p end; -1 when malformed. */
static int change_next(const uint8_t **p, const uint8_t *end, change *c)
{
    const uint8_t *q = *p;
    if (end - q < 2)
        return -1;
    c->op = (char)*q++;
    size_t nl = *q++;
    if ((size_t)(end - q) < nl || !strchr("PDEXC", c->op) || c->op == 0)
        return -1;
    memcpy(c->name, q, nl);
    c->name[nl] = 0;
    q += nl;
    if (c->op == 'P' || c->op == 'D') {
        if (end - q < 2 || (size_t)(end - q) < 2 + (size_t)eng_get16(q))
            return -1;
        c->k = (MDB_val){eng_get16(q), (void *)(q + 2)};
        q += 2 + c->k.mv_size;
        if (end - q < 4 || (size_t)(end - q) < 4 + (size_t)eng_get32(q))
            return -1;
        c->v = (MDB_val){eng_get32(q), (void *)(q + 4)};
        q += 4 + c->v.mv_size;
    }
    if (c->op == 'C') {
        if (end - q < 4)
            return -1;
        c->flags = eng_get32(q);
        q += 4;
    }
    *p = q;
    return 0;
}

static int apply_change(MDB_txn *m, const change *c)
{
    MDB_dbi dbi;
    int rc = mdb_dbi_open(m, c->name, c->op == 'C' ? (c->flags | MDB_CREATE) : 0, &dbi);
    if (rc || c->op == 'C')
        return rc;
    switch (c->op) {
    case 'P':
        return mdb_put(m, dbi, (MDB_val *)&c->k, (MDB_val *)&c->v, 0);
    case 'D':
        rc = mdb_del(m, dbi, (MDB_val *)&c->k, c->v.mv_size ? (MDB_val *)&c->v : NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    default:
        return mdb_drop(m, dbi, c->op == 'X');
    }
}

static int apply_record(MDB_txn *m, const uint8_t *payload, size_t len, uint64_t lsn)
{
    const uint8_t *p = payload, *end = payload + len;
    while (p < end) {
        change c;
        if (change_next(&p, end, &c) != 0)
            return eng_fail(QS_CORRUPT, "redo log record %llu is malformed",
                            (unsigned long long)lsn);
        int rc = apply_change(m, &c);
        if (rc)
            return eng_fail(QS_CORRUPT, "redo log record %llu cannot be applied to database "
                            "'%s': %s", (unsigned long long)lsn, c.name, mdb_strerror(rc));
    }
    return 0;
}

typedef struct replay_ctx {
    qs_env *env;
    const log_header *h;
} replay_ctx;

/* Apply the records past the checkpoint, in transactions of up to REPLAY_BATCH. */
static int replay_in(void *arg)
{
    replay_ctx *c = arg;
    qs_env *env = c->env;
    eng_log_pos pos = {c->h->epoch, c->h->lsn, ENG_LOG_START};
    for (int more = 1; more;) {
        MDB_txn *m;
        int rc = mdb_txn_begin(env->mdb, NULL, 0, &m);
        if (rc)
            return eng_mdb_rc(rc, "begin", "redo log replay");
        int n = 0;
        for (; n < REPLAY_BATCH; n++) {
            uint8_t *rec;
            size_t len;
            rc = record_at(env->log_fd, c->h, pos.end, pos.lsn + 1, &rec, &len);
            if (rc == QS_NOTFOUND) {
                rc = 0;
                more = 0;
                break;
            }
            if (rc == 0) {
                rc = apply_record(m, rec + REC_HEAD, len, pos.lsn + 1);
                free(rec);
            }
            if (rc)
                break;
            pos.lsn++;
            pos.end += REC_HEAD + len + REC_TAIL;
        }
        if (!rc && n)
            rc = eng_log_pos_write(env, m, &pos);
        if (rc) {
            mdb_txn_abort(m);
            return rc;
        }
        if ((rc = mdb_txn_commit(m)) != 0)
            return eng_mdb_rc(rc, "commit", "redo log replay");
    }
    return 0;
}

/* 1 when a record follows the checkpoint of @p h. */
int eng_log_records_follow(int fd, const log_header *h)
{
    uint8_t *rec;
    size_t len;
    if (record_at(fd, h, ENG_LOG_START, h->lsn + 1, &rec, &len) != 0)
        return 0;
    free(rec);
    return 1;
}

int eng_log_replay(qs_env *env, const log_header *h)
{
    replay_ctx c = {env, h};
    return eng_guarded(env, NULL, replay_in, &c);
}
