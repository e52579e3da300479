"""The tutorial's training loop, re-expressed faithfully for modern PyTorch: the speed reference.

A numpy artist, ``nn.Sequential`` networks ending in a sigmoid, ``torch.log`` losses, autograd and
two Adam optimizers, exactly as the tutorial writes them. Two changes that modern PyTorch forces:
``Variable`` is gone (tensors carry gradients), and ``backward(retain_variables=True)`` on a graph
whose D weights were already updated in place is an error, so G's loss is computed against the
updated D — the order gancurve uses (DESIGN.md).

    python benchmarks/tutorial_reference.py [STEPS]     # run it end to end, as a user would
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from torch import nn

BATCH_SIZE = 64
LR_G = 0.0001
LR_D = 0.0001
N_IDEAS = 5
ART_COMPONENTS = 15
PAINT_POINTS = np.vstack([np.linspace(-1, 1, ART_COMPONENTS) for _ in range(BATCH_SIZE)])


def artist_works() -> torch.Tensor:
    """Real paintings from the famous artist."""
    a = np.random.uniform(1, 2, size=BATCH_SIZE)[:, np.newaxis]
    paintings = a * np.power(PAINT_POINTS, 2) + (a - 1)
    return torch.from_numpy(paintings).float()


def build() -> tuple[nn.Module, nn.Module, torch.optim.Optimizer, torch.optim.Optimizer]:
    """The tutorial's G, D and optimizers."""
    generator = nn.Sequential(nn.Linear(N_IDEAS, 128), nn.ReLU(), nn.Linear(128, ART_COMPONENTS))
    discriminator = nn.Sequential(nn.Linear(ART_COMPONENTS, 128), nn.ReLU(), nn.Linear(128, 1), nn.Sigmoid())
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=LR_D)
    opt_g = torch.optim.Adam(generator.parameters(), lr=LR_G)
    return generator, discriminator, opt_g, opt_d


def train_step(
    generator: nn.Module, discriminator: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer
) -> torch.Tensor:
    """One step of the tutorial's loop; returns D's probabilities on the artist's batch."""
    artist_paintings = artist_works()
    g_ideas = torch.randn(BATCH_SIZE, N_IDEAS)
    g_paintings = generator(g_ideas)
    prob_artist0 = discriminator(artist_paintings)
    prob_artist1 = discriminator(g_paintings.detach())
    d_loss = -torch.mean(torch.log(prob_artist0) + torch.log(1.0 - prob_artist1))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    prob_artist1 = discriminator(g_paintings)
    g_loss = torch.mean(torch.log(1.0 - prob_artist1))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return prob_artist0.detach()  # the tutorial reads it only when it draws a frame


def main() -> None:
    torch.manual_seed(1)
    np.random.seed(1)
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    generator, discriminator, opt_g, opt_d = build()
    start = time.perf_counter()
    for _ in range(steps):
        prob_artist0 = train_step(generator, discriminator, opt_g, opt_d)
    accuracy = float(prob_artist0.mean())
    print(f"{steps} steps in {time.perf_counter() - start:.2f} s; D accuracy {accuracy:.2f}")


if __name__ == "__main__":
    main()
