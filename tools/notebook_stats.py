#!/usr/bin/env python
"""How literate the library notebooks are: per notebook, the export cells that define something, their size, the
definitions per cell, bare asserts in examples, and hand-written try/raise AssertionError checks.

    python tools/notebook_stats.py [--rev GIT_REV] [nbs/01_data.ipynb ...]
    python tools/notebook_stats.py --library [--rev GIT_REV]

With --rev the notebooks are read from that commit (`git show REV:PATH`), to compare before and after a change.
`--library` prints one line for the whole library, the measures issue 23 compared with fastcore and nbdev: export
cells' median and 90th-percentile lines, the share of library lines over 100 characters, imports inside functions,
the median docstring length of public definitions, and `test_fail` guard cells shown in the docs (not `#| hide`)."""
import argparse, ast, json, re, statistics, subprocess, sys
from pathlib import Path

def cells(text: str):
    return [(''.join(c['source']) if isinstance(c['source'], list) else c['source']) for c in json.loads(text)['cells']
            if c['cell_type'] == 'code']

def n_defs(src: str) -> int:
    body = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('#|', '%', '!')))
    try: tree = ast.parse(body)
    except SyntaxError: return 0
    return sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or
               (isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id.isupper() for t in n.targets))
               for n in tree.body)

def stats(text: str) -> dict:
    cs = cells(text)
    export = [c for c in cs if re.search(r'^#\|\s*export', c, re.M) and n_defs(c)]
    lines = [len(c.strip().splitlines()) for c in export]
    defs = [n_defs(c) for c in export]
    examples = [c for c in cs if not re.search(r'^#\|\s*export', c, re.M)]
    bare = sum(len(re.findall(r'^\s*assert\b(?!.*,\s*[^,]+$)', c, re.M)) for c in examples)
    tryraise = sum(c.count('raise AssertionError') for c in examples)
    return dict(export_cells=len(export), median_lines=statistics.median(lines) if lines else 0, max_lines=max(lines, default=0),
                mean_defs=round(statistics.mean(defs), 2) if defs else 0, max_defs=max(defs, default=0),
                bare_asserts=bare, try_raise=tryraise)

def _read(path: str, rev: str | None) -> str:
    if rev: return subprocess.run(['git', 'show', f'{rev}:{path}'], capture_output=True, text=True).stdout
    return Path(path).read_text()

def _files(rev: str | None, pattern: str) -> list:
    "Tracked files matching `pattern` (a regex) at `rev`, or in the working tree."
    out = subprocess.run(['git', 'ls-tree', '-r', '--name-only', rev or 'HEAD'], capture_output=True, text=True).stdout.split()
    if not rev: out = sorted(set(out) | {str(p) for p in Path('.').rglob('*') if p.is_file()})
    return sorted(f for f in out if re.fullmatch(pattern, f) and (rev or Path(f).exists()))

def library(rev: str | None = None) -> dict:
    "One line of measures for the whole library (see the module docstring)."
    nbs = _files(rev, r'nbs/[0-9][^/]*\.ipynb')
    py = [f for f in _files(rev, r'latentlab/.*\.py') if not f.endswith('_modidx.py')]
    sizes, guards = [], 0
    for nb in nbs:
        for c in cells(_read(nb, rev)):
            if re.search(r'^#\|\s*export', c, re.M) and n_defs(c): sizes.append(len(c.strip().splitlines()))
            elif 'test_fail(' in c and not re.search(r'^#\|\s*hide', c, re.M): guards += 1
    lines, long_, inner, docs = 0, 0, 0, []
    for f in py:
        text = _read(f, rev)
        ls = text.splitlines(); lines += len(ls); long_ += sum(len(l) > 100 for l in ls)
        tree = ast.parse(text)
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            inner += sum(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(fn))
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith('_') and ast.get_docstring(n):
                docs.append(len(ast.get_docstring(n)))
    q = statistics.quantiles(sizes, n=10) if len(sizes) > 1 else [0] * 9
    return dict(notebooks=len(nbs), modules=len(py), export_cells=len(sizes), median_lines=statistics.median(sizes),
                p90_lines=q[8], lines=lines, over_100_chars=round(100 * long_ / max(lines, 1), 1),
                imports_in_functions=inner, median_docstring=statistics.median(docs), shown_test_fail_cells=guards)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('paths', nargs='*'); ap.add_argument('--rev'); ap.add_argument('--library', action='store_true')
    a = ap.parse_args(argv)
    if a.library:
        print(json.dumps(library(a.rev), indent=1)); return
    paths = a.paths or sorted(str(p) for p in Path('nbs').glob('[0-9]*.ipynb'))
    print(f"{'notebook':24s} {'cells':>5s} {'med':>5s} {'max':>5s} {'defs':>5s} {'maxd':>5s} {'bare':>5s} {'try':>4s}")
    for p in paths:
        text = subprocess.run(['git', 'show', f'{a.rev}:{p}'], capture_output=True, text=True).stdout if a.rev else Path(p).read_text()
        if not text: print(f'{Path(p).stem:24s} (absent)'); continue
        s = stats(text)
        print(f"{Path(p).stem:24s} {s['export_cells']:5d} {s['median_lines']:5.0f} {s['max_lines']:5d} {s['mean_defs']:5.2f} "
              f"{s['max_defs']:5d} {s['bare_asserts']:5d} {s['try_raise']:4d}")

if __name__ == '__main__': main()
