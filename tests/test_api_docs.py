"""Every public function, class and method of latentlab has a docstring and an example in its notebook.

Public: the names in a module's `__all__` that are functions or classes, and the methods and properties a
public class defines itself (not inherited, not `_private`, not dunder). An example is a use of the name in a
code cell of the module's notebook that is not an `export` cell and not only a `show_doc(...)` line.
"""
import ast
import importlib
import inspect
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every public name has both (zero missing since 7be4196): one public name without a docstring or an example fails.
MAX_MISSING_DOCSTRINGS = 0
MAX_MISSING_EXAMPLES = 0


def _modules():
    for f in sorted((ROOT/'latentlab').rglob('*.py')):       # the app's package (latentlab/app/) too
        if f.stem.startswith('_'): continue
        m = re.search(r'File to edit: (?:\.\./)+nbs/(\S+\.ipynb)', f.read_text())
        if m: yield importlib.import_module('.'.join(f.relative_to(ROOT).with_suffix('').parts)), ROOT/'nbs'/m[1]


def public_api():
    "`(qualified name, object, short name, notebook)` of every public function, class and method."
    for mod, nb in _modules():
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name, None)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or getattr(obj, '__module__', None) != mod.__name__:
                continue
            yield f'{mod.__name__}.{name}', obj, name, nb
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith('_'): continue
                    fn = member.fget if isinstance(member, property) else getattr(member, '__func__', member)
                    if inspect.isfunction(fn): yield f'{mod.__name__}.{name}.{attr}', fn, attr, nb


def _example_source(nb: Path) -> str:
    "The code of `nb`'s cells that are neither exports nor hidden, without show_doc lines."
    cells = json.loads(nb.read_text())['cells']
    out = []
    for c in cells:
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or re.search(r'^#\|\s*(export|exporti|exports|hide)\b', src, re.M): continue
        out.extend(l for l in src.splitlines() if 'show_doc(' not in l)
    return '\n'.join(out)


def audit():
    "Public names without a docstring, and without an example in their notebook."
    no_doc, no_example, sources = [], [], {}
    for qual, obj, short, nb in public_api():
        if not (inspect.getdoc(obj) or '').strip() or (inspect.isclass(obj) and obj.__doc__ is None): no_doc.append(qual)
        src = sources.setdefault(nb, _example_source(nb))
        is_method = qual.rsplit('.', 1)[0] not in sys.modules      # `module.Class.method`, modules at any depth
        pat = rf'\.{re.escape(short)}\b' if is_method else rf'(?<![\w.]){re.escape(short)}\b'
        if not re.search(pat, src): no_example.append(qual)
    return no_doc, no_example


def _ratchet(missing: list, limit: int, what: str):
    "Fail above `limit` missing names (the list says which); xfail while some are missing; pass at none."
    assert len(missing) <= limit, f"{len(missing)} public names lack {what} (at most {limit} allowed, and going down): {missing}"
    if missing: pytest.xfail(f"{len(missing)} public names still lack {what}: {', '.join(missing)}")


def test_every_public_name_has_a_docstring():
    _ratchet(audit()[0], MAX_MISSING_DOCSTRINGS, 'a docstring')


def test_every_public_name_has_an_example():
    _ratchet(audit()[1], MAX_MISSING_EXAMPLES, 'an example in their notebook')


def test_the_audit_sees_what_it_should():
    names = {q for q, *_ in public_api()}
    assert {'latentlab.experiments.list_runs', 'latentlab.experiments.RunRecord.load',
            'latentlab.experiments.RunRecord.timings', 'latentlab.config.Registry.register',
            'latentlab.app.jobs.Jobs.start', 'latentlab.app.explore.explorer_hover'} <= names
    assert not any(n.split('.')[-1].startswith('_') for n in names)
