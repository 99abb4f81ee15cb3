#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""maintainers.py PROJECT KERNEL: merge the sections of the project's
MAINTAINERS file into the kernel tree's, each at its place in the
alphabetical order of section titles.  A section of the same title already
there is replaced, so running it again changes nothing."""

import sys


def blocks(text):
    """Split MAINTAINERS text into blank-line separated blocks."""
    return [b for b in text.strip('\n').split('\n\n') if b.strip()]


def title(block):
    """The section title: the block's first line."""
    return block.split('\n', 1)[0]


def common(a, b):
    """Length of the common prefix of A and B."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def place(sections, new):
    """Where NEW goes: between two sections whose titles it sorts between,
    the pair nearest to it (the list is not sorted throughout)."""
    key = title(new).upper()
    best, best_score = len(sections) - 1, -1
    for i in range(1, len(sections)):
        prev, cur = title(sections[i - 1]).upper(), title(sections[i]).upper()
        if prev <= key < cur and title(sections[i]) != 'THE REST':
            score = common(prev, key)
            if score > best_score:
                best, best_score = i, score
    return best


def merge(project, kernel):
    """Return KERNEL's text with PROJECT's sections merged in."""
    marker = '\nMaintainers List\n'
    start = kernel.index(marker)
    # The first section follows the note that closes the list's preamble.
    first = kernel.index('\n\n', kernel.index('\n\n', start + 1) + 2) + 2
    head, body = kernel[:first], kernel[first:]
    tail = body[len(body.rstrip('\n')):]
    sections = blocks(body)
    for new in sorted(blocks(project), key=title):
        sections = [s for s in sections if title(s) != title(new)]
        sections.insert(place(sections, new), new)
    return head + '\n\n'.join(sections) + tail


def main():
    """Command line: see the module's docstring."""
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding='utf-8') as f:
        project = f.read()
    with open(sys.argv[2], encoding='utf-8') as f:
        kernel = f.read()
    merged = merge(project, kernel)
    if merged != kernel:
        with open(sys.argv[2], 'w', encoding='utf-8') as f:
            f.write(merged)
    return 0


if __name__ == '__main__':
    sys.exit(main())
