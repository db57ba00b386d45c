"""cnnlib.baselines: chapter 7's comparison networks."""

from cnnlib import baselines, costs, models


def test_dense_digits_net_has_the_cnns_budget():
    dense = costs.count_parameters(baselines.dense_digits_net(80))
    assert dense == 6010
    assert abs(dense - costs.count_parameters(models.digits_cnn())) < 100
