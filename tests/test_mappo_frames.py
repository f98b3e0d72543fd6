"""Guard for speed work on the multi-agent PPO trainer: the smoke-scale Harvest, Cleanup and
Selfish-MMM2 training frames, at 3 updates, equal those of commit ccffa47 for Simul-Ind, AgA (lambda = 100)
and CGA.  A change meant to be a pure speed-up (no change of the algorithm) must keep them.  Cleanup's frames
were taken on the map of the reference's commit 835ddb7, the package's Cleanup map at ccffa47; that map is the
game ``cleanup_835ddb7`` today (docs/decisions.md S1).

Every column to 1e-5 relative or 1e-6 absolute: sampled actions feed back into the rewards, so a changed
action moves ``collective`` far more than that, while the loss statistics may differ by float rounding
between CPU kinds (other BLAS kernels; see tests/test_coins_speed.py).  The policy loss, a mean of
ratio-weighted advantages of both signs (~0.02), differed by 3.5e-7 (1.5e-5 relative) on a 2-core AMD EPYC;
the methods' losses differ from each other by ~1e-3.  The fixture was written on an AVX-512 Intel
Xeon, one thread, by running at ccffa47::

    cfg = config.load(scale="smoke")
    aga_ssd.run({**cfg["aga_ssd"], "updates": 3}, method, seed=0)[list(COLUMNS)]
    aga_mmm2.run({**cfg["aga_mmm2"], "backend": "embedded", "updates": 3}, variant, seed=0)[list(COLUMNS)]
"""

from __future__ import annotations

import math

import pytest

from mixedmotive import config
from mixedmotive.experiments import aga_mmm2, aga_ssd

COLUMNS = ("collective", "return_mean", "value_loss", "entropy", "policy_loss")
AT_CCFFA47 = {
    'harvest:simul_ind': [
        [-29.5, -5.900000095367432, 0.9912224411964417, 2.079434871673584, -0.023501062393188478],
        [-57.0, -11.399999618530273, 1.1883699893951416, 2.079404592514038, -0.023152637481689452],
        [-4.0, -0.800000011920929, 0.2095222771167755, 2.0793278217315674, -0.023851744830608368],
    ],
    'harvest:aga_lam100': [
        [-29.5, -5.900000095367432, 0.9912224411964417, 2.0794386863708496, -0.0223637193441391],
        [-107.5, -21.5, 1.1164588928222656, 2.079425096511841, -0.0198368564248085],
        [-4.0, -0.800000011920929, 0.27697575092315674, 2.0793566703796387, -0.01913200318813324],
    ],
    'harvest:cga': [
        [-29.5, -5.900000095367432, 0.9912224411964417, 2.079439878463745, -0.021831750869750977],
        [-107.5, -21.5, 1.1164588928222656, 2.079437255859375, -0.02139289677143097],
        [-4.0, -0.800000011920929, 0.27697575092315674, 2.079434394836426, -0.021256867051124572],
    ],
    'cleanup_835ddb7:simul_ind': [
        [-79.0, -15.800000190734863, 0.9866767525672913, 2.1972217559814453, -0.024029918015003204],
        [-27.5, -5.5, 0.39684659242630005, 2.1972076892852783, -0.023974448442459106],
        [-80.5, -16.100000381469727, 1.386344075202942, 2.1971867084503174, -0.02453244775533676],
    ],
    'cleanup_835ddb7:aga_lam100': [
        [-79.0, -15.800000190734863, 0.9866767525672913, 2.19722318649292, -0.02308058738708496],
        [-27.5, -5.5, 0.39684659242630005, 2.197218894958496, -0.022752001881599426],
        [-80.5, -16.100000381469727, 1.386344075202942, 2.197214365005493, -0.02268972396850586],
    ],
    'cleanup_835ddb7:cga': [
        [-79.0, -15.800000190734863, 0.9866767525672913, 2.197223424911499, -0.022917459905147552],
        [-27.5, -5.5, 0.39684659242630005, 2.197218894958496, -0.022568272054195405],
        [-80.5, -16.100000381469727, 1.386344075202942, 2.1972146034240723, -0.022572192549705505],
    ],
    'mmm2:simul_ind': [
        [1.721991777420044, 0.17219918966293335, 0.4285773038864136, 1.170396327972412, -0.013063029944896698],
        [1.7071726322174072, 0.1707172840833664, 0.49672308564186096, 0.9304848313331604, -0.010413965582847596],
        [1.8810514211654663, 0.18810513615608215, 0.6081420183181763, 1.095991611480713, -0.012477884441614151],
    ],
    'mmm2:aga_lam100': [
        [1.721991777420044, 0.17219918966293335, 0.4285773038864136, 1.1703928709030151, -0.010126058012247086],
        [1.574392557144165, 0.15743927657604218, 0.47430193424224854, 0.9265960454940796, -0.010134485363960267],
        [1.8838176727294922, 0.18838176131248474, 0.5519986748695374, 1.0734596252441406, -0.011562946438789367],
    ],
    'mmm2:cga': [
        [1.721991777420044, 0.17219918966293335, 0.4285773038864136, 1.1704020500183105, -0.012616081535816193],
        [1.6929463148117065, 0.16929464042186737, 0.48770636320114136, 0.9261130690574646, -0.009701444208621979],
        [1.8423237800598145, 0.18423238396644592, 0.5883889198303223, 1.0943721532821655, -0.011333178728818893],
    ],
}


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


@pytest.mark.parametrize("method", sorted(AT_CCFFA47))
def test_smoke_frames_equal_ccffa47(method):
    cfg = config.load(scale="smoke")
    game, _, variant = method.partition(":")
    if game == "mmm2":
        frame = aga_mmm2.run({**cfg["aga_mmm2"], "backend": "embedded", "updates": 3}, variant, seed=0)
    else:
        frame = aga_ssd.run({**cfg["aga_ssd"], "updates": 3}, method, seed=0)
    got = frame[list(COLUMNS)].values.tolist()
    want = AT_CCFFA47[method]
    assert len(got) == len(want) == 3
    for g_row, w_row in zip(got, want, strict=True):
        for column, g, w in zip(COLUMNS, g_row, w_row, strict=True):
            assert math.isclose(g, w, rel_tol=1e-5, abs_tol=1e-6), (method, column, g_row, w_row)
