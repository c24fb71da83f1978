/* workload_text.c: the workload's texts, from the templates and word lists of
 * bench/data/ (their format: the top of bench/data/sentences.txt).
 *
 * The build compiles the data files into workload_data.h (bench/data/wl_data.py):
 * every rule a run of alternatives, every alternative a run of ops. Expanding a rule
 * draws its alternative, then runs the ops in order, each writing into a bounded text
 * builder and drawing from the entity's stream as its slot says. What stays here is
 * what the templates cannot say: the patient, lengths ("until the stem is long
 * enough"), the explanation's paragraph break, and the two draws made in code
 * (<@wrong>, <@note_words>).
 *
 * Texts are a function of (seed, entity) and the data files: a question's stem,
 * options and explanation come from its DOM_QTEXT stream, a payload from its day's
 * interaction stream.
 */
#include <math.h>
#include <string.h>

#include "workload_int.h"

/* ===================================================================== */
/* The compiled data                                                      */

enum wl_op_kind {
    WLO_LIT,        /* wl_lits[a], b bytes */
    WLO_RULE,       /* expand rule a */
    WLO_SKEW,       /* an entry of word list a, skewed to the top */
    WLO_RANGE,      /* a uniform whole number in [a, b] */
    WLO_VAR,        /* the value the generator set for variable a */
    WLO_CALL,       /* the draw in code a (WLB_*) */
    WLO_LAB_PICK,   /* draw a row of wl_labs into slot a */
    WLO_LAB_NAME,   /* slot a's name, unit, or a value drawn in its range */
    WLO_LAB_UNIT,
    WLO_LAB_VALUE,
};

enum wl_case { WLM_NONE, WLM_UPPER, WLM_LOWER };   /* the first letter of an op's text */

typedef struct wl_op {
    uint8_t kind, recase;
    uint32_t a, b;
} wl_op;

typedef struct wl_alt {
    uint32_t until;        /* drawn when the rule's draw is below this, and not below
                              the previous alternative's */
    uint16_t first, n;     /* wl_ops[first .. first + n) */
} wl_alt;

typedef struct wl_rule {
    uint16_t first, n;     /* wl_alts[first .. first + n) */
    uint32_t total;        /* the sum of the weights */
    uint8_t words;         /* every alternative one literal of weight 1 */
} wl_rule;

enum wl_lab_format { WL_LAB_WHOLE, WL_LAB_DECIMAL, WL_LAB_THOUSANDS };

typedef struct wl_lab {
    const char *name, *unit;
    uint32_t lo, hi;       /* in tenths for WL_LAB_DECIMAL */
    uint8_t format;
} wl_lab;

typedef struct wl_lead_in {
    const char *text;
    uint16_t options;      /* the rule of its options */
} wl_lead_in;

#include "workload_data.h"

_Static_assert(WLR_SUBJECTS_N == WL_SUBJECTS && WLR_SYSTEMS_N == WL_SYSTEMS &&
               WLR_TOPIC_ASPECTS_N == WL_TOPICS_PER_SYSTEM,
               "taxonomy.txt has the taxonomy of workload.h");

/* Entry @p i of word list @p rule. */
static const char *word(unsigned rule, unsigned i)
{
    return wl_lits[wl_ops[wl_alts[wl_rules[rule].first + i].first].a];
}

/* ===================================================================== */
/* Text builder                                                           */

/* A bounded text builder: output past the capacity is dropped, never overrun. */
typedef struct tb {
    char *p;
    size_t len, cap;
} tb;

static void tb_mem(tb *b, const char *s, size_t n)
{
    if (n > b->cap - b->len)
        n = b->cap - b->len;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void tb_put(tb *b, const char *s)
{
    tb_mem(b, s, strlen(s));
}

static void tb_char(tb *b, char c)
{
    tb_mem(b, &c, 1);
}

static void tb_uint(tb *b, uint64_t v)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        tb_char(b, d[--n]);
}

/* The text written since @p start with its first letter in upper (or lower) case;
 * acronyms ("HIV") stay. */
static void tb_recase(tb *b, size_t start, int upper)
{
    if (b->len <= start)
        return;
    char *s = b->p + start;
    size_t n = b->len - start;
    if (upper && s[0] >= 'a' && s[0] <= 'z')
        s[0] = (char)(s[0] - 'a' + 'A');
    else if (!upper && s[0] >= 'A' && s[0] <= 'Z' && !(n > 1 && s[1] >= 'A' && s[1] <= 'Z'))
        s[0] = (char)(s[0] - 'A' + 'a');
}

static void tb_lab_value(tb *b, const wl_lab *l, uint32_t v)
{
    if (l->format == WL_LAB_DECIMAL) {
        tb_uint(b, v / 10);
        tb_char(b, '.');
        tb_uint(b, v % 10);
    } else if (l->format == WL_LAB_THOUSANDS && v >= 1000) {
        tb_uint(b, v / 1000);
        tb_char(b, ',');
        uint32_t rest = v % 1000;
        tb_char(b, (char)('0' + rest / 100));
        tb_char(b, (char)('0' + rest / 10 % 10));
        tb_char(b, (char)('0' + rest % 10));
    } else {
        tb_uint(b, v);
    }
}

/* ===================================================================== */
/* Expansion                                                              */

typedef struct expansion {
    ut_rng *r;
    tb *b;
    wl_text var[WLV_COUNT];         /* set by the caller before the rules that read them */
    const wl_lab *lab[4];
    const wl_question *q;           /* for <@wrong> */
} expansion;

static void expand(expansion *x, unsigned rule);
static void call(expansion *x, unsigned fn);

static void run_alt(expansion *x, const wl_alt *a)
{
    for (const wl_op *o = &wl_ops[a->first], *end = o + a->n; o < end; o++) {
        size_t start = x->b->len;
        const wl_lab *lab = x->lab[o->a & 3];
        switch ((enum wl_op_kind)o->kind) {
        case WLO_LIT: tb_mem(x->b, wl_lits[o->a], o->b); break;
        case WLO_RULE: expand(x, o->a); break;
        case WLO_SKEW: {
            /* Words early in a list come up more often (P(i) ~ i^(-1/3)), as in prose. */
            const wl_rule *ru = &wl_rules[o->a];
            double u = ut_rng_unit(x->r);
            run_alt(x, &wl_alts[ru->first + (size_t)(u * sqrt(u) * (double)ru->n)]);
            break;
        }
        case WLO_RANGE: tb_uint(x->b, ut_rng_range(x->r, o->a, o->b)); break;
        case WLO_VAR: tb_mem(x->b, x->var[o->a].ptr, x->var[o->a].len); break;
        case WLO_CALL: call(x, o->a); break;
        case WLO_LAB_PICK: x->lab[o->a & 3] = &wl_labs[ut_rng_below(x->r, WL_N_LABS)]; break;
        case WLO_LAB_NAME: tb_put(x->b, lab->name); break;
        case WLO_LAB_UNIT: tb_put(x->b, lab->unit); break;
        case WLO_LAB_VALUE: tb_lab_value(x->b, lab, ut_rng_range(x->r, lab->lo, lab->hi)); break;
        }
        if (o->recase != WLM_NONE)
            tb_recase(x->b, start, o->recase == WLM_UPPER);
    }
}

/* Alternative @p i of @p rule, drawn by the caller (or taken in order). */
static void expand_alt(expansion *x, unsigned rule, unsigned i)
{
    run_alt(x, &wl_alts[wl_rules[rule].first + i]);
}

static void expand(expansion *x, unsigned rule)
{
    const wl_rule *ru = &wl_rules[rule];
    unsigned i = 0;
    if (ru->n > 1) {
        uint64_t u = ut_rng_below(x->r, ru->total);
        if (ru->total == ru->n)
            i = (unsigned)u;   /* every weight 1 */
        else
            while (u >= wl_alts[ru->first + i].until)
                i++;
    }
    expand_alt(x, rule, i);
}

static void set_var(expansion *x, unsigned v, const char *s)
{
    x->var[v] = (wl_text){s, strlen(s)};
}

/* ===================================================================== */
/* Question text                                                          */

static void gen_stem(expansion *x, const wl_lead_in *lead)
{
    tb *b = x->b;
    size_t start = b->len;
    size_t target = ut_rng_range(x->r, 300, 500);
    uint32_t age = ut_rng_range(x->r, 4, 86);
    int female = (int)ut_rng_below(x->r, 2);
    char age_text[4];
    tb ab = {age_text, 0, sizeof age_text};
    tb_uint(&ab, age);
    x->var[WLV_AGE] = (wl_text){age_text, ab.len};
    set_var(x, WLV_ARTICLE,
            age == 8 || age == 11 || age == 18 || (age >= 80 && age <= 89) ? "An" : "A");
    set_var(x, WLV_NOUN, age < 16 ? (female ? "girl" : "boy") : (female ? "woman" : "man"));
    set_var(x, WLV_SUBJ, female ? "She" : "He");
    set_var(x, WLV_POSS, female ? "her" : "his");
    expand(x, WLR_STEM_OPENING);
    size_t lead_len = strlen(lead->text);
    for (unsigned i = 0; b->len - start + lead_len + 40 < target; i++)
        if (ut_rng_below(x->r, 4))
            expand_alt(x, WLR_STEM_BODY, i % WLR_STEM_BODY_N);
    tb_put(b, lead->text);
}

/* <@wrong>: the letter of an option other than the key. */
static void wrong_choice(expansion *x)
{
    const wl_question *q = x->q;
    unsigned wrong = (unsigned)ut_rng_below(x->r, q->n_options);
    if (wrong == q->correct_option)
        wrong = (wrong + 1) % q->n_options;
    tb_char(x->b, (char)('A' + wrong));
}

/* The key, then sentences until the target length, one paragraph break halfway. */
static void gen_explanation(expansion *x)
{
    tb *b = x->b;
    const wl_question *q = x->q;
    size_t start = b->len;
    size_t target = ut_rng_range(x->r, 550, 950);
    int broke = 0;
    char key = (char)('A' + q->correct_option);
    x->var[WLV_KEY] = (wl_text){&key, 1};
    x->var[WLV_KEY_TEXT] = q->options[q->correct_option];
    expand(x, WLR_EXPLANATION_OPENING);
    while (b->len - start < target) {
        if (!broke && b->len - start > target / 2) {
            if (b->p[b->len - 1] == ' ')
                b->len--;
            tb_put(b, "\n\n");
            broke = 1;
        }
        expand(x, WLR_EXPLANATION_SENTENCE);
    }
    if (b->len > start && b->p[b->len - 1] == ' ')
        b->len--;
}

void wli_question_text(const wl_gen *g, wl_question *q, wl_text_buf *buf)
{
    ut_rng r;
    tb b = {buf->bytes, 0, sizeof(buf->bytes)};
    expansion x = {.r = &r, .b = &b, .q = q};
    rng_init(&r, g->p.seed, DOM_QTEXT, q->id);
    const wl_lead_in *lead = &wl_lead_ins[ut_rng_below(&r, WL_N_LEAD_INS)];
    size_t start = b.len;
    gen_stem(&x, lead);
    q->stem = (wl_text){b.p + start, b.len - start};
    for (unsigned i = 0; i < q->n_options; i++) {
        start = b.len;
        expand(&x, lead->options);
        q->options[i] = (wl_text){b.p + start, b.len - start};
    }
    start = b.len;
    gen_explanation(&x);
    q->explanation = (wl_text){b.p + start, b.len - start};
}

/* ===================================================================== */
/* Names                                                                  */

static void taxon_set(wl_taxon *t, uint32_t id, uint32_t parent, const char *a, const char *b)
{
    t->id = id;
    t->parent = parent;
    tb n = {t->name, 0, WL_NAME_MAX};
    tb_put(&n, a);
    if (b) {
        tb_put(&n, ": ");
        tb_put(&n, b);
    }
    t->name[n.len] = '\0';
}

void wl_subject_get(uint32_t id, wl_taxon *out)
{
    taxon_set(out, id, 0, word(WLR_SUBJECTS, id - 1), NULL);
}

void wl_system_get(uint32_t id, wl_taxon *out)
{
    taxon_set(out, id, 0, word(WLR_SYSTEMS, id - 1), NULL);
}

void wl_topic_get(uint32_t id, wl_taxon *out)
{
    uint32_t system = (id - 1) / WL_TOPICS_PER_SYSTEM + 1;
    taxon_set(out, id, system, word(WLR_SYSTEMS, system - 1),
              word(WLR_TOPIC_ASPECTS, (id - 1) % WL_TOPICS_PER_SYSTEM));
}

/* ===================================================================== */
/* Interaction payloads                                                   */

/* A uniform entry of word list @p rule. */
static const char *pick(expansion *x, unsigned rule)
{
    return word(rule, (unsigned)ut_rng_below(x->r, wl_rules[rule].n));
}

/* <@note_words>: words of [drugs] or [symptoms] while the payload, closed by its two
 * last bytes, stays within a length drawn in 40..64. */
static void note_words(expansion *x)
{
    tb *b = x->b;
    size_t target = ut_rng_range(x->r, 40, WL_PAYLOAD_MAX);
    for (;;) {
        const char *w = ut_rng_below(x->r, 2) ? pick(x, WLR_DRUGS) : pick(x, WLR_SYMPTOMS);
        if (b->len + 1 + strlen(w) + 2 > target)
            break;
        tb_char(b, ' ');
        tb_put(b, w);
    }
}

static void call(expansion *x, unsigned fn)
{
    switch ((enum wl_call_id)fn) {
    case WLB_WRONG: wrong_choice(x); break;
    case WLB_NOTE_WORDS: note_words(x); break;
    case WLB_COUNT: break;
    }
}

void wli_payload(ut_rng *r, unsigned action, wl_interaction *ix)
{
    static const uint16_t rules[WL_ACTIONS] = {
        [WL_VIEW] = WLR_PAYLOAD_VIEW, [WL_BOOKMARK] = WLR_PAYLOAD_BOOKMARK,
        [WL_NOTE] = WLR_PAYLOAD_NOTE, [WL_FLAG] = WLR_PAYLOAD_FLAG,
        [WL_HINT] = WLR_PAYLOAD_HINT, [WL_VIDEO] = WLR_PAYLOAD_VIDEO,
        [WL_SEARCH] = WLR_PAYLOAD_SEARCH, [WL_SHARE] = WLR_PAYLOAD_SHARE,
    };
    tb b = {ix->payload, 0, WL_PAYLOAD_MAX};
    expansion x = {.r = r, .b = &b};
    char q[12];
    tb qb = {q, 0, sizeof q};
    tb_uint(&qb, ut_rng_range(r, 1, WL_QUESTIONS));   /* drawn for every action */
    x.var[WLV_Q] = (wl_text){q, qb.len};
    expand(&x, rules[action]);
    ix->payload[b.len] = '\0';
    ix->payload_len = (uint8_t)b.len;
}
