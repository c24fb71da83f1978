#!/usr/bin/env python3
"""Recomputes reads from a workload written by qs-gen (bench/), independently of
quizstore, and checks `quizstore get` output against them.

    gen_expect.py DIR users                    active users: most, median, least answers
    gen_expect.py DIR dashboard USER NOW FILE  check `get dashboard USER --now NOW`
    gen_expect.py DIR progress USER FILE       check `get progress USER`
    gen_expect.py DIR leaderboard FILE         check `get leaderboard --top N`

DIR holds the generator's CSV files. Rules as in WORKLOAD.md ("Exact semantics").
Exit status 0 when FILE matches, 1 with one line per difference otherwise.
"""
import csv
import json
import os
import sys

DAY_MS = 86400000


def answers_by_user(d):
    users = {}
    with open(os.path.join(d, 'answers.csv'), newline='') as f:
        for row in csv.DictReader(f):
            users.setdefault(row['user'], []).append(row)
    return users


def topics_of(d, wanted):
    csv.field_size_limit(1 << 24)
    topics = {}
    with open(os.path.join(d, 'questions.csv'), newline='') as f:
        for row in csv.DictReader(f):
            if row['id'] in wanted:
                topics[row['id']] = row['topic']
    return topics


def rate(correct, attempts):
    return 10000 * correct // attempts if attempts else 0


def report(diffs):
    for line in diffs:
        print(line)
    return 1 if diffs else 0


def check_dashboard(rows, user, now, doc):
    diffs = []
    days = {}
    for r in rows:
        v = days.setdefault(int(r['created_at']) // DAY_MS, [0, 0, 0])
        v[0] += 1
        v[1] += r['correct'] == '1'
        v[2] += int(r['time_spent_ms'])
    active = sorted(days)
    run = best = 0
    for i, day in enumerate(active):
        run = run + 1 if i and active[i - 1] == day - 1 else 1
        best = max(best, run)
    correct = sum(v[1] for v in days.values())
    want = {'answered': len(rows), 'correct': correct, 'rate_bp': rate(correct, len(rows)),
            'time_ms': sum(v[2] for v in days.values()),
            'last_day': active[-1] if active else None,
            'streak': run if active else 0, 'best_streak': best}
    for k, v in want.items():
        if doc['summary'][k] != v:
            diffs.append('dashboard %s: %s is %r, expected %r' % (user, k, doc['summary'][k], v))
    now_day = now // DAY_MS
    want_days = [[day, v[0], v[1], v[2]] for day, v in sorted(days.items())
                 if now_day - 29 <= day <= now_day]
    got_days = [[r['day'], r['answers'], r['correct'], r['time_ms']] for r in doc['days']]
    if got_days != want_days:
        diffs.append('dashboard %s: days %r, expected %r' % (user, got_days, want_days))
    return report(diffs)


def check_progress(rows, user, topics, doc):
    want = {}
    for r in rows:
        v = want.setdefault(topics[r['question']], [0, 0, 0])
        v[0] += 1
        v[1] += r['correct'] == '1'
        v[2] = max(v[2], int(r['created_at']))
    want = {t: [v[0], v[1], rate(v[1], v[0]), v[2]] for t, v in want.items()}
    got = {t['ext_id']: [t['attempts'], t['correct'], t['rate_bp'], t['last_answered_at']]
           for t in doc['topics']}
    return report([] if got == want else
                  ['progress %s: %r, expected %r' % (user, sorted(got.items()),
                                                     sorted(want.items()))])


def check_leaderboard(d, by_user, doc):
    diffs = []
    correct = {u: 0 for u in user_ids(d)}
    for u, rows in by_user.items():
        correct[u] = sum(r['correct'] == '1' for r in rows)
    if doc['entries'] != len(correct):
        diffs.append('leaderboard: %d entries, expected %d' % (doc['entries'], len(correct)))
    top = doc['top']
    for i, r in enumerate(top):
        if r['correct'] != correct[r['ext_id']]:
            diffs.append('leaderboard: %s has %d correct, expected %d'
                         % (r['ext_id'], r['correct'], correct[r['ext_id']]))
        if r['rank'] != i + 1:
            diffs.append('leaderboard: row %d has rank %d' % (i, r['rank']))
        if i and (top[i - 1]['correct'], -top[i - 1]['user']) <= (r['correct'], -r['user']):
            diffs.append('leaderboard: row %d is not after row %d' % (i, i - 1))
    best = sorted(correct.values(), reverse=True)[:len(top)]
    if [r['correct'] for r in top] != best:
        diffs.append('leaderboard: counts %r, expected %r'
                     % ([r['correct'] for r in top], best))
    return report(diffs)


def user_ids(d):
    with open(os.path.join(d, 'users.csv'), newline='') as f:
        return [row['id'] for row in csv.DictReader(f)]


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    d, cmd = argv[1], argv[2]
    by_user = answers_by_user(d)
    if cmd == 'users':
        ranked = sorted(by_user, key=lambda u: (-len(by_user[u]), u))
        print(ranked[0], ranked[len(ranked) // 2], ranked[-1])
        return 0
    with open(argv[-1]) as f:
        doc = json.load(f)
    if cmd == 'leaderboard':
        return check_leaderboard(d, by_user, doc)
    user = argv[3]
    rows = by_user.get(user, [])
    if cmd == 'dashboard':
        return check_dashboard(rows, user, int(argv[4]), doc)
    if cmd == 'progress':
        return check_progress(rows, user, topics_of(d, {r['question'] for r in rows}), doc)
    print('unknown command %s' % cmd, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
