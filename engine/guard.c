/* guard.c: a damaged data file turned into QS_CORRUPT instead of a crash.
 *
 * LMDB reads the store through a memory map and trusts what its pages say: a damaged
 * page can send it past the end of the file (SIGBUS), outside the map (SIGSEGV), or
 * into a failed assertion (abort()). Every public call that reads the store runs
 * under a guard armed on its thread (ENG_GUARDED in engine.h). A fault at an address
 * in or just past the map of the guarded call's store, a fault inside LMDB's own code
 * (a damaged node flag sends it through a NULL pointer), or an LMDB assertion, returns
 * from that call with QS_CORRUPT; faults anywhere else are not the store's and go to
 * the handler installed before this one, or end the process as they would have.
 *
 * qs_env_open() puts the handlers in front of those in place (again at every open, in
 * case a handler installed since hides them). The first open also has SIGXFSZ ignored
 * when it is at its default (ending the process), so that a write past RLIMIT_FSIZE
 * fails with EFBIG, which the engine reports, instead of killing the process.
 *
 * After a fault the guarded call's transaction can only be aborted. Locks of the
 * engine held at the fault are released; since what they protect may be half
 * changed, the environment is then marked broken and every later call on it returns
 * QS_PANIC until it is closed. So it is after a fault in a write transaction: LMDB
 * links cursors on its own stack into the transaction while it changes a tree, and
 * ending that transaction would free them, so it is never ended; its writer lock
 * stays held until the process ends.
 */
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#include "engine_int.h"

/* The guard armed last on this thread. initial-exec: the signal handler reads it, and
 * must not be the first to touch the variable of a thread. */
static __thread eng_guard *armed __attribute__((tls_model("initial-exec")));

/* The fault being handed to a prior handler on this thread: a prior handler that
 * hands it back to on_fault (libFuzzer's does, when on_fault was there before it)
 * would otherwise make the two call each other for ever. */
static __thread const void *chaining __attribute__((tls_model("initial-exec")));

static struct sigaction prior_segv, prior_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

/* LMDB's code, when it is a shared library of its own: [lmdb_lo, lmdb_hi). */
static uintptr_t lmdb_lo, lmdb_hi;

#if defined(__x86_64__)
#define FAULT_PC(uc) ((uintptr_t)((ucontext_t *)(uc))->uc_mcontext.gregs[REG_RIP])
#elif defined(__aarch64__)
#define FAULT_PC(uc) ((uintptr_t)((ucontext_t *)(uc))->uc_mcontext.pc)
#else
#define FAULT_PC(uc) ((uintptr_t)0)
#endif

/* Offsets and sizes in a damaged page reach up to 64 KiB past a node, and a data
 * size up to 4 GiB past that: faults that far past the map are the store's too. */
#define REACH_PAST_MAP ((1ULL << 32) + (1ULL << 17))

static int in_store(const eng_guard *g, uintptr_t a)
{
    return g->map_base && a >= g->map_base && a - g->map_base < g->map_reach;
}

static void on_fault(int sig, siginfo_t *si, void *uc);

/* Hand a fault that is not the store's to the handler that was there before. */
static void chain(int sig, siginfo_t *si, void *uc)
{
    static const struct sigaction dfl_action = {.sa_handler = SIG_DFL};
    const struct sigaction *p = sig == SIGBUS ? &prior_bus : &prior_segv;
    /* the prior is this handler itself (a runtime handed sigaction() back altered), or
     * it handed this very fault back */
    if (p->sa_sigaction == on_fault || chaining == uc)
        p = &dfl_action;
    chaining = uc;
    if (p->sa_flags & SA_SIGINFO) {
        p->sa_sigaction(sig, si, uc);
    } else if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
        p->sa_handler(sig);
    } else {
        /* back to the default: the faulting access repeats on return and ends the
         * process as if no handler had been installed */
        sigaction(sig, &dfl_action, NULL);
    }
    chaining = NULL;
}

static int in_lmdb(uintptr_t pc)
{
    return pc >= lmdb_lo && pc < lmdb_hi;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    eng_guard *g = armed;
    if (g && (in_store(g, (uintptr_t)si->si_addr) || in_lmdb(FAULT_PC(uc)))) {
        g->signo = sig;
        g->addr = (uintptr_t)si->si_addr;
        siglongjmp(g->jb, 1);
    }
    chain(sig, si, uc);
}

/* dl_iterate_phdr callback: the code segment of the object that holds address @p arg
 * (LMDB's version string: a function's address may be a stub in the program). */
static int find_lmdb(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t at = (uintptr_t)arg;
    int holds = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        holds |= ph->p_type == PT_LOAD && at >= lo && at < lo + ph->p_memsz;
    }
    /* linked into the program itself, its code cannot be told from the program's */
    if (!holds || !info->dlpi_name || !info->dlpi_name[0])
        return holds;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            lmdb_lo = info->dlpi_addr + ph->p_vaddr;
            lmdb_hi = lmdb_lo + ph->p_memsz;
        }
    }
    return 1;
}

/* Put on_fault in front of whatever handles @p sig now, unless it is there already. */
static void take_signal(int sig, struct sigaction *prior)
{
    struct sigaction sa, cur;
    if (sigaction(sig, NULL, &cur) != 0 || cur.sa_sigaction == on_fault)
        return;   /* whatever flags it is reported with */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* SA_NODEFER: the guard jumps out with sigsetjmp(..., 0), which leaves the mask
     * alone, so the signal must not be blocked while the handler runs */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    *prior = cur;
    sigaction(sig, &sa, NULL);
}

static void process_init(void)
{
    struct sigaction cur, ign;
    dl_iterate_phdr(find_lmdb, mdb_version(NULL, NULL, NULL));
    if (sigaction(SIGXFSZ, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL &&
        !(cur.sa_flags & SA_SIGINFO)) {
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigaction(SIGXFSZ, &ign, NULL);
    }
}

/* LMDB's assertion hook: inside a guarded call, a failed assertion is damage. */
static void on_lmdb_assert(MDB_env *mdb, const char *msg)
{
    eng_guard *g = armed;
    if (g && g->env && g->env->mdb == mdb) {
        g->signo = 0;
        snprintf(g->assertion, sizeof g->assertion, "%s", msg);
        siglongjmp(g->jb, 1);
    }
}

void eng_process_init(void)
{
    pthread_once(&install_once, process_init);
}

void eng_guard_install(MDB_env *mdb)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    eng_process_init();
    /* again at every open: a handler installed since would otherwise hide this one */
    pthread_mutex_lock(&lock);
    take_signal(SIGSEGV, &prior_segv);
    take_signal(SIGBUS, &prior_bus);
    pthread_mutex_unlock(&lock);
    mdb_env_set_assert(mdb, on_lmdb_assert);
}

int eng_guarded(qs_env *env, qs_txn *txn, int (*fn)(void *), void *arg)
{
    eng_guard g;
    eng_guard_arm(&g, env);
    if (sigsetjmp(g.jb, 0) != 0)
        return eng_guard_caught(&g, txn);
    int rc = fn(arg);
    eng_guard_disarm(&g);
    return rc;
}

void eng_guard_arm(eng_guard *g, qs_env *env)
{
    g->env = env;
    g->map_base = env ? env->map_base : 0;
    g->map_reach = env ? env->map_size + REACH_PAST_MAP : 0;
    g->psize = env && env->psize ? env->psize : 4096;
    g->n_held = 0;
    g->signo = 0;
    g->assertion[0] = '\0';
    chaining = NULL;   /* a prior handler may have jumped out of the last fault */
    g->outer = armed;
    armed = g;
}

void eng_guard_disarm(eng_guard *g)
{
    armed = g->outer;
}

void eng_lock(pthread_mutex_t *m)
{
    pthread_mutex_lock(m);
    eng_guard *g = armed;
    if (g && g->n_held < ENG_GUARD_LOCKS)
        g->held[g->n_held++] = m;
}

void eng_unlock(pthread_mutex_t *m)
{
    for (eng_guard *g = armed; g; g = g->outer)
        for (int i = g->n_held - 1; i >= 0; i--)
            if (g->held[i] == m) {
                g->held[i] = g->held[--g->n_held];
                pthread_mutex_unlock(m);
                return;
            }
    pthread_mutex_unlock(m);
}

/* Whether this thread holds an engine lock taken under @p g or a guard outside it. */
static int holds_locks(const eng_guard *g)
{
    for (; g; g = g->outer)
        if (g->n_held)
            return 1;
    return 0;
}

void eng_mdb_abort(qs_env *env, MDB_txn *mdb)
{
    if (!env->write_abandoned)
        mdb_txn_abort(mdb);
}

int eng_guard_caught(eng_guard *g, qs_txn *txn)
{
    armed = g->outer;
    /* what a lock protects may be half changed: the store cannot be trusted further; and
     * a write transaction unwound out of LMDB's frames cannot be ended through LMDB */
    int in_write = !txn || !eng_txn_rdonly(txn);   /* NULL: one of LMDB's own */
    if (g->env && (holds_locks(g) || in_write)) {
        g->env->broken = 1;
        g->env->write_abandoned |= in_write;
    }
    for (int i = 0; i < g->n_held; i++)   /* the frames that took these are gone */
        pthread_mutex_unlock(g->held[i]);
    if (txn)
        eng_txn_failed(txn, QS_CORRUPT);
    if (!g->signo)
        return eng_fail(QS_CORRUPT, "damaged store: LMDB failed a check of its pages (%s); "
                        "`quizstore check` names the damaged pages; restore the store from "
                        "a backup", g->assertion);
    uint64_t page = (g->addr - g->map_base) / g->psize;
    return eng_fail(QS_CORRUPT, "damaged store: a read through a damaged page %s at page "
                    "%llu of data.mdb; `quizstore check` names the damaged pages; restore "
                    "the store from a backup",
                    g->signo == SIGBUS ? "went past the end of the file" : "went astray",
                    (unsigned long long)page);
}
