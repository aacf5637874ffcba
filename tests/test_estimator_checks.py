"""scikit-learn's and imbalanced-learn's own estimator checks on every latentlab estimator and sampler.

Samplers get imbalanced-learn's sampler checks (`imblearn.utils.estimator_checks`) and its parameter-validation
check; the other estimators (the OOD scorer, the discriminators and their `SquareFeatures` step, the shared
logistic-regression recipe) get scikit-learn's `check_estimator` checks. Every skipped check is listed in
`EXPECTED_FAILED` with the reason. The instances are configured small (few optimisation or training steps) so
the whole file runs in well under a minute on a laptop CPU.
"""
import warnings

import pytest
from imblearn.utils.estimator_checks import check_param_validation, parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from latentlab.augment import DuplicateReal, LatentInterpolation, LatentNoise, LinearInversion
from latentlab.diffusion import DiffusionConfig, DiffusionSampler, PoolSDEdit
from latentlab.guidance import GuidedSampler, OODScorer, SquareFeatures, make_discriminator
from latentlab.metrics import logistic_regression

# imbalanced-learn's checks use 20 features: as latents (C, h, w) = (5, 2, 2) for the samplers that need a shape
SAMPLERS = [LatentInterpolation(random_state=0), LatentInterpolation('slerp', k_neighbors=3, extrapolation=0.2, random_state=0),
            LatentNoise(random_state=0), LatentNoise(per_channel=True, shape=(5, 2, 2), random_state=0),
            LinearInversion(target_proba=(0.6, 0.9), source='other', random_state=0),
            GuidedSampler(start='noise', w_disc=0.5, steps=2, random_state=0),
            DiffusionSampler(shape=(5, 2, 2), config=DiffusionConfig(channels=(8,), train_steps=2, batch_size=8),
                             steps=1, cache=False, random_state=0),
            DuplicateReal(random_state=0),
            # the filter off, so that every class gets the rows the strategy asks for (3 variations per real latent
            # cover the checks' most unbalanced data)
            PoolSDEdit(shape=(5, 2, 2), config=DiffusionConfig(channels=(8,), train_steps=2, batch_size=8),
                       finetune_steps=1, steps=1, variations=3, min_confidence=None, ood_quantile=None, cache=False,
                       random_state=0)]

# make_discriminator('logreg') is logistic_regression(C=0.01): the recipe is checked once
ESTIMATORS = [OODScorer(), OODScorer('knn', k=3), SquareFeatures(), make_discriminator('quadratic'), logistic_regression()]

NO_SPARSE = {'check_samplers_pandas_sparse':
             "latent samplers refuse sparse input (latents are dense: validate_data(accept_sparse=False) and the sparse "
             "input tag is False), and a DataFrame of sparse columns is sparse input; imbalanced-learn runs this check "
             "for every sampler that takes DataFrames (test_sparse_input_is_refused_clearly checks the refusal)"}
_NEEDS_SHAPE = ("these checks resample data of 2 or 3 features, which cannot be latents of the sampler's fixed shape "
                "(C, h, w) = (5, 2, 2); the same checks pass on shape-free configurations of the sampler above")
NEEDS_SHAPE = {c: _NEEDS_SHAPE for c in ('check_samplers_fit', 'check_sampler_get_feature_names_out',
                                         'check_sampler_get_feature_names_out_pandas')}


def sampler_skips(sampler) -> dict:
    "The imbalanced-learn checks a sampler is not expected to pass, with the reason."
    shaped = getattr(sampler, 'per_channel', False) or isinstance(sampler, (DiffusionSampler, PoolSDEdit))
    return {**NO_SPARSE, **(NEEDS_SHAPE if shaped else {})}


_PIPELINE = ("a scikit-learn Pipeline fits the estimators in its `steps` parameter in place, so `steps` changes in fit; "
             "scikit-learn's own test suite exempts Pipeline from these two checks")
EXPECTED_FAILED = {'Pipeline': {'check_estimators_overwrite_params': _PIPELINE, 'check_dont_overwrite_parameters': _PIPELINE}}


@imblearn_checks(SAMPLERS, expected_failed_checks=sampler_skips)
def test_sampler_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(estimator)


@pytest.mark.parametrize('sampler', SAMPLERS, ids=lambda s: type(s).__name__)
def test_sampler_parameter_validation(sampler):
    "Every constructor parameter has a constraint, and a bad value fails in `fit` / `fit_resample` with a clear message."
    check_param_validation(type(sampler).__name__, sampler)


@sklearn_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}))
def test_sklearn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(estimator)


@pytest.mark.parametrize('sampler', SAMPLERS[:1] + SAMPLERS[4:5], ids=lambda s: type(s).__name__)
def test_sparse_input_is_refused_clearly(sampler):
    "What the skipped sparse checks would meet: a `TypeError` that says dense data is required."
    import numpy as np, pandas as pd
    from scipy import sparse
    X, y = np.random.default_rng(0).normal(size=(20, 4)), np.repeat([0, 1], 10)
    for Xs in (sparse.csr_matrix(X), pd.DataFrame(X).astype(pd.SparseDtype(float, 0))):
        with pytest.raises(TypeError, match='dense data is required'): sampler.fit_resample(Xs, y)
