#!/usr/bin/env python
"""Build latentlab's docs site from nbs/: pages with executed examples and figures, every public method documented,
the reports included; rendered by Quarto where it is installed, by nbconvert where it is not; then checked.

Steps (what `nbdev_docs` does, plus execution and the reports):

1. Each notebook in nbs/ is read; nbdev's `add_show_docs` adds `show_doc` cells for its exports, and
   `show_doc(Class.method)` cells are added after each exported class for the public methods and properties the
   notebook does not document yet; then every cell is executed in order (execnb, as nbdev_test does; `#| slow` and
   `#| eval: false` cells are shown, not run). A failing cell fails the build.
2. nbdev's other doc processors run on the executed notebook (`FilterDefaults` less `add_show_docs` and
   `exec_show_docs`, done in 1: front matter, hidden cells, directives, doc links), into `_proc/`.
3. The registered reports run with their default parameters (`--fast`: the test suite's quick ones), the companion page
   on the latent_space record: their executed notebooks become the site's `reports/` pages.
4. Quarto renders `_proc/` as a website (`quarto render _proc`, nothing executed again), or nbconvert renders each page
   to HTML with images embedded and plotly kept interactive, plus a navigation sidebar.
5. `check_site` reads every page: each local link and anchor resolves, each `data:` URI decodes, links to the
   published site (doc links) point at pages and anchors that exist, and every public class's public methods appear
   on its module's page. Any problem fails the build (exit 1).

    python tools/build_docs.py [--engine auto|quarto|nbconvert] [--out _docs] [--only 00_config,40_experiments]
                               [--reports latent_space,runs_analysis | --no-reports] [--fast] [--check-only]
"""
from __future__ import annotations

import argparse
import ast
import base64
import binascii
import configparser
import html as htmlmod
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
TOP = ('index.ipynb', 'results.ipynb')       # pages above the library's, always built
_DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)(:?)\s*(.*?)\s*$')
FAST = {'latent_space': {'sample_size': 100, 'projections': ['pca', 'umap']},
        'augmentation': {'n_per_class': 15, 'n_synthetic': 20, 'diffusion_steps': 60, 'sample_steps': 8, 'n_ood': 50,
                         'generators': ['interp-slerp', 'noise', 'smote', 'inversion-counterfactual',
                                        'guided-counterfactual', 'diffusion']},
        'active_learning': {'fast': True, 'datasets': [['breastmnist', 28]], 'autoencoder': 'taesd', 'resolution': 64}}


def settings() -> dict:
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    return dict(cfg['DEFAULT'])


def directives(src: str) -> dict:
    out = {}
    for line in src.splitlines():
        m = _DIRECTIVE.match(line)
        if not m:
            if line.strip(): break
            continue
        out[m.group(1)] = m.group(3)
    return out


def page_name(nb: Path) -> str:
    "nbdev's page name for a notebook: the number prefix dropped (`40_experiments.ipynb` -> `experiments.html`)."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.name.lower()).removesuffix('.ipynb') + '.html'


# ---------------------------------------------------------------------------------------------------- 1. execute
def public_members(cls) -> list:
    "Names of the public methods and properties `cls` defines itself."
    out = []
    for name, member in vars(cls).items():
        if name.startswith('_'): continue
        fn = member.fget if isinstance(member, property) else getattr(member, '__func__', member)
        if inspect.isfunction(fn): out.append(name)
    return out


def add_method_docs(nb) -> int:
    "Insert `show_doc(Class.method)` cells after each exported class for the members `nb` does not document; how many."
    from execnb.nbio import mk_cell
    module = next((directives(c.source).get('default_exp') for c in nb.cells if c.cell_type == 'code'
                   and 'default_exp' in directives(c.source)), None)
    if module is None: return 0
    mod = importlib.import_module(f'latentlab.{module}')
    text = '\n'.join(c.source for c in nb.cells if c.cell_type == 'code')
    added, i = 0, 0
    while i < len(nb.cells):
        c = nb.cells[i]
        if c.cell_type == 'code' and 'export' in directives(c.source):
            try: tree = ast.parse(re.sub(r'^\s*[%!].*$', '', c.source, flags=re.M))
            except SyntaxError: tree = ast.Module(body=[], type_ignores=[])
            new = []
            for node in tree.body:
                cls = getattr(mod, node.name, None) if isinstance(node, ast.ClassDef) else None
                if cls is None or node.name.startswith('_') or not inspect.isclass(cls): continue
                for m in public_members(cls):
                    if not re.search(rf'show_doc\(\s*{node.name}\.{m}\b', text): new.append(f'show_doc({node.name}.{m})')
            at = i + 1
            while at < len(nb.cells) and nb.cells[at].cell_type == 'code' and nb.cells[at].source.startswith('show_doc('):
                at += 1                    # after the class's own show_doc (nbdev's add_show_docs put it there)
            for j, src in enumerate(new): nb.cells.insert(at + j, mk_cell(src, 'code'))
            added += len(new); i += len(new)
        i += 1
    return added


def execute(src: Path, dst: Path) -> dict:
    "Add method docs to notebook `src`, execute it in its folder, write it to `dst`; return counts."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from nbdev.process import NBProcessor
    from nbdev.processors import add_show_docs, populate_language
    nb = read_nb(src)
    NBProcessor(nb=nb, procs=[populate_language, add_show_docs], rm_directives=False).process()   # show_doc of exports
    n_methods = add_method_docs(nb)
    skipped = []
    module = next((importlib.import_module(f"latentlab.{directives(c.source)['default_exp']}") for c in nb.cells
                   if c.cell_type == 'code' and 'default_exp' in directives(c.source)), None)
    def skip(cell):
        if cell.cell_type != 'code': return True
        d = directives(cell.source)
        # as the tests run them (conftest.py): the exported module defines the names, so registries filled by other
        # modules of the package (providers) are the ones the examples see
        if module is not None and {'export', 'exports', 'exporti'} & set(d): return True
        if 'nbdev_export' in cell.source or d.get('eval') == 'false': return True
        if 'slow' in d: skipped.append(cell); return True
        return False
    cwd = os.getcwd(); os.chdir(src.parent)
    try:
        shell = CaptureShell()
        if module is not None: shell.user_ns.update({k: v for k, v in vars(module).items() if not k.startswith('__')})
        shell.run_all(nb, exc_stop=True, preproc=skip)
    finally: os.chdir(cwd)
    for cell in nb.cells:              # a plotly image trace has a list-valued 'source', which execnb's writer cannot
        for o in cell.get('outputs', []):  # store; the text/html alternative beside it is what the pages render anyway
            data = o.get('data', {})
            if 'application/vnd.plotly.v1+json' in data and 'text/html' in data: del data['application/vnd.plotly.v1+json']
    for cell in skipped:
        cell.outputs = [{'output_type': 'stream', 'name': 'stdout',
                         'text': ['(a slow cell: not run when these docs were built; `pytest --run-slow` runs it)\n']}]
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_nb(nb, dst)
    return {'methods_added': n_methods, 'slow_not_run': len(skipped)}


# ---------------------------------------------------------------------------------------------------- 2. process
def process(executed: Path, out: Path, source: Path):
    "nbdev's doc processors (front matter, hidden cells, directives, links) on an executed notebook."
    from execnb.nbio import read_nb, write_nb
    from nbdev.processors import FilterDefaults, add_show_docs, exec_show_docs

    class Executed(FilterDefaults):
        "nbdev's processors less the two that add and run show_doc cells: step 1 did both, with every other cell."
        def base_procs(self): return [p for p in super().base_procs() if p not in (add_show_docs, exec_show_docs)]

    nb = read_nb(executed)
    nb.path_ = str(source)             # the front matter's output-file comes from the source notebook's name
    Executed()(nb)
    for cell in nb.cells:              # nbdev links private names too, which have no doc entry: keep them as code
        if cell.cell_type == 'markdown' and cell.source:
            cell.source = re.sub(r'\[`(_\w+)`\]\([^)]*\)', r'`\1`', cell.source)
    write_nb(nb, out)


# ---------------------------------------------------------------------------------------------------- 3. reports
def run_reports(names: list, work: Path, fast: bool) -> dict:
    "Execute the reports `names` (defaults, or the quick ones with `fast`) into a scratch runs folder; their notebooks."
    from latentlab.reports import execute_report
    runs, out = work/'runs', {}
    records = {}
    for name in names:
        if name == 'companion': continue
        params = dict(FAST.get(name, {})) if fast else {}
        if name == 'runs_analysis': params['runs_dir'] = str(runs)
        if name == 'benchmark': params['runs_root'] = str(work/'benchmark-cells')   # its sweep's records, apart
        t = time.perf_counter()
        records[name] = execute_report(name, params, root=runs, render=False, progress=False)
        print(f"  report {name}: {time.perf_counter() - t:.0f} s", flush=True)
    if 'companion' in names:
        src = records.get('latent_space') or next(iter(records.values()), None)
        if src is None: raise ValueError('the companion page needs another report to present: add latent_space')
        records['companion'] = execute_report('companion', {'run': src.run_id, 'runs_dir': str(runs)}, root=runs,
                                              render=False, progress=False)
    for name, rec in records.items():
        out[name] = rec
    return out


# ---------------------------------------------------------------------------------------------------- 4. render
def _frontmatter(nb) -> dict:
    import yaml
    raw = next((c for c in nb.cells if c.cell_type == 'raw' and c.source.lstrip().startswith('---')), None)
    if raw is None: return {}
    return yaml.safe_load(raw.source.strip().strip('-')) or {}


def render_quarto(proc: Path, out: Path, pages: list, report_pages: list):
    "Quarto renders `proc` as a website (the notebooks are executed already: nothing runs again)."
    import yaml
    base = yaml.safe_load((ROOT/'_quarto.yml').read_text())
    base['project'] = {'type': 'website', 'output-dir': '_site', 'render': ['*.ipynb', 'reports/*.ipynb']}
    base.setdefault('format', {}).setdefault('html', {})['css'] = 'styles.css'
    base['execute'] = {'enabled': False}
    base.pop('metadata-files', None)
    side = base.setdefault('website', {}).setdefault('sidebar', {})
    side['contents'] = ([*TOP, {'section': 'Library', 'contents': [p for p in pages if p not in TOP]}]
                        + ([{'section': 'Reports', 'contents': [f'reports/{p}' for p in report_pages]}] if report_pages else []))
    (proc/'_quarto.yml').write_text(yaml.safe_dump(base, sort_keys=False))
    shutil.copy(NBS/'styles.css', proc/'styles.css')
    r = subprocess.run(['quarto', 'render', str(proc), '--no-execute'], capture_output=True, text=True)
    if r.returncode != 0: raise RuntimeError(f"quarto render failed:\n{r.stderr[-4000:]}")
    if out.exists(): shutil.rmtree(out)
    shutil.move(proc/'_site', out)


_CSS = """<style>
body { margin: 0; } .ll-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 230px; overflow-y: auto;
  padding: 1rem; background: #f7f7f9; border-right: 1px solid #ddd; font: 14px/1.5 system-ui, sans-serif; }
.ll-nav a { display: block; color: #2c3e50; text-decoration: none; padding: 1px 0; } .ll-nav a.here { font-weight: 700; }
.ll-nav h4 { margin: 1rem 0 .3rem; font-size: 12px; text-transform: uppercase; color: #777; }
.ll-main { margin-left: 262px; } .ll-head { padding: 1.5rem 1rem 0 1rem; font-family: system-ui, sans-serif; }
.ll-head p { color: #555; font-size: 1.1rem; }
</style>"""


def _nav(entries: list, here: str, depth: int) -> str:
    up = '../' * depth
    out = ['<nav class="ll-nav"><a href="' + up + 'index.html"><b>latentlab</b></a>']
    section = None
    for sec, href, title in entries:
        if sec != section: out.append(f'<h4>{sec}</h4>'); section = sec
        cls = ' class="here"' if href == here else ''
        out.append(f'<a{cls} href="{up}{href}">{htmlmod.escape(title)}</a>')
    return '\n'.join(out) + '</nav>'


def pandoc_id(text: str) -> str:
    "The id pandoc (so Quarto, so nbdev's doc links) gives a heading: lower case, punctuation but `_-.` dropped."
    t = re.sub(r'[^\w\s.-]', '', text.lower()).strip()
    return re.sub(r'\s+', '-', t)


def _alias(heading_id: str) -> str:
    "An anchor with pandoc's id beside nbconvert's, so that links written for the Quarto site resolve here too."
    pid = pandoc_id(unquote(heading_id).replace('-', ' '))
    return f'<a class="ll-anchor" id="{htmlmod.escape(pid)}"></a>' if pid != heading_id else ''


def render_nbconvert(proc: Path, out: Path, items: list):
    "nbconvert renders each page (images embedded, plotly interactive with plotly.js inline), with a sidebar."
    import nbformat
    from nbconvert import HTMLExporter
    from latentlab.reports import inline_plotly
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    entries = []
    for sec, path, href, fm in items:
        entries.append((sec, href, fm.get('title') or Path(href).stem))
    for sec, path, href, fm in items:
        nb = nbformat.read(path, as_version=4)
        inline_plotly(nb)
        for cell in nb.cells:            # what Quarto would do with the cell options nbdev leaves
            if cell.cell_type != 'code': continue
            opts = directives(cell.source)
            if opts.get('echo') == 'false' or opts.get('include') == 'false':
                cell.metadata.setdefault('tags', []).append('remove_input')
            if opts.get('include') == 'false' or opts.get('output') == 'false': cell.outputs = []
            cell.source = '\n'.join(l for l in cell.source.splitlines() if not _DIRECTIVE.match(l))
            for o in cell.outputs:
                md = o.get('data', {}).get('text/markdown')
                if md: o['data']['text/markdown'] = re.sub(r'\)\{[^}\n]*\}', ')', md if isinstance(md, str) else ''.join(md))
        hide_code = sec == 'Reports'
        from traitlets.config import Config
        c = Config(); c.TagRemovePreprocessor.remove_input_tags = {'remove_input'}; c.TagRemovePreprocessor.enabled = True
        exporter = HTMLExporter(config=c, template_name='lab', embed_images=True, exclude_input=hide_code, exclude_raw=True,
                                exclude_input_prompt=True, exclude_output_prompt=True)
        body, _ = exporter.from_notebook_node(nb)
        title = fm.get('title') or Path(href).stem
        head = (f'<header class="ll-head"><h1 class="title">{htmlmod.escape(str(title))}</h1>'
                + (f'<p class="description">{htmlmod.escape(str(fm["description"]))}</p>' if fm.get('description') else '')
                + '</header>')
        body = re.sub(r'<title>.*?</title>', f'<title>{htmlmod.escape(str(title))} – latentlab</title>', body, count=1, flags=re.S)
        body = body.replace('</head>', _CSS + '</head>', 1)
        body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + _nav(entries, href, href.count('/')) + '<div class="ll-main">' + head,
                      body, count=1)
        body = body.replace('</body>', '</div></body>', 1)
        body = re.sub(r'href="([^"/:#]+\.ipynb)(#[^"]*)?"', lambda m: f'href="{page_name(Path(m[1]))}{m[2] or ""}"', body)   # as Quarto links pages
        body = re.sub(r'(<h[1-6][^>]*\bid="([^"]+)"[^>]*>)', lambda m: m.group(1) + _alias(m.group(2)), body)
        dst = out/href
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(body, encoding='utf-8')


# ---------------------------------------------------------------------------------------------------- 5. check
def check_site(out: Path, public: dict | None = None) -> list:
    "Problems of the built site: local links/anchors that do not resolve, bad data: URIs, undocumented public methods."
    from bs4 import BeautifulSoup
    cfg = settings()
    published = (cfg.get('doc_host', '') + cfg.get('doc_baseurl', '')).rstrip('/') + '/'
    pages = {p.relative_to(out).as_posix(): p for p in out.rglob('*.html')}
    soups, ids = {}, {}
    for rel, p in pages.items():
        s = BeautifulSoup(p.read_text(encoding='utf-8', errors='replace'), 'html.parser')
        soups[rel] = s
        ids[rel] = {t.get('id') for t in s.find_all(id=True)} | {t.get('name') for t in s.find_all('a', attrs={'name': True})}
    problems = []
    for rel, s in soups.items():
        here = Path(rel).parent
        for tag, attr in (('a', 'href'), ('img', 'src'), ('script', 'src'), ('link', 'href'), ('iframe', 'src'), ('source', 'src')):
            for t in s.find_all(tag):
                url = t.get(attr)
                if not url: continue
                if url.startswith('data:'):
                    meta, _, payload = url.partition(',')
                    if ';base64' in meta:
                        try: ok = len(base64.b64decode(payload, validate=False)) > 0
                        except (binascii.Error, ValueError): ok = False
                        if not ok: problems.append(f'{rel}: {tag} with an undecodable data: URI')
                    continue
                if url.startswith(published):           # a doc link to the published site: check it here
                    url = url[len(published):]
                    target_rel = unquote(urlparse(url).path) or 'index.html'
                    frag = urlparse(url).fragment
                else:
                    u = urlparse(url)
                    if u.scheme or url.startswith('//') or url.startswith(('mailto:', 'javascript:')): continue
                    if not u.path:                        # same page anchor
                        if u.fragment and u.fragment not in ids[rel]: problems.append(f'{rel}: no anchor #{u.fragment}')
                        continue
                    target_rel = os.path.normpath((here/unquote(u.path)).as_posix())
                    frag = u.fragment
                target = out/target_rel
                if target.is_dir(): target, target_rel = target/'index.html', f'{target_rel}/index.html'
                if not target.exists():
                    problems.append(f'{rel}: {tag} {attr}={url!r} -> {target_rel} does not exist'); continue
                if frag and target_rel in ids and frag not in ids[target_rel]:
                    problems.append(f'{rel}: {url!r}: {target_rel} has no anchor #{frag}')
    for page, names in (public or {}).items():
        if page not in soups: problems.append(f'{page}: the page is missing'); continue
        text = soups[page].get_text(' ')
        problems += [f'{page}: {n} is not documented' for n in names if n not in text]
    return problems


def public_methods() -> dict:
    "`{page: ['Class.method', ...]}` for the public classes of every module and their public methods."
    out = {}
    for f in sorted((ROOT/'latentlab').rglob('*.py')):
        m = re.search(r'File to edit: (?:\.\./)+nbs/(\S+\.ipynb)', f.read_text())
        if f.stem.startswith('_') or not m: continue
        mod = importlib.import_module('.'.join(f.relative_to(ROOT).with_suffix('').parts))
        names = []
        for n in getattr(mod, '__all__', []):
            obj = getattr(mod, n, None)
            if inspect.isclass(obj) and obj.__module__ == mod.__name__:
                names += [f'{n}.{meth}' for meth in public_members(obj)]
        if names: out[page_name(NBS/m.group(1))] = names
    return out


def site_summary(out: Path) -> dict:
    pages = sorted(out.rglob('*.html'))
    text = [p.read_text(encoding='utf-8', errors='replace') for p in pages]
    return {'pages': len(pages), 'report_pages': sum(1 for p in pages if p.parent.name == 'reports'),
            'plotly_figures': sum(t.count('Plotly.newPlot') for t in text),
            'embedded_images': sum(t.count('src="data:image/') for t in text)}


# ---------------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--engine', choices=['auto', 'quarto', 'nbconvert'], default='auto')
    p.add_argument('--out', default='_docs', help='site folder (default: _docs)')
    p.add_argument('--work', default='_proc', help='processed notebooks (default: _proc)')
    p.add_argument('--only', default=None, help='comma-separated notebook stems (default: every notebook in nbs/)')
    p.add_argument('--reports', default=None, help='comma-separated reports to include (default: every registered one)')
    p.add_argument('--no-reports', action='store_true')
    p.add_argument('--fast', action='store_true', help="the reports with the test suite's quick parameters")
    p.add_argument('--check-only', action='store_true', help='only check an already built site')
    args = p.parse_args(argv)
    out, work = (ROOT/args.out if not Path(args.out).is_absolute() else Path(args.out)), \
                (ROOT/args.work if not Path(args.work).is_absolute() else Path(args.work))
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    os.environ.setdefault('TQDM_DISABLE', '1')
    only = set(args.only.split(',')) if args.only else None
    if not args.check_only:
        engine = args.engine if args.engine != 'auto' else ('quarto' if shutil.which('quarto') else 'nbconvert')
        if engine == 'quarto' and not shutil.which('quarto'): p.error('quarto is not installed here')
        if work.exists(): shutil.rmtree(work)
        (work/'executed').mkdir(parents=True)
        nbs = [nb for nb in sorted(NBS.glob('*.ipynb')) if not nb.name.startswith(('_', '.'))
               and (only is None or nb.stem in only or nb.name in TOP)]
        items, pages = [], []
        for nb in nbs:
            t = time.perf_counter()
            info = execute(nb, work/'executed'/nb.name)
            process(work/'executed'/nb.name, work/nb.name, nb)
            print(f"  {nb.name}: executed in {time.perf_counter() - t:.0f} s, {info['methods_added']} method docs "
                  f"added, {info['slow_not_run']} slow cells not run", flush=True)
            import nbformat
            fm = _frontmatter(nbformat.read(work/nb.name, as_version=4))
            items.append(('Library' if nb.name not in TOP else 'latentlab', work/nb.name, fm.get('output-file', page_name(nb)), fm))
            pages.append(nb.name)
        items.sort(key=lambda x: x[0] != 'latentlab')
        report_pages = []
        if not args.no_reports:
            from latentlab.reports import REPORTS
            names = args.reports.split(',') if args.reports else REPORTS.names()
            for name, rec in run_reports(names, work, args.fast).items():
                dst = work/'reports'/f'{name}.ipynb'
                dst.parent.mkdir(exist_ok=True)
                shutil.copy(rec.path/'report.ipynb', dst)
                if (rec.path/'outputs').is_dir() and name == 'companion':   # the companion links to its record's files
                    shutil.copytree(rec.path/'outputs', work/'reports'/'outputs', dirs_exist_ok=True)
                import nbformat
                fm = _frontmatter(nbformat.read(dst, as_version=4))
                items.append(('Reports', dst, f'reports/{name}.html', {**fm, 'title': fm.get('title') or name}))
                report_pages.append(f'{name}.ipynb')
        t = time.perf_counter()
        if engine == 'quarto': render_quarto(work, out, pages, report_pages)
        else: render_nbconvert(work, out, items)
        if (work/'reports'/'outputs').is_dir():
            shutil.copytree(work/'reports'/'outputs', out/'reports'/'outputs', dirs_exist_ok=True)
        print(f"rendered with {engine} in {time.perf_counter() - t:.0f} s")
    public = public_methods()
    if only: public = {pg: v for pg, v in public.items() if any(page_name(NBS/f'{s}.ipynb') == pg for s in only)}
    problems = check_site(out, public)
    print(json.dumps(site_summary(out)))
    for pr in problems[:100]: print('PROBLEM', pr)
    print(f"{out}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
