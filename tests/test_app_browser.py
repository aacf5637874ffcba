"""The app in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`) driven by selenium clicks
through every page: a hover thumbnail, a click panel, the live interpolation slider, generated samples, a guided
trajectory, the benchmark, a report and a re-run, a zip upload with bad files, and classifying dropped images.

Screenshots of each page are saved in $LATENTLAB_ARTIFACTS (default .cache/artifacts/app, git-ignored).
Skipped with a reason when Chromium, its driver or selenium are missing: `apt-get install -y chromium chromium-driver`.
"""
import io
import os
import shutil
import threading
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
from selenium.webdriver.common.action_chains import ActionChains   # noqa: E402
from selenium.webdriver.common.by import By                        # noqa: E402
from selenium.webdriver.common.keys import Keys                    # noqa: E402
from selenium.webdriver.support import expected_conditions as EC   # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait            # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get('LATENTLAB_ARTIFACTS', ROOT/'.cache'/'artifacts'/'app'))
WAIT = 180   # seconds: a busy 2-core CI machine encodes and fits slowly


def breast_zip(path, n_per_class=30, bad=True):
    "A zip of BreastMNIST test images (28 px) as PNGs in class folders, with a truncated PNG and a text file if `bad`."
    from latentlab.data import load_medmnist
    test = load_medmnist('breastmnist', 28)['test']
    with zipfile.ZipFile(path, 'w') as zf:
        for k, c in enumerate(['malignant', 'benign']):
            for i in np.flatnonzero(test.labels == k)[:n_per_class]:
                buf = io.BytesIO(); Image.fromarray(test.images[i]).save(buf, 'PNG')
                zf.writestr(f'breast/{c}/{i:04d}.png', buf.getvalue())
        if bad:
            zf.writestr('breast/benign/truncated.png', buf.getvalue()[:40])
            zf.writestr('breast/malignant/readme.txt', b'exported from BreastMNIST')
    return path


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    "A prepared data folder (BreastMNIST sample, TAESD at 64 px, a trained logreg, two run records) served on a free port."
    from werkzeug.serving import make_server
    from latentlab.app.jobs import Jobs
    from latentlab.app.server import create_app
    from latentlab.app.settings import AppSettings, import_zip
    from latentlab.app.views import prepare_view
    from latentlab.experiments import RunRecord, run_experiment
    tmp = tmp_path_factory.mktemp('app')
    settings = AppSettings(tmp/'data', runs_dir=tmp/'runs', job_mode='thread', projections=('pca', 'tsne'))
    import_zip(settings, breast_zip(tmp/'breast.zip'), 'breast')
    prepare_view(settings, 'imported:breast', 'taesd', 64)
    jobs = Jobs(settings)
    jobs.wait(jobs.start('train', dict(dataset='imported:breast', autoencoder='taesd', resolution=64, classifier='logreg')))
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


@pytest.fixture(scope='module')
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    o = Options()
    for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-dev-shm-usage', '--window-size=1400,1000'):
        o.add_argument(flag)
    o.binary_location = CHROMIUM
    d = webdriver.Chrome(service=Service(DRIVER), options=o)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield d
    d.quit()


def wait(d, css, timeout=WAIT, text=None, count=None):
    "The elements matching `css` once they are visible (with `text` in the first, or at least `count` of them)."
    def ready(_):
        els = d.find_elements(By.CSS_SELECTOR, css)
        if not els or not els[0].is_displayed(): return False
        if text is not None and text not in els[0].text: return False
        if count is not None and len(els) < count: return False
        return els
    return WebDriverWait(d, timeout, poll_frequency=0.3).until(ready, message=f'{css} (text {text!r}, count {count}) did not appear')


def go(d, page):
    "Open a page by clicking its link in the header (the app routes without reloading)."
    wait(d, f'#nav-{page}')[0].click()
    WebDriverWait(d, 60).until(lambda _: d.execute_script('return window.location.pathname') == ('/' if page == 'home' else f'/{page}'))


def shot(d, name):
    d.save_screenshot(str(ARTIFACTS/f'{name}.png'))


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
    assert 'PSNR' in wait(d, '#ex-tip .cap')[0].text
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


def test_guided_generation_shows_the_trajectory(server, browser):
    d = browser
    go(d, 'guided')
    wait(d, '#gd-start-view img')
    d.find_element(By.ID, 'gd-run').click()
    imgs = wait(d, '#gd-trajectory img', count=7)
    assert len(imgs) == 7 and 'P(target)' in d.find_element(By.ID, 'gd-out').text
    wait(d, '#gd-curves .scatterlayer .trace')
    shot(d, 'guided')


def test_benchmark_shows_records_and_curves(server, browser):
    d = browser
    go(d, 'benchmark')
    wait(d, '#bm-curves .scatterlayer .trace')
    rows = wait(d, '#bm-table tbody tr', count=3)                            # header + the two records' latent/logreg rows
    assert any('latent' in r.text for r in rows)
    shot(d, 'benchmark')


def test_runs_open_a_report_and_rerun(server, browser):
    d = browser
    go(d, 'runs')
    wait(d, '#rn-table tbody tr', count=3)
    d.find_element(By.ID, 'rn-open').click()
    frame = wait(d, '#rn-report')[0]
    d.switch_to.frame(frame)
    assert 'run ' in wait(d, 'h1')[0].text
    d.switch_to.default_content()
    d.find_element(By.ID, 'rn-rerun').click()
    compare = wait(d, '#rn-compare', text='metrics')[0].text
    assert 'MATCH' in compare and 'code and packages: the same as the original run' in compare, compare
    shot(d, 'runs')


def test_classify_dropped_images(server, browser):
    d = browser
    go(d, 'classify')
    wait(d, '#cl-model-status', text='logreg trained')
    from latentlab.data import load_medmnist
    test = load_medmnist('breastmnist', 28)['test']
    paths = []
    for name, img in (('scan.png', test.images[-1]), ('noise.png', np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))):
        Image.fromarray(img).save(server['tmp']/name); paths.append(str(server['tmp']/name))
    d.find_element(By.CSS_SELECTOR, '#cl-upload input[type=file]').send_keys('\n'.join(paths))
    cards = wait(d, '#cl-cards .result', count=2)
    # the browser reads the dropped files asynchronously, so the cards may come in either order: find each by name
    by_name = {name: next(c for c in cards if c.text.startswith(name)) for name in ('scan.png', 'noise.png')}
    assert 'nearest training images' in by_name['scan.png'].text
    assert len(by_name['scan.png'].find_elements(By.CSS_SELECTOR, 'img')) == 6   # the image and its 5 nearest training images
    assert 'unusual for this dataset' in by_name['noise.png'].text               # RGB noise is flagged out of distribution
    shot(d, 'classify')


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
    skipped = wait(d, '#up-skipped')[0].text
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
    assert "'..' in a path" in wait(d, '#up-out .notice.error')[0].text
    assert not (server['settings'].data_dir/'datasets'/'evil').exists()
    shot(d, 'data-refused')
