#!/usr/bin/env python3
"""Training throughput of thinet4j's Vgg.small28() architecture in PyTorch (CPU), for comparison with
dev.thinet4j.bench.TrainingBenchmark.

Same network (1x28x28 input; conv3x3-ReLU x2 + maxpool2 per block, widths 16/32/64; fc 576-128, ReLU,
fc 128-10), same batch size, SGD with momentum 0.9 and weight decay 5e-4, softmax cross-entropy,
random inputs and labels (throughput only). Prints one line: images_per_second=<float> threads=<int>.

Usage: OMP_NUM_THREADS=1 python3 train_vgg_small28.py [--batch 64] [--steps 30] [--warmup 5] [--repeats 3]
"""
import argparse
import time

import torch
from torch import nn


def small28():
    layers = []
    c = 1
    for widths in ([16, 16], [32, 32], [64, 64]):
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True)]
            c = w
        layers.append(nn.MaxPool2d(2, 2))
    layers += [nn.Flatten(), nn.Linear(64 * 3 * 3, 128), nn.ReLU(inplace=True), nn.Dropout(0.0), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(0)
    net = small28()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    best = 0.0
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        best = max(best, a.steps * a.batch / (time.perf_counter() - t0))
    print(f"images_per_second={best:.1f} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
