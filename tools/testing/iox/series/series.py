#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate the iox patch series from the project tree.

series.py generate --root PROJECT --repo PRISTINE --base REF --final TREE
                   --out DIR [--results FILE]
    REPO is a git repository of the pristine kernel tree, REF its untouched
    commit and TREE the git tree of REF with overlay.sh applied: the result
    the series must add up to.  The manifest next to this script assigns
    every path that TREE changes to one patch; each patch's tree is REF plus
    the paths of that patch and the ones before it, with the Kbuild files of
    drivers/iommu/iox/ cut down to what exists at that point (see
    filter_makefile() and filter_kconfig()).  The commits are made with git
    plumbing in REPO (nothing is checked out) and written with git
    format-patch, cover letter first.

series.py kconfig-symbols --repo PRISTINE --tree TREE
    Print "SYMBOL TYPE" for every option the iox Kconfig files in TREE
    define, for the check's configurations.

series.py link-check --build DIR --since STAMP --symvers FILE --mode m|y
    After a patch's build in DIR, resolve every symbol the iox objects built
    since STAMP need, the way modpost and the final link would, and find a
    MODULE_LICENSE in every module; print what fails.

series.py coverage --root PROJECT --repo PRISTINE --base REF --tree TREE
    Print the project files the series adds that no iox section of TREE's
    MAINTAINERS covers.

Errors (an unclaimed path, a path two patches claim, a project file the
series does not carry) are printed one per line and exit with status 1.
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IOX_DIR = 'drivers/iommu/iox/'
KBUILD_NAMES = ('Makefile', 'Kbuild', 'Kconfig')


class SeriesError(Exception):
    """A manifest or tree problem the user has to fix."""


def git(repo, *args, stdin=None, env=None):
    """Run git in REPO and return its output as text (bytes for blobs)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    res = subprocess.run(['git', '-C', repo, '-c', 'gc.auto=0'] + list(args),
                         input=stdin, capture_output=True, env=full_env,
                         check=False)
    if res.returncode:
        raise SeriesError('git %s: %s' % (' '.join(args),
                                          res.stderr.decode().strip()))
    return res.stdout


# The manifest ---------------------------------------------------------------

def pattern_regex(pat):
    """A manifest pattern as a regex: '*' stays within a path component,
    '**' crosses them, and a trailing '/' claims the whole directory."""
    if pat.endswith('/'):
        pat += '**'
    out = ''
    i = 0
    while i < len(pat):
        if pat.startswith('**', i):
            out += '.*'
            i += 2
        elif pat[i] == '*':
            out += '[^/]*'
            i += 1
        elif pat[i] == '?':
            out += '[^/]'
            i += 1
        else:
            out += re.escape(pat[i])
            i += 1
    return re.compile(out + r'\Z')


class Patch:
    """One patch of the manifest: its name, patterns and claimed paths."""

    def __init__(self, name, lineno):
        self.name = name
        self.lineno = lineno
        self.patterns = []
        self.paths = []

    def message(self):
        """Subject and body from NAME.txt: first line, blank, body."""
        path = os.path.join(HERE, self.name + '.txt')
        if not os.path.exists(path):
            raise SeriesError('manifest: patch [%s] has files but no message '
                              'file %s' % (self.name, os.path.relpath(path)))
        with open(path, encoding='utf-8') as f:
            text = f.read().strip('\n') + '\n'
        subject = text.split('\n', 1)[0]
        if not subject.startswith('iommu/iox: '):
            raise SeriesError('%s: the subject must start with "iommu/iox: "'
                              % os.path.relpath(path))
        return text


def parse_manifest(path):
    """Return (patches, project_only patterns) from the manifest file."""
    patches = []
    project_only = []
    current = None
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            m = re.fullmatch(r'\[([\w.-]+)\]', line)
            if m:
                if m.group(1) == 'project-only':
                    current = project_only
                else:
                    patch = Patch(m.group(1), lineno)
                    if any(p.name == patch.name for p in patches):
                        raise SeriesError('%s:%d: patch [%s] given twice'
                                          % (path, lineno, patch.name))
                    patches.append(patch)
                    current = patch.patterns
                continue
            if current is None:
                raise SeriesError('%s:%d: a pattern before the first [patch]'
                                  % (path, lineno))
            current.append((line, pattern_regex(line)))
    return patches, project_only


def claim(patches, paths):
    """Give every path to the one patch whose pattern matches it."""
    errors = []
    for path in paths:
        owners = [p for p in patches
                  if any(rx.match(path) for _, rx in p.patterns)]
        if not owners:
            errors.append('%s: no patch of the manifest claims it' % path)
        elif len(owners) > 1:
            errors.append('%s: claimed by more than one patch: %s' %
                          (path, ', '.join(p.name for p in owners)))
        else:
            owners[0].paths.append(path)
    return errors


# Kbuild files cut down to what exists ---------------------------------------

def paragraphs(text):
    """Split text into paragraphs (lists of lines) at blank lines."""
    paras = [[]]
    for line in text.split('\n'):
        if line.strip():
            paras[-1].append(line)
        elif paras[-1]:
            paras.append([])
    return [p for p in paras if p]


def statements(lines):
    """Group a Makefile paragraph into statements: the comment lines right
    above a statement and its continuation lines go with it."""
    stmts = []
    comments = []
    cont = False
    for line in lines:
        if cont:
            stmts[-1][1].append(line)
        elif line.startswith('#'):
            comments.append(line)
            continue
        else:
            stmts.append((comments, [line]))
            comments = []
        cont = line.endswith('\\')
    if comments:
        stmts.append((comments, []))
    return stmts


ASSIGN = re.compile(r'^([\w$().-]+)\s*(:=|\+=|\?=|=)\s*(.*)$', re.S)


def filter_makefile(text, mkdir, present):
    """Drop from a Makefile of directory MKDIR the objects and directories
    that do not exist (yet) in PRESENT, the statements left empty by that,
    and the comments above dropped statements.  Unchanged if all exist."""
    def source_exists(obj):
        base = mkdir + obj[:-2]
        return base + '.c' in present or base + '.S' in present

    parsed = []
    for para in paragraphs(text):
        for comments, body in statements(para):
            joined = ' '.join(l.rstrip('\\').strip() for l in body)
            parsed.append((comments, body, ASSIGN.match(joined)))
    # Composite objects (iox.o from iox-y) exist if one of their parts does.
    composite = {}
    for _, _, m in parsed:
        if m:
            cm = re.fullmatch(r'([\w-]+)-(y|objs|\$\(CONFIG_\w+\))', m.group(1))
            if cm:
                composite.setdefault(cm.group(1), []).extend(m.group(3).split())

    def exists(token):
        if token.endswith('/'):
            return mkdir + token + 'Makefile' in present
        if token.endswith('.o'):
            name = token[:-2]
            if name in composite:
                return any(exists(t) for t in composite[name] if t != token)
            return source_exists(token)
        return True

    changed = False
    out_paras = []
    for para in paragraphs(text):
        kept = []
        for comments, body in statements(para):
            joined = ' '.join(l.rstrip('\\').strip() for l in body)
            m = ASSIGN.match(joined)
            if body and re.match(r'endif\b', joined) and kept and \
                    re.match(r'if(n?eq|n?def)\b', kept[-1]):
                # A conditional left empty goes, with the comments above it.
                kept.pop()
                while kept and kept[-1].startswith('#'):
                    kept.pop()
                continue
            if not body or not m:
                kept.extend(comments + body)
                continue
            lhs, op, rhs = m.groups()
            fm = re.fullmatch(r'[AC]FLAGS(?:_REMOVE)?_([\w-]+\.o)', lhs)
            if fm:
                if exists(fm.group(1)):
                    kept.extend(comments + body)
                else:
                    changed = True
                continue
            tokens = rhs.split()
            objs = [t for t in tokens if t.endswith(('.o', '/'))]
            left = [t for t in tokens if exists(t)]
            if objs and len(left) == len(tokens) - len(objs):
                changed = True	# every object of the statement is missing
                continue
            if len(left) != len(tokens):
                changed = True
                body = ['%s %s %s' % (lhs, op, ' '.join(left))]
            kept.extend(comments + body)
        if kept:
            out_paras.append(kept)
    if not changed:
        return text
    return '\n\n'.join('\n'.join(p) for p in out_paras) + '\n'


def filter_kconfig(text, present, used):
    """Drop from a Kconfig file the options no present Makefile or source
    uses (USED holds the symbols that are), the sources of absent Kconfig
    files, and "if" blocks left empty.  Unchanged if nothing is dropped."""
    lines = text.split('\n')
    out = []
    changed = False
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'(?:menu)?config\s+(\w+)', line)
        sm = re.match(r'\s*source\s+"([^"]+)"', line)
        if m:
            end = i + 1
            while end < len(lines) and (not lines[end] or
                                        lines[end][0] in ' \t'):
                end += 1
            if m.group(1) in used:
                out.extend(lines[i:end])
            else:
                changed = True
            i = end
            continue
        if sm and sm.group(1) not in present:
            changed = True
            i += 1
            continue
        out.append(line)
        i += 1
    if not changed:
        return text
    result = '\n'.join(out)
    empty_if = re.compile(r'(^|\n)if [^\n]*\n(\s*\n)*endif[^\n]*(\n|$)')
    while empty_if.search(result):
        result = empty_if.sub(r'\1', result)
    result = re.sub(r'\n{3,}', '\n\n', result)
    return result.rstrip('\n') + '\n'


def is_kbuild(path):
    """Kbuild files of iox are cut down per patch; others are taken whole."""
    return path.startswith(IOX_DIR) and os.path.basename(path) in KBUILD_NAMES


def config_symbols(texts):
    """The CONFIG_ symbols TEXTS refer to."""
    syms = set()
    for text in texts:
        syms.update(re.findall(r'CONFIG_(\w+)', text))
    return syms


def cut_down(final, present):
    """The contents of PRESENT's Kbuild files at a point of the series.
    An option comes with the first Makefile line that uses it, or, if no
    Makefile of the whole series uses it, with the first source that does."""
    out = {}
    makefiles = [p for p in present if is_kbuild(p) and
                 os.path.basename(p) != 'Kconfig']
    for path in makefiles:
        out[path] = filter_makefile(final[path].decode(),
                                    os.path.dirname(path) + '/', present)
    in_makefiles = config_symbols(final[p].decode() for p in final
                                  if is_kbuild(p) and
                                  os.path.basename(p) != 'Kconfig')
    used = config_symbols(out.values()) | (
        config_symbols(final[p].decode('utf-8', 'replace') for p in present
                       if p.endswith(('.c', '.h'))) - in_makefiles)
    for path in present:
        if is_kbuild(path) and os.path.basename(path) == 'Kconfig':
            out[path] = filter_kconfig(final[path].decode(), present, used)
    return {p: t.encode() for p, t in out.items()}


# The series -------------------------------------------------------------------

def tree_entries(repo, tree, paths=None):
    """Map path -> (mode, blob id) for the files of TREE."""
    out = git(repo, 'ls-tree', '-r', '-z', tree, '--', *(paths or [])).decode()
    entries = {}
    for rec in out.split('\0'):
        if rec:
            meta, path = rec.split('\t', 1)
            mode, _, sha = meta.split()
            entries[path] = (mode, sha)
    return entries


def project_files(root):
    """Tracked and new (not ignored) files of the project."""
    out = subprocess.run(['git', '-C', root, 'ls-files', '-z', '--cached',
                          '--others', '--exclude-standard'],
                         capture_output=True, check=True).stdout.decode()
    return sorted(p for p in set(out.split('\0'))
                  if p and os.path.isfile(os.path.join(root, p)))


def changed_paths(repo, base, final):
    """Paths FINAL adds or modifies relative to BASE (it deletes none)."""
    out = git(repo, 'diff', '--name-status', '--no-renames', '-z', base,
              final).decode().split('\0')
    paths = []
    for status, path in zip(out[0::2], out[1::2]):
        if status not in ('A', 'M'):
            raise SeriesError('%s: overlay.sh %s it; the series only adds '
                              'and modifies files' % (path, status))
        paths.append(path)
    return sorted(paths)


def author_ident(root):
    """Name, email and date of the series: the project's git identity,
    dated like the project's last commit so that output is reproducible."""
    ident = subprocess.run(['git', '-C', root, 'var', 'GIT_AUTHOR_IDENT'],
                           capture_output=True, text=True,
                           check=True).stdout.strip()
    m = re.match(r'(.*) <(.*)> ', ident)
    date = subprocess.run(['git', '-C', root, 'log', '-1', '--format=%ad',
                           '--date=raw'], capture_output=True, text=True,
                          check=True).stdout.strip()
    return m.group(1), m.group(2), date


def make_commits(repo, base, patches, final_entries, final_blobs, ident):
    """Commit each patch's tree on top of BASE; return [(patch, commit)]."""
    name, email, date = ident
    env = {'GIT_INDEX_FILE': os.path.join(git(repo, 'rev-parse', '--git-dir')
                                          .decode().strip(), 'iox-series.idx')}
    if not os.path.isabs(env['GIT_INDEX_FILE']):
        env['GIT_INDEX_FILE'] = os.path.join(repo, env['GIT_INDEX_FILE'])
    env.update({'GIT_AUTHOR_NAME': name, 'GIT_AUTHOR_EMAIL': email,
                'GIT_AUTHOR_DATE': date, 'GIT_COMMITTER_NAME': name,
                'GIT_COMMITTER_EMAIL': email, 'GIT_COMMITTER_DATE': date})
    git(repo, 'read-tree', base, env=env)
    present = set()
    parent = git(repo, 'rev-parse', base + '^{commit}').decode().strip()
    commits = []
    current = {}
    for patch in patches:
        present.update(patch.paths)
        cut = cut_down(final_blobs, present)
        updates = []
        for path in sorted(present):
            mode, sha = final_entries[path]
            if path in cut and cut[path] != final_blobs[path]:
                sha = git(repo, 'hash-object', '-w', '--stdin',
                          stdin=cut[path]).decode().strip()
            if current.get(path) != (mode, sha):
                current[path] = (mode, sha)
                updates.append('%s %s\t%s' % (mode, sha, path))
        if not updates:
            raise SeriesError('patch [%s] changes nothing' % patch.name)
        git(repo, 'update-index', '--index-info',
            stdin=('\n'.join(updates) + '\n').encode(), env=env)
        tree = git(repo, 'write-tree', env=env).decode().strip()
        msg = patch.message()
        msg += '\nSigned-off-by: %s <%s>\n' % (name, email)
        parent = git(repo, 'commit-tree', tree, '-p', parent,
                     stdin=msg.encode(), env=env).decode().strip()
        commits.append((patch, parent))
    return commits


def cover_letter(path, results):
    """Fill format-patch's cover letter with cover.txt and the summary of
    the last full `make check` (check.sh keeps it in RESULTS)."""
    with open(os.path.join(HERE, 'cover.txt'), encoding='utf-8') as f:
        cover = f.read().strip('\n')
    subject, _, body = cover.partition('\n')
    body = body.strip('\n')
    if results and os.path.exists(results):
        with open(results, encoding='utf-8') as f:
            summary = f.read().rstrip('\n')
        when = time.strftime('%Y-%m-%d %H:%M UTC',
                             time.gmtime(os.path.getmtime(results)))
        body += ('\n\nThe last full make check on the machine that made '
                 'this series (%s):\n\n%s' % (when, summary))
    with open(path, encoding='utf-8') as f:
        text = f.read()
    text = text.replace('*** SUBJECT HERE ***', subject)
    text = text.replace('*** BLURB HERE ***', body)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def generate(args):
    """make series: see the module's docstring."""
    patches, project_only = parse_manifest(os.path.join(HERE, 'manifest'))
    paths = changed_paths(args.repo, args.base, args.final)
    errors = claim(patches, paths)
    carried = set(paths)
    for path in project_files(args.root):
        if path in carried or any(rx.match(path) for _, rx in project_only):
            continue
        errors.append('%s: a project file the series does not carry '
                      '(overlay.sh leaves it out); list it under '
                      '[project-only] or make overlay.sh install it' % path)
    if errors:
        raise SeriesError('\n'.join(errors))
    patches = [p for p in patches if p.paths]
    final_entries = tree_entries(args.repo, args.final, paths)
    final_blobs = {p: git(args.repo, 'cat-file', 'blob', final_entries[p][1])
                   for p in paths}
    commits = make_commits(args.repo, args.base, patches, final_entries,
                              final_blobs, author_ident(args.root))
    tip = commits[-1][1]
    if git(args.repo, 'rev-parse', tip + '^{tree}').decode().strip() != \
            git(args.repo, 'rev-parse', args.final + '^{tree}').decode().strip():
        raise SeriesError('the last patch does not give overlay.sh\'s tree')
    git(args.repo, 'update-ref', 'refs/iox/series', tip)
    os.makedirs(args.out, exist_ok=True)
    for old in os.listdir(args.out):
        if re.fullmatch(r'\d{4}-.*\.patch', old):
            os.remove(os.path.join(args.out, old))
    files = git(args.repo, 'format-patch', '--cover-letter', '--no-signature',
                '--stat=80', '--summary', '-o', os.path.abspath(args.out),
                '%s..%s' % (args.base, tip)).decode().split()
    cover_letter(files[0], args.results)
    for name in files:
        print(os.path.basename(name))
    return 0


def kconfig_symbols(args):
    """Print "SYMBOL TYPE" of the iox options in TREE."""
    entries = tree_entries(args.repo, args.tree, [IOX_DIR])
    for path in sorted(entries):
        if os.path.basename(path) != 'Kconfig':
            continue
        text = git(args.repo, 'cat-file', 'blob', entries[path][1]).decode()
        for m in re.finditer(r'^(?:menu)?config (\w+)\n\s+(bool|tristate)',
                             text, re.M):
            print(m.group(1), m.group(2))
    return 0


def nm_symbols(paths, undefined, local=False):
    """Global (or LOCAL as well) symbols the objects or archives PATHS
    define, or the ones they need (UNDEFINED)."""
    if not paths:
        return set()
    res = subprocess.run(['nm', '-u' if undefined else '--defined-only'] +
                         ([] if local else ['-g']) + list(paths),
                         capture_output=True, text=True, check=True)
    syms = set()
    for line in res.stdout.split('\n'):
        fields = line.split()
        if len(fields) >= 2 and not line.endswith(':'):
            syms.add(fields[-1])
    return syms


def link_check(args):
    """Resolve every symbol the iox objects just built need, like modpost
    (=m: against the distro's exports, KUnit's and the other iox modules';
    =y: against all kernel symbols), and find each module's licence."""
    top = os.path.join(args.build, IOX_DIR)
    since = os.path.getmtime(args.since)
    # What the check's trees build of the kernel beyond the distribution's
    # exports: KUnit and the fault-injection framework (series.sh).
    kunit_objs = []
    for sub in ('lib/kunit', 'lib'):
        libdir = os.path.join(args.build, sub)
        kunit_objs += [os.path.join(libdir, f) for f in
                       (os.listdir(libdir) if os.path.isdir(libdir) else [])
                       if f.endswith('.o') and not f.endswith('.mod.o')]
    problems = []
    # Debian ships no real System.map: built-in code is held to the
    # kernel's exports as well, which is what it needs to build as modules.
    with open(args.symvers, encoding='utf-8') as f:
        known = {line.split('\t')[1] for line in f if '\t' in line}
    if args.mode == 'm':
        modules = []
        for dirpath, _, files in os.walk(top):
            for name in files:
                path = os.path.join(dirpath, name)
                if name.endswith('.mod') and os.path.getmtime(path) >= since:
                    modules.append(path[:-4] + '.o')
        # An export's __ksymtab_ label is a local symbol.
        exported = {s[len('__ksymtab_'):]
                    for s in nm_symbols(modules + kunit_objs, False, True)
                    if s.startswith('__ksymtab_')}
        known |= exported | {'__this_module'}
        for mod in sorted(modules):
            rel = os.path.relpath(mod, args.build)
            info = subprocess.run(['objcopy', '-O', 'binary', '-j',
                                   '.modinfo', mod, '/dev/stdout'],
                                  capture_output=True, check=True).stdout
            if b'license=' not in info:
                problems.append('%s: no MODULE_LICENSE (=m)' % rel)
            for sym in sorted(nm_symbols([mod], True) - known):
                problems.append('%s: "%s" undefined (=m)' % (rel, sym))
    else:
        archive = os.path.join(top, 'built-in.a')
        known |= nm_symbols([archive] + kunit_objs, False)
        for sym in sorted(nm_symbols([archive], True) - known):
            problems.append('%sbuilt-in.a: "%s" undefined (=y)'
                            % (IOX_DIR, sym))
    for line in problems:
        print(line)
    return 0


def f_pattern(pat):
    """A MAINTAINERS F: pattern as get_maintainer.pl reads it."""
    rx = re.escape(pat).replace(r'\*', '.*').replace(r'\?', '.')
    return re.compile(rx)


def coverage(args):
    """Print the project files the series adds that no iox section of the
    tree's MAINTAINERS covers."""
    with open(os.path.join(args.root, 'MAINTAINERS'), encoding='utf-8') as f:
        titles = {b.split('\n', 1)[0] for b in f.read().split('\n\n')}
    text = git(args.repo, 'show', args.tree + ':MAINTAINERS').decode()
    patterns = []
    for block in text.split('\n\n'):
        if block.strip('\n').split('\n', 1)[0] in titles:
            patterns += [f_pattern(l[3:].strip())
                         for l in block.split('\n') if l.startswith('F:')]
    added = set(git(args.repo, 'diff', '--name-only', '--diff-filter=A',
                    args.base, args.tree).decode().split())
    for path in project_files(args.root):
        if path in added and not any(rx.match(path) for rx in patterns):
            print('%s: no iox MAINTAINERS section covers it' % path)
    return 0


def main():
    """Command line: see the module's docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('generate')
    g.add_argument('--root', required=True)
    g.add_argument('--repo', required=True)
    g.add_argument('--base', required=True)
    g.add_argument('--final', required=True)
    g.add_argument('--out', required=True)
    g.add_argument('--results')
    k = sub.add_parser('kconfig-symbols')
    k.add_argument('--repo', required=True)
    k.add_argument('--tree', required=True)
    lc = sub.add_parser('link-check')
    lc.add_argument('--build', required=True)
    lc.add_argument('--since', required=True)
    lc.add_argument('--symvers', required=True)
    lc.add_argument('--mode', choices=('m', 'y'), required=True)
    c = sub.add_parser('coverage')
    c.add_argument('--root', required=True)
    c.add_argument('--repo', required=True)
    c.add_argument('--base', required=True)
    c.add_argument('--tree', required=True)
    args = ap.parse_args()
    commands = {'generate': generate, 'kconfig-symbols': kconfig_symbols,
                'link-check': link_check, 'coverage': coverage}
    try:
        return commands[args.cmd](args)
    except SeriesError as e:
        for line in str(e).split('\n'):
            print('series: ' + line, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
