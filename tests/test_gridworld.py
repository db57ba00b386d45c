"""The grid world of chapter 6: rules, the breadth-first oracle, and a CNN policy trained by imitation."""

import itertools

import numpy as np
import pytest

from cnnlib import gridworld as G


def _state(agent, goal, walls=(), size=5):
    w = np.zeros((size, size), dtype=bool)
    for cell in walls:
        w[cell] = True
    return G.State(agent, goal, w)


def test_frame_has_one_channel_per_kind_of_thing():
    s = _state((1, 2), (3, 4), [(0, 0), (2, 2)])
    f = G.frame(s)
    assert f.shape == (3, 5, 5) and f.dtype == np.float32
    assert f[0].sum() == 1 and f[0][1, 2] == 1
    assert f[1].sum() == 1 and f[1][3, 4] == 1
    np.testing.assert_array_equal(f[2], s.walls)


def test_step_moves_and_is_blocked_by_walls_and_borders():
    s = _state((0, 1), (4, 4), [(1, 1)])
    assert G.step(s, G.ACTIONS.index("right")).agent == (0, 2)
    assert G.step(s, G.ACTIONS.index("up")).agent == (0, 1)        # border
    assert G.step(s, G.ACTIONS.index("down")).agent == (0, 1)      # wall
    with pytest.raises(ValueError, match="action must be in 0..3"):
        G.step(s, 4)


def _brute_force_distances(state):
    """Bellman iteration over all cells: an independent check of the breadth-first search."""
    size = state.size
    inf = 10**6
    d = np.full((size, size), inf)
    d[state.goal] = 0
    for _ in range(size * size):
        for r, c in itertools.product(range(size), repeat=2):
            if state.walls[r, c]:
                continue
            for dr, dc in G.MOVES:
                nr, nc = r + dr, c + dc
                if 0 <= nr < size and 0 <= nc < size and not state.walls[nr, nc]:
                    d[r, c] = min(d[r, c], d[nr, nc] + 1)
    return np.where(d >= inf, -1, d)


@pytest.mark.parametrize("seed", range(8))
def test_distances_match_brute_force_and_the_oracle_is_optimal(seed):
    s = G.random_state(size=6, n_walls=8, rng=seed)
    d = G.distances(s)
    np.testing.assert_array_equal(d, _brute_force_distances(s))
    assert d[s.agent] >= 0                                          # random_state guarantees reachability
    path, ok = G.rollout(lambda st: int(np.argmax(G.optimal_actions(st))), s)
    assert ok and len(path) - 1 == d[s.agent]


def test_optimal_actions_are_exactly_the_moves_that_get_closer():
    s = _state((2, 2), (0, 0))
    ok = G.optimal_actions(s)
    assert [G.ACTIONS[a] for a in np.flatnonzero(ok)] == ["up", "left"]
    assert not G.optimal_actions(_state((0, 0), (0, 0))).any()     # at the goal nothing is better


def test_dataset_labels_are_optimal_moves():
    states, x, y, optimal = G.make_dataset(100, seed=1)
    assert x.shape == (100, 3, 6, 6) and y.shape == (100,) and optimal.shape == (100, 4)
    assert optimal[np.arange(100), y].all()
    assert not any(s.done for s in states)
    np.testing.assert_array_equal(G.frames(states), x)


def test_random_state_errors():
    with pytest.raises(ValueError, match="size must be >= 3"):
        G.random_state(size=2)
    with pytest.raises(ValueError, match="n_walls must leave two free cells"):
        G.random_state(size=3, n_walls=8)
    with pytest.raises(ValueError, match="states must not be empty"):
        G.success_rate(lambda s: 0, [])


def test_policy_cnn_keeps_the_frame_size_until_the_head():
    model = G.policy_cnn(size=6, channels=4)
    x = G.frames([G.random_state(rng=0)])
    assert model[:4](x).shape == (1, 4, 6, 6)
    assert model(x).shape == (1, 4)


def test_imitation_learns_far_better_than_chance():
    task = G.train_policy(n_train=1000, n_test=200, epochs=10)
    assert task.test_accuracy >= 0.75                  # random moves are optimal about 40 % of the time
    rng = np.random.default_rng(0)
    states = task.test_states[:100]
    assert G.success_rate(task.model, states) > G.success_rate(lambda s: int(rng.integers(4)), states) + 0.2
    fig = G.rollouts_figure(task.model, states[:3])
    assert len(fig.axes) == 3
    assert len(G.frame_figure(states[0]).axes) == 4


def test_dagger_improves_on_behaviour_cloning_and_leaves_the_task_alone():
    task = G.train_policy(n_train=600, n_test=100, epochs=8, seed=0)
    before = task.model[0].weight.data.copy()
    rounds = G.dagger(task, rounds=1, n_starts=150, n_train=600, epochs=8, seed=0)
    assert len(rounds) == 1 and rounds[0].test_states is task.test_states
    np.testing.assert_array_equal(task.model[0].weight.data, before)     # the input task is not changed
    assert rounds[0].test_accuracy >= task.test_accuracy - 0.02
    assert len(rounds[0].history["loss"]) == 8
    with pytest.raises(ValueError, match="rounds"):
        G.dagger(task, rounds=0)
