"""wl_data.py: the workload's data files as C tables, for workload_text.c.

    python3 wl_data.py -o workload_data.h taxonomy.txt vocabulary.txt sentences.txt ...

bench/SConscript runs it; the header it writes is generated, never edited. The files'
format is described at the top of sentences.txt. What it writes:

- enum WLR_<RULE>: every rule, in the order of the files; WLR_<RULE>_N, its number of
  alternatives. Rules are word lists and templates alike.
- enum WLV_<NAME> for each <$name>, WLB_<NAME> for each <@name>.
- wl_lits[] (every literal text, once), wl_ops[], wl_alts[], wl_rules[]: the rules,
  compiled. The op kinds (WLO_*) and the structs are workload_text.c's.
- wl_labs[] from the [labs] table, wl_lead_ins[] from [lead_ins].

Errors name the file and line, and exit with status 1.
"""
import re
import sys

TABLES = ('labs', 'lead_ins')
SLOTS = 'ABCD'


class DataError(Exception):
    pass


def fail(where, msg):
    raise DataError('%s: %s' % (where, msg))


def parse_files(paths):
    """Sections in file order: (name, where, [(where, text), ...])."""
    sections, names = [], {}
    for path in paths:
        with open(path, encoding='ascii') as f:
            lines = f.read().split('\n')
        current = None
        for no, line in enumerate(lines, 1):
            where = '%s:%d' % (path, no)
            if not line.strip() or line.startswith('#'):
                continue
            m = re.fullmatch(r'\[(\w+)\]\s*', line)
            if m:
                name = m.group(1)
                if name in names:
                    fail(where, '[%s] is already at %s' % (name, names[name]))
                names[name] = where
                current = (name, where, [])
                sections.append(current)
            elif current is None:
                fail(where, 'an entry before any [section]')
            else:
                current[2].append((where, line.strip()))
    return sections


def entry_text(where, text):
    """(weight, text) of one alternative line."""
    weight = 1
    m = re.fullmatch(r'\((\d+)\)\s+(.*)', text)
    if m:
        weight, text = int(m.group(1)), m.group(2)
        if weight < 1:
            fail(where, 'a weight must be at least 1')
    if text.startswith('`'):
        if len(text) < 2 or not text.endswith('`'):
            fail(where, 'a backquoted text must end with a backquote')
        text = text[1:-1]
    return weight, text


def c_string(s):
    out = s.replace('\\', '\\\\').replace('"', '\\"')
    if any(ord(c) < 32 or ord(c) > 126 for c in out):
        raise ValueError('not printable ASCII: %r' % s)
    return '"%s"' % out


def c_name(name):
    return name.upper()


class Compiler:
    def __init__(self, sections):
        self.rules = [s for s in sections if s[0] not in TABLES]
        self.tables = {s[0]: s for s in sections if s[0] in TABLES}
        self.rule_index = {s[0]: i for i, s in enumerate(self.rules)}
        self.lits, self.lit_index = [], {}
        self.vars, self.calls = [], []
        self.ops, self.alts, self.compiled = [], [], []

    def lit(self, text):
        if text not in self.lit_index:
            self.lit_index[text] = len(self.lits)
            self.lits.append(text)
        return self.lit_index[text]

    def rule_ref(self, where, name):
        if name not in self.rule_index:
            fail(where, 'no rule [%s]' % name)
        return self.rule_index[name]

    def slot(self, where, body):
        """The op (kind, case, a, b) of one <...> slot."""
        case = 'WLM_NONE'
        m = re.fullmatch(r'(.*):(upper|lower)', body)
        if m:
            body, case = m.group(1), 'WLM_' + m.group(2).upper()
        m = re.fullmatch(r'(\d+)-(\d+)', body)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi or hi >= 1 << 32:
                fail(where, 'a bad range <%s>' % body)
            return ('WLO_RANGE', case, lo, hi)
        m = re.fullmatch(r'\$(\w+)', body)
        if m:
            if m.group(1) not in self.vars:
                self.vars.append(m.group(1))
            return ('WLO_VAR', case, 'WLV_' + c_name(m.group(1)), 0)
        m = re.fullmatch(r'@(\w+)', body)
        if m:
            if m.group(1) not in self.calls:
                self.calls.append(m.group(1))
            return ('WLO_CALL', case, 'WLB_' + c_name(m.group(1)), 0)
        m = re.fullmatch(r'([A-Z])=(\w+)', body)
        if m:
            if m.group(1) not in SLOTS or m.group(2) != 'labs':
                fail(where, '<%s>: only <A=labs> .. <D=labs> draw a row' % body)
            return ('WLO_LAB_PICK', case, SLOTS.index(m.group(1)), 0)
        m = re.fullmatch(r'([A-Z])\.(name|unit|value)', body)
        if m:
            if m.group(1) not in SLOTS:
                fail(where, '<%s>: lab rows are A to D' % body)
            return ('WLO_LAB_' + m.group(2).upper(), case, SLOTS.index(m.group(1)), 0)
        m = re.fullmatch(r'(\w+)(~?)', body)
        if not m:
            fail(where, 'a bad slot <%s>' % body)
        rule = self.rule_ref(where, m.group(1))
        if m.group(2):
            alts = self.rules[rule][2]
            if any(entry_text(w, t)[0] != 1 or '<' in t for w, t in alts):
                fail(where, '<%s~>: a skewed draw needs a word list of weight 1' % m.group(1))
            return ('WLO_SKEW', case, rule, 0)
        return ('WLO_RULE', case, rule, 0)

    def template(self, where, text):
        ops, pos = [], 0
        for m in re.finditer(r'<([^<>]*)>', text):
            if m.start() > pos:
                ops.append(self.literal_op(where, text[pos:m.start()]))
            ops.append(self.slot(where, m.group(1)))
            pos = m.end()
        if pos < len(text):
            ops.append(self.literal_op(where, text[pos:]))
        return ops

    def literal_op(self, where, text):
        if '<' in text or '>' in text:
            fail(where, 'an unmatched < or > in %r' % text)
        return ('WLO_LIT', 'WLM_NONE', self.lit(text), len(text))

    def compile(self):
        for name, where, entries in self.rules:
            if not entries:
                fail(where, '[%s] is empty' % name)
            first, total, words = len(self.alts), 0, True
            for w, line in entries:
                weight, text = entry_text(w, line)
                ops = self.template(w, text)
                words = words and weight == 1 and [o[0] for o in ops] == ['WLO_LIT']
                total += weight
                self.alts.append((total, len(self.ops), len(ops)))
                self.ops.extend(ops)
            self.compiled.append((name, first, len(entries), total, int(words)))
        self.check_cycles()

    def check_cycles(self):
        """A rule that reaches itself would expand forever."""
        refs = {}
        for i, (name, first, n, _, _) in enumerate(self.compiled):
            refs[i] = set()
            for a in self.alts[first:first + n]:
                for op in self.ops[a[1]:a[1] + a[2]]:
                    if op[0] in ('WLO_RULE', 'WLO_SKEW'):
                        refs[i].add(op[2])
        state = {}

        def visit(i, path):
            if state.get(i) == 'done':
                return
            if state.get(i) == 'open':
                fail(self.rules[i][1], 'rules that expand themselves: %s' % ' > '.join(
                    self.rules[j][0] for j in path + [i]))
            state[i] = 'open'
            for j in sorted(refs[i]):
                visit(j, path + [i])
            state[i] = 'done'

        for i in refs:
            visit(i, [])

    def table(self, name, columns):
        """(where, fields) of each row of table [name]: columns fields split by |."""
        for where, line in self.tables[name][2] if name in self.tables else []:
            fields = [f.strip() for f in line.split('|')]
            if len(fields) != len(columns):
                fail(where, 'a row of [%s] is: %s' % (name, ' | '.join(columns)))
            yield where, fields

    def labs(self):
        rows = []
        for where, (name, unit, rng) in self.table('labs', ('name', 'unit', 'range')):
            m = re.fullmatch(r'([\d.,]+)-([\d.,]+)', rng)
            if not m:
                fail(where, 'a bad range %r' % rng)
            lo, hi = m.group(1), m.group(2)
            if '.' in lo or '.' in hi:
                if not re.fullmatch(r'\d+\.\d', lo) or not re.fullmatch(r'\d+\.\d', hi):
                    fail(where, 'a decimal range has one decimal on both ends: %r' % rng)
                fmt, lo, hi = 'WL_LAB_DECIMAL', int(lo.replace('.', '')), int(hi.replace('.', ''))
            elif ',' in lo or ',' in hi:
                fmt, lo, hi = 'WL_LAB_THOUSANDS', int(lo.replace(',', '')), int(hi.replace(',', ''))
            else:
                fmt, lo, hi = 'WL_LAB_WHOLE', int(lo), int(hi)
            if lo > hi:
                fail(where, 'a range from high to low: %r' % rng)
            rows.append('    {%s, %s, %d, %d, %s},' % (c_string(name), c_string(unit), lo, hi, fmt))
        return rows

    def lead_ins(self):
        rows = []
        for where, (text, options) in self.table('lead_ins', ('text', 'rule of its options')):
            rule = self.rules[self.rule_ref(where, options)][0]
            rows.append('    {%s, WLR_%s},' % (c_string(text), c_name(rule)))
        return rows

    def header(self, sources):
        labs, leads = self.labs(), self.lead_ins()
        out = ['/* workload_data.h: generated by bench/data/wl_data.py from %s.' % ', '.join(
                   'bench/data/' + s.split('/')[-1] for s in sources),
               ' * Do not edit: edit the data files. Included by workload_text.c only. */',
               '#ifndef QS_BENCH_WORKLOAD_DATA_H', '#define QS_BENCH_WORKLOAD_DATA_H', '',
               'enum wl_rule_id {']
        out += ['    WLR_%s,' % c_name(r[0]) for r in self.compiled]
        out += ['    WLR_COUNT', '};', '']
        out += ['#define WLR_%s_N %d' % (c_name(r[0]), r[2]) for r in self.compiled]
        out += ['', 'enum wl_var_id {'] + ['    WLV_%s,' % c_name(v) for v in self.vars]
        out += ['    WLV_COUNT', '};', '', 'enum wl_call_id {']
        out += ['    WLB_%s,' % c_name(c) for c in self.calls] + ['    WLB_COUNT', '};', '']
        out += ['static const char *const wl_lits[%d] = {' % len(self.lits)]
        out += ['    %s,' % c_string(s) for s in self.lits] + ['};', '']
        out += ['static const wl_op wl_ops[%d] = {' % len(self.ops)]
        out += ['    {%s, %s, %s, %s},' % op for op in self.ops] + ['};', '']
        out += ['/* until: the alternative is drawn when the draw is below it (and not below',
                ' * the one before); first, n: its ops. */',
                'static const wl_alt wl_alts[%d] = {' % len(self.alts)]
        out += ['    {%d, %d, %d},' % a for a in self.alts] + ['};', '']
        out += ['/* first, n: the alternatives; total: the sum of their weights; words: every',
                ' * one a single literal of weight 1. */',
                'static const wl_rule wl_rules[WLR_COUNT] = {']
        out += ['    [WLR_%s] = {%d, %d, %d, %d},' % ((c_name(r[0]),) + r[1:])
                for r in self.compiled]
        out += ['};', '', '#define WL_N_LABS %d' % len(labs),
                'static const wl_lab wl_labs[%d] = {' % max(len(labs), 1)] + labs + ['};', '',
                '#define WL_N_LEAD_INS %d' % len(leads),
                'static const wl_lead_in wl_lead_ins[%d] = {' % max(len(leads), 1)] + leads
        out += ['};', '', '#endif /* QS_BENCH_WORKLOAD_DATA_H */', '']
        return '\n'.join(out)


def main(argv):
    if len(argv) < 3 or argv[0] != '-o':
        sys.stderr.write('usage: wl_data.py -o OUT.h DATA.txt ...\n')
        return 1
    out, sources = argv[1], argv[2:]
    try:
        c = Compiler(parse_files(sources))
        c.compile()
        text = c.header(sources)
    except (DataError, OSError, UnicodeDecodeError, ValueError) as e:
        sys.stderr.write('wl_data.py: %s\n' % e)
        return 1
    with open(out, 'w') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
