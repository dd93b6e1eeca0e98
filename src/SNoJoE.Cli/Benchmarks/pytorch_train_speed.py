#!/usr/bin/python3
"""PyTorch's training speed for `snojoe train-speed`: the same network, loss, optimizer, batch, size and threads.

torchvision's ResNet18 (no pretrained weights: speed does not depend on them) with the SNoJoE head
(Linear 512->width, BatchNorm1d, ReLU, Linear width->labels), mean BCE with logits, Adam with one
learning rate for the backbone and one for the head. Inputs are random and fixed: this measures the
network alone (forward + backward + optimizer step), no data pipeline. Prints one JSON line
(with --serve: one per step asked for on stdin).

Run with Debian's torch: apt-get install python3-torch python3-torchvision; /usr/bin/python3 this.py
"""
import argparse
import json
import sys
import time

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--labels", type=int, default=20)
    parser.add_argument("--head-width", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--serve", action="store_true", help="after the warm-up, run one step per 'step' line on stdin, printing its times")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    backbone = torchvision.models.resnet18()
    backbone.fc = torch.nn.Identity()
    head = torch.nn.Sequential(
        torch.nn.Linear(512, args.head_width), torch.nn.BatchNorm1d(args.head_width), torch.nn.ReLU(),
        torch.nn.Linear(args.head_width, args.labels))
    network = torch.nn.Sequential(backbone, head).train()
    optimizer = torch.optim.Adam([
        {"params": backbone.parameters(), "lr": 1e-4},
        {"params": head.parameters(), "lr": 1e-3},
    ])
    images = torch.randn(args.batch_size, 3, args.image_size, args.image_size)
    targets = (torch.rand(args.batch_size, args.labels) < 0.2).float()
    if args.channels_last:
        network = network.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def one_step():
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss = loss_fn(network(images), targets)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        loss.item()
        t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t2

    if args.serve:
        # one step per line read: the caller interleaves these steps with its own on a noisy machine
        for _ in range(args.warmup):
            one_step()
        print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            if line.strip() != "step":
                break
            f, b, o = one_step()
            print(json.dumps({"forwardSeconds": f, "backwardSeconds": b, "optimizerSeconds": o}), flush=True)
        return

    forward = backward = step = 0.0
    for i in range(args.warmup + args.steps):
        f, b, o = one_step()
        if i >= args.warmup:
            forward += f
            backward += b
            step += o
    total = forward + backward + step
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": args.steps,
        "imagesPerSecond": args.steps * args.batch_size / total,
        "forwardSeconds": forward / args.steps, "backwardSeconds": backward / args.steps, "optimizerSeconds": step / args.steps,
    }))


if __name__ == "__main__":
    main()
