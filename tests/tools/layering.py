#!/usr/bin/env python3
"""The layering of the code: calls between object files (by nm) and includes between
source files, against the rule util/ < engine/ < index/ < api/ < tools/, bench/.

    layering.py BUILD_DIR SOURCE_ROOT RULE [FOLDER...]

prints one line per breach of RULE and exits 0 (the test script counts the lines):

    upward       a call or an include from a folder into a higher one
    public       a call from tools/ or bench/ into the library other than a qs_
                 function, or between tools/ and bench/
    call-loops   files of the FOLDERs that call each other in a loop (each loop once)
    include-loops  files that include each other in a loop
"""
import os
import re
import subprocess
import sys

RANK = {'util': 0, 'engine': 1, 'index': 2, 'api': 3, 'tools': 4, 'bench': 4}
LIBRARY = ('engine', 'index', 'api')


def object_files(build):
    for folder in RANK:
        d = os.path.join(build, folder)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                if name.endswith('.o'):
                    yield folder + '/' + name[:-2] + '.c', os.path.join(d, name)


def call_edges(build):
    """(caller file, callee file, symbol) for every symbol one object needs and
    another defines."""
    defined, needs = {}, {}
    for src, path in object_files(build):
        out = subprocess.run(['nm', path], capture_output=True, text=True,
                             check=True).stdout
        needs[src] = set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == 'U':
                needs[src].add(parts[1])
            elif len(parts) == 3 and parts[1] in 'TDBRVW':
                defined.setdefault(parts[2], set()).add(src)
    for src in sorted(needs):
        for sym in sorted(needs[src]):
            for dst in sorted(defined.get(sym, ())):
                if dst != src:
                    yield src, dst, sym


def include_edges(root):
    """(including file, included file) for every #include "x" that names a file of
    the tree (searched in the including file's folder, then in every folder)."""
    where = {}
    for folder in RANK:
        d = os.path.join(root, folder)
        if os.path.isdir(d):
            for name in os.listdir(d):
                if name.endswith(('.c', '.h')):
                    where.setdefault(name, []).append(folder)
    for folder in RANK:
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(('.c', '.h')):
                continue
            with open(os.path.join(d, name), encoding='utf-8', errors='replace') as f:
                for line in f:
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    target = m.group(1)
                    if '/' in target:   # from the top: "util/date.h"
                        if os.path.isfile(os.path.join(root, target)):
                            yield folder + '/' + name, target
                        continue
                    if target not in where:
                        continue
                    owners = where[target]
                    to = folder if folder in owners else owners[0]
                    yield folder + '/' + name, to + '/' + target


def folder_of(path):
    return path.split('/', 1)[0]


def loops(edges):
    """The strongly connected components of more than one file (Tarjan), sorted."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(100000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def main():
    build, root, rule = sys.argv[1:4]
    folders = sys.argv[4:] or list(RANK)
    if rule == 'upward':
        for a, b, sym in call_edges(build):
            if RANK[folder_of(b)] > RANK[folder_of(a)]:
                print('%s calls %s of %s' % (a, sym, b))
        for a, b in include_edges(root):
            # the public header's types are every layer's: the engine implements part of it
            if RANK[folder_of(b)] > RANK[folder_of(a)] and b != 'api/quizstore.h':
                print('%s includes %s' % (a, b))
    elif rule == 'public':
        for a, b, sym in call_edges(build):
            fa, fb = folder_of(a), folder_of(b)
            if fa in ('tools', 'bench') and fb in LIBRARY and not sym.startswith('qs_'):
                print('%s calls %s of %s' % (a, sym, b))
            elif {fa, fb} == {'tools', 'bench'}:
                print('%s calls %s of %s' % (a, sym, b))
    elif rule == 'call-loops':
        edges = [(a, b) for a, b, _ in call_edges(build)
                 if folder_of(a) in folders and folder_of(b) in folders]
        for comp in loops(edges):
            print('a loop of calls: ' + ' '.join(comp))
    elif rule == 'include-loops':
        for comp in loops(include_edges(root)):
            print('a loop of includes: ' + ' '.join(comp))
    else:
        sys.exit('unknown rule ' + rule)


if __name__ == '__main__':
    main()
