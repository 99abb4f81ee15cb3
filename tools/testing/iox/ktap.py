#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse KTAP from a kernel console log and judge it.

A log fails on any 'not ok', on a block whose plan is missing or does not
match its results, on a kernel crash or sanitizer report, and when it runs
no test at all.  Leaf results (tests without subtests) are counted.

Usage: ktap.py LOG TIER [RESULTS]  (RESULTS gets 'TIER PASSED FAILED')
"""
import re
import sys

ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|c)")
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
VERSION = re.compile(r'^(\s*)(KTAP|TAP) version \d+\s*$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)\s*$')
RESULT = re.compile(r'^(\s*)(not ok|ok) (\d+)\s*-?\s*([^#]*?)\s*(#\s*(SKIP|TODO)?.*)?$')
CRASH = re.compile(r'Kernel panic|BUG: |Oops|general protection fault|'
                   r'KASAN: |UBSAN: |WARNING: CPU: |WARNING: possible|'
                   r'possible circular locking|INFO: task .* blocked|'
                   r'Call Trace:|iox-vmtest: timeout')


def parse(lines):
    passed = failed = skipped = 0
    problems = []
    blocks = {}         # indent -> [plan or None, results seen]
    deeper = {}         # indent -> a deeper block was seen since last result
    crash = None
    suite_failed = False
    for raw in lines:
        line = TIMESTAMP.sub('', ESCAPES.sub('', raw.rstrip('\n')))
        if crash is None and CRASH.search(line):
            crash = line.strip()
        m = VERSION.match(line)
        if m:
            d = len(m.group(1))
            if d in blocks:
                check_block(d, blocks.pop(d), problems)
            blocks[d] = [None, 0]
            for k in list(deeper):
                if k < d:
                    deeper[k] = True
            deeper[d] = False
            continue
        m = PLAN.match(line)
        if m and len(m.group(1)) in blocks:
            blocks[len(m.group(1))][0] = int(m.group(2))
            continue
        m = RESULT.match(line)
        if not m or len(m.group(1)) not in blocks:
            continue
        d = len(m.group(1))
        for k in [k for k in blocks if k > d]:
            check_block(k, blocks.pop(k), problems)
        blocks[d][1] += 1
        leaf = not deeper.get(d, False)
        deeper[d] = False
        skip = (m.group(6) or '').upper() == 'SKIP'
        if m.group(2) == 'not ok' and not skip:
            problems.append('not ok: ' + m.group(4))
            if leaf:
                failed += 1
            else:
                suite_failed = True
        elif leaf:
            if skip:
                skipped += 1
            else:
                passed += 1
    for d in sorted(blocks, reverse=True):
        check_block(d, blocks[d], problems)
    if suite_failed and not failed:
        failed = 1
    if crash:
        problems.append('kernel crash or report: ' + crash)
        failed += 1
    if not blocks and not passed and not failed:
        problems.append('no KTAP output')
    if passed + failed + skipped == 0:
        problems.append('no test ran')
        failed += 1
    return passed, failed, skipped, problems


def check_block(indent, block, problems):
    plan, results = block
    if plan is None:
        problems.append('KTAP block at indent %d has no plan' % indent)
    elif plan != results:
        problems.append('plan 1..%d but %d results at indent %d'
                        % (plan, results, indent))


def main():
    log, tier = sys.argv[1], sys.argv[2]
    with open(log, errors='replace') as f:
        passed, failed, skipped, problems = parse(f)
    if problems and not failed:
        failed = 1
    for p in problems:
        print('%s: %s' % (tier, p))
    print('%s: %d passed, %d failed, %d skipped' % (tier, passed, failed, skipped))
    if len(sys.argv) > 3 and sys.argv[3]:
        with open(sys.argv[3], 'a') as f:
            f.write('%s %d %d\n' % (tier, passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
