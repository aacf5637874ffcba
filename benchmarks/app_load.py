"""Load test of the latentlab app (issues 8 and 28): the pages' callbacks under N concurrent users, optionally while a
big import runs in the background.

Two ways to use this file:
* as a locustfile: `locust -f benchmarks/app_load.py --headless -u 20 -r 20 -t 30s --host http://127.0.0.1:8050`
  (LL_DATASET, LL_AUTOENCODER, LL_RESOLUTION name the prepared view to hit);
* as a script that runs locust in a second process and prints requests/s and latency percentiles per endpoint:
  `python benchmarks/app_load.py --host http://127.0.0.1:8050 --users 20 --time 30s`.
`benchmarks/app_load.sh` starts gunicorn with several workers, prepares the view if needed, and runs this.

Each simulated user is a person at the explorer (hovering points: a thumbnail each time; clicking: the detail panel;
switching the colouring: the whole figure), at the playground (moving the interpolation slider: a decode each
time), or going through the other pages (the shell with its dataset menu, the jobs line every open tab polls,
home, benchmark, runs, bring-your-data and classify pages, /health), with 0.2-1 s between actions. The requests are the exact POSTs the browser sends to /_dash-update-component,
built from the app's /_dash-dependencies by `latentlab.app.server.dash_payload`.
"""
import os
import random

try:
    from locust import HttpUser, between, task
except ImportError:   # the script part below still works: it only needs locust installed to run it
    HttpUser, between, task = object, (lambda a, b: None), (lambda *a, **k: (lambda f: f))

VIEW = {'sel-dataset.value': os.environ.get('LL_DATASET', 'medmnist:breastmnist:28'),
        'sel-ae.value': os.environ.get('LL_AUTOENCODER', 'taesd'),
        'sel-res.value': int(os.environ.get('LL_RESOLUTION', '64'))}
_SHARED = {}


class _DashUser(HttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)

    def on_start(self):
        if 'deps' not in _SHARED:
            _SHARED['deps'] = self.client.get('/_dash-dependencies', name='setup').json()
            views = self.client.get('/health', name='setup').json()['views_ready']
            match = [v for v in views if (v['dataset'], v['autoencoder'], v['resolution']) ==
                     (VIEW['sel-dataset.value'], VIEW['sel-ae.value'], VIEW['sel-res.value'])]
            if not match: raise RuntimeError(f"the view {VIEW} is not prepared on this server: prepare it first")
            _SHARED['n'] = match[0]['n']

    def call(self, output, values, name):
        from latentlab.app.server import dash_payload
        body = dash_payload(_SHARED['deps'], output, {**VIEW, **values})
        with self.client.post('/_dash-update-component', json=body, name=name, catch_response=True) as r:
            if r.status_code != 200 or 'response' not in r.text: r.failure(f'{r.status_code}: {r.text[:200]}')


class PagesUser(_DashUser):
    "A person going through the pages that do not need the view, with the jobs line polled as an open tab does."
    weight = 2

    @task(4)
    def jobs_line(self):
        self.call('jobs-seen.data', {'jobs-poll.n_intervals': random.randrange(1000)}, 'shell: jobs line (polled)')

    @task(2)
    def shell(self):
        with self.client.get('/_dash-layout', name='shell: layout (menus, jobs)', catch_response=True) as r:
            if r.status_code != 200: r.failure(str(r.status_code))

    @task(2)
    def page(self):
        path = random.choice(['/', '/benchmark', '/runs', '/data', '/classify'])
        self.call('page.children', {'url.pathname': path}, f'page {path}')

    @task(1)
    def health(self):
        self.client.get('/health', name='/health')


class ExplorerUser(_DashUser):
    @task(6)
    def hover(self):
        pt = {'customdata': random.randrange(_SHARED['n']), 'bbox': {'x0': 10, 'x1': 12, 'y0': 10, 'y1': 12}}
        self.call('ex-tip.show', {'ex-graph.hoverData': {'points': [pt]}}, 'explorer: hover thumbnail')

    @task(2)
    def click(self):
        self.call('ex-detail.children', {'ex-graph.clickData': {'points': [{'customdata': random.randrange(_SHARED['n'])}]}},
                  'explorer: click panel')

    @task(1)
    def recolour(self):
        self.call('ex-graph.figure', {'ex-proj.value': random.choice(['pca', 'tsne', 'umap']),
                                      'ex-color.value': random.choice(['class', 'split', 'psnr', 'ood'])}, 'explorer: figure')


class PlaygroundUser(_DashUser):
    @task
    def slide(self):
        a, b = random.sample(range(_SHARED['n']), 2)
        self.call('pg-mix.src', {'pg-a.value': a, 'pg-b.value': b, 'pg-t.value': round(random.random(), 2),
                                 'pg-method.value': random.choice(['linear', 'slerp']), 'pg-noise.value': 0},
                  'playground: interpolate + decode')


def main():
    import argparse, subprocess, sys, tempfile
    from pathlib import Path
    import pandas as pd
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--host', default='http://127.0.0.1:8050')
    p.add_argument('--users', type=int, default=20)
    p.add_argument('--time', default='30s')
    p.add_argument('--csv', default=None, help='keep locust CSVs with this prefix')
    a = p.parse_args()
    prefix = a.csv or str(Path(tempfile.mkdtemp())/'load')
    locust = Path(sys.executable).with_name('locust')
    cmd = [str(locust if locust.is_file() else 'locust'), '-f', __file__, '--headless', '-u', str(a.users), '-r', str(a.users),
           '-t', a.time, '--host', a.host, '--csv', prefix, '--only-summary', '--stop-timeout', '5']
    print('$', ' '.join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    st = pd.read_csv(f'{prefix}_stats.csv')
    st = st[st.Name != 'setup']
    cols = {'Name': 'endpoint', 'Request Count': 'requests', 'Failure Count': 'failures', 'Requests/s': 'req/s',
            '50%': 'p50 ms', '95%': 'p95 ms', '99%': 'p99 ms', 'Max Response Time': 'max ms'}
    print(f'\n{a.users} users, {a.time}, {a.host}:')
    print(st[list(cols)].rename(columns=cols).to_string(index=False, float_format='{:.1f}'.format))
    return rc


if __name__ == '__main__':
    raise SystemExit(main())
