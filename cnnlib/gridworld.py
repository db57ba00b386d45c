"""A CNN as a policy's eyes (chapter 6, article §5.2): a tiny grid world seen as image frames.

The world is a ``size × size`` grid with an agent, a goal and a few wall cells. The agent sees the
world only as a frame of three channels (agent, goal, walls) — an image — and chooses one of four
moves. An *oracle* knows the best moves (breadth-first search from the goal). A small CNN learns to
imitate the oracle (behaviour cloning: supervised learning on frames labelled with the oracle's move),
which trains in about a second; reinforcement learning proper (policy gradients, Q-learning) uses the
same network but learns from rewards, and needs far more steps. We then let the network act alone
and count how often it reaches the goal.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from . import layers as L
from . import losses, optim, training
from ._checks import as_int

__all__ = [
    "ACTIONS",
    "MOVES",
    "State",
    "random_state",
    "frame",
    "frames",
    "step",
    "distances",
    "optimal_actions",
    "make_dataset",
    "policy_cnn",
    "PolicyTask",
    "train_policy",
    "dagger",
    "rollout",
    "success_rate",
    "draw_world",
    "rollouts_figure",
    "frame_figure",
]

#: The four moves, in the order of the network's outputs.
ACTIONS = ("up", "down", "left", "right")
#: (row, column) displacement of each action.
MOVES = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])


@dataclass(frozen=True)
class State:
    """Where everything is: ``agent`` and ``goal`` as (row, col), ``walls`` a (size, size) bool array."""

    agent: tuple
    goal: tuple
    walls: np.ndarray

    @property
    def size(self) -> int:
        return self.walls.shape[0]

    @property
    def done(self) -> bool:
        return tuple(self.agent) == tuple(self.goal)


def random_state(size=6, n_walls=2, rng=None) -> State:
    """A random world in which the goal can be reached from the agent.

    Args:
        size: the grid side (>= 3).  n_walls: wall cells (placed at random, never on the agent or goal).
        rng: a numpy Generator or seed.
    """
    size = as_int(size, "size", 3)
    n_walls = as_int(n_walls, "n_walls", 0)
    if n_walls > size * size - 2:
        raise ValueError(f"n_walls must leave two free cells: at most {size * size - 2}, got {n_walls}")
    rng = L.as_generator(rng)
    while True:
        cells = rng.choice(size * size, size=n_walls + 2, replace=False)
        walls = np.zeros((size, size), dtype=bool)
        walls.flat[cells[2:]] = True
        agent, goal = divmod(int(cells[0]), size), divmod(int(cells[1]), size)
        state = State(agent, goal, walls)
        if distances(state)[agent] >= 0:
            return state


def frame(state: State) -> np.ndarray:
    """What the network sees: float32 (3, size, size), channels agent, goal, walls (1 where present)."""
    f = np.zeros((3, state.size, state.size), dtype=np.float32)
    f[0][state.agent] = 1
    f[1][state.goal] = 1
    f[2] = state.walls
    return f


def frames(states) -> np.ndarray:
    """Frames of many states, (N, 3, size, size)."""
    return np.stack([frame(s) for s in states])


def step(state: State, action: int) -> State:
    """The state after one move; moving into a wall or off the grid leaves the agent where it is."""
    a = as_int(action, "action", 0)
    if a >= len(ACTIONS):
        raise ValueError(f"action must be in 0..{len(ACTIONS) - 1} ({', '.join(ACTIONS)}), got {a}")
    r, c = np.add(state.agent, MOVES[a])
    if 0 <= r < state.size and 0 <= c < state.size and not state.walls[r, c]:
        return State((int(r), int(c)), state.goal, state.walls)
    return state


def distances(state: State) -> np.ndarray:
    """Shortest number of moves from every cell to the goal (breadth-first search); -1 where unreachable."""
    size = state.size
    dist = np.full((size, size), -1, dtype=np.int64)
    dist[state.goal] = 0
    queue = deque([tuple(state.goal)])
    while queue:
        r, c = queue.popleft()
        for dr, dc in MOVES:
            nr, nc = r + dr, c + dc
            if 0 <= nr < size and 0 <= nc < size and not state.walls[nr, nc] and dist[nr, nc] < 0:
                dist[nr, nc] = dist[r, c] + 1
                queue.append((nr, nc))
    return dist


def optimal_actions(state: State, dist=None) -> np.ndarray:
    """Bool (4,): which moves bring the agent one step closer to the goal (all False at the goal)."""
    dist = distances(state) if dist is None else dist
    d0 = dist[state.agent]
    ok = np.zeros(len(ACTIONS), dtype=bool)
    for a in range(len(ACTIONS)):
        r, c = np.add(state.agent, MOVES[a])
        if 0 <= r < state.size and 0 <= c < state.size and dist[r, c] >= 0 and dist[r, c] == d0 - 1:
            ok[a] = True
    return ok


def make_dataset(n, size=6, n_walls=2, seed=0):
    """``n`` random states with the oracle's moves.

    Returns:
        (states, frames (N, 3, size, size), labels (N,) — one optimal move, ties broken at random —,
        optimal (N, 4) bool — every optimal move, for scoring).
    """
    n = as_int(n, "n", 1)
    rng = np.random.default_rng(seed)
    states, labels, optimal = [], [], []
    while len(states) < n:
        s = random_state(size, n_walls, rng)
        if s.done:
            continue
        ok = optimal_actions(s)
        states.append(s)
        optimal.append(ok)
        labels.append(int(rng.choice(np.flatnonzero(ok))))
    return states, frames(states), np.asarray(labels, dtype=np.int64), np.stack(optimal)


def policy_cnn(size=6, channels=8, rng=0):
    """The policy's eyes and brain: conv 3→C (3×3, pad 1) – ReLU – conv C→C (3×3,
    pad 1) – ReLU – flatten – linear → 4 move scores. Padding keeps the frame size, so
    every cell keeps a feature vector."""
    rng = L.as_generator(rng)
    size = as_int(size, "size", 3)
    c = as_int(channels, "channels", 1)
    return L.Sequential(
        L.Conv2d(3, c, 3, padding=1, rng=rng), L.ReLU(),
        L.Conv2d(c, c, 3, padding=1, rng=rng), L.ReLU(),
        L.Flatten(), L.Linear(c * size * size, len(ACTIONS), rng=rng),
    )


@dataclass
class PolicyTask:
    """A policy trained by imitation: the ``model``, its training ``history`` and held-out test states."""

    model: L.Sequential
    history: dict
    train_accuracy: float
    test_accuracy: float
    test_states: list


def _move_accuracy(model, x, optimal) -> float:
    """Fraction of states where the network's move is one of the optimal ones."""
    pred = training.predict(model, x).argmax(axis=1)
    return float(np.mean(optimal[np.arange(len(pred)), pred]))


def train_policy(n_train=2000, n_test=500, size=6, n_walls=2, channels=8, epochs=15, seed=0) -> PolicyTask:
    """Behaviour cloning: fit :func:`policy_cnn` to the oracle's moves with Adam (lr 3e-3, batches of 32).

    Accuracies count a move as right when it is *one of* the optimal moves (ties are common).
    """
    states, x, y, optimal = make_dataset(n_train + n_test, size, n_walls, seed)
    model = policy_cnn(size, channels, rng=seed)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    with training.one_blas_thread():
        history = training.fit(model, losses.CrossEntropyLoss(), opt, x[:n_train], y[:n_train], epochs=epochs,
                               batch_size=32, seed=seed, progress=False)
    model.eval()
    return PolicyTask(model, history, _move_accuracy(model, x[:n_train], optimal[:n_train]),
                      _move_accuracy(model, x[n_train:], optimal[n_train:]), states[n_train:])


def dagger(task: PolicyTask, rounds=2, n_starts=500, n_train=2000, epochs=15, seed=0) -> list[PolicyTask]:
    """DAgger (Ross et al., 2011): let the policy act, ask the oracle about the states it *visits*, retrain.

    Each round rolls the current policy out from ``n_starts`` new start states, labels every visited
    state with the oracle's move, adds those frames to the training set and trains a fresh
    :func:`policy_cnn` on the whole set (the recipe of :func:`train_policy`). ``task`` is not changed.

    Args:
        task: the result of ``train_policy(n_train=n_train, seed=seed)`` (its model acts in round 1, and
            its training set is rebuilt from ``n_train`` and ``seed``).
        rounds: how many times to collect and retrain (≥ 1).

    Returns:
        one :class:`PolicyTask` per round, scored on ``task.test_states``.
    """
    rounds = as_int(rounds, "rounds", 1)
    n_starts = as_int(n_starts, "n_starts", 1)
    n_train = as_int(n_train, "n_train", 1)
    first = task.test_states[0]
    size, n_walls, channels = first.size, int(first.walls.sum()), task.model[0].weight.data.shape[0]
    states, _, y, _ = make_dataset(n_train + len(task.test_states), size, n_walls, seed)
    states, labels = list(states[:n_train]), list(y[:n_train])
    test_x = frames(task.test_states)
    test_ok = np.stack([optimal_actions(s) for s in task.test_states])
    rng = np.random.default_rng(seed + 1)
    model, results = task.model, []
    for _round in range(rounds):
        for _ in range(n_starts):
            s = random_state(size, n_walls, rng)
            for _ in range(4 * size):  # the learner's own trajectory, each state labelled by the oracle
                if s.done:
                    break
                states.append(s)
                labels.append(int(rng.choice(np.flatnonzero(optimal_actions(s)))))
                s = step(s, int(model.forward(frame(s)[None]).argmax()))
        x, y = frames(states), np.asarray(labels, dtype=np.int64)
        model = policy_cnn(size, channels, rng=seed)
        opt = optim.Adam(model.parameters(), lr=3e-3)
        with training.one_blas_thread():
            history = training.fit(model, losses.CrossEntropyLoss(), opt, x, y, epochs=epochs, batch_size=32,
                                   seed=seed, progress=False)
        model.eval()
        train_ok = np.stack([optimal_actions(s) for s in states])
        results.append(PolicyTask(model, history, _move_accuracy(model, x, train_ok),
                                  _move_accuracy(model, test_x, test_ok), task.test_states))
    return results


def rollout(policy, state: State, max_steps=None):
    """Let ``policy`` act from ``state`` until the goal or ``max_steps`` (default ``4·size``).

    Args:
        policy: a model mapping frames (N, 3, S, S) to move scores (N, 4), or a function
            ``state -> action``.

    Returns:
        (path: list of agent positions, the first included; reached: bool).
    """
    max_steps = 4 * state.size if max_steps is None else as_int(max_steps, "max_steps", 0)
    path = [tuple(state.agent)]
    for _ in range(max_steps):
        if state.done:
            break
        if hasattr(policy, "forward"):
            action = int(policy.forward(frame(state)[None]).argmax())
        else:
            action = int(policy(state))
        state = step(state, action)
        path.append(tuple(state.agent))
    return path, state.done


def success_rate(policy, states, max_steps=None) -> float:
    """Fraction of ``states`` from which ``policy`` reaches the goal within ``max_steps``."""
    states = list(states)
    if not states:
        raise ValueError("states must not be empty")
    if hasattr(policy, "eval"):
        policy.eval()
    return float(np.mean([rollout(policy, s, max_steps)[1] for s in states]))


def draw_world(ax, state: State, path=None, title=None) -> None:
    """Draw a world on ``ax``: walls black, goal green, agent blue, and a path (list of positions) in orange."""
    from matplotlib.colors import ListedColormap

    size = state.size
    img = np.zeros((size, size))
    img[state.walls] = 1
    ax.imshow(img, cmap=ListedColormap(["white", "#333333"]), vmin=0, vmax=1, interpolation="nearest")
    if path is not None and len(path) > 1:
        p = np.array(path)
        ax.plot(p[:, 1], p[:, 0], "-", color="#ff7f0e", lw=2, alpha=0.8)
    ax.plot(state.goal[1], state.goal[0], "s", ms=10, color="#2ca02c")
    start = path[0] if path else state.agent
    ax.plot(start[1], start[0], "o", ms=9, color="#1f77b4")
    ax.set_xticks(np.arange(-0.5, size, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, size, 1), minor=True)
    ax.grid(which="minor", color="#cccccc", lw=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if title:
        ax.set_title(title, fontsize=8)


def rollouts_figure(policy, states, max_steps=None, title="The trained policy acting alone"):
    """One panel per state: the path the policy takes, and whether it reached the goal."""
    from .widgets import new_figure

    states = list(states)
    fig, axes = new_figure(1.5 * len(states), 1.9, ncols=len(states), squeeze=False)
    for ax, s in zip(axes[0], states, strict=True):
        path, ok = rollout(policy, s, max_steps)
        optimal = int(distances(s)[s.agent])
        draw_world(ax, s, path, f"{'reached' if ok else 'failed'}: {len(path) - 1} moves\n(shortest {optimal})")
    fig.suptitle(title, fontsize=9)
    return fig


def frame_figure(state: State, title="What the policy sees: one frame, three channels"):
    """The world with the oracle's shortest path, next to the three channels of its frame."""
    from .viz import show_image
    from .widgets import new_figure

    path, _ = rollout(lambda s: int(np.argmax(optimal_actions(s))), state)
    fig, axes = new_figure(6.8, 1.9, ncols=4)
    draw_world(axes[0], state, path, f"the world (shortest path {len(path) - 1})")
    for ax, channel, name in zip(axes[1:], frame(state), ("agent", "goal", "walls"), strict=True):
        show_image(ax, channel, f"channel: {name}", vmin=0, vmax=1, cmap="gray")
    fig.suptitle(title, fontsize=9)
    return fig
