#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the "# bench:" lines that make bench collected into a report.

bench_report.py BENCH_TXT OUT_DIR SECONDS [LOG...]
bench_report.py --vm RAW


BENCH_TXT holds one result a line, "[ARCH: ]NAME: iox N ns, REF M ns, ratio
R ..." for a figure beside its reference, "[ARCH: ]NAME: iox N ns" for one
without.  Writes OUT_DIR/bench.md (a table: benchmark, iox, reference,
ratio, goal, met?) and, when the IOVA fragmentation figures are there,
OUT_DIR/bench-iova.svg (their scaling curves, drawn by gnuplot).  The LOGs
are the kernel logs of the run, searched for the kernel version; SECONDS is
how long the run took.  Prints the paths it wrote.

With --vm, reads the VM benchmark's raw figures ("BOOT MODE dma SHAPE CPUS
NS", "BOOT MODE dmabest SHAPE CPUS NS", "BOOT MODE dmamedian SHAPE CPUS
NS", "BOOT MODE dmaprobe SHAPE CPUS NS", "BOOT MODE nvme ms MS", "BOOT MODE
nvme desc N", "BOOT MODE nvme misses N", "BOOT MODE map SHAPE NS", "BOOT
MODE map desc N", one boot of one mode each) and prints the result lines of
the medians over the boots: iox strict and lazy beside the kernel's
intel-iommu in the same mode, and beside dma-direct; the full-stack map rows
(iox_map() beside iommu_map(), strict boots only) beside kernel-strict.
The best chunks also give a "fastest chunk" row, the fastest over the boots
of each side (a slow spell of the host raises it only if it covers that run
in every boot), and the host-speed probe a row beside the kernel's boots
only (its ratio is how much slower the host ran iox's runs than the
kernel's; no goal).
"""

import datetime
import os
import re
import subprocess
import sys

RESULT = re.compile(r'^(?:(?P<arch>[\w-]+): )?(?P<name>[^:]+): '
                    r'iox (?P<iox>\d+) (?P<unit>ns|ms|desc|misses)'
                    r'(?:, (?P<ref>[\w-]+) (?P<refns>\d+) (?:ns|ms|desc|misses), '
                    r'ratio (?P<ratio>[\d.]+))?')

# Goals, first match wins: (arch or None for any, name pattern, reference
# pattern, highest ratio met, where the goal comes from).
GOALS = [
    (None, r'unmap-vs-map', r'iox-map', 1.0, 'unmap <= map'),
    ('x86_64', r'^pgtable \w+ map 1x4K$', r'kernel', 0.8, 'issue'),
    ('x86_64', r'^pgtable \w+ map 256x4K$', r'kernel', 0.2, 'issue'),
    ('x86_64', r'^pgtable \w+ unmap 256x4K$', r'kernel', 0.05, 'issue'),
    ('x86_64', r'^pgtable ', r'kernel', 0.8, 'issue'),
    (None, r'frees checked', r'.', None, ''),
    (None, r'^iova ', r'.', 1.0, 'no slower'),
    ('vm', r'^dma host probe ', r'.', None, ''),
    ('vm', r'^dma .* lazy$', r'kernel-lazy', 0.8, 'issue #11'),
    ('vm', r'^dma .* strict$', r'kernel-strict', 1.0, 'issue #11'),
    ('vm', r'^nvme 32MiB read', r'kernel', 1.0, 'issue #11'),
    ('vm', r'^nvme descriptors strict', r'kernel', 0.5, 'issue #11'),
    ('vm', r'^nvme descriptors lazy', r'kernel', 1.0, 'issue #11'),
    ('vm', r'^nvme IOTLB misses', r'.', None, ''),
    ('vm', r'^full stack ', r'kernel-strict', 1.0, 'issue #15'),
]


def goal_for(arch, name, ref):
    for garch, pat, refpat, limit, why in GOALS:
        if garch not in (None, arch):
            continue
        if re.search(pat, name) and re.search(refpat, ref or ''):
            return limit, why
    return None, ''


def parse(path):
    rows, absolute = [], []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = RESULT.match(line.strip())
            if not m:
                continue
            arch = m.group('arch') or 'uml'
            name = m.group('name').strip()
            unit = m.group('unit')
            if m.group('ref'):
                rows.append((arch, name, int(m.group('iox')), m.group('ref'),
                             int(m.group('refns')), float(m.group('ratio')), unit))
            else:
                absolute.append((arch, name, int(m.group('iox')), unit))
    return rows, absolute


def versions(logs):
    out = []
    try:
        q = subprocess.run(['qemu-system-x86_64', '--version'], capture_output=True,
                           text=True, check=False).stdout.splitlines()
        out.append('QEMU: %s' % (q[0] if q else 'unknown'))
    except OSError:
        out.append('QEMU: not installed')
    for log in logs:
        kver = 'no kernel log'
        if os.path.exists(log):
            with open(log, encoding='utf-8', errors='replace') as f:
                for line in f:
                    m = re.search(r'Linux version (\S+)', line)
                    if m:
                        kver = m.group(1)
                        break
        out.append('kernel of %s: %s' % (os.path.basename(log), kver))
    return out


def plot(rows, out_dir):
    """The fragmentation scaling curves; return the file or None."""
    series = {}
    for arch, name, iox, ref, refns, _, _ in rows:
        m = re.match(r'iova fragmented (\d+) live, (median|worst)$', name)
        if not m or arch != 'x86_64':
            continue
        live, stat = int(m.group(1)), m.group(2)
        series.setdefault(('iox', stat), {})[live] = iox
        series.setdefault((ref, stat), {})[live] = refns
    if not series:
        return None
    dat = os.path.join(out_dir, 'bench-iova.dat')
    keys = sorted(series)
    with open(dat, 'w', encoding='utf-8') as f:
        for i, key in enumerate(keys):
            f.write('# %s %s\n' % key)
            for live in sorted(series[key]):
                f.write('%d %d\n' % (live, series[key][live]))
            if i + 1 < len(keys):
                f.write('\n\n')
    svg = os.path.join(out_dir, 'bench-iova.svg')
    plots = ', '.join("'%s' index %d with linespoints %s title '%s %s'" %
                      (dat, i, 'dt 1' if k[1] == 'median' else 'dt 2', k[0], k[1])
                      for i, k in enumerate(keys))
    script = '\n'.join([
        "set terminal svg size 900,560 dynamic",
        "set output '%s'" % svg,
        "set title 'IOVA allocation latency under fragmentation (x86_64, TCG)'",
        "set xlabel 'live ranges'", "set ylabel 'ns per allocation'",
        "set logscale xy", "set key outside right", "set grid",
        "plot " + plots, ''])
    try:
        subprocess.run(['gnuplot'], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print('bench: gnuplot failed: %s' % e, file=sys.stderr)
        return None
    return svg


def fmt_ns(ns, unit='ns'):
    if unit != 'ns':
        return '%d %s' % (ns, unit)
    return '%d ns' % ns if ns < 100000 else '%.1f us' % (ns / 1000.0)


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else \
        (values[len(values) // 2 - 1] + values[len(values) // 2]) // 2


def vm_lines(raw):
    """The VM benchmark's result lines from its raw figures."""
    figs = {}
    boots = {}
    with open(raw, encoding='utf-8') as f:
        for line in f:
            w = line.split()
            if len(w) < 4:
                continue
            boots.setdefault(w[1], set()).add(w[0])
            figs.setdefault((w[1], ' '.join(w[2:-1])), []).append(int(w[-1]))
    out = []
    keys = sorted({k for _, k in figs})
    for key in keys:
        kind, what = key.split(' ', 1)
        for mode in ('strict', 'lazy'):
            for ref in ('kernel-' + mode, 'direct'):
                a, b = figs.get(('iox-' + mode, key)), figs.get((ref, key))
                if not a or not b or (ref == 'direct' and (what in ('desc', 'misses') or
                                                           kind == 'dmaprobe')):
                    continue
                ma, mb = median(a), median(b)
                how = 'median of %d and %d boots' % (len(a), len(b))
                unit = what if what in ('ms', 'desc', 'misses') else 'ns'
                if kind == 'map':
                    name = 'full stack ' + ('descriptors' if what == 'desc' else
                                            what if what.startswith('unmap') else
                                            'map+unmap ' + what)
                elif kind == 'dma':
                    name = 'dma %s %s' % (what, mode)
                elif kind == 'dmabest':
                    name = 'dma best chunk %s %s' % (what, mode)
                elif kind == 'dmamedian':
                    name = 'dma median chunk %s %s' % (what, mode)
                elif kind == 'dmaprobe':
                    name = 'dma host probe %s %s' % (what, mode)
                elif what == 'ms':
                    name = 'nvme 32MiB read %s' % mode
                elif what == 'misses':
                    name = 'nvme IOTLB misses %s' % mode
                else:
                    name = 'nvme descriptors %s' % mode
                rows = [(name, ma, mb, how)]
                if kind == 'dmabest':
                    rows.append(('dma fastest chunk %s %s' % (what, mode), min(a), min(b),
                                 'fastest of %d and %d boots' % (len(a), len(b))))
                for name, ma, mb, how in rows:
                    if ref == 'direct':
                        name += ' vs dma-direct'
                    out.append('vm: %s: iox %d %s, %s %d %s, ratio %.2f (%s)' %
                               (name, ma, unit, ref, mb, unit, ma / max(mb, 1), how))
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--vm':
        print('\n'.join(vm_lines(sys.argv[2])))
        return 0
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    txt, out_dir, seconds, logs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    rows, absolute = parse(txt)
    svg = plot(rows, out_dir)
    met_count = goal_count = 0
    lines = ['# iox benchmarks', '',
             'Run %s UTC; `make bench` took %d min %02d s; %d CPUs.' %
             (datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M'),
              seconds // 60, seconds % 60, os.cpu_count() or 0), '']
    lines += ['- %s' % v for v in versions(logs)]
    lines += ['', 'Each ratio is iox / reference from the same boot (below 1: iox is '
              'faster).  x86_64 (KUnit) and vm (the stock Debian kernel with the iox '
              'modules, alternate boots per configuration) run under QEMU TCG, uml '
              'natively.', '',
              '| benchmark | iox | reference | ratio | goal | met? |',
              '|---|---|---|---|---|---|']
    for arch, name, iox, ref, refns, ratio, unit in rows:
        limit, why = goal_for(arch, name, ref)
        if limit is None:
            goal, met = '-', '-'
        else:
            goal_count += 1
            ok = ratio <= limit
            met_count += ok
            goal, met = '<= %.2f (%s)' % (limit, why), 'yes' if ok else '**no**'
        lines.append('| %s: %s | %s | %s %s | %.2f | %s | %s |' %
                     (arch, name, fmt_ns(iox, unit), ref, fmt_ns(refns, unit), ratio,
                      goal, met))
    lines += ['', 'Goals met: %d of %d.' % (met_count, goal_count)]
    if absolute:
        lines += ['', 'Figures with no reference in that kernel:', '',
                  '| benchmark | iox |', '|---|---|']
        lines += ['| %s: %s | %s |' % (a, n, fmt_ns(v, u)) for a, n, v, u in absolute]
    if svg:
        lines += ['', '![IOVA allocation under fragmentation](%s)' % os.path.basename(svg)]
    md = os.path.join(out_dir, 'bench.md')
    with open(md, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    print('bench: report in %s' % md)
    if svg:
        print('bench: plot in %s' % svg)
    return 0


if __name__ == '__main__':
    sys.exit(main())
