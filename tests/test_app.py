"""The app without a browser: safety of uploads and imports, background jobs in their own process, the callbacks
as a browser calls them, and `latentlab serve` with gunicorn workers answering /health."""
import io
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from helpers import write_folder
from latentlab.config import defaults
from latentlab.app import settings as settings_module
from latentlab.app.jobs import Jobs, _pid_alive, register_job
from latentlab.app.pages import view_job_key
from latentlab.app.results import benchmark_table
from latentlab.app.server import create_app, dash_payload
from latentlab.app.settings import (
    AppSettings, Refusal, UnsafeUpload, import_folder, import_zip, list_datasets, safe_extract)
from latentlab.app.views import get_view, view_key
from latentlab.app.your_data import save_upload


@pytest.fixture
def settings(tmp_path):
    return AppSettings(tmp_path/'data', runs_dir=tmp_path/'runs', job_mode='thread', projections=('pca',), max_files=50,
                       max_unpacked_mb=1.0, max_upload_mb=0.5)


def zip_of(path, entries, links=()):
    with zipfile.ZipFile(path, 'w') as zf:
        for name, data in entries.items(): zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name); info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, '/etc/passwd')
    return path


def png(value=128, size=32, seed=0):
    buf = io.BytesIO()
    img = np.clip(np.random.default_rng(seed).normal(value, 30, (size, size)), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(buf, 'PNG')
    return buf.getvalue()


def class_zip(path, n=6, extra=None):
    entries = {f'set/{c}/{i}.png': png(60 + 120 * k, seed=i + 10 * k) for k, c in enumerate(('a', 'b')) for i in range(n)}
    return zip_of(path, {**entries, **(extra or {})})


@pytest.mark.parametrize('entries,links,match', [
    ({'a/x.png': b'1', 'a/../../escape.png': b'2'}, (), "'..'"),
    ({'/abs/x.png': b'1'}, (), 'absolute'),
    ({'C:/win/x.png': b'1'}, (), 'absolute'),
    ({'a/x.png': b'1'}, ('a/link.png',), 'symbolic link'),
    ({f'a/{i}.png': b'1' for i in range(51)}, (), 'limit is 50'),
    ({'a/big.png': b'\0' * 1_200_000}, (), 'unpack to'),
])
def test_unsafe_zips_are_refused_and_leave_nothing(settings, tmp_path, entries, links, match):
    z = zip_of(tmp_path/'u.zip', entries, links)
    with pytest.raises(UnsafeUpload, match=match): import_zip(settings, z, 'bad')
    assert not (settings.data_dir/'datasets'/'bad').exists()
    assert not list((settings.data_dir/'staging').iterdir())
    assert not (tmp_path/'escape.png').exists() and not (tmp_path.parent/'escape.png').exists()


def test_a_zip_that_lies_about_its_sizes_is_refused(tmp_path):
    z = zip_of(tmp_path/'l.zip', {'a/x.png': b'\0' * 5000})
    data = bytearray(z.read_bytes())
    cd = data.rindex(b'PK\x01\x02')                         # central directory entry: declare 100 bytes, not 5000
    data[cd + 24:cd + 28] = (100).to_bytes(4, 'little')
    z.write_bytes(bytes(data))
    with pytest.raises(UnsafeUpload, match='damaged'): safe_extract(z, tmp_path/'out', max_bytes=4000)
    assert not (tmp_path/'out').exists() and not list(tmp_path.glob('.out*'))


def test_a_compression_bomb_is_refused_from_its_directory_before_anything_is_written(tmp_path, monkeypatch):
    "Issue 28: a 1.5 MB zip that unpacks to 1.5 GB, under the 2 GB total cap of the default settings."
    s = AppSettings(tmp_path/'data', runs_dir=tmp_path/'runs', job_mode='thread')
    z = tmp_path/'scans.zip'
    with zipfile.ZipFile(z, 'w', zipfile.ZIP_DEFLATED) as zf:
        with zf.open('scans/a/big.png', 'w', force_zip64=True) as f:
            for _ in range(90): f.write(b'\0' * 2**24)                  # 1.5 GB of zeros
        zf.writestr('scans/b/small.png', png())
    assert z.stat().st_size < 2e6
    monkeypatch.setattr(settings_module, 'safe_extract', lambda *a, **k: pytest.fail('unpacking started'))
    with pytest.raises(UnsafeUpload) as e: import_zip(s, z, 'bomb', label='scans.zip')
    assert str(e.value).startswith('scans.zip was refused: scans/a/big.png would unpack to 1509.9 MB')
    assert not list((s.data_dir/'staging').iterdir()) and not (s.data_dir/'datasets'/'bomb').exists()


def test_gif_images_are_imported_and_unreadable_ones_refused_in_one_sentence(settings, tmp_path):
    buf = lambda v: (Image.fromarray(np.full((16, 16), v, np.uint8)).save(b := io.BytesIO(), 'GIF'), b.getvalue())[1]
    gifs = zip_of(tmp_path/'gifs.zip', {f'g/{c}/{i}.gif': buf(20 * i + 120 * k) for k, c in enumerate('ab') for i in range(5)})
    assert import_zip(settings, gifs, 'gifs')['n_images'] == 10
    fake = zip_of(tmp_path/'fake.zip', {f'g/{c}/{i}.gif': b'GIF89a' for c in 'ab' for i in range(5)})
    with pytest.raises(Refusal) as e: import_zip(settings, fake, 'fake', label='my scans.zip')
    said = str(e.value)
    assert said.startswith('my scans.zip was not imported') and '\n' not in said
    assert str(settings.data_dir) not in said and 'staging' not in said and 'Error' not in said


def test_upload_size_and_type_are_checked_before_anything_is_written(settings, tmp_path):
    import base64
    uri = lambda b: 'data:application/zip;base64,' + base64.b64encode(b).decode()
    with pytest.raises(UnsafeUpload, match='larger than'): save_upload(settings, uri(b'PK\x03\x04' + b'\0' * 600_000), 'big.zip')
    with pytest.raises(UnsafeUpload, match='not a zip'): save_upload(settings, uri(b'\x80\x04pickle'), 'model.pkl')
    with pytest.raises(UnsafeUpload, match='not a zip'): save_upload(settings, uri(b'not a zip at all'), 'fake.zip')
    assert not list((settings.data_dir/'uploads').iterdir())
    path = save_upload(settings, uri(class_zip(tmp_path/'ok.zip').read_bytes()), 'ok.zip')
    assert path.parent == settings.data_dir/'uploads' and zipfile.is_zipfile(path)


def test_import_reports_every_bad_file_and_a_failed_import_leaves_nothing(settings, tmp_path):
    z = class_zip(tmp_path/'c.zip', extra={'set/a/broken.png': b'\x89PNG\r\n\x1a\nbroken', 'set/b/notes.txt': b'x', 'set/empty/': b''})
    s = import_zip(settings, z, 'mine')
    assert s['n_images'] == 12 and s['classes'] == ['a', 'b']
    assert sorted(Path(p['path']).name for p in s['skipped']) == ['broken.png', 'empty', 'notes.txt']
    assert 'imported:mine' in [d['id'] for d in list_datasets(settings)]
    only_bad = zip_of(tmp_path/'bad.zip', {'x/a/1.png': b'nope', 'x/b/2.png': b'nope'})
    with pytest.raises(Refusal, match='bad.zip was not imported: none of its images could be read'):
        import_zip(settings, only_bad, 'broken')
    z2 = class_zip(tmp_path/'c2.zip', extra={'set/a/broken.png': b'nope'})
    with pytest.raises(ValueError, match='broken.png'): import_zip(settings, z2, 'strict', on_error='raise')
    assert not (settings.data_dir/'datasets'/'broken').exists() and not (settings.data_dir/'datasets'/'strict').exists()
    assert not list((settings.data_dir/'staging').iterdir())
    with pytest.raises(ValueError, match='dataset name'): import_zip(settings, z, '../evil')


def test_server_folders_only_under_allowed_roots(settings, tmp_path):
    outside = write_folder(tmp_path/'outside', n_per_class=5)
    with pytest.raises(PermissionError, match='not in a folder the app may import from'): import_folder(settings, outside, 'x')
    inside = write_folder(settings.data_dir/'incoming'/'mine', n_per_class=5)
    assert import_folder(settings, inside, 'mine')['n_images'] == 10
    s2 = AppSettings(settings.data_dir, runs_dir=settings.runs_dir, import_roots=(tmp_path/'outside',), job_mode='thread')
    assert import_folder(s2, outside, 'granted')['n_images'] == 10


def test_jobs_run_in_their_own_process_and_a_dead_job_is_reported(tmp_path):
    s = AppSettings(tmp_path/'data', runs_dir=tmp_path/'runs', job_mode='process', projections=('pca',))
    import_folder(s, write_folder(s.data_dir/'incoming'/'blobs', n_per_class=10, size=32), 'blobs')
    jobs = Jobs(s)
    jid = jobs.start('prepare', dict(dataset='imported:blobs', autoencoder='taesd', resolution=32))
    st = jobs.wait(jid, timeout=600)
    assert st['pid'] != os.getpid() and st['result']['n'] == 20
    assert get_view(s, 'imported:blobs', 'taesd', 32).ready
    assert jobs.start('prepare', dict(dataset='x', autoencoder='taesd', resolution=32), key='k') == \
        jobs.start('prepare', dict(dataset='x', autoencoder='taesd', resolution=32), key='k')   # one job per key while it runs
    bad = jobs.start('prepare', dict(dataset='imported:nope', autoencoder='taesd', resolution=32))
    with pytest.raises(RuntimeError, match='nope is not in the app'): jobs.wait(bad, timeout=300)
    slow = jobs.start('guided', dict(dataset='imported:blobs', autoencoder='taesd', resolution=32, target=1, start=0, steps=100000))
    for _ in range(600):
        st = jobs.status(slow)
        if st['state'] == 'running' and st.get('pid'): break
        time.sleep(0.2)
    os.kill(st['pid'], signal.SIGKILL)
    time.sleep(0.5)
    st = jobs.status(slow)
    assert st['state'] == 'failed' and 'ended without finishing' in st['error']


@register_job('sleep-test')
def _sleep_test(settings, params, report):
    for _ in range(int(params.get('n', 40))): report(0.1, 'sleeping'); time.sleep(0.05)
    return {}


def test_the_same_work_asked_for_at_once_is_one_job(settings):
    "Eight requests for one view's preparation at the same moment (eight workers): one job, the others join it."
    ids, barrier = [], threading.Barrier(8)
    def ask():
        barrier.wait()
        ids.append(Jobs(settings).start('sleep-test', {}, key=view_job_key('imported:x', 'taesd', 64)))
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    assert len(set(ids)) == 1 and len(Jobs(settings).list()) == 1
    Jobs(settings).wait(ids[0])


def test_cancelling_an_import_process_keeps_nothing_and_a_new_worker_sees_its_progress(tmp_path):
    s = AppSettings(tmp_path/'data', runs_dir=tmp_path/'runs', job_mode='process', projections=('pca', 'tsne'))
    folder = write_folder(s.data_dir/'incoming'/'many', n_per_class=200, size=32)
    jobs = Jobs(s)
    keys = ['import-many', view_job_key('imported:many', 'taesd', 64)]
    jid = jobs.start('import', dict(folder=str(folder), name='many', autoencoder='taesd', resolution=64), key=keys,
                     title='import of many')
    t0 = time.time()
    while time.time() - t0 < 300:
        st = jobs.status(jid)
        if st['state'] not in ('queued', 'running') or st['progress'] > 0.25: break   # the dataset is written; the view is being made
        time.sleep(0.2)
    assert st['state'] == 'running' and (s.data_dir/'datasets'/'many').is_dir(), st
    # a worker started now (a restart, another gunicorn worker) shows the job where it is, from the job folders
    client = create_app(s).server.test_client()
    deps = client.get('/_dash-dependencies').get_json()
    r = client.post('/_dash-update-component', json=dash_payload(deps, 'jobs-seen.data', {'jobs-poll.n_intervals': 1}))
    line = json.dumps(r.get_json()['response'])
    assert 'import of many' in line and 'Cancel' in line
    assert jobs.start('prepare', {}, key=keys[1]) == jid                 # "Prepare this view" joins the import
    jobs.cancel(jid)
    st = jobs.wait(jid, timeout=120)
    for _ in range(300):                                                 # the process exits once it has cleaned up
        if not _pid_alive(st['pid']): break
        time.sleep(0.1)
    assert st['state'] == 'cancelled' and not _pid_alive(st['pid'])
    for sub in ('datasets', 'views', 'staging'):                         # nothing half-written, not even hidden
        assert list((s.data_dir/sub).iterdir()) == [], sub
    assert 'imported:many' not in [d['id'] for d in list_datasets(s)]


@pytest.fixture
def prepared(settings):
    import_folder(settings, write_folder(settings.data_dir/'incoming'/'blobs', n_per_class=12, size=32), 'blobs')
    jobs = Jobs(settings)
    jobs.wait(jobs.start('prepare', dict(dataset='imported:blobs', autoencoder='taesd', resolution=32)))
    return settings


def test_callbacks_answer_as_for_a_browser(prepared):
    settings = prepared
    client = create_app(settings).server.test_client()
    deps = client.get('/_dash-dependencies').get_json()
    sel = {'sel-dataset.value': 'imported:blobs', 'sel-ae.value': 'taesd', 'sel-res.value': 32,
           'view-ready.data': view_key('imported:blobs', 'taesd', 32)}
    def call(out, values, changed=None):
        r = client.post('/_dash-update-component', json=dash_payload(deps, out, {**sel, **values}, changed))
        assert r.status_code == 200, r.data[:500]
        return r.get_json()['response']
    status = call('view-status.children', {})
    assert status['view-status']['children'].startswith('ready: 24 images')
    detail = json.dumps(call('ex-detail.children', {'ex-graph.clickData': {'points': [{'customdata': 5}]}}))
    assert 'reconstruction' in detail and 'PSNR (dB)' in detail and detail.count('data:image/png;base64') == 3
    page = json.dumps(call('page.children', {'url.pathname': '/benchmark'}))
    assert 'No experiment records' in page                   # no records yet: the page says how to make them
    bad = json.dumps(call('up-job.data', {'up-import.n_clicks': 1, 'up-name.value': '../x'}))
    assert 'give the dataset a name' in bad
    outside = json.dumps(call('up-job.data', {'up-import.n_clicks': 1, 'up-name.value': 'etc', 'up-folder.value': '/etc'}))
    assert 'is not in a folder the app may import from' in outside
    for path in ('/', '/explorer', '/playground', '/guided', '/runs', '/data', '/classify'):
        assert client.get(path).status_code == 200
    assert '.viewbar {' in client.get('/explorer').data.decode()           # the stylesheet (package data) in every page


def test_benchmark_table_reads_run_records(prepared, tmp_path):
    from latentlab.experiments import run_experiment
    settings = prepared
    npz = settings.data_dir/'datasets'/'blobs'/'dataset.npz'
    for n in (3, 6):
        run_experiment(dict(dataset=str(npz), resolution=32, features=['latent'], classifiers=['logreg'], n_boot=20,
                            n_per_class=n, experiment='bench'), root=settings.runs_dir, progress=False)
    df = benchmark_table(settings.runs_dir)
    assert sorted(df.n_per_class.unique()) == [3, 6] and set(df.metric) == {'auc', 'acc', 'balanced_acc', 'f1'}
    assert (df.features == 'latent').all() and df.value.between(0, 1).all()
    assert (df.pipeline == f"{defaults('autoencoder')}-32").all() and (df.augmentation == 'none').all()   # the default's
    # the same records in a second experiment are the same models: counted once
    shutil.copytree(settings.runs_dir/'bench', settings.runs_dir/'bench-copy')
    pd.testing.assert_frame_equal(benchmark_table(settings.runs_dir).drop(columns=['run_id', 'experiment']),
                                  df.drop(columns=['run_id', 'experiment']))


def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def test_latentlab_serve_with_gunicorn_workers_answers_health(prepared, tmp_path):
    settings, port = prepared, free_port()
    env = {**os.environ, 'LATENTLAB_APP_TORCH_THREADS': '1'}
    p = subprocess.Popen([sys.executable, '-m', 'latentlab.cli', 'serve', '--workers', '2', '--port', str(port),
                          '--data', str(settings.data_dir), '--runs-dir', str(settings.runs_dir)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        pids, t0 = set(), time.time()
        while time.time() - t0 < 240 and len(pids) < 2:
            try:
                h = json.loads(urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=30).read())
                pids.add(h['pid'])
            except OSError: time.sleep(1)
        assert h['status'] == 'ok' and h['version'] and h['views_ready'][0]['dataset'] == 'imported:blobs'
        assert h['views_loaded'] == [{'dataset': 'imported:blobs', 'autoencoder': 'taesd', 'resolution': 32}]   # warmed at start
        assert len(pids) == 2                                   # two gunicorn workers answered
        page = urllib.request.urlopen(f'http://127.0.0.1:{port}/explorer', timeout=30).read().decode()
        assert '<title>latentlab</title>' in page
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        out = p.communicate(timeout=60)[0].decode()
    assert 'Booting worker' in out, out[-2000:]


def test_label_page_labels_a_round_through_its_callbacks(settings):
    "Issue 25: create a labelling project, suggest, file images with one click each, retrain: a run record per round."
    from latentlab.app.label import label_pick, label_rounds, read_project
    breast = 'medmnist:breastmnist:28'
    client = create_app(settings).server.test_client()
    deps = client.get('/_dash-dependencies').get_json()
    sel = {'sel-dataset.value': breast, 'sel-ae.value': 'taesd', 'sel-res.value': 32}
    def call(out, values):
        r = client.post('/_dash-update-component', json=dash_payload(deps, out, {**sel, **values}))
        assert r.status_code == 200, r.data[:500]
        return r.get_json()['response']
    jobs = Jobs(settings)
    bad = json.dumps(call('lbc-job.data', {'lb-create.n_clicks': 1, 'lb-name.value': '../up'}))
    assert 'is not a project name' in bad and not (settings.data_dir/'up').exists()
    job = call('lbc-job.data', {'lb-create.n_clicks': 1, 'lb-name.value': 'tiny', 'lb-start.value': 2,
                                'lb-poolsize.value': 12})['lbc-job']['data']
    jobs.wait(job)
    created = json.dumps(call('lbc-msg.children', {'lbc-job.data': job}))
    assert 'created project tiny: 12 images in its pool' in created
    assert client.get('/label').status_code == 200
    page = json.dumps(call('page.children', {'url.pathname': '/label'}))
    assert 'tiny: labelled malignant: 2' in page and 'Press Suggest' in page, page
    job = call('lbs-job.data', {'lb-suggest.n_clicks': 1, 'lb-project.value': 'tiny', 'lb-strategy.value': 'typiclust',
                                'lb-k.value': 4})['lbs-job']['data']
    jobs.wait(job)
    grid = json.dumps(call('lbs-msg.children', {'lbs-job.data': job}))
    p = read_project(settings, 'tiny')
    assert grid.count('"lb-pick"') == 4 * (len(p['classes']) + 1) and p['suggested']['images'][0] in grid
    truth = load_medmnist_labels()
    for f in p['suggested']['images']:
        label_pick(settings, [1], 'tiny', {'type': 'lb-pick', 'image': f, 'cls': p['classes'][truth[int(f[:5])]]})
    p = read_project(settings, 'tiny')
    assert sum(map(len, p['labelled'].values())) == 8 and len(p['pool']) == 8
    job = call('lbr-job.data', {'lb-retrain.n_clicks': 1, 'lb-project.value': 'tiny'})['lbr-job']['data']
    jobs.wait(job)
    curve = json.dumps(call('lbr-msg.children', {'lbr-job.data': job}))
    assert '"lb-curve"' in curve and 'validation AUC' in curve
    rounds = label_rounds(settings, 'tiny')
    assert rounds.n_labelled.tolist() == [8] and 0 <= rounds.val_auc[0] <= 1
    assert (settings.runs_dir/'label-tiny'/rounds.run_id[0]/'models').is_dir()      # the round's models are kept


def load_medmnist_labels():
    from latentlab.data import load_medmnist
    return load_medmnist('breastmnist', 28)['train'].labels
