"""The GitHub workflows, read as a fresh runner would run them (they cannot run here: no GitHub, no internet)."""
from pathlib import Path

import pytest

yaml = pytest.importorskip('yaml')
ROOT = Path(__file__).resolve().parents[1]
WF = ROOT/'.github'/'workflows'


def load(name):
    d = yaml.safe_load((WF/name).read_text())
    d['on'] = d.pop(True, d.get('on'))          # YAML 1.1 reads the key `on` as True
    return d


def steps(job):
    return [s.get('run', '') + ' ' + s.get('uses', '') + ' ' + s.get('name', '') for s in job['steps']]


def test_tests_run_on_push_and_pull_request_with_assets_fetched_first():
    d = load('test.yaml')
    assert {'push', 'pull_request'} <= set(d['on'])
    job = d['jobs']['test']
    assert job['env']['LATENTLAB_ASSETS'].endswith('/.assets')
    s = steps(job)
    fetch = next(i for i, x in enumerate(s) if 'tools/fetch_assets.py' in x)
    test = next(i for i, x in enumerate(s) if 'make test' in x)
    sync = next(i for i, x in enumerate(s) if 'make check-sync' in x)
    assert fetch < test and sync < test and 'actions/checkout' in s[0]
    assert not any('HF_HUB_OFFLINE' in x for x in s[:fetch + 1])        # the fetch step may reach the hub


def test_fetch_script_covers_every_asset_the_tests_read(tmp_path):
    import subprocess, sys
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'fetch_assets.py'), '--root', str(tmp_path), '--check'],
                       capture_output=True, text=True)
    assert r.returncode == 1
    for what in ("'breastmnist', 28", "'breastmnist', 64", "'pneumoniamnist', 28", 'madebyollin/taesd',
                 'taef2_encoder.pth', 'taef2_decoder.pth'):
        assert what in r.stdout, what
    import os
    if os.environ.get('LATENTLAB_ASSETS') and Path(os.environ['LATENTLAB_ASSETS']).is_dir():
        r = subprocess.run([sys.executable, str(ROOT/'tools'/'fetch_assets.py'), '--check'], capture_output=True, text=True)
        assert r.returncode == 0 and 'complete' in r.stdout, r.stdout        # what the tests here read is all there


def test_docs_deploy_builds_with_quarto_and_publishes_pages():
    d = load('deploy.yaml')
    assert d['on']['push']['branches'] == ['main']
    assert d['permissions']['pages'] == 'write' and d['permissions']['id-token'] == 'write'
    s = steps(d['jobs']['build'])
    assert any('quarto-dev/quarto-actions/setup' in x for x in s)
    assert any('make docs DOCS_ENGINE=quarto' in x for x in s) and any('upload-pages-artifact' in x for x in s)
    assert any('fetch_assets.py' in x for x in s)
    assert 'actions/deploy-pages' in steps(d['jobs']['deploy'])[0]


def test_a_release_tag_for_each_commit_on_main_that_passed_ci():
    d = load('release.yaml')
    trig = d['on']['workflow_run']
    assert trig['workflows'] == [load('test.yaml')['name']] and trig['branches'] == ['main']
    job = d['jobs']['release']
    assert "conclusion == 'success'" in job['if'] and d['permissions']['contents'] == 'write'
    run = ' '.join(steps(job))
    assert 'gh release create' in run and '--target "$SHA"' in run and 'gh release view' in run


def test_ci_entry_point_runs_make_test():
    text = (ROOT/'.ci'/'run').read_text()
    assert 'make test' in text and 'LATENTLAB_ASSETS' in text


def test_workflows_match_github_schema():
    "Every workflow validates against GitHub's workflow schema (SchemaStore's, vendored in check-jsonschema: offline)."
    import subprocess, sys
    files = sorted(map(str, WF.glob('*.yaml')))
    out = subprocess.run([sys.executable, '-m', 'check_jsonschema', '--builtin-schema', 'vendor.github-workflows', *files],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
