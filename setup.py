"""Packaging for latentlab, driven by settings.ini (nbdev 2 layout)."""
import shlex
import shutil
from configparser import ConfigParser
from pathlib import Path

import setuptools
from setuptools.command.build_py import build_py

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for o in expected: assert o in cfg, f"missing expected setting: {o}"
setup_cfg = {o: cfg[o] for o in cfg_keys}

licenses = {
    'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License'),
    'mit': ('MIT License', 'OSI Approved :: MIT License'),
}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
lic = licenses.get(cfg['license'].lower(), (cfg['license'], None))
min_python = cfg['min_python']



class build_py_with_templates(build_py):
    "Ship the report templates: copy nbs/reports/*.ipynb into the built package as latentlab/templates/ (package data)."
    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False): return     # an editable install reads nbs/reports/ in place
        src = Path(__file__).resolve().parent/'nbs'/'reports'
        templates = sorted(src.glob('*.ipynb'))
        if not templates: raise FileNotFoundError(f"no report templates in {src}: they must ship with the package")
        dst = Path(self.build_lib)/cfg['lib_name']/'templates'
        dst.mkdir(parents=True, exist_ok=True)
        for nb in templates: shutil.copy2(nb, dst/nb.name)


setuptools.setup(
    cmdclass={'build_py': build_py_with_templates},
    name=cfg['lib_name'],
    license=lic[0],
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()]
                + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]]
                + (['License :: ' + lic[1]] if lic[1] else []),
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=['latentlab', 'latentlab.*']),
    include_package_data=True,
    package_data={'latentlab.app': ['*.css']},   # the app's stylesheet (latentlab/app/app.css)
    install_requires=requirements,
    extras_require={'dev': dev_requirements},
    python_requires='>=' + min_python,
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={
        'console_scripts': cfg.get('console_scripts', '').split(),
        'nbdev': [f"{cfg.get('lib_path')}={cfg.get('lib_path')}._modidx:d"],
    },
    **setup_cfg)
