"""Extra golden cases for the nn module, made with PyTorch 1.13 (Debian's python3-torch):
    /usr/bin/python3 nn/src/test/python/make_golden.py nn/src/test/resources/golden
Same format as testdata/golden (see its README): CIFAR ResNets of other depths, both shortcut
kinds and other BN settings, SGD with Nesterov/dampening and more steps, cosine LR with eta_min
over more than t_max epochs."""
import json
import struct
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F

out_dir = sys.argv[1]


def save(name, tensors, meta):
    header, blobs, off = {"__metadata__": {k: str(v) for k, v in meta.items()}}, [], 0
    for k, t in tensors.items():
        t = t.detach().contiguous()
        dtype = "I64" if t.dtype == torch.int64 else "F32"
        b = t.numpy().tobytes() if dtype == "I64" else t.float().numpy().tobytes()
        header[k] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(f"{out_dir}/{name}.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class PadA(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.planes = planes

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.planes // 4, self.planes // 4), "constant", 0)


class Block(nn.Module):
    def __init__(self, inp, planes, stride, option, eps, mom):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, eps=eps, momentum=mom)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=eps, momentum=mom)
        self.downsample = None
        self.shortcut = None
        if stride != 1 or inp != planes:
            if option == "B":
                self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False),
                                                nn.BatchNorm2d(planes, eps=eps, momentum=mom))
            else:
                self.shortcut = PadA(planes)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = self.downsample(x) if self.downsample is not None else self.shortcut(x) if self.shortcut is not None else x
        return self.relu(out + sc)


class CifarResNet(nn.Module):
    def __init__(self, depth, classes, option, eps, mom):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16, eps=eps, momentum=mom)
        inp = 16
        for s, w in enumerate([16, 32, 64]):
            blocks = []
            for b in range(n):
                blocks.append(Block(inp, w, 2 if b == 0 and s > 0 else 1, option, eps, mom))
                inp = w
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet_case(name, depth, classes, shortcut, eps, mom, batch, size, seed):
    torch.manual_seed(seed)
    m = CifarResNet(depth, classes, "B" if shortcut == "conv1x1_bn" else "A", eps, mom)
    with torch.no_grad():  # non-trivial running statistics and affine parameters
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    sd = {k: v.clone() for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")}
    x = torch.randn(batch, 3, size, size)
    target = torch.randint(0, classes, (batch,))
    m.eval()
    with torch.no_grad():
        logits_eval = m(x)
    m.train()
    logits = m(x)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    t = {"param." + k: v for k, v in sd.items()}
    t.update(x=x, target=target, logits_eval=logits_eval, logits_train=logits, loss=loss.reshape(1))
    t.update({"grad." + k: p.grad for k, p in m.named_parameters()})
    t.update({"after." + k: v for k, v in m.state_dict().items()
              if ("running" in k)})
    save(name, t, dict(op="resnet_cifar", depth=depth, classes=classes, shortcut=shortcut, bn_momentum=mom, bn_eps=eps))


def sgd_case(name, lr, momentum, wd, nesterov, dampening, steps, seed):
    torch.manual_seed(seed)
    p = torch.randn(37, requires_grad=True)
    t = {"param": p.detach().clone()}
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, weight_decay=wd, nesterov=nesterov, dampening=dampening)
    for s in range(1, steps + 1):
        g = torch.randn(37)
        t[f"grad_{s}"] = g
        p.grad = g.clone()
        opt.step()
    t[f"param_after_{steps}"] = p.detach().clone()
    save(name, t, dict(op="sgd", lr=lr, momentum=momentum, weight_decay=wd, nesterov=str(nesterov).lower(),
                       dampening=dampening, steps=steps))


def cosine_case(name, base, t_max, eta_min, epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    save(name, {"lr": torch.tensor(lrs, dtype=torch.float32)}, dict(op="cosine_lr", base_lr=base, t_max=t_max, eta_min=eta_min))


resnet_case("resnet8_optA", 8, 10, "zero_pad", 1e-5, 0.1, 2, 16, 1)
resnet_case("resnet14_optB_bn", 14, 7, "conv1x1_bn", 1e-3, 0.3, 3, 8, 2)
resnet_case("resnet8_optA_c100", 8, 100, "identity_pad", 1e-5, 0.1, 2, 8, 3)
sgd_case("sgd_nesterov", 0.05, 0.9, 1e-4, True, 0.0, 3, 4)
sgd_case("sgd_dampening", 0.2, 0.8, 0.0, False, 0.25, 4, 5)
sgd_case("sgd_plain", 0.1, 0.0, 1e-2, False, 0.0, 2, 6)
cosine_case("cosine_eta_min", 0.05, 7, 0.001, 7)
cosine_case("cosine_long", 0.1, 5, 0.0, 12)
