#!/usr/bin/env python
"""How literate the library notebooks are: per notebook, the export cells that define something, their size, the
definitions per cell, bare asserts in examples, and hand-written try/raise AssertionError checks.

    python tools/notebook_stats.py [--rev GIT_REV] [nbs/01_data.ipynb ...]

With --rev the notebooks are read from that commit (`git show REV:PATH`), to compare before and after a change."""
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

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('paths', nargs='*'); ap.add_argument('--rev')
    a = ap.parse_args(argv)
    paths = a.paths or sorted(str(p) for p in Path('nbs').glob('[0-9]*.ipynb'))
    print(f"{'notebook':24s} {'cells':>5s} {'med':>5s} {'max':>5s} {'defs':>5s} {'maxd':>5s} {'bare':>5s} {'try':>4s}")
    for p in paths:
        text = subprocess.run(['git', 'show', f'{a.rev}:{p}'], capture_output=True, text=True).stdout if a.rev else Path(p).read_text()
        if not text: print(f'{Path(p).stem:24s} (absent)'); continue
        s = stats(text)
        print(f"{Path(p).stem:24s} {s['export_cells']:5d} {s['median_lines']:5.0f} {s['max_lines']:5d} {s['mean_defs']:5.2f} "
              f"{s['max_defs']:5d} {s['bare_asserts']:5d} {s['try_raise']:4d}")

if __name__ == '__main__': main()
