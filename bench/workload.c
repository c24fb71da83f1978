/* workload.c - the reference workload (WORKLOAD.md) from one seed.
 *
 * Random streams: xoshiro256** seeded through splitmix64 from (seed, domain, index).
 * Every entity has its own stream: a question (metadata, and separately its text),
 * a user, a day's test arrivals, one test (user, questions, outcome, answers), a
 * day's interactions. Nothing depends on the order in which consumers ask.
 *
 * Tests: tests_per_day arrivals per UTC day, at times drawn from a diurnal profile
 * (peak 15:00 UTC, trough 03:00, 3:1), sorted; test ids follow that order. A test
 * holds 20-40 questions (uniform) of one topic (70 %) or one system (30 %), drawn
 * among active questions created before the test (all of the pool when fewer than
 * 20 qualify). Its planned outcome is COMPLETED 70 % (answers every question),
 * ABANDONED 15 %, PAUSED 10 %, ACTIVE 5 % (these three answer the first
 * floor(u * 0.9 * n), u uniform in [0, 1): 45 % on average). Expected answers per test:
 * 0.7 * 30 + 0.3 * 13.0 = 24.9, so about 249,000 x S answers per day for the
 * 10,000 x S tests of WORKLOAD.md.
 *
 * Answers follow each other by the time spent (log-normal, median 60 s, sigma 0.8,
 * clamped to 1 s .. 30 min) plus 0.5-10 s between questions, so a test spans at most
 * 40 * (30 min + 10 s) < 1 day: a stream opens tests at most one day before its
 * window. Events merge through a min-heap of the tests in progress keyed by
 * (next answer time, test id).
 */
#include "workload.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rng_below((r), ARRAY_LEN(a))])

#define TWO_YEARS_MS (730 * WL_DAY_MS)
#define ONE_YEAR_MS (365 * WL_DAY_MS)
#define SPENT_MEDIAN_MS 60000.0
#define SPENT_SIGMA 0.8
#define SPENT_MIN_MS 1000
#define SPENT_MAX_MS 1800000
#define GAP_MIN_MS 500
#define GAP_MAX_MS 10000
#define STALE_MS (7 * WL_DAY_MS)   /* PAUSED/ACTIVE idle longer than this: ABANDONED */
#define MINUTES_PER_DAY 1440

_Static_assert(WL_TEST_MAX * (SPENT_MAX_MS + GAP_MAX_MS) < WL_DAY_MS,
               "a test must end within a day of its creation");

/* ===================================================================== */
/* Random streams                                                         */

enum domain {
    DOM_QUESTION = 1, DOM_QTEXT, DOM_TOPIC, DOM_USER, DOM_RANK, DOM_TEST_DAY, DOM_TEST,
    DOM_IX_DAY
};

/* The stream of entity @p index of domain @p d under the run's seed. */
static void rng_init(rng *r, uint64_t seed, enum domain d, uint64_t index)
{
    uint64_t x = rng_mix64(rng_mix64(seed) ^ ((uint64_t)d * 0xD1B54A32D192ED03ULL));
    rng_seed(r, rng_mix64(x ^ (index * 0x9E3779B97F4A7C15ULL)));
}

static double rng_normal(rng *r)
{
    double u = 1.0 - rng_unit(r);
    double v = rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* ===================================================================== */
/* Vocabulary                                                             */

static const char *const subject_names[WL_SUBJECTS] = {
    "Anatomy", "Physiology", "Biochemistry", "Pathology", "Pharmacology", "Microbiology",
};

static const char *const system_names[WL_SYSTEMS] = {
    "Cardiovascular", "Respiratory", "Renal and Urinary", "Gastrointestinal", "Endocrine",
    "Reproductive", "Musculoskeletal", "Nervous System", "Hematology and Oncology",
    "Immune System", "Skin and Connective Tissue", "Behavioral Science",
};

static const char *const topic_aspects[WL_TOPICS_PER_SYSTEM] = {
    "embryology", "gross anatomy", "histology", "normal physiology", "genetics",
    "pharmacology", "infections", "neoplasms", "congenital disorders",
    "inflammatory disorders", "vascular disorders", "degenerative disorders", "trauma",
    "toxicology", "laboratory evaluation", "imaging", "emergencies", "pediatrics",
    "geriatrics", "pregnancy",
};

static const char *const settings[] = {
    "comes to the physician because of", "is brought to the emergency department because of",
    "comes to the clinic for evaluation of", "is evaluated in the hospital for",
    "comes to the office because of", "is referred to a specialist for",
    "is seen at a follow-up visit because of",
};

static const char *const symptoms[] = {
    "fatigue", "chest pain", "shortness of breath", "fever", "weight loss",
    "abdominal pain", "headache", "joint pain", "a pruritic rash", "a productive cough",
    "nausea", "vomiting", "bloody diarrhea", "dizziness", "palpitations",
    "swelling of the legs", "blurred vision", "numbness of the hands", "muscle weakness",
    "low back pain", "night sweats", "excessive thirst", "frequent urination",
    "difficulty swallowing", "hoarseness", "easy bruising", "confusion", "a seizure",
    "painful urination", "decreased appetite", "heat intolerance", "cold intolerance",
    "syncope", "hemoptysis", "jaundice", "double vision", "a painless neck mass",
    "irregular menses", "insomnia", "tingling of the feet",
};

static const char *const conditions[] = {
    "hypertension", "type 2 diabetes mellitus", "asthma", "chronic kidney disease",
    "hypothyroidism", "rheumatoid arthritis", "major depressive disorder",
    "atrial fibrillation", "HIV infection", "chronic obstructive pulmonary disease",
    "hyperlipidemia", "gout", "osteoarthritis", "migraine", "epilepsy",
    "sickle cell disease", "systemic lupus erythematosus", "peptic ulcer disease",
    "alcohol use disorder", "obesity", "coronary artery disease", "heart failure",
    "cirrhosis", "bipolar disorder", "psoriasis", "breast cancer", "prostate cancer",
    "iron deficiency anemia", "Crohn disease", "multiple sclerosis",
};

static const char *const drugs[] = {
    "lisinopril", "metformin", "atorvastatin", "levothyroxine", "amlodipine", "metoprolol",
    "omeprazole", "albuterol", "warfarin", "sertraline", "prednisone",
    "hydrochlorothiazide", "furosemide", "insulin glargine", "lithium", "methotrexate",
    "allopurinol", "digoxin", "amiodarone", "spironolactone", "clopidogrel", "aspirin",
    "ibuprofen", "acetaminophen", "gabapentin", "phenytoin", "valproate", "isoniazid",
    "rifampin", "azithromycin", "ciprofloxacin", "vancomycin", "heparin", "tamoxifen",
    "haloperidol", "fluoxetine", "propranolol", "losartan", "sumatriptan", "oral contraceptives",
};

static const char *const findings[] = {
    "jugular venous distention", "bilateral crackles at the lung bases",
    "a holosystolic murmur at the apex", "hepatosplenomegaly",
    "pitting edema of the lower extremities", "scleral icterus",
    "decreased breath sounds over the right lung base", "palpable purpura over the legs",
    "tenderness in the right lower quadrant", "a diffuse maculopapular rash",
    "tender cervical lymphadenopathy", "an S3 gallop", "hyperreflexia",
    "a resting tremor of the right hand", "conjunctival pallor", "an extensor plantar response",
    "a firm, nontender thyroid nodule", "clubbing of the fingers", "periorbital edema",
    "a wide-based gait", "a friction rub", "ascites", "bilateral papilledema",
    "a systolic ejection murmur", "hypoactive bowel sounds", "costovertebral angle tenderness",
    "spider angiomata", "an enlarged, tender liver", "absent ankle reflexes",
    "a fluctuant mass",
};

static const char *const diagnoses[] = {
    "Acute pericarditis", "Aortic dissection", "Infective endocarditis",
    "Community-acquired pneumonia", "Pulmonary embolism", "Acute interstitial nephritis",
    "Nephrotic syndrome", "Acute pancreatitis", "Ulcerative colitis", "Graves disease",
    "Primary adrenal insufficiency", "Diabetic ketoacidosis", "Polycystic ovary syndrome",
    "Septic arthritis", "Guillain-Barre syndrome", "Myasthenia gravis",
    "Multiple myeloma", "Hereditary spherocytosis", "Sarcoidosis", "Bullous pemphigoid",
    "Generalized anxiety disorder", "Acute myeloid leukemia", "Hodgkin lymphoma",
    "Primary hyperparathyroidism", "Cushing syndrome", "Hepatic encephalopathy",
    "Restrictive cardiomyopathy", "Minimal change disease", "Celiac disease",
    "Temporal arteritis",
};

static const char *const causes[] = {
    "a viral infection", "autoimmune injury", "drug toxicity", "a genetic defect",
    "chronic ischemia", "a bacterial infection", "an occult malignancy",
    "immune complex deposition", "a hormone-secreting tumor", "chronic alcohol use",
};

static const char *const processes[] = {
    "Inhibition", "Activation", "Irreversible blockade", "Decreased synthesis",
    "Increased degradation", "Autoimmune destruction", "Impaired secretion",
    "Loss-of-function mutation", "Overexpression", "Abnormal deposition",
};

static const char *const targets[] = {
    "cyclooxygenase", "the sodium-potassium ATPase", "beta-1 adrenergic receptors",
    "type I collagen", "the LDL receptor", "thyroid peroxidase", "dihydrofolate reductase",
    "the angiotensin II receptor", "DNA gyrase", "the 50S ribosomal subunit",
    "acetylcholinesterase", "tubulin polymerization", "the proton pump",
    "vitamin K epoxide reductase", "the mineralocorticoid receptor", "HMG-CoA reductase",
    "the nicotinic acetylcholine receptor", "calcineurin", "xanthine oxidase",
    "voltage-gated sodium channels",
};

static const char *const sites[] = {
    "the proximal tubule", "platelets", "the liver", "cardiac myocytes",
    "the thick ascending limb", "gastric parietal cells", "bone marrow precursors",
    "the synaptic cleft", "pancreatic beta cells", "type II pneumocytes",
    "the collecting duct", "vascular smooth muscle", "the anterior pituitary",
    "the basal ganglia", "the intestinal epithelium",
};

static const char *const tests_ordered[] = {
    "a CT scan of the chest with contrast", "an echocardiogram", "an ECG",
    "an MRI of the brain", "a lumbar puncture", "an abdominal ultrasound",
    "a colonoscopy", "a bone marrow biopsy", "serum electrolyte concentrations",
    "a chest x-ray", "a urine drug screen", "an exercise stress test",
};

static const char *const mgmt_tails[] = {
    "and reassess in two weeks", "and monitor serum levels", "after a baseline ECG",
    "with close outpatient follow-up", "and admit to the hospital",
    "and repeat the test in six months",
};

static const char *const jobs[] = {
    "teacher", "nurse", "construction worker", "farmer", "accountant", "truck driver",
    "software engineer", "cashier", "firefighter", "graduate student",
};

typedef struct lab {
    const char *name, *unit;
    uint32_t lo, hi;     /* in tenths when decimal */
    int decimal;         /* 1: one decimal; 2: thousands separators */
} lab;

static const lab lab_tests[] = {
    {"hemoglobin concentration", "g/dL", 70, 170, 1},
    {"leukocyte count", "/mm3", 2000, 25000, 2},
    {"platelet count", "/mm3", 40000, 450000, 2},
    {"serum sodium concentration", "mEq/L", 122, 150, 0},
    {"serum potassium concentration", "mEq/L", 28, 62, 1},
    {"serum creatinine concentration", "mg/dL", 5, 45, 1},
    {"serum glucose concentration", "mg/dL", 55, 450, 0},
    {"serum calcium concentration", "mg/dL", 75, 130, 1},
    {"serum AST activity", "U/L", 12, 480, 0},
    {"serum TSH concentration", "microU/mL", 1, 120, 1},
    {"serum bicarbonate concentration", "mEq/L", 12, 32, 0},
};

/* General vocabulary for free sentences: they give the texts the entropy of prose,
 * so that compression ratios are not those of pure templates. */
static const char *const nouns[] = {
    "patient", "clinician", "disease", "lesion", "tissue", "membrane", "receptor", "enzyme",
    "hormone", "antibody", "antigen", "cell", "nucleus", "mitochondrion", "protein", "gene",
    "mutation", "pathway", "response", "infection", "inflammation", "fibrosis", "necrosis",
    "apoptosis", "edema", "ischemia", "infarction", "hemorrhage", "thrombus", "embolus",
    "plaque", "artery", "vein", "capillary", "ventricle", "atrium", "valve", "septum",
    "lung", "alveolus", "bronchus", "airway", "kidney", "nephron", "glomerulus", "tubule",
    "bladder", "liver", "hepatocyte", "bile", "pancreas", "stomach", "mucosa", "intestine",
    "colon", "spleen", "marrow", "neuron", "axon", "synapse", "cortex", "nerve", "muscle",
    "tendon", "joint", "cartilage", "bone", "skin", "gland", "thyroid", "adrenal",
    "pituitary", "ovary", "testis", "placenta", "fetus", "infant", "adult", "dose", "drug",
    "agent", "toxicity", "clearance", "metabolism", "absorption", "excretion",
    "concentration", "gradient", "pressure", "flow", "volume", "rate", "threshold",
    "balance", "deficiency", "excess", "sign", "symptom", "finding", "history",
    "examination", "biopsy", "culture", "smear", "stain", "imaging", "scan", "diagnosis",
    "prognosis", "therapy", "treatment", "surgery", "trial", "outcome", "risk", "mortality",
    "complication", "relapse", "remission", "screening", "vaccine", "pathogen", "bacterium",
    "virus", "fungus", "parasite", "toxin", "cytokine", "complement", "platelet",
    "erythrocyte", "leukocyte", "lymphocyte", "macrophage", "neutrophil", "eosinophil",
    "fibroblast", "collagen", "matrix", "electrolyte", "glucose", "insulin", "lipid",
    "cholesterol", "sodium", "potassium", "calcium", "phosphate", "acid", "base", "oxygen",
    "carbon", "ammonia", "urea", "creatinine",
};

static const char *const adjectives[] = {
    "acute", "chronic", "primary", "secondary", "congenital", "acquired", "benign",
    "malignant", "focal", "diffuse", "bilateral", "unilateral", "proximal", "distal",
    "anterior", "posterior", "central", "peripheral", "systemic", "local", "mild",
    "moderate", "severe", "progressive", "recurrent", "persistent", "transient",
    "intermittent", "sudden", "gradual", "elevated", "decreased", "normal", "abnormal",
    "impaired", "enhanced", "reduced", "increased", "low", "high", "early", "late", "rare",
    "common", "typical", "atypical", "classic", "specific", "sensitive", "reversible",
    "irreversible", "inherited", "sporadic", "autosomal", "recessive", "dominant",
    "maternal", "paternal", "hepatic", "renal", "cardiac", "pulmonary", "neural",
    "vascular", "cellular", "molecular", "structural", "functional", "clinical",
    "subclinical", "painful", "painless", "tender", "firm", "soft", "palpable", "visible",
    "dense", "fragile", "stable", "unstable",
};

static const char *const verbs[] = {
    "causes", "reduces", "increases", "blocks", "activates", "inhibits", "stimulates",
    "suppresses", "releases", "binds", "cleaves", "converts", "transports", "secretes",
    "absorbs", "excretes", "produces", "degrades", "regulates", "mediates", "triggers",
    "prevents", "promotes", "delays", "accelerates", "worsens", "improves", "resolves",
    "predicts", "indicates", "suggests", "excludes", "confirms", "mimics", "resembles",
    "precedes", "follows", "accompanies", "complicates", "limits", "protects", "damages",
    "destroys", "replaces", "restores", "impairs", "enhances", "alters", "disrupts",
    "maintains", "modulates", "requires", "involves", "affects", "reflects", "explains",
    "determines", "precipitates", "masks", "unmasks", "reverses", "sustains",
};

static const char *const connectives[] = {
    "while", "because", "although", "and", "whereas", "since", "but", "so", "unless",
    "until",
};

typedef enum option_style { OPT_DIAGNOSIS, OPT_MECHANISM, OPT_MANAGEMENT } option_style;

typedef struct lead_in {
    const char *text;
    option_style style;
} lead_in;

static const lead_in lead_ins[] = {
    {"Which of the following is the most likely diagnosis?", OPT_DIAGNOSIS},
    {"This patient is at greatest risk for which of the following complications?",
     OPT_DIAGNOSIS},
    {"Which of the following is the most likely cause of this patient's condition?",
     OPT_MECHANISM},
    {"Which of the following best explains these findings?", OPT_MECHANISM},
    {"Which of the following is the mechanism of action of the most appropriate drug?",
     OPT_MECHANISM},
    {"Which of the following is the most appropriate next step in management?",
     OPT_MANAGEMENT},
    {"Which of the following is the most appropriate pharmacotherapy?", OPT_MANAGEMENT},
};

/* ===================================================================== */
/* Question text                                                          */

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

/* @p s with its first letter in upper (or lower) case; acronyms ("HIV") stay. */
static void tb_case_mem(tb *b, const char *s, size_t n, int upper)
{
    if (n == 0)
        return;
    char c = s[0];
    if (upper && c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    else if (!upper && c >= 'A' && c <= 'Z' && !(n > 1 && s[1] >= 'A' && s[1] <= 'Z'))
        c = (char)(c - 'A' + 'a');
    tb_char(b, c);
    tb_mem(b, s + 1, n - 1);
}

static void tb_case(tb *b, const char *s, int upper)
{
    tb_case_mem(b, s, strlen(s), upper);
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

static void tb_lab_value(tb *b, const lab *l, uint32_t v)
{
    if (l->decimal == 1) {
        tb_uint(b, v / 10);
        tb_char(b, '.');
        tb_uint(b, v % 10);
    } else if (l->decimal == 2 && v >= 1000) {
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

/* Words early in a list come up more often (P(i) ~ i^(-1/3)), as in prose. */
static const char *skewed(rng *r, const char *const *words, size_t n)
{
    double u = rng_unit(r);
    return words[(size_t)(u * sqrt(u) * (double)n)];
}

#define SKEWED(r, a) skewed((r), (a), ARRAY_LEN(a))

/* A rare technical term (eponym, drug, organism) of 2-3 syllables and a suffix: real
 * banks are full of words that occur once or twice. */
static void rare_term(rng *r, tb *b)
{
    static const char *const syllables[] = {
        "al", "ben", "cor", "dex", "el", "fen", "gal", "hex", "il", "jun", "ker", "lo",
        "mar", "nor", "ox", "pra", "quin", "ros", "sul", "tor", "ur", "val", "wen", "xa",
        "zol", "bra", "cli", "dro", "fla", "gri", "mel", "pet", "ras", "sto", "tri", "vin",
    };
    static const char *const suffixes[] = {
        "itis", "osis", "emia", "ase", "mab", "pril", "olol", "azole", "cillin", "vir",
        "ine", "oma", "ium", "ella", "ococcus", "ectomy",
    };
    unsigned n = (unsigned)rng_range(r, 2, 3);
    for (unsigned i = 0; i < n; i++)
        tb_put(b, PICK(r, syllables));
    tb_put(b, PICK(r, suffixes));
}

static void noun_phrase(rng *r, tb *b)
{
    if (rng_below(r, 2)) {
        tb_put(b, SKEWED(r, adjectives));
        tb_char(b, ' ');
    }
    if (rng_below(r, 5) < 2)
        rare_term(r, b);
    else
        tb_put(b, SKEWED(r, nouns));
}

/* A sentence of general vocabulary: "The <adj> <noun> <verb> <np> of <np>, <conn> ...". */
static void free_sentence(rng *r, tb *b)
{
    tb_put(b, rng_below(r, 3) ? "The " : "This ");
    noun_phrase(r, b);
    tb_char(b, ' ');
    tb_put(b, SKEWED(r, verbs));
    tb_put(b, " the ");
    noun_phrase(r, b);
    tb_put(b, " of ");
    noun_phrase(r, b);
    if (rng_below(r, 2)) {
        tb_put(b, ", ");
        tb_put(b, PICK(r, connectives));
        tb_put(b, " the ");
        noun_phrase(r, b);
        tb_char(b, ' ');
        tb_put(b, SKEWED(r, verbs));
        tb_put(b, " the ");
        noun_phrase(r, b);
    }
    tb_put(b, ". ");
}

typedef struct patient {
    const char *noun, *subj, *poss;   /* "woman", "She", "her" */
} patient;

static void stem_sentence(rng *r, tb *b, const patient *pt, unsigned kind)
{
    switch (kind % 7) {
    case 0:
        tb_put(b, pt->subj);
        if (rng_below(r, 5) == 0) {
            tb_put(b, " has no history of serious illness. ");
        } else {
            tb_put(b, " has a history of ");
            tb_put(b, PICK(r, conditions));
            tb_put(b, " and ");
            tb_put(b, PICK(r, conditions));
            tb_put(b, ". ");
        }
        break;
    case 1:
        tb_put(b, "Current medications include ");
        tb_put(b, PICK(r, drugs));
        tb_put(b, " and ");
        tb_put(b, PICK(r, drugs));
        tb_put(b, ". ");
        break;
    case 2:
        tb_put(b, "Temperature is ");
        tb_uint(b, rng_range(r, 36, 39));
        tb_char(b, '.');
        tb_uint(b, rng_below(r, 10));
        tb_put(b, " C, pulse is ");
        tb_uint(b, rng_range(r, 52, 130));
        tb_put(b, "/min, respirations are ");
        tb_uint(b, rng_range(r, 12, 30));
        tb_put(b, "/min, and blood pressure is ");
        tb_uint(b, rng_range(r, 85, 175));
        tb_char(b, '/');
        tb_uint(b, rng_range(r, 50, 105));
        tb_put(b, " mm Hg. ");
        break;
    case 3:
        tb_put(b, "Physical examination shows ");
        tb_put(b, PICK(r, findings));
        tb_put(b, " and ");
        tb_put(b, PICK(r, findings));
        tb_put(b, ". ");
        break;
    case 4: {
        const lab *a = &PICK(r, lab_tests), *c = &PICK(r, lab_tests);
        tb_put(b, "Laboratory studies show a ");
        tb_put(b, a->name);
        tb_put(b, " of ");
        tb_lab_value(b, a, rng_range(r, a->lo, a->hi));
        tb_char(b, ' ');
        tb_put(b, a->unit);
        tb_put(b, " and a ");
        tb_put(b, c->name);
        tb_put(b, " of ");
        tb_lab_value(b, c, rng_range(r, c->lo, c->hi));
        tb_char(b, ' ');
        tb_put(b, c->unit);
        tb_put(b, ". ");
        break;
    }
    case 6:
        free_sentence(r, b);
        break;
    default:
        tb_put(b, pt->subj);
        if (rng_below(r, 2)) {
            tb_put(b, " works as a ");
            tb_put(b, PICK(r, jobs));
            tb_put(b, " and has smoked one pack of cigarettes daily for ");
            tb_uint(b, rng_range(r, 2, 40));
            tb_put(b, " years. ");
        } else {
            tb_put(b, " reports that ");
            tb_put(b, pt->poss);
            tb_put(b, " symptoms are worse at night and improve with rest. ");
        }
        break;
    }
}

static void gen_stem(rng *r, tb *b, const lead_in *q)
{
    size_t start = b->len;
    size_t target = rng_range(r, 300, 500);
    uint32_t age = rng_range(r, 4, 86);
    int female = (int)rng_below(r, 2);
    patient pt = {
        age < 16 ? (female ? "girl" : "boy") : (female ? "woman" : "man"),
        female ? "She" : "He", female ? "her" : "his",
    };

    tb_put(b, age == 8 || age == 11 || age == 18 || (age >= 80 && age <= 89) ? "An " : "A ");
    tb_uint(b, age);
    tb_put(b, "-year-old ");
    tb_put(b, pt.noun);
    tb_char(b, ' ');
    tb_put(b, PICK(r, settings));
    tb_char(b, ' ');
    tb_put(b, PICK(r, symptoms));
    tb_put(b, " and ");
    tb_put(b, PICK(r, symptoms));
    tb_put(b, " for ");
    tb_uint(b, rng_range(r, 2, 12));
    tb_put(b, rng_below(r, 2) ? " days. " : " weeks. ");
    /* history, free, medications, vitals, free, examination, labs, social; each
     * sentence left out one time in four */
    static const unsigned order[] = {0, 6, 1, 2, 6, 3, 4, 5};
    for (unsigned i = 0; b->len - start + strlen(q->text) + 40 < target; i++)
        if (rng_below(r, 4))
            stem_sentence(r, b, &pt, order[i % ARRAY_LEN(order)]);
    tb_put(b, q->text);
}

static void gen_option(rng *r, tb *b, option_style style)
{
    switch (style) {
    case OPT_DIAGNOSIS:
        tb_put(b, PICK(r, diagnoses));
        tb_put(b, rng_below(r, 2) ? " caused by " : " secondary to ");
        if (rng_below(r, 2)) {
            tb_put(b, PICK(r, causes));
        } else {
            tb_put(b, "exposure to ");
            rare_term(r, b);
        }
        break;
    case OPT_MECHANISM:
        tb_put(b, PICK(r, processes));
        tb_put(b, " of ");
        if (rng_below(r, 2)) {
            tb_put(b, PICK(r, targets));
        } else {
            rare_term(r, b);
            tb_put(b, rng_below(r, 2) ? " receptors" : " synthase");
        }
        tb_put(b, " in ");
        tb_put(b, PICK(r, sites));
        break;
    default:
        if (rng_below(r, 3) == 0) {
            tb_put(b, "Order ");
            tb_put(b, PICK(r, tests_ordered));
        } else {
            static const char *const actions[] = {"Start", "Discontinue", "Add", "Switch to"};
            tb_put(b, PICK(r, actions));
            tb_char(b, ' ');
            tb_put(b, PICK(r, drugs));
        }
        tb_char(b, ' ');
        tb_put(b, PICK(r, mgmt_tails));
        break;
    }
}

static void explanation_sentence(rng *r, tb *b, const wl_question *q)
{
    switch (rng_below(r, 16)) {
    default:
        free_sentence(r, b);
        break;
    case 0:
        tb_put(b, "This patient's ");
        tb_put(b, PICK(r, symptoms));
        tb_put(b, " and ");
        tb_put(b, PICK(r, findings));
        tb_put(b, " are consistent with ");
        tb_case(b, PICK(r, diagnoses), 0);
        tb_put(b, ", which most often results from ");
        tb_put(b, PICK(r, causes));
        tb_put(b, ". ");
        break;
    case 1:
        tb_put(b, PICK(r, diagnoses));
        tb_put(b, " is characterized by ");
        tb_put(b, PICK(r, findings));
        tb_put(b, " and ");
        tb_put(b, PICK(r, symptoms));
        tb_put(b, ". ");
        break;
    case 2:
        tb_put(b, "First-line treatment is ");
        tb_put(b, PICK(r, drugs));
        tb_put(b, "; patients who do not respond within weeks may need ");
        tb_put(b, PICK(r, drugs));
        tb_put(b, " instead. ");
        break;
    case 3:
        tb_case(b, PICK(r, drugs), 1);
        tb_put(b, " acts by ");
        tb_case(b, PICK(r, processes), 0);
        tb_put(b, " of ");
        tb_put(b, PICK(r, targets));
        tb_put(b, ", which explains both its efficacy and adverse effects such as ");
        tb_put(b, PICK(r, symptoms));
        tb_put(b, ". ");
        break;
    case 4: {
        unsigned wrong = (unsigned)rng_below(r, q->n_options);
        if (wrong == q->correct_option)
            wrong = (wrong + 1) % q->n_options;
        tb_put(b, "Choice ");
        tb_char(b, (char)('A' + wrong));
        tb_put(b, " is incorrect: it would cause ");
        tb_put(b, PICK(r, symptoms));
        tb_put(b, " rather than ");
        tb_put(b, PICK(r, findings));
        tb_put(b, ". ");
        break;
    }
    case 5:
        tb_put(b, "Students remember it as the \"");
        tb_put(b, PICK(r, targets));
        tb_put(b, " triad\" of ");
        tb_put(b, PICK(r, symptoms));
        tb_put(b, ", ");
        tb_put(b, PICK(r, symptoms));
        tb_put(b, ", and ");
        tb_put(b, PICK(r, findings));
        tb_put(b, ". ");
        break;
    case 6:
        tb_put(b, "Risk factors include ");
        tb_put(b, PICK(r, conditions));
        tb_put(b, ", ");
        tb_put(b, PICK(r, conditions));
        tb_put(b, ", and a family history of ");
        tb_case(b, PICK(r, diagnoses), 0);
        tb_put(b, ". ");
        break;
    case 7:
        tb_put(b, "Complications include ");
        tb_case(b, PICK(r, diagnoses), 0);
        tb_put(b, " and, less commonly, ");
        tb_case(b, PICK(r, diagnoses), 0);
        tb_put(b, "; ");
        tb_put(b, PICK(r, tests_ordered));
        tb_put(b, " helps to detect them early. ");
        break;
    }
}

static void gen_explanation(rng *r, tb *b, const wl_question *q)
{
    size_t start = b->len;
    size_t target = rng_range(r, 550, 950);
    int broke = 0;
    const wl_text *key = &q->options[q->correct_option];

    tb_put(b, "The correct answer is ");
    tb_char(b, (char)('A' + q->correct_option));
    tb_put(b, ": ");
    tb_case_mem(b, key->ptr, key->len, 0);
    tb_put(b, ". ");
    while (b->len - start < target) {
        if (!broke && b->len - start > target / 2) {
            if (b->p[b->len - 1] == ' ')
                b->len--;
            tb_put(b, "\n\n");
            broke = 1;
        }
        explanation_sentence(r, b, q);
    }
    if (b->len > start && b->p[b->len - 1] == ' ')
        b->len--;
}

/* ===================================================================== */
/* Generator                                                              */

typedef struct qmeta {
    int64_t created_at;
    uint16_t topic;
    uint8_t subject, system, difficulty, type, active, correct, n_options;
} qmeta;

struct wl_gen {
    wl_params p;
    wl_counts c;
    qmeta q[WL_QUESTIONS + 1];                 /* [0] unused */
    uint8_t topic_subject[WL_TOPICS + 1];
    uint32_t topic_pool[WL_QUESTIONS], topic_start[WL_TOPICS + 2];
    uint32_t system_pool[WL_QUESTIONS], system_start[WL_SYSTEMS + 2];
    double accept[MINUTES_PER_DAY];            /* diurnal acceptance per minute of day */
    double *skill;                             /* [users + 1] */
    uint32_t *rank_user;                       /* Zipf rank - 1 -> user */
    double *alias_prob;                        /* Walker alias table over ranks */
    uint32_t *alias_idx;
};

static void question_meta(const wl_gen *g, uint32_t id, qmeta *m)
{
    rng r;
    rng_init(&r, g->p.seed, DOM_QUESTION, id);
    m->topic = (uint16_t)rng_range(&r, 1, WL_TOPICS);
    m->system = (uint8_t)((m->topic - 1) / WL_TOPICS_PER_SYSTEM + 1);
    m->subject = rng_below(&r, 5) ? g->topic_subject[m->topic]
                                  : (uint8_t)rng_range(&r, 1, WL_SUBJECTS);
    uint32_t d = (uint32_t)rng_below(&r, 100);
    m->difficulty = d < 30 ? 1 : d < 80 ? 2 : 3;
    m->type = rng_below(&r, 10) ? 1 : 2;
    m->active = rng_below(&r, 100) < 97;
    m->n_options = rng_below(&r, 5) < 2 ? 4 : 5;
    m->correct = (uint8_t)rng_below(&r, m->n_options);
    m->created_at = WL_NOW_MS - TWO_YEARS_MS + (int64_t)rng_below(&r, TWO_YEARS_MS);
}

typedef struct by_created {
    int64_t at;
    uint32_t id;
} by_created;

static int cmp_by_created(const void *a, const void *b)
{
    const by_created *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Pools of active questions per topic and per system, each by (created_at, id). */
static int build_pools(wl_gen *g)
{
    by_created *order = malloc(sizeof(*order) * WL_QUESTIONS);
    if (!order)
        return ENOMEM;
    uint32_t n = 0;
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++)
        if (g->q[id].active)
            order[n++] = (by_created){g->q[id].created_at, id};
    qsort(order, n, sizeof(*order), cmp_by_created);

    memset(g->topic_start, 0, sizeof(g->topic_start));
    memset(g->system_start, 0, sizeof(g->system_start));
    for (uint32_t i = 0; i < n; i++) {
        g->topic_start[g->q[order[i].id].topic + 1]++;
        g->system_start[g->q[order[i].id].system + 1]++;
    }
    for (uint32_t t = 1; t <= WL_TOPICS; t++)
        g->topic_start[t + 1] += g->topic_start[t];
    for (uint32_t s = 1; s <= WL_SYSTEMS; s++)
        g->system_start[s + 1] += g->system_start[s];

    uint32_t tfill[WL_TOPICS + 1], sfill[WL_SYSTEMS + 1];
    memcpy(tfill, g->topic_start, sizeof(tfill));
    memcpy(sfill, g->system_start, sizeof(sfill));
    for (uint32_t i = 0; i < n; i++) {
        const qmeta *m = &g->q[order[i].id];
        g->topic_pool[tfill[m->topic]++] = order[i].id;
        g->system_pool[sfill[m->system]++] = order[i].id;
    }
    free(order);
    return 0;
}

/* Walker's alias table for P(rank k) proportional to 1 / k, k = 1..n. */
static int build_zipf(wl_gen *g, uint32_t n)
{
    uint32_t *small = malloc(sizeof(uint32_t) * n), *large = malloc(sizeof(uint32_t) * n);
    g->alias_prob = malloc(sizeof(double) * n);
    g->alias_idx = malloc(sizeof(uint32_t) * n);
    if (!small || !large || !g->alias_prob || !g->alias_idx) {
        free(small);
        free(large);
        return ENOMEM;
    }
    double h = 0;
    for (uint32_t k = n; k >= 1; k--)
        h += 1.0 / k;
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        g->alias_prob[i] = (double)n / ((i + 1) * h);
        g->alias_idx[i] = i;
        if (g->alias_prob[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[--nl];
        g->alias_idx[s] = l;
        g->alias_prob[l] -= 1.0 - g->alias_prob[s];
        if (g->alias_prob[l] < 1.0)
            small[ns++] = l;
        else
            large[nl++] = l;
    }
    while (nl)
        g->alias_prob[large[--nl]] = 1.0;
    while (ns)
        g->alias_prob[small[--ns]] = 1.0;
    free(small);
    free(large);
    return 0;
}

static uint32_t zipf_user(const wl_gen *g, rng *r)
{
    uint32_t i = (uint32_t)rng_below(r, g->c.users);
    if (rng_unit(r) >= g->alias_prob[i])
        i = g->alias_idx[i];
    return g->rank_user[i];
}

static void user_draw(const wl_gen *g, uint32_t id, wl_user *u)
{
    rng r;
    rng_init(&r, g->p.seed, DOM_USER, id);
    int64_t history_start = (int64_t)g->c.first_day * WL_DAY_MS;
    u->id = id;
    u->created_at = history_start - ONE_YEAR_MS + (int64_t)rng_below(&r, ONE_YEAR_MS);
    u->skill = 0.5 + rng_normal(&r);
}

static int build_users(wl_gen *g)
{
    uint32_t n = g->c.users;
    g->skill = malloc(sizeof(double) * (n + 1));
    g->rank_user = malloc(sizeof(uint32_t) * n);
    if (!g->skill || !g->rank_user)
        return ENOMEM;
    g->skill[0] = 0;
    for (uint32_t id = 1; id <= n; id++) {
        wl_user u;
        user_draw(g, id, &u);
        g->skill[id] = u.skill;
    }
    rng r;
    rng_init(&r, g->p.seed, DOM_RANK, 0);
    for (uint32_t i = 0; i < n; i++)
        g->rank_user[i] = i + 1;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rng_below(&r, i + 1);
        uint32_t t = g->rank_user[i];
        g->rank_user[i] = g->rank_user[j];
        g->rank_user[j] = t;
    }
    return build_zipf(g, n);
}

int wl_open(const wl_params *p, wl_gen **out)
{
    *out = NULL;
    if (!(p->scale > 0 && p->scale <= WL_MAX_SCALE) || p->days < 0 || p->days > WL_MAX_DAYS)
        return EINVAL;
    long long users = llround(10000.0 * p->scale);
    if (users < 1)
        return EINVAL;
    wl_gen *g = calloc(1, sizeof(*g));
    if (!g)
        return ENOMEM;
    g->p = *p;
    g->c.users = (uint32_t)users;
    g->c.tests_per_day = (uint32_t)users;
    g->c.interactions_per_day = (uint32_t)llround(500000.0 * p->scale);
    g->c.now_day = (int32_t)(WL_NOW_MS / WL_DAY_MS);
    g->c.first_day = g->c.now_day - p->days;

    rng r;
    for (uint32_t t = 1; t <= WL_TOPICS; t++) {
        rng_init(&r, p->seed, DOM_TOPIC, t);
        g->topic_subject[t] = (uint8_t)rng_range(&r, 1, WL_SUBJECTS);
    }
    for (uint32_t id = 1; id <= WL_QUESTIONS; id++)
        question_meta(g, id, &g->q[id]);
    /* Diurnal profile: 1 + 0.5 cos(), peak at 15:00 UTC; accept[m] = f(m) / max f. */
    for (uint32_t m = 0; m < MINUTES_PER_DAY; m++)
        g->accept[m] = (1.0 + 0.5 * cos(2.0 * M_PI * ((m + 0.5) / MINUTES_PER_DAY - 15.0 / 24))) / 1.5;

    int rc;
    if ((rc = build_pools(g)) != 0 || (rc = build_users(g)) != 0) {
        wl_close(g);
        return rc;
    }
    *out = g;
    return 0;
}

void wl_close(wl_gen *g)
{
    if (!g)
        return;
    free(g->skill);
    free(g->rank_user);
    free(g->alias_prob);
    free(g->alias_idx);
    free(g);
}

void wl_counts_get(const wl_gen *g, wl_counts *out)
{
    *out = g->c;
}

/* ===================================================================== */
/* Entities                                                               */

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
    taxon_set(out, id, 0, subject_names[id - 1], NULL);
}

void wl_system_get(uint32_t id, wl_taxon *out)
{
    taxon_set(out, id, 0, system_names[id - 1], NULL);
}

void wl_topic_get(uint32_t id, wl_taxon *out)
{
    uint32_t system = (id - 1) / WL_TOPICS_PER_SYSTEM + 1;
    taxon_set(out, id, system, system_names[system - 1],
              topic_aspects[(id - 1) % WL_TOPICS_PER_SYSTEM]);
}

void wl_question_get(const wl_gen *g, uint32_t id, wl_question *out, wl_text_buf *buf)
{
    const qmeta *m = &g->q[id];
    memset(out, 0, sizeof(*out));
    out->id = id;
    out->subject = m->subject;
    out->system = m->system;
    out->topic = m->topic;
    out->difficulty = m->difficulty;
    out->type = m->type;
    out->active = m->active;
    out->correct_option = m->correct;
    out->n_options = m->n_options;
    out->created_at = m->created_at;

    rng r;
    rng_init(&r, g->p.seed, DOM_QTEXT, id);
    tb b = {buf->bytes, 0, sizeof(buf->bytes)};
    const lead_in *lead = &PICK(&r, lead_ins);
    size_t start = b.len;
    gen_stem(&r, &b, lead);
    out->stem = (wl_text){b.p + start, b.len - start};
    for (unsigned i = 0; i < m->n_options; i++) {
        start = b.len;
        gen_option(&r, &b, lead->style);
        out->options[i] = (wl_text){b.p + start, b.len - start};
    }
    start = b.len;
    gen_explanation(&r, &b, out);
    out->explanation = (wl_text){b.p + start, b.len - start};
}

void wl_user_get(const wl_gen *g, uint32_t id, wl_user *out)
{
    user_draw(g, id, out);
}

uint32_t wl_user_of_rank(const wl_gen *g, uint32_t rank)
{
    return g->rank_user[rank - 1];
}

/* ===================================================================== */
/* Arrivals within a day                                                  */

static uint32_t diurnal_ms(const wl_gen *g, rng *r)
{
    for (;;) {
        uint32_t t = (uint32_t)rng_below(r, WL_DAY_MS);
        if (rng_unit(r) < g->accept[t / 60000])
            return t;
    }
}

/* LSD radix sort of values below 2^28 (a day is under 2^27 ms); @p tmp as large. */
static void radix_sort28(uint32_t *a, uint32_t *tmp, uint32_t n)
{
    static const unsigned bits = 14, mask = (1u << 14) - 1;
    uint32_t count[1u << 14];
    uint32_t *src = a, *dst = tmp;
    for (unsigned shift = 0; shift < 2 * bits; shift += bits) {
        memset(count, 0, sizeof(count));
        for (uint32_t i = 0; i < n; i++)
            count[(src[i] >> shift) & mask]++;
        uint32_t sum = 0;
        for (uint32_t k = 0; k <= mask; k++) {
            uint32_t c = count[k];
            count[k] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & mask]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
}

/* Sorted arrival offsets (ms into the day) of @p n events. */
static void day_arrivals(const wl_gen *g, rng *r, uint32_t n, uint32_t *out, uint32_t *tmp)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = diurnal_ms(g, r);
    radix_sort28(out, tmp, n);
}

/* ===================================================================== */
/* Tests and answers                                                      */

/* A test in flight: its snapshot row and every answer it will give. */
typedef struct plan {
    wl_test t;
    uint8_t next, end;          /* answers [next, end) are still to be emitted */
    uint8_t planned;            /* answers the test gives in all */
    struct plan *free_next;
    wl_answer ans[WL_TEST_MAX];
} plan;

struct wl_stream {
    const wl_gen *g;
    int history;
    int64_t from, to;           /* answers emitted: from <= created_at < to */
    int64_t emit_from;          /* tests created from then on are emitted */
    int32_t day, day_end;       /* days whose tests are still to open */
    int32_t cur_day;
    uint32_t n_day, idx;        /* arrivals of cur_day; next to open */
    uint32_t *times, *tmp;
    plan **heap;
    size_t heap_len, heap_cap;
    plan *free_list;
    plan **owned;
    size_t n_owned, cap_owned;
    int error;
    wl_test test_out;
};

/* Number of leading pool entries created at or before @p at. */
static uint32_t created_by(const wl_gen *g, const uint32_t *pool, uint32_t n, int64_t at)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->q[pool[mid]].created_at <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Draw up to @p want distinct questions of @p pool in random order (Floyd's sampling,
 * then a shuffle). @return how many. */
static uint32_t draw_questions(const wl_gen *g, rng *r, const uint32_t *pool, uint32_t n,
                               int64_t at, uint32_t want, uint32_t *out)
{
    uint32_t m = created_by(g, pool, n, at);
    if (m < WL_TEST_MIN)
        m = n;
    uint32_t k = want < m ? want : m;
    uint32_t cnt = 0;
    for (uint32_t j = m - k; j < m; j++) {
        uint32_t pick = pool[rng_below(r, j + 1)];
        for (uint32_t i = 0; i < cnt; i++)
            if (out[i] == pick) {
                pick = pool[j];
                break;
            }
        out[cnt++] = pick;
    }
    for (uint32_t i = cnt; i > 1; i--) {
        uint32_t j = (uint32_t)rng_below(r, i);
        uint32_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
    return cnt;
}

static void plan_answers(const wl_gen *g, rng *r, plan *pl)
{
    static const double offset[4] = {0, -1.0, 0.0, 1.0};
    const wl_test *t = &pl->t;
    double skill = g->skill[t->user];
    int64_t at = t->created_at;
    for (unsigned i = 0; i < pl->planned; i++) {
        wl_answer *a = &pl->ans[i];
        const qmeta *m = &g->q[t->questions[i]];
        double spent = SPENT_MEDIAN_MS * exp(SPENT_SIGMA * rng_normal(r));
        a->time_spent_ms = spent < SPENT_MIN_MS ? SPENT_MIN_MS
                         : spent > SPENT_MAX_MS ? SPENT_MAX_MS : (int64_t)spent;
        at += rng_range(r, GAP_MIN_MS, GAP_MAX_MS) + a->time_spent_ms;
        a->created_at = at;
        a->test = t->id;
        a->question = t->questions[i];
        a->user = t->user;
        a->position = (uint8_t)i;
        uint32_t s = (uint32_t)rng_below(r, 100);
        a->status = s < 3 ? WL_SKIPPED : s < 8 ? WL_FLAGGED : WL_ANSWERED;
        if (a->status == WL_SKIPPED) {
            a->correct = 0;
            a->chosen = -1;
            a->score = 10;
            continue;
        }
        double p = 1.0 / (1.0 + exp(offset[m->difficulty] - skill));
        a->correct = rng_unit(r) < p;
        if (a->correct) {
            a->chosen = (int8_t)m->correct;
        } else {
            uint32_t w = (uint32_t)rng_below(r, m->n_options - 1u);
            a->chosen = (int8_t)(w >= m->correct ? w + 1 : w);
        }
        a->score = a->correct ? (uint8_t)rng_range(r, 50, 90) : (uint8_t)rng_range(r, 10, 60);
    }
}

/* Test @p idx of @p day: everything but the window-dependent snapshot. */
static void plan_build(const wl_gen *g, int32_t day, uint32_t idx, int64_t created_at,
                       plan *pl)
{
    rng r;
    rng_init(&r, g->p.seed, DOM_TEST, ((uint64_t)(uint32_t)day << 32) | idx);
    wl_test *t = &pl->t;
    t->id = 1 + (uint64_t)(day - g->c.first_day) * g->c.tests_per_day + idx;
    t->user = zipf_user(g, &r);
    t->mode = rng_below(&r, 100) < 60 ? WL_MODE_TUTOR : WL_MODE_TIMED;
    t->created_at = created_at;
    uint32_t want = rng_range(&r, WL_TEST_MIN, WL_TEST_MAX);
    if (rng_below(&r, 100) < 70) {
        t->topic = rng_range(&r, 1, WL_TOPICS);
        t->system = (t->topic - 1) / WL_TOPICS_PER_SYSTEM + 1;
        const uint32_t *pool = g->topic_pool + g->topic_start[t->topic];
        uint32_t n = g->topic_start[t->topic + 1] - g->topic_start[t->topic];
        t->n_questions = (uint8_t)draw_questions(g, &r, pool, n, created_at, want, t->questions);
    } else {
        t->topic = 0;
        t->system = rng_range(&r, 1, WL_SYSTEMS);
        const uint32_t *pool = g->system_pool + g->system_start[t->system];
        uint32_t n = g->system_start[t->system + 1] - g->system_start[t->system];
        t->n_questions = (uint8_t)draw_questions(g, &r, pool, n, created_at, want, t->questions);
    }
    uint32_t fate = (uint32_t)rng_below(&r, 100);
    t->status = fate < 70 ? WL_TEST_COMPLETED : fate < 85 ? WL_TEST_ABANDONED
              : fate < 95 ? WL_TEST_PAUSED : WL_TEST_ACTIVE;
    pl->planned = t->status == WL_TEST_COMPLETED
                ? t->n_questions : (uint8_t)(rng_unit(&r) * 0.9 * t->n_questions);
    plan_answers(g, &r, pl);
}

/* Cut the plan to the stream's window and set the test's row as it stands then. */
static void plan_window(const wl_stream *s, plan *pl)
{
    wl_test *t = &pl->t;
    uint8_t n = 0;
    while (n < pl->planned && pl->ans[n].created_at < s->from)
        n++;
    pl->next = n;
    while (n < pl->planned && pl->ans[n].created_at < s->to)
        n++;
    pl->end = n;
    t->n_answers = (uint8_t)(pl->end - pl->next);
    t->completed_at = 0;
    if (!s->history) {
        /* A next-day test as created: its answers are the replay's to submit. */
        t->status = WL_TEST_ACTIVE;
        t->last_activity_at = t->created_at;
        return;
    }
    t->last_activity_at = pl->end ? pl->ans[pl->end - 1].created_at : t->created_at;
    if (pl->end < pl->planned) {
        t->status = WL_TEST_ACTIVE;                /* still in progress at now */
    } else if (t->status == WL_TEST_COMPLETED) {
        t->completed_at = t->last_activity_at;
    } else if ((t->status == WL_TEST_PAUSED || t->status == WL_TEST_ACTIVE) &&
               s->to - t->last_activity_at > STALE_MS) {
        t->status = WL_TEST_ABANDONED;
    }
}

static plan *plan_alloc(wl_stream *s)
{
    plan *pl = s->free_list;
    if (pl) {
        s->free_list = pl->free_next;
        return pl;
    }
    if (s->n_owned == s->cap_owned) {
        size_t cap = s->cap_owned ? 2 * s->cap_owned : 256;
        plan **o = realloc(s->owned, cap * sizeof(*o));
        if (!o)
            return NULL;
        s->owned = o;
        s->cap_owned = cap;
    }
    pl = malloc(sizeof(*pl));
    if (pl)
        s->owned[s->n_owned++] = pl;
    return pl;
}

static void plan_free(wl_stream *s, plan *pl)
{
    pl->free_next = s->free_list;
    s->free_list = pl;
}

/* Heap order: next answer time, then test id. */
static int plan_before(const plan *a, const plan *b)
{
    int64_t x = a->ans[a->next].created_at, y = b->ans[b->next].created_at;
    return x < y || (x == y && a->t.id < b->t.id);
}

static void heap_down(wl_stream *s, size_t i)
{
    plan **h = s->heap;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < s->heap_len && plan_before(h[l], h[m]))
            m = l;
        if (l + 1 < s->heap_len && plan_before(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        plan *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int heap_push(wl_stream *s, plan *pl)
{
    if (s->heap_len == s->heap_cap) {
        size_t cap = s->heap_cap ? 2 * s->heap_cap : 256;
        plan **h = realloc(s->heap, cap * sizeof(*h));
        if (!h)
            return ENOMEM;
        s->heap = h;
        s->heap_cap = cap;
    }
    size_t i = s->heap_len++;
    s->heap[i] = pl;
    while (i > 0 && plan_before(s->heap[i], s->heap[(i - 1) / 2])) {
        plan *t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

/* The creation time of the next test to open; 0 when none is left. */
static int peek_test(wl_stream *s, int64_t *at)
{
    while (s->idx == s->n_day) {
        if (s->day >= s->day_end)
            return 0;
        rng r;
        rng_init(&r, s->g->p.seed, DOM_TEST_DAY, (uint32_t)s->day);
        s->n_day = s->g->c.tests_per_day;
        day_arrivals(s->g, &r, s->n_day, s->times, s->tmp);
        s->cur_day = s->day++;
        s->idx = 0;
    }
    *at = (int64_t)s->cur_day * WL_DAY_MS + s->times[s->idx];
    return 1;
}

int wl_stream_open(const wl_gen *g, wl_window w, wl_stream **out)
{
    *out = NULL;
    if (w != WL_HISTORY && w != WL_NEXT_DAY)
        return EINVAL;
    wl_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return ENOMEM;
    s->g = g;
    s->history = w == WL_HISTORY;
    if (s->history) {
        s->from = INT64_MIN;
        s->to = WL_NOW_MS;
        s->emit_from = INT64_MIN;
        s->day = g->c.first_day;
    } else {
        s->from = WL_NOW_MS;
        s->to = WL_NOW_MS + WL_DAY_MS;
        s->emit_from = WL_NOW_MS;
        /* Tests of the last history day may still be answering after now. */
        s->day = g->c.now_day - (g->p.days > 0 ? 1 : 0);
    }
    s->day_end = s->history ? g->c.now_day : g->c.now_day + 1;
    s->times = malloc(sizeof(uint32_t) * g->c.tests_per_day);
    s->tmp = malloc(sizeof(uint32_t) * g->c.tests_per_day);
    if (!s->times || !s->tmp) {
        wl_stream_close(s);
        return ENOMEM;
    }
    *out = s;
    return 0;
}

static int open_test(wl_stream *s, int64_t at, int *emit)
{
    plan *pl = plan_alloc(s);
    if (!pl)
        return ENOMEM;
    plan_build(s->g, s->cur_day, s->idx++, at, pl);
    plan_window(s, pl);
    *emit = at >= s->emit_from;
    if (*emit)
        s->test_out = pl->t;
    if (pl->next == pl->end) {
        plan_free(s, pl);
        return 0;
    }
    if (heap_push(s, pl) != 0) {
        plan_free(s, pl);
        return ENOMEM;
    }
    return 0;
}

wl_event_kind wl_stream_next(wl_stream *s, wl_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    while (!s->error) {
        int64_t at;
        if (peek_test(s, &at) &&
            (s->heap_len == 0 || at <= s->heap[0]->ans[s->heap[0]->next].created_at)) {
            int emit;
            if ((s->error = open_test(s, at, &emit)) != 0)
                break;
            if (emit) {
                ev->kind = WL_EV_TEST;
                ev->test = &s->test_out;
                return ev->kind;
            }
            continue;
        }
        if (s->heap_len == 0)
            break;
        plan *pl = s->heap[0];
        ev->answer = pl->ans[pl->next++];
        if (pl->next == pl->end) {
            plan_free(s, pl);
            s->heap[0] = s->heap[--s->heap_len];
        }
        heap_down(s, 0);
        ev->kind = WL_EV_ANSWER;
        return ev->kind;
    }
    ev->kind = WL_EV_END;
    return ev->kind;
}

int wl_stream_error(const wl_stream *s)
{
    return s->error;
}

void wl_stream_close(wl_stream *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_owned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->heap);
    free(s->times);
    free(s->tmp);
    free(s);
}

/* ===================================================================== */
/* Interactions                                                           */

static const char *const action_names[WL_ACTIONS] = {
    "view", "bookmark", "note", "flag", "hint", "video", "search", "share",
};

/* Share of each action, in percent: views dominate, as in the platforms' logs. */
static const uint8_t action_weight[WL_ACTIONS] = {50, 7, 5, 3, 10, 8, 12, 5};

const char *wl_action_name(unsigned action)
{
    return action < WL_ACTIONS ? action_names[action] : NULL;
}

struct wl_ix_stream {
    const wl_gen *g;
    int32_t day, day_end, cur_day;
    uint32_t n_day, idx;
    uint32_t *times, *tmp;
    rng r;
};

int wl_ix_stream_open(const wl_gen *g, wl_window w, wl_ix_stream **out)
{
    *out = NULL;
    if (w != WL_HISTORY && w != WL_NEXT_DAY)
        return EINVAL;
    wl_ix_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return ENOMEM;
    s->g = g;
    s->day = w == WL_HISTORY ? g->c.first_day : g->c.now_day;
    s->day_end = w == WL_HISTORY ? g->c.now_day : g->c.now_day + 1;
    size_t n = g->c.interactions_per_day ? g->c.interactions_per_day : 1;
    s->times = malloc(sizeof(uint32_t) * n);
    s->tmp = malloc(sizeof(uint32_t) * n);
    if (!s->times || !s->tmp) {
        wl_ix_stream_close(s);
        return ENOMEM;
    }
    *out = s;
    return 0;
}

static void pay_str(tb *b, const char *s)
{
    tb_put(b, s);
}

static void payload_build(rng *r, unsigned action, tb *b)
{
    uint32_t q = rng_range(r, 1, WL_QUESTIONS);
    switch (action) {
    case WL_VIEW: {
        static const char *const src[] = {"test", "search", "bookmark", "review"};
        pay_str(b, "{\"q\":");
        tb_uint(b, q);
        pay_str(b, ",\"ms\":");
        tb_uint(b, rng_range(r, 800, 180000));
        pay_str(b, ",\"src\":\"");
        pay_str(b, PICK(r, src));
        pay_str(b, "\"}");
        break;
    }
    case WL_BOOKMARK:
        pay_str(b, "{\"q\":");
        tb_uint(b, q);
        pay_str(b, rng_below(r, 5) ? ",\"on\":true}" : ",\"on\":false}");
        break;
    case WL_NOTE: {
        /* {"q":N,"text":"..."} with words up to a length of 40..64 bytes */
        size_t target = rng_range(r, 40, WL_PAYLOAD_MAX);
        pay_str(b, "{\"q\":");
        tb_uint(b, q);
        pay_str(b, ",\"text\":\"review");
        for (;;) {
            const char *w = rng_below(r, 2) ? PICK(r, drugs) : PICK(r, symptoms);
            if (b->len + 1 + strlen(w) + 2 > target)
                break;
            tb_char(b, ' ');
            pay_str(b, w);
        }
        pay_str(b, "\"}");
        break;
    }
    case WL_FLAG: {
        static const char *const why[] = {"typo", "outdated", "unclear", "wrong key"};
        pay_str(b, "{\"q\":");
        tb_uint(b, q);
        pay_str(b, ",\"reason\":\"");
        pay_str(b, PICK(r, why));
        pay_str(b, "\"}");
        break;
    }
    case WL_HINT:
        pay_str(b, "{\"q\":");
        tb_uint(b, q);
        pay_str(b, ",\"level\":");
        tb_uint(b, rng_range(r, 1, 3));
        tb_char(b, '}');
        break;
    case WL_VIDEO:
        pay_str(b, "{\"video\":\"v");
        tb_uint(b, rng_range(r, 1, 2400));
        pay_str(b, "\",\"pos\":");
        tb_uint(b, rng_below(r, 1200));
        pay_str(b, rng_below(r, 4) ? ",\"rate\":1}" : ",\"rate\":1.5}");
        break;
    case WL_SEARCH: {
        const char *w = rng_below(r, 2) ? PICK(r, diagnoses) : PICK(r, drugs);
        pay_str(b, "{\"query\":\"");
        tb_case(b, w, 0);
        pay_str(b, "\",\"page\":");
        tb_uint(b, rng_range(r, 1, 3));
        tb_char(b, '}');
        break;
    }
    default: {
        static const char *const via[] = {"link", "email", "chat"};
        pay_str(b, "{\"q\":");
        tb_uint(b, q);
        pay_str(b, ",\"via\":\"");
        pay_str(b, PICK(r, via));
        pay_str(b, "\"}");
        break;
    }
    }
}

int wl_ix_stream_next(wl_ix_stream *s, wl_interaction *out)
{
    while (s->idx == s->n_day) {
        if (s->day >= s->day_end)
            return 0;
        rng_init(&s->r, s->g->p.seed, DOM_IX_DAY, (uint32_t)s->day);
        s->n_day = s->g->c.interactions_per_day;
        day_arrivals(s->g, &s->r, s->n_day, s->times, s->tmp);
        s->cur_day = s->day++;
        s->idx = 0;
    }
    rng *r = &s->r;
    out->created_at = (int64_t)s->cur_day * WL_DAY_MS + s->times[s->idx++];
    out->user = zipf_user(s->g, r);
    uint32_t roll = (uint32_t)rng_below(r, 100);
    unsigned a = 0;
    while (roll >= action_weight[a]) {
        roll -= action_weight[a];
        a++;
    }
    out->action = (uint8_t)a;
    tb b = {out->payload, 0, WL_PAYLOAD_MAX};
    payload_build(r, a, &b);
    out->payload[b.len] = '\0';
    out->payload_len = (uint8_t)b.len;
    return 1;
}

void wl_ix_stream_close(wl_ix_stream *s)
{
    if (!s)
        return;
    free(s->times);
    free(s->tmp);
    free(s);
}

/* ===================================================================== */
/* Callbacks                                                              */

static int run_answers(const wl_gen *g, wl_window w, const wl_sink *k)
{
    wl_stream *s;
    int rc = wl_stream_open(g, w, &s);
    if (rc != 0)
        return rc;
    wl_event ev;
    while (rc == 0 && wl_stream_next(s, &ev) != WL_EV_END) {
        if (ev.kind == WL_EV_TEST && k->on_test)
            rc = k->on_test(k->ctx, ev.test);
        else if (ev.kind == WL_EV_ANSWER && k->on_answer)
            rc = k->on_answer(k->ctx, &ev.answer);
    }
    if (rc == 0)
        rc = wl_stream_error(s);
    wl_stream_close(s);
    return rc;
}

static int run_interactions(const wl_gen *g, wl_window w, const wl_sink *k)
{
    wl_ix_stream *s;
    int rc = wl_ix_stream_open(g, w, &s);
    if (rc != 0)
        return rc;
    wl_interaction ix;
    while (rc == 0 && wl_ix_stream_next(s, &ix))
        rc = k->on_interaction(k->ctx, &ix);
    wl_ix_stream_close(s);
    return rc;
}

int wl_run(const wl_gen *g, wl_window w, const wl_sink *sink)
{
    int rc = 0;
    if (sink->on_test || sink->on_answer)
        rc = run_answers(g, w, sink);
    if (rc == 0 && sink->on_interaction)
        rc = run_interactions(g, w, sink);
    return rc;
}
