#!/usr/bin/python3
"""Makes the "own model" test fixture of issue 26: a small multi-label CNN built and trained with PyTorch on
generated shapes, exported to ONNX the way people export theirs, plus the ID and OOD images the tests score.

Regenerate (Debian's python3-torch 1.13 and python3-torchvision 0.14; not the pyenv python3 on PATH; CPU, ~1 minute):

    cd tests/Shared/OwnModel && /usr/bin/python3 make_own_model.py

Writes, beside this script:
  own-model.onnx       NCHW, input "input" [batch,3,32,32] RGB 0-1 with ImageNet mean/std, torchvision's eval transform
                       Resize(32) + CenterCrop(32); output "logits" [batch,4] (raw logits, no sigmoid); dynamic batch.
  own-model-nhwc.onnx  the same weights behind an NHWC input "pixels" [batch,32,32,3] that takes BGR 0-255 (mean 0, std 1;
                       the normalisation happens inside the graph), output "scores" [batch,4].
  labels.txt           the 4 labels, one a line, in logit order.
  voc/                 ID images in the VOC layout (JPEGImages/*.png, Annotations/*.xml, ImageSets/Main/{val,test}.txt),
                       every image's shorter side 32 px (no resampling: Resize(32) is the identity, only the crop acts).
  ood/                 OOD images: stripes, checkerboards and noise without shapes, shorter side 32 px.
  train-log.txt        the training loss per epoch and the val accuracy.

The training images are generated in memory (never written). Every draw comes from numpy's Generator seeded below, so the
files are the same on every run with the same torch build (weights may differ in the last bits across torch builds).
"""
import os
import numpy as np
import torch
import torch.nn as nn
from PIL import Image, ImageDraw
from torchvision import transforms

LABELS = ["bar", "circle", "square", "triangle"]
SIZE = 32
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(26)
torch.manual_seed(26)
torch.set_num_threads(1)


def image_size():
    """Shorter side 32, the longer 32..44, landscape or portrait."""
    longer = int(rng.integers(32, 45))
    return (longer, SIZE) if rng.random() < 0.5 else (SIZE, longer)


def background(w, h):
    base = rng.integers(150, 230, size=3)
    noise = rng.integers(-20, 21, size=(h, w, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


def colour():
    return tuple(int(c) for c in rng.integers(0, 120, size=3))


def draw_shape(draw, label, w, h):
    r = int(rng.integers(5, 9))
    cx = int(rng.integers(w // 2 - 9, w // 2 + 10))
    cy = int(rng.integers(h // 2 - 9, h // 2 + 10))
    fill = colour()
    if label == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif label == "square":
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif label == "triangle":
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
    else:  # bar
        draw.rectangle([cx - r - 3, cy - 2, cx + r + 3, cy + 2], fill=fill)


def id_image():
    w, h = image_size()
    img = background(w, h)
    draw = ImageDraw.Draw(img)
    count = int(rng.integers(1, 3))
    present = sorted(set(rng.choice(LABELS, size=count, replace=True).tolist()))
    for label in present:
        draw_shape(draw, label, w, h)
    return img, present


def ood_image(i):
    w, h = image_size()
    a = np.zeros((h, w, 3), dtype=np.int64)
    c1, c2 = rng.integers(0, 256, size=3), rng.integers(0, 256, size=3)
    yy, xx = np.mgrid[0:h, 0:w]
    kind = i % 3
    if kind == 0:
        period = int(rng.integers(3, 8))
        mask = ((xx + yy) // period) % 2 == 0
    elif kind == 1:
        period = int(rng.integers(3, 8))
        mask = ((xx // period) + (yy // period)) % 2 == 0
    else:
        mask = rng.random((h, w)) < 0.5
    a[mask] = c1
    a[~mask] = c2
    return Image.fromarray(a.astype(np.uint8), "RGB")


class Net(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, k))

    def forward(self, x):
        return self.head(self.features(x))


class Nhwc(nn.Module):
    """The same network behind an NHWC, BGR, 0-255 input, as a Keras-style export would take it."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        rgb = x.permute(0, 3, 1, 2).flip(1) / 255.0
        return self.net((rgb - self.mean) / self.std)


eval_transform = transforms.Compose([transforms.Resize(SIZE), transforms.CenterCrop(SIZE),
                                     transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def targets(present):
    return torch.tensor([1.0 if l in present else 0.0 for l in LABELS])


def write_voc(root, splits):
    for d in ["JPEGImages", "Annotations", os.path.join("ImageSets", "Main")]:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for split, items in splits.items():
        ids = []
        for i, (img, present) in enumerate(items):
            iid = f"{split}_{i:03d}"
            ids.append(iid)
            img.save(os.path.join(root, "JPEGImages", iid + ".png"))
            objects = "".join(f"<object><name>{l}</name><difficult>0</difficult></object>" for l in present)
            with open(os.path.join(root, "Annotations", iid + ".xml"), "w") as f:
                f.write(f"<annotation><folder>voc</folder><filename>{iid}.png</filename><size><width>{img.width}</width>"
                        f"<height>{img.height}</height><depth>3</depth></size>{objects}</annotation>\n")
        with open(os.path.join(root, "ImageSets", "Main", split + ".txt"), "w") as f:
            f.write("\n".join(ids) + "\n")


def main():
    train = [id_image() for _ in range(480)]
    val = [id_image() for _ in range(48)]
    test = [id_image() for _ in range(48)]
    ood = [ood_image(i) for i in range(24)]

    x = torch.stack([eval_transform(img) for img, _ in train])
    y = torch.stack([targets(p) for _, p in train])
    net = Net(len(LABELS))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    log = []
    order = torch.Generator().manual_seed(26)
    for epoch in range(40):
        net.train()
        perm = torch.randperm(len(x), generator=order)
        total = 0.0
        for b in range(0, len(x), 32):
            idx = perm[b:b + 32]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        log.append(f"epoch {epoch + 1} train BCE {total / len(x):.4f}")
    net.eval()
    with torch.no_grad():
        vx = torch.stack([eval_transform(img) for img, _ in val])
        vy = torch.stack([targets(p) for _, p in val])
        accuracy = ((net(vx) > 0).float() == vy).float().mean().item()
    log.append(f"val label accuracy {accuracy:.4f}")
    print("\n".join(log[-3:]))

    dummy = torch.zeros(1, 3, SIZE, SIZE)
    torch.onnx.export(net, dummy, os.path.join(HERE, "own-model.onnx"), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=14)
    nhwc = Nhwc(net).eval()
    torch.onnx.export(nhwc, torch.zeros(1, SIZE, SIZE, 3), os.path.join(HERE, "own-model-nhwc.onnx"), input_names=["pixels"],
                      output_names=["scores"], dynamic_axes={"pixels": {0: "batch"}, "scores": {0: "batch"}}, opset_version=14)
    with open(os.path.join(HERE, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    write_voc(os.path.join(HERE, "voc"), {"val": val, "test": test})
    os.makedirs(os.path.join(HERE, "ood"), exist_ok=True)
    for i, img in enumerate(ood):
        img.save(os.path.join(HERE, "ood", f"ood_{i:03d}.png"))
    with open(os.path.join(HERE, "train-log.txt"), "w") as f:
        f.write("\n".join(log) + "\n")


if __name__ == "__main__":
    main()
