#!/usr/bin/env python3
"""Recomputes a user's reads from the EdNet slice, independently of quizstore, and
checks `quizstore get` output against them.

    ednet_expect.py DATA_DIR users                      the slice's users, one a line
    ednet_expect.py DATA_DIR last-time USER             the user's newest timestamp (ms)
    ednet_expect.py DATA_DIR dashboard USER NOW FILE    check `get dashboard USER --now NOW`
    ednet_expect.py DATA_DIR progress USER FILE         check `get progress USER`
    ednet_expect.py DATA_DIR history USER SKIP LIMIT FILE
                                                        check a `get history --limit LIMIT`
                                                        page that starts after SKIP rows

DATA_DIR holds answers_kt1_slice.csv and contents/questions.csv. Rules (WORKLOAD.md):
a test is (user, solving_id) and the first row of a (user, solving_id, question) in
the file is the answer; a blank user_answer is a skipped answer, never correct; a day is
timestamp // 86400000; rates are 10000 * correct // attempts; the streak is the run of
consecutive active days ending at the last one. Exit status 0 when FILE matches, 1 with
one line per difference otherwise.
"""
import csv
import json
import os
import sys

DAY_MS = 86400000


def load(data_dir):
    keys, parts = {}, {}
    with open(os.path.join(data_dir, 'contents', 'questions.csv'), newline='') as f:
        for row in csv.DictReader(f):
            keys[row['question_id']] = row['correct_answer']
            parts[row['question_id']] = row['part']
    answers, seen = {}, set()
    with open(os.path.join(data_dir, 'answers_kt1_slice.csv'), newline='') as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            user = row['user_id']
            key = (user, row['solving_id'], row['question_id'])
            if key in seen:
                continue
            seen.add(key)
            choice = row['user_answer']
            answers.setdefault(user, []).append({
                'line': line,
                'created_at': int(row['timestamp']),
                'test': '%s:%s' % (user, row['solving_id']),
                'question': row['question_id'],
                'topic': parts[row['question_id']],
                'chosen': 'abcd'.index(choice) if choice else None,
                'status': 'answered' if choice else 'skipped',
                'correct': bool(choice) and choice == keys[row['question_id']],
                'time_ms': int(row['elapsed_time']),
            })
    return answers


def rate(correct, attempts):
    return 10000 * correct // attempts if attempts else 0


class Diff:
    def __init__(self, what):
        self.what = what
        self.lines = []

    def eq(self, field, got, want):
        if got != want:
            self.lines.append('%s: %s is %r, expected %r' % (self.what, field, got, want))

    def done(self):
        for line in self.lines:
            print(line)
        return 1 if self.lines else 0


def check_dashboard(rows, user, now, doc):
    d = Diff('dashboard of %s at %d' % (user, now))
    days = {}
    for a in rows:
        day = days.setdefault(a['created_at'] // DAY_MS, [0, 0, 0])
        day[0] += 1
        day[1] += a['correct']
        day[2] += a['time_ms']
    active = sorted(days)
    best = run = streak = 0
    for i, day in enumerate(active):
        run = run + 1 if i and active[i - 1] == day - 1 else 1
        best = max(best, run)
    streak = run if active else 0
    correct = sum(a['correct'] for a in rows)
    s = doc['summary']
    d.eq('answered', s['answered'], len(rows))
    d.eq('correct', s['correct'], correct)
    d.eq('rate_bp', s['rate_bp'], rate(correct, len(rows)))
    d.eq('time_ms', s['time_ms'], sum(a['time_ms'] for a in rows))
    d.eq('last_day', s['last_day'], active[-1] if active else None)
    d.eq('streak', s['streak'], streak)
    d.eq('best_streak', s['best_streak'], best)
    now_day = now // DAY_MS
    want = [{'day': day, 'answers': v[0], 'correct': v[1], 'time_ms': v[2]}
            for day, v in sorted(days.items()) if now_day - 29 <= day <= now_day]
    got = [{k: r[k] for k in ('day', 'answers', 'correct', 'time_ms')} for r in doc['days']]
    d.eq('days', got, want)
    return d.done()


def check_progress(rows, user, doc):
    d = Diff('progress of %s' % user)
    topics = {}
    for a in rows:
        t = topics.setdefault(a['topic'], [0, 0, None])
        t[0] += 1
        t[1] += a['correct']
        t[2] = a['created_at'] if t[2] is None else max(t[2], a['created_at'])
    ids = [r['topic'] for r in doc['topics']]
    d.eq('topic order', ids, sorted(ids))
    got = {r['ext_id']: (r['attempts'], r['correct'], r['rate_bp'], r['last_answered_at'])
           for r in doc['topics']}
    want = {t: (v[0], v[1], rate(v[1], v[0]), v[2]) for t, v in topics.items()}
    d.eq('topics', got, want)
    return d.done()


def check_history(rows, user, skip, limit, doc):
    d = Diff('history of %s after %d rows' % (user, skip))
    # Newest first; at equal times the later row of the file has the higher answer id.
    ordered = sorted(rows, key=lambda a: (a['created_at'], a['line']), reverse=True)
    page = doc['rows']
    want = ordered[skip:skip + limit]
    d.eq('rows', len(page), len(want))
    for i, (g, w) in enumerate(zip(page, want)):
        got = (g['created_at'], g['test_ext_id'], g['question_ext_id'], g['correct'],
               g['status'], g['chosen'], g['time_spent_ms'])
        exp = (w['created_at'], w['test'], w['question'], w['correct'], w['status'],
               w['chosen'], w['time_ms'])
        d.eq('row %d (created_at, test, question, correct, status, chosen, time)'
             % (skip + i), got, exp)
    return d.done()


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    answers = load(argv[1])
    cmd = argv[2]
    if cmd == 'users':
        print('\n'.join(answers))
        return 0
    user = argv[3]
    rows = answers.get(user, [])
    if cmd == 'last-time':
        print(max(a['created_at'] for a in rows))
        return 0
    with open(argv[-1]) as f:
        doc = json.load(f)
    if cmd == 'dashboard':
        return check_dashboard(rows, user, int(argv[4]), doc)
    if cmd == 'progress':
        return check_progress(rows, user, doc)
    if cmd == 'history':
        return check_history(rows, user, int(argv[4]), int(argv[5]), doc)
    print('unknown command %s' % cmd, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
