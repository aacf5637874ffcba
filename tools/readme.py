#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb: the notebook executed (so its example shows its real output), without
stderr streams (warnings, progress bars) and without prompts, converted to markdown by nbconvert.

    python tools/readme.py [--no-execute]"""
import argparse
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import MarkdownExporter

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--no-execute', action='store_true', help='convert without running the example')
    a = ap.parse_args(argv)
    nb = nbformat.read(ROOT/'nbs'/'index.ipynb', as_version=4)
    if not a.no_execute: NotebookClient(nb, timeout=1800, resources={'metadata': {'path': str(ROOT/'nbs')}}).execute()
    for cell in nb.cells:
        if cell.cell_type == 'code':
            cell.outputs = [o for o in cell.get('outputs', []) if not (o.output_type == 'stream' and o.name == 'stderr')]
    body, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    (ROOT/'README.md').write_text(body.replace('\n\n\n\n', '\n\n').rstrip() + '\n')
    print(f"README.md written ({len(body.splitlines())} lines)")


if __name__ == '__main__': main()
