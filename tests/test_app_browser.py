"""The app in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`) driven by selenium clicks
through every page: a hover thumbnail, a click panel, the live interpolation slider, generated samples, a guided
trajectory, the benchmark, a report and a re-run, a zip upload with bad files, classifying dropped images with a run's
model, two rounds of labelling on the Label page (issue 25), and (issue 28) a big import followed on every page, kept across a reload, joined instead of repeated and
cancelled, refusals that come at once as one sentence, and the server's memory while it classifies a 6000 px photo.

Screenshots of each page are saved in $LATENTLAB_ARTIFACTS (default .cache/artifacts/app, git-ignored); with
$LATENTLAB_EVIDENCE set, the ones that show issue 28's fixes are also saved there (docs/evidence/app).
Skipped with a reason when Chromium, its driver or selenium are missing: `apt-get install -y chromium chromium-driver`.
"""
import gc
import io
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
DRIVER = shutil.which('chromedriver')
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                 reason='headless browser tests need Chromium and its driver: apt-get install -y chromium chromium-driver')
webdriver = pytest.importorskip('selenium.webdriver', reason='browser tests need selenium (pip install selenium)')
from selenium.common.exceptions import StaleElementReferenceException   # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains   # noqa: E402
from selenium.webdriver.common.by import By                        # noqa: E402
from selenium.webdriver.common.keys import Keys                    # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait            # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get('LATENTLAB_ARTIFACTS', ROOT/'.cache'/'artifacts'/'app'))
EVIDENCE = Path(os.environ['LATENTLAB_EVIDENCE']) if os.environ.get('LATENTLAB_EVIDENCE') else None
WAIT = 180   # seconds: a busy 2-core CI machine encodes and fits slowly


def breast_zip(path, n_per_class=30, bad=True, split='test'):
    "A zip of BreastMNIST images (28 px) as PNGs in class folders, with a truncated PNG and a text file if `bad`."
    from latentlab.data import load_medmnist
    data = load_medmnist('breastmnist', 28)[split]
    with zipfile.ZipFile(path, 'w') as zf:
        for k, c in enumerate(['malignant', 'benign']):
            for i in np.flatnonzero(data.labels == k)[:n_per_class]:
                buf = io.BytesIO(); Image.fromarray(data.images[i]).save(buf, 'PNG')
                zf.writestr(f'breast/{c}/{i:04d}.png', buf.getvalue())
        if bad:
            zf.writestr('breast/benign/truncated.png', buf.getvalue()[:40])
            zf.writestr('breast/malignant/readme.txt', b'exported from BreastMNIST')
    return path


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    "A prepared data folder (BreastMNIST sample, TAESD at 64 px, three run records that keep models) on a free port."
    from werkzeug.serving import make_server
    from latentlab.app.server import create_app
    from latentlab.app.settings import AppSettings, import_zip
    from latentlab.app.views import prepare_view
    from latentlab.experiments import RunRecord, run_experiment
    tmp = tmp_path_factory.mktemp('app')
    settings = AppSettings(tmp/'data', runs_dir=tmp/'runs', job_mode='thread', projections=('pca', 'tsne'),
                           diffusion_steps=40)   # the Guided page's SDEdit model: a demo-sized one
    import_zip(settings, breast_zip(tmp/'breast.zip'), 'breast')
    prepare_view(settings, 'imported:breast', 'taesd', 64)
    # the Classify page's model: every BreastMNIST training image, TAESD latents at 64 px (the view's feature space)
    run_experiment(dict(dataset='breastmnist', size=28, autoencoder='taesd', resolution=64, features=['latent'],
                        classifiers=['logreg'], n_boot=20, experiment='classify'), root=settings.runs_dir, progress=False)
    npz = settings.data_dir/'datasets'/'breast'/'dataset.npz'
    for n in (5, 10):
        rec = run_experiment(dict(dataset=str(npz), resolution=64, features=['latent'], classifiers=['logreg'], n_boot=50,
                                  n_per_class=n, experiment='browser'), root=settings.runs_dir, progress=False)
        # the record's own test table, rendered: what `latentlab report` leaves as report.html
        (rec.path/'report.html').write_text(f'<html><body><h1>run {rec.run_id}</h1>{RunRecord.load(rec.path).table().to_html()}</body></html>')
    srv = make_server('127.0.0.1', 0, create_app(settings).server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield dict(url=f'http://127.0.0.1:{srv.server_port}', settings=settings, tmp=tmp)
    srv.shutdown()


def chrome(size='1400,1000'):
    "A headless Chromium (no sandbox, no GPU) of window `size`."
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    o = Options()
    for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-dev-shm-usage', f'--window-size={size}'):
        o.add_argument(flag)
    o.binary_location = CHROMIUM
    return webdriver.Chrome(service=Service(DRIVER), options=o)


@pytest.fixture(scope='module')
def browser(server):
    d = chrome()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if EVIDENCE: EVIDENCE.mkdir(parents=True, exist_ok=True)
    d.get(server['url'] + '/')                                               # every test starts from a page of the app
    yield d
    d.quit()


def _look(d, css, timeout, text, count):
    "Poll until the first element matching `css` is visible (with `text` in it; `count` of them): (elements, its text)."
    def ready(_):
        try:
            els = d.find_elements(By.CSS_SELECTOR, css)
            if not els or not els[0].is_displayed(): return False
            first = els[0].text
            if text is not None and text not in first: return False
        except StaleElementReferenceException: return False                  # redrawn while we looked
        if count is not None and len(els) < count: return False
        return els, first
    return WebDriverWait(d, timeout, poll_frequency=0.3).until(ready, message=f'{css} (text {text!r}, count {count}) did not appear')


def wait(d, css, timeout=WAIT, text=None, count=None):
    "The elements matching `css` once they are visible (with `text` in the first, or at least `count` of them)."
    return _look(d, css, timeout, text, count)[0]


def read(d, css, timeout=WAIT, text=None) -> str:
    "The text of the first visible element matching `css` (with `text` in it), read in the look that found it."
    return _look(d, css, timeout, text, None)[1]


def click(d, css, timeout=WAIT):
    "Click the first visible element matching `css`, looking again if it is redrawn (a polled list) before the click lands."
    def press(_):
        try:
            els = d.find_elements(By.CSS_SELECTOR, css)
            if not els or not els[0].is_displayed(): return False
            els[0].click()
            return True
        except StaleElementReferenceException: return False
    WebDriverWait(d, timeout, poll_frequency=0.3).until(press, message=f'{css} could not be clicked')


def text_of(d, css) -> str:
    "The text of the first element matching `css`, or '' (none yet, or redrawn while we read it)."
    try:
        els = d.find_elements(By.CSS_SELECTOR, css)
        return els[0].text if els else ''
    except StaleElementReferenceException: return ''


def drop(d, upload, *paths):
    "Drop files on the `dcc.Upload` with id `upload` (its file input emptied first: Chrome adds to what it holds)."
    field = d.find_element(By.CSS_SELECTOR, f'#{upload} input[type=file]')
    d.execute_script("arguments[0].value = ''", field)
    field.send_keys('\n'.join(map(str, paths)))


def card_of(d, name, timeout=WAIT):
    "The Classify result card of image `name`, once it is there."
    def find(_):
        try: return next((c for c in d.find_elements(By.CSS_SELECTOR, '#cl-cards .result') if c.text.startswith(name)), False)
        except StaleElementReferenceException: return False
    return WebDriverWait(d, timeout, poll_frequency=0.3).until(find, message=f'no result card for {name}')


def go(d, page):
    "Open a page by clicking its link in the header (the app routes without reloading)."
    wait(d, f'#nav-{page}')[0].click()
    WebDriverWait(d, 60).until(lambda _: d.execute_script('return window.location.pathname') == ('/' if page == 'home' else f'/{page}'))


def shot(d, name, evidence=False):
    d.save_screenshot(str(ARTIFACTS/f'{name}.png'))
    if evidence and EVIDENCE: d.save_screenshot(str(EVIDENCE/f'{name}.png'))


def choose(d, menu, text):
    "Choose the option containing `text` in the Dash dropdown `menu` (Dash 4: a button opening a list of options)."
    wait(d, f'#{menu}')[0].click()
    def option(_):
        for o in d.find_elements(By.CSS_SELECTOR, '.dash-dropdown-content [role=option]'):
            try:
                if text in o.text: return o
            except StaleElementReferenceException: return False
        return False
    WebDriverWait(d, 30, poll_frequency=0.3).until(option, message=f'no option {text!r} in #{menu}').click()
    WebDriverWait(d, 30).until(lambda _: text in d.find_element(By.ID, menu).text)


def test_home_lists_every_dashboard(server, browser):
    d = browser
    d.get(server['url'] + '/')
    for page in ('explorer', 'playground', 'guided', 'benchmark', 'runs', 'data', 'classify'):
        wait(d, f'#card-{page}')
    wait(d, '#view-status', text='ready: 60 images')
    assert 'breast' in d.find_element(By.ID, 'sel-dataset').text
    shot(d, 'home')


def test_explorer_hover_thumbnail_and_click_panel(server, browser):
    d = browser
    go(d, 'explorer')
    points = wait(d, '#ex-graph .scatterlayer .point', count=60)
    pt = points[len(points) // 2]
    ActionChains(d).move_to_element(pt).perform()
    tip = wait(d, '#ex-tip-img')[0]
    assert tip.get_attribute('src').startswith('data:image/png;base64,')
    assert 'PSNR' in read(d, '#ex-tip .cap')
    shot(d, 'explorer-hover')
    ActionChains(d).move_to_element(pt).click().perform()
    table = wait(d, '#ex-detail-table', text='PSNR')[0]
    assert 'OOD' in table.text and len(d.find_elements(By.CSS_SELECTOR, '#ex-detail img')) == 3
    d.find_element(By.XPATH, "//*[@id='ex-proj']//label[contains(., 'TSNE')]").click()
    wait(d, '#ex-graph .gtitle', text='TSNE')
    shot(d, 'explorer')


def test_playground_slider_decodes_live_and_samples(server, browser):
    d = browser
    go(d, 'playground')
    cap = wait(d, '#pg-mix-cap', text='t = 0.50')[0]
    before = d.find_element(By.ID, 'pg-mix').get_attribute('src')
    assert before.startswith('data:image/png;base64,')
    thumb = d.find_element(By.CSS_SELECTOR, '#pg-t [role=slider]')
    d.execute_script('arguments[0].focus()', thumb)
    for _ in range(4): thumb.send_keys(Keys.ARROW_RIGHT)                    # 0.5 -> 0.7
    wait(d, '#pg-mix-cap', text='t = 0.70')
    after = d.find_element(By.ID, 'pg-mix').get_attribute('src')
    assert after != before and 'P(benign)' in cap.text
    d.find_element(By.ID, 'pg-generate').click()
    table = wait(d, '#pg-measures', text='discriminator AUC')[0]
    assert 'memorisation' in table.text
    assert len(d.find_elements(By.CSS_SELECTOR, '#pg-samples img')) == 16    # 8 per class, decoded
    shot(d, 'playground')


def test_pages_that_need_a_view_say_why_they_are_empty(server, browser):
    "Issue 28: the playground showed three blank boxes and no notice before its view existed."
    d = browser
    go(d, 'playground')
    choose(d, 'sel-res', '128')                                             # a view nobody prepared
    said = read(d, '#view-notice .notice', text='not prepared yet')
    assert 'Prepare this view' in said and not d.find_element(By.ID, 'page').is_displayed()
    assert d.find_element(By.ID, 'view-prepare').is_displayed()
    shot(d, 'playground-not-ready', evidence=True)
    choose(d, 'sel-res', '64')
    wait(d, '#pg-mix-cap', text='t = ')
    assert not d.find_elements(By.CSS_SELECTOR, '#view-notice .notice')


def test_guided_generation_shows_the_trajectory(server, browser):
    d = browser
    go(d, 'guided')
    wait(d, '#gd-start-view img')
    d.find_element(By.ID, 'gd-run').click()
    imgs = wait(d, '#gd-trajectory img', count=7)
    out = d.find_element(By.ID, 'gd-out').text
    assert len(imgs) == 7 and 'toward malignant: P(malignant)' in out, out         # the class by its name
    wait(d, '#gd-curves .scatterlayer .trace')
    shot(d, 'guided')
    d.find_element(By.ID, 'sd-run').click()                      # SDEdit variations of the same start image
    variations = wait(d, '#sd-variations img', count=7, timeout=240)
    out = d.find_element(By.ID, 'sd-out').text
    assert len(variations) == 7 and 'edited at strength 0.50' in out and 'original #' in out, out
    d.execute_script('arguments[0].scrollIntoView()', d.find_element(By.ID, 'sd-strength'))
    shot(d, 'guided-sdedit', evidence=True)


def test_benchmark_shows_records_and_curves(server, browser):
    d = browser
    go(d, 'benchmark')
    wait(d, '#bm-curves .scatterlayer .trace')
    rows = wait(d, '#bm-table tbody tr', count=3)                            # header + the records' latent/logreg rows
    assert any('latent' in r.text for r in rows)
    shot(d, 'benchmark')


def test_runs_open_a_report_and_rerun(server, browser):
    d = browser
    go(d, 'runs')
    rows = wait(d, '#rn-table tbody tr', count=4)                            # header + three records
    heads = [h.text for h in d.find_elements(By.CSS_SELECTOR, '#rn-table th.dash-header')][:8]
    assert [h for h in heads if h][:6] == ['run_id', 'experiment', 'best model', 'val auc', 'test auc', 'test acc'], heads
    shot(d, 'runs-table', evidence=True)
    d.find_element(By.ID, 'rn-open').click()
    frame = wait(d, '#rn-report')[0]
    d.switch_to.frame(frame)
    assert 'run ' in read(d, 'h1')
    d.switch_to.default_content()
    d.find_element(By.ID, 'rn-rerun').click()
    # the jobs line follows it: running, or already done (a small record re-runs in under a second)
    WebDriverWait(d, WAIT, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: any('re-run of' in e.text for e in d.find_elements(By.CSS_SELECTOR, '.jobs .job')),
        message='the re-run never appeared in the jobs line')
    compare = read(d, '#rn-compare', text='metrics')
    assert 'MATCH' in compare and 'code and packages: the same as the original run' in compare, compare
    wait(d, '#rn-table tbody tr', count=len(rows) + 1)                       # the new record, without a reload
    shot(d, 'runs')


def test_classify_with_a_runs_model(server, browser):
    "Issue 25: the page classifies with a model a run record kept; issue 28: class names, a calibrated OOD cut."
    d = browser
    go(d, 'classify')
    assert 'latent/logreg' in read(d, '#cl-model')
    choose(d, 'cl-model', 'classify/')                                       # the model trained on all of BreastMNIST
    info = read(d, '#cl-model-info', text='taesd latents')
    assert 'nearest training images of the view above are shown' in info and 'quantile of its validation' in info
    from latentlab.data import load_medmnist
    test = load_medmnist('breastmnist', 28)['test']
    paths = []
    for name, img in (('scan-a.png', test.images[-1]), ('scan-b.png', test.images[-2]),
                      ('noise.gif', np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))):
        Image.fromarray(img).save(server['tmp']/name); paths.append(str(server['tmp']/name))
    drop(d, 'cl-upload', *paths)
    # the browser reads the dropped files asynchronously, so the cards may come in either order: find each by name
    by_name = {name: card_of(d, name) for name in ('scan-a.png', 'scan-b.png', 'noise.gif')}
    for scan in ('scan-a.png', 'scan-b.png'):                               # real test images: not flagged
        text = by_name[scan].text
        assert 'like the images this model was trained on' in text and 'unlike' not in text, text
        assert 'normal, benign' in text and 'malignant' in text and "the model's threshold" in text   # class names
        assert len(by_name[scan].find_elements(By.CSS_SELECTOR, 'img')) == 6   # the image and its 5 nearest training images
    assert 'unlike the images this model was trained on' in by_name['noise.gif'].text   # a GIF of RGB noise: flagged
    shot(d, 'classify', evidence=True)


def _rss_mb(field='VmRSS'):
    return int(next(l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith(field)).split()[1]) / 1024


def test_classify_a_6000px_jpeg_keeps_the_server_memory_bounded(server, browser):
    "Issue 28: one 6000 x 6000 JPEG raised the server's memory by about 1 GB. The server runs in this process."
    d = browser
    go(d, 'classify')
    choose(d, 'cl-model', 'classify/')
    wait(d, '#cl-model-info', text='taesd latents')
    photo = server['tmp']/'photo-6000.jpg'
    grad = Image.linear_gradient('L').resize((6000, 6000))
    Image.merge('RGB', (grad, Image.effect_noise((6000, 6000), 40), grad.transpose(Image.Transpose.ROTATE_90))).save(
        photo, 'JPEG', quality=90)
    del grad; gc.collect()
    big = server['tmp']/'huge.png'
    Image.new('L', (9000, 9000)).save(big)                                   # 81 megapixels: refused from its header
    base = _rss_mb()
    Path('/proc/self/clear_refs').write_text('5')                            # reset the peak (VmHWM) to now
    drop(d, 'cl-upload', photo, big)
    card = card_of(d, 'photo-6000.jpg')
    refused = read(d, '#cl-results .notice.error', text='huge.png')
    peak = _rss_mb('VmHWM')
    print(f'6000x6000 JPEG ({photo.stat().st_size / 1e6:.1f} MB) and a 9000x9000 PNG: server RSS {base:.0f} MB before, '
          f'peak {peak:.0f} MB (+{peak - base:.0f} MB)')
    assert 'OOD score' in card.text
    assert refused == 'huge.png is 9000 x 9000 pixels; images over 50 megapixels are refused: send a smaller copy'
    assert peak - base < 300, (base, peak)                                   # the stated bound: +300 MB for this request
    shot(d, 'classify-big-photo', evidence=True)


def test_bring_your_data_upload_with_bad_files(server, browser):
    d = browser
    go(d, 'data')
    z = breast_zip(server['tmp']/'my-upload.zip', n_per_class=20)
    wait(d, '#up-zip')                                                        # the page has drawn itself
    d.find_element(By.CSS_SELECTOR, '#up-zip input[type=file]').send_keys(str(z))
    wait(d, '#up-file', text='ready to import my-upload.zip')
    assert d.find_element(By.ID, 'up-name').get_attribute('value') == 'my-upload'
    d.find_element(By.ID, 'up-import').click()
    wait(d, '#up-progress')                                                   # the progress bar is visible while it works
    counts = wait(d, '#up-counts', text='benign')[0]
    skipped = read(d, '#up-skipped')
    assert 'breast/benign/truncated.png' in skipped and 'breast/malignant/readme.txt' in skipped and 'not an image file' in skipped
    assert 'staging' not in skipped                                           # paths as the user knows them
    assert 'my-upload' in d.find_element(By.ID, 'up-list').text
    wait(d, '#sel-dataset', text='my-upload')                                 # every page now works on it
    wait(d, '#view-status', text='ready: 40 images')
    shot(d, 'data')
    slip = server['tmp']/'slip.zip'
    with zipfile.ZipFile(slip, 'w') as zf: zf.writestr('../../evil.png', b'x')
    d.find_element(By.CSS_SELECTOR, '#up-zip input[type=file]').send_keys(str(slip))
    name = d.find_element(By.ID, 'up-name')
    name.send_keys(Keys.CONTROL, 'a'); name.send_keys(Keys.DELETE); name.send_keys('evil')
    WebDriverWait(d, 30).until(lambda _: name.get_attribute('value') == 'evil')
    d.find_element(By.ID, 'up-import').click()
    assert "holds a path with '..' (../../evil.png)" in read(d, '#up-out .notice.error')
    assert not (server['settings'].data_dir/'datasets'/'evil').exists()
    shot(d, 'data-refused')


def _set_name(d, value):
    name = d.find_element(By.ID, 'up-name')
    name.send_keys(Keys.CONTROL, 'a'); name.send_keys(Keys.DELETE); name.send_keys(value)
    WebDriverWait(d, 30).until(lambda _: name.get_attribute('value') == value)


def test_refusals_come_at_once_as_one_sentence_naming_the_users_file(server, browser):
    "Issue 28: a ratio bomb refused before anything is written; a zip of broken GIFs: one sentence, no server paths."
    d = browser
    settings = server['settings']
    go(d, 'data')
    wait(d, '#up-zip')
    bomb = server['tmp']/'scans-bomb.zip'
    with zipfile.ZipFile(bomb, 'w', zipfile.ZIP_DEFLATED) as zf:
        with zf.open('scans/a/big.png', 'w', force_zip64=True) as f:
            for _ in range(24): f.write(b'\0' * 2**24)                       # 400 MB of zeros in a 0.4 MB zip
        zf.writestr('scans/b/1.png', b'1')
    jobs_before = len(list((settings.data_dir/'jobs').iterdir()))
    d.find_element(By.CSS_SELECTOR, '#up-zip input[type=file]').send_keys(str(bomb))
    wait(d, '#up-file', text='ready to import scans-bomb.zip')
    _set_name(d, 'bomb')
    d.find_element(By.ID, 'up-import').click()
    said = read(d, '#up-out .notice.error', text='scans-bomb.zip was refused')
    assert 'would unpack to 402.7 MB' in said and 'times its packed size' in said and '\n' not in said, said
    assert len(list((settings.data_dir/'jobs').iterdir())) == jobs_before       # no job was started
    for sub in ('staging', 'uploads'): assert list((settings.data_dir/sub).iterdir()) == [], sub
    shot(d, 'refusal-bomb', evidence=True)
    gifs = server['tmp']/'old scans.zip'
    with zipfile.ZipFile(gifs, 'w') as zf:
        for c in ('benign', 'malignant'):
            for i in range(3): zf.writestr(f'scans/{c}/{i}.gif', b'GIF89a and then nothing an image needs')
    d.find_element(By.CSS_SELECTOR, '#up-zip input[type=file]').send_keys(str(gifs))
    wait(d, '#up-file', text='ready to import old scans.zip')
    _set_name(d, 'old-scans')
    d.find_element(By.ID, 'up-import').click()
    said = read(d, '#up-out .notice.error', text='old scans.zip was not imported: none of its images could be read')
    assert '\n' not in said and 'Error' not in said and str(settings.data_dir) not in said and 'staging' not in said, said
    assert 'scans/benign/0.gif' in said                                       # one of the user's own files, by name
    assert not (settings.data_dir/'datasets'/'old-scans').exists()
    shot(d, 'refusal-gifs', evidence=True)


def test_a_big_import_is_followed_everywhere_joined_kept_across_a_reload_and_cancelled(server, browser):
    "Issue 28: one job per view however often it is asked for, progress on every page and after a reload, Cancel."
    from latentlab.app.jobs import Jobs
    d = browser
    settings = server['settings']
    go(d, 'data')
    z = breast_zip(server['tmp']/'big.zip', n_per_class=400, bad=False, split='train')   # all 546 training images
    wait(d, '#up-zip')
    d.find_element(By.CSS_SELECTOR, '#up-zip input[type=file]').send_keys(str(z))
    wait(d, '#up-file', text='ready to import big.zip')
    _set_name(d, 'big')
    choose(d, 'up-res', '64')
    d.find_element(By.ID, 'up-import').click()
    wait(d, '.jobs .job.running', text='import of big')
    wait(d, '#sel-dataset', text='big (')                                     # the menus switch to its view at once
    # the view it prepares is being prepared: no "Prepare this view" to press a second time, on any page
    status = read(d, '#view-status', text='preparing:')
    assert not d.find_element(By.ID, 'view-prepare').is_displayed(), status
    go(d, 'explorer')
    assert 'being prepared in the background' in read(d, '#view-notice .notice')
    WebDriverWait(d, WAIT).until(lambda _: 'encoding' in text_of(d, '.jobs .job.running'))
    line = text_of(d, '.jobs .job.running')
    assert 'import of big' in line and 'Cancel' in line and '%' in line, line
    assert 'big (preparing' in text_of(d, '#sel-dataset')
    active = Jobs(settings).list(active=True)
    assert [j['title'] for j in active] == ['import of big'], active          # one job for the import and its view
    shot(d, 'jobs-mid-import', evidence=True)
    d.refresh()                                                               # a reload keeps the progress
    wait(d, '.jobs .job.running', text='import of big')
    go(d, 'data')
    wait(d, '#up-progress')                                                   # the page's own bar, from the tab's session
    click(d, '.jobs .job.running button.cancel')                              # the list is redrawn as it polls
    said = read(d, '.jobs .job.cancelled', text='import of big')
    assert 'cancelled: nothing it was making was kept' in said
    wait(d, '#up-out .notice', text='import of big was cancelled')
    shot(d, 'jobs-after-cancel', evidence=True)
    assert Jobs(settings).list(active=True) == []
    for sub in ('datasets', 'views', 'staging', 'uploads'):                   # nothing half-written, not even hidden
        left = sorted(p.name for p in (settings.data_dir/sub).iterdir() if 'big' in p.name or p.name.startswith('.'))
        assert left == [], (sub, left)
    assert not (settings.data_dir/'datasets'/'big').exists()
    assert 'big' not in text_of(d, '#up-list')                               # the list of imported datasets too
    WebDriverWait(d, 30).until(lambda _: 'big' not in text_of(d, '#sel-dataset'))


@pytest.fixture
def label_app(tmp_path):
    "An empty data folder served on a free port (the Label page reads BreastMNIST from the assets), and a browser."
    from werkzeug.serving import make_server
    from latentlab.app.server import create_app
    from latentlab.app.settings import AppSettings
    settings = AppSettings(tmp_path/'data', runs_dir=tmp_path/'runs', job_mode='thread', projections=('pca',))
    srv = make_server('127.0.0.1', 0, create_app(settings).server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    d = chrome('1400,1700')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if EVIDENCE: EVIDENCE.mkdir(parents=True, exist_ok=True)
    yield dict(url=f'http://127.0.0.1:{srv.server_port}', settings=settings, d=d)
    d.quit()
    srv.shutdown()


def label_cards(d, answer) -> list:
    "Press `answer(name)` (a class, or 'Skip') on every suggested image, one click each; the images' names in order."
    done = []
    while True:
        try:
            cards = d.find_elements(By.CSS_SELECTOR, '#lb-cards .lb-card')
            if not cards: return done
            name = cards[0].find_element(By.CSS_SELECTOR, '.cap').text
            want = answer(name)
            next(b for b in cards[0].find_elements(By.TAG_NAME, 'button') if b.text == want).click()
        except StaleElementReferenceException: continue                       # redrawn while we looked
        WebDriverWait(d, 60, poll_frequency=0.2).until(lambda _: name not in text_of(d, '#lbs-out'),
                                                       message=f'{name} stayed after {want} was pressed')
        done.append(name)


def curve_points(d) -> int:
    "How many points the Label page's curve draws per line (its first line, validation AUC); 0 while it is not drawn."
    return len(d.find_elements(By.CSS_SELECTOR, '#lb-curve .scatterlayer .trace:first-child .point'))


def test_label_two_rounds_in_the_browser(label_app):
    "Issue 25: a project from BreastMNIST, two rounds of suggest / one click per image / Retrain, the curve's 2 points."
    from latentlab.app.label import read_project
    from latentlab.data import load_medmnist
    d, settings = label_app['d'], label_app['settings']
    train = load_medmnist('breastmnist', 28)['train']
    truth = lambda name: train.classes[train.labels[int(name[:5])]]       # the user knows each image's class
    d.get(label_app['url'] + '/label')
    choose(d, 'sel-dataset', 'breastmnist (28 px)')
    choose(d, 'sel-ae', 'taesd')                                             # fast on a 2-core machine
    choose(d, 'sel-res', '64')
    wait(d, '#lb-name')[0].send_keys('breast')                              # no project yet: the form is open
    d.find_element(By.ID, 'lb-poolsize').send_keys('80')
    d.find_element(By.ID, 'lb-create').click()
    wait(d, '#lb-status', text='breast: labelled malignant: 2')
    assert 'Press Suggest' in read(d, '#lbs-out .notice')
    skipped = []
    for r in (1, 2):
        d.find_element(By.ID, 'lb-suggest').click()
        cards = wait(d, '#lb-cards .lb-card', count=8)
        assert len(cards[0].find_elements(By.TAG_NAME, 'button')) == 3         # malignant, normal/benign, Skip
        shot(d, f'label_suggested_round{r}', evidence=True)
        first = [True]
        def answer(name):
            if r == 2 and first[0]: first[0] = False; skipped.append(name); return 'Skip'
            return truth(name)
        names = label_cards(d, answer)
        assert len(names) == 8
        wait(d, '#lbs-out .notice', text='suggested images are labelled or skipped')
        d.find_element(By.ID, 'lb-retrain').click()
        WebDriverWait(d, WAIT, poll_frequency=0.5).until(lambda _: curve_points(d) == r,
                                                         message=f'the curve did not reach {r} points')
        assert len(d.find_elements(By.CSS_SELECTOR, '#lb-rounds tr')) == 1 + r            # a header, a row per round
        wait(d, '#lb-status', text=f"{r} round")
        shot(d, f'label_round{r}', evidence=True)
    assert [td.text for td in d.find_elements(By.CSS_SELECTOR, '#lb-rounds tr td:nth-child(2)')] == ['12', '19']
    p = read_project(settings, 'breast')
    assert sum(map(len, p['labelled'].values())) == 19 and p['skipped'] == skipped and len(p['pool']) == 80 - 16
    for c, files in p['labelled'].items(): assert all(truth(f) == c for f in files), c
    assert [r['n_labelled'] for r in p['rounds']] == [12, 19]
    records = sorted(q.name for q in (settings.runs_dir/'label-breast').iterdir())
    assert records == sorted(r['run_id'] for r in p['rounds'])                # a run record per round
    assert not d.find_elements(By.CSS_SELECTOR, '#lbr-out .notice.error, #lbs-out .notice.error')
