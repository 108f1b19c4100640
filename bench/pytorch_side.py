#!/usr/bin/python3
"""PyTorch half of bench/side-by-side.sh: the same workloads as org.jqat.bench.SideBySide.

Prints `RESULT <workload> <value> <unit>` lines. Run with OMP_WAIT_POLICY=passive and the
GLIBC_TUNABLES malloc settings the script exports, which is PyTorch's best case on this box.
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def result(name, value, unit):
    print(f"RESULT {name} {value:.2f} {unit}", flush=True)


def best_time(fn, reps=40, warm=10):
    best = float("inf")
    for i in range(reps):
        t = time.perf_counter()
        fn()
        s = time.perf_counter() - t
        if i >= warm:
            best = min(best, s)
    return best


def sgemm(threads, n=1024):
    """Debian's torch.mm uses a generic BLAS, so the fair opponent is oneDNN's matmul
    (mkldnn_linear, x·wᵀ, same flop count); the generic torch.mm figure is printed too."""
    torch.set_num_threads(threads)
    a, b = torch.rand(n, n) - 0.5, torch.rand(n, n) - 0.5
    c = torch.empty(n, n)
    am, bm = a.to_mkldnn(), b.to_mkldnn()
    flops = 2.0 * n ** 3
    result(f"sgemm1024_t{threads}", flops / best_time(lambda: torch._C._nn.mkldnn_linear(am, bm, None)) / 1e9, "GFLOPS")
    result(f"torch_mm_generic_t{threads}", flops / best_time(lambda: torch.mm(a, b, out=c), reps=12, warm=2) / 1e9,
           "GFLOPS")


def fake_quant(n=1 << 24):
    torch.set_num_threads(2)
    x = (torch.rand(n) - 0.5).requires_grad_(True)
    gy = torch.rand(n) - 0.5
    scale = torch.tensor([0.05], requires_grad=True)
    zp = torch.tensor([0.0])
    best = float("inf")
    for i in range(25):
        x.grad = None
        scale.grad = None
        t = time.perf_counter()
        y = torch._fake_quantize_learnable_per_tensor_affine(x, scale, zp, -8, 7, 1.0)
        y.backward(gy)
        s = time.perf_counter() - t
        if i >= 5:
            best = min(best, s)
    bytes_moved = n * (4.0 + 4 + 0.125 + 4 + 4 + 0.125 + 4)  # same accounting as the jqat side
    result("fakequant16M_ms", best * 1e3, "ms")
    result("fakequant16M_GBps", bytes_moved / best / 1e9, "GB/s")
    src, dst = torch.rand(n), torch.empty(n)
    bc = float("inf")
    for i in range(10):
        t = time.perf_counter()
        dst.copy_(src)
        bc = min(bc, time.perf_counter() - t)
    result("copy16M_GBps", n * 8.0 / bc / 1e9, "GB/s")


class LSQ(nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.qmin, self.qmax = (-8, 7) if weight else (0, 15)
        self.step = nn.Parameter(torch.tensor([0.05]))
        self.register_buffer("zp", torch.tensor([0.0]))

    def forward(self, x):
        g = 1.0 / (x.numel() * self.qmax) ** 0.5
        return torch._fake_quantize_learnable_per_tensor_affine(x, self.step, self.zp, self.qmin, self.qmax, g)


class QConv(nn.Conv2d):
    def __init__(self, cin, cout, k, stride, pad, quant):
        super().__init__(cin, cout, k, stride, pad, bias=False)
        self.wq = LSQ(True) if quant else None

    def forward(self, x):
        w = self.wq(self.weight) if self.wq is not None else self.weight
        return F.conv2d(x, w, None, self.stride, self.padding)


class Block(nn.Module):
    def __init__(self, cin, cout, stride, quant):
        super().__init__()
        self.aq1 = LSQ(False) if quant else nn.Identity()
        self.aq2 = LSQ(False) if quant else nn.Identity()
        self.c1, self.b1 = QConv(cin, cout, 3, stride, 1, quant), nn.BatchNorm2d(cout)
        self.c2, self.b2 = QConv(cout, cout, 3, 1, 1, quant), nn.BatchNorm2d(cout)
        self.sc = None
        if stride != 1 or cin != cout:
            self.sc, self.sb = QConv(cin, cout, 1, stride, 0, quant), nn.BatchNorm2d(cout)

    def forward(self, h):
        q = self.aq1(h)
        o = F.relu(self.b1(self.c1(q)))
        o = self.b2(self.c2(self.aq2(o)))
        s = h if self.sc is None else self.sb(self.sc(q))
        return F.relu(o + s)


class ResNet20(nn.Module):
    """Same graph as org.jqat.bench.ResNet20: 1x1 conv shortcuts, LSQ on inner convs."""

    def __init__(self, quant):
        super().__init__()
        self.stem, self.bn = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)
        layers, cin = [], 16
        for stage in range(3):
            cout = 16 << stage
            for b in range(3):
                layers.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1, quant))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = F.relu(self.bn(self.stem(x)))
        h = self.layers(h)
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


def compile_modes():
    """torch.compile's modes worth timing on a CPU (PyTorch 2.x); none on 1.x."""
    if not hasattr(torch, "compile"):
        return []
    return ["default", "max-autotune-no-cudagraphs"]


def resnet_step_time(quant, mode):
    torch.manual_seed(0)
    net = ResNet20(quant)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x = torch.randn(128, 3, 32, 32)
    y = torch.arange(128) % 10

    def loss(x, y):
        return F.cross_entropy(net(x), y)

    step_loss = loss if mode is None else torch.compile(loss, mode=mode)
    best = float("inf")
    for i in range(14):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        step_loss(x, y).backward()
        opt.step()
        s = time.perf_counter() - t
        if i >= 4:  # the first steps compile (torch.compile) and warm up
            best = min(best, s)
    return best


def resnet(quant):
    """The training step in eager mode and under each torch.compile mode; the plain row is the best."""
    torch.set_num_threads(2)
    name = "resnet20_lsq4_step" if quant else "resnet20_fp32_step"
    best = 0.0
    for mode in [None] + compile_modes():
        v = 128 / resnet_step_time(quant, mode)
        result(f"torch_{name}_{mode or 'eager'}", v, "img/s")
        best = max(best, v)
    result(name, best, "img/s")


class BlockA(nn.Module):
    """The CIFAR basic block with He et al.'s option-A shortcut (subsample, zero channels), as jqat's CifarResNet."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1, self.r1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
        self.c2, self.b2, self.r2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
        self.pad = (cout - cin) // 2 if stride != 1 or cin != cout else -1

    def forward(self, x):
        o = self.b2(self.c2(self.r1(self.b1(self.c1(x)))))
        s = x if self.pad < 0 else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return self.r2(o + s)


class ResNet20A(nn.Module):
    """ResNet-20 with option-A shortcuts: the network of jqat's inference rows (QuantResNet20)."""

    def __init__(self):
        super().__init__()
        self.stem, self.bn, self.relu = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()
        layers, cin = [], 16
        for stage in range(3):
            cout = 16 << stage
            for b in range(3):
                layers.append(BlockA(cin, cout, 2 if stage > 0 and b == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = self.layers(self.relu(self.bn(self.stem(x))))
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


def infer_time(model, batch):
    x = torch.randn(batch, 3, 32, 32)
    with torch.no_grad():
        for _ in range(3):
            model(x)
        reps, warm = (400, 100) if batch == 1 else (25, 5)
        return best_time(lambda: model(x), reps=reps, warm=warm)


def infer():
    """ResNet-20 eval at batch 1 and 128: FP32 eager, TorchScript-frozen, optimize_for_inference
    (conv-BN folding, oneDNN blocked layout) and torch.compile (PyTorch 2.x); int8 static
    quantization (FX graph mode) on every quantized engine this PyTorch offers. The plain rows are the best FP32 and the best int8. Eager
    runs first: building the scripted and quantized models changes global state that slowed eager
    six-fold when it ran after them (Debian's 1.13)."""
    import copy
    torch.set_num_threads(2)
    net = ResNet20A()
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(64, 3, 32, 32))
    net.eval()
    best = {}

    def record(kind, name, batch, model):
        v = batch / infer_time(model, batch)
        result(f"torch_{kind}_{name}_b{batch}", v, "img/s")
        best[(kind, batch)] = max(best.get((kind, batch), 0.0), v)

    for batch in (1, 128):
        record("fp32", "eager", batch, net)
    scripted = {
        "jit_freeze": torch.jit.freeze(torch.jit.script(copy.deepcopy(net).eval())),
        "optimize_for_inference": torch.jit.optimize_for_inference(torch.jit.script(copy.deepcopy(net).eval())),
    }
    for name, model in scripted.items():
        for batch in (1, 128):
            record("fp32", name, batch, model)
    for mode in compile_modes():
        compiled = torch.compile(copy.deepcopy(net).eval(), mode=mode)
        for batch in (1, 128):
            record("fp32", f"compile_{mode}", batch, compiled)
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    for engine in ("onednn", "qnnpack", "fbgemm", "x86"):
        if engine not in torch.backends.quantized.supported_engines:
            continue
        torch.backends.quantized.engine = engine
        prepared = prepare_fx(copy.deepcopy(net).eval(), get_default_qconfig_mapping(engine), (torch.randn(1, 3, 32, 32),))
        with torch.no_grad():
            for _ in range(4):
                prepared(torch.randn(32, 3, 32, 32))
        quantized = convert_fx(prepared)
        for batch in (1, 128):
            record("int8", engine, batch, quantized)
    for (kind, batch), v in sorted(best.items()):
        result(f"resnet20_infer_{kind}_b{batch}", v, "img/s")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    print(f"# torch {torch.__version__}, {torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}",
          file=sys.stderr)
    if what in ("sgemm1", "all"):
        sgemm(1)
    if what in ("sgemm2", "all"):
        sgemm(2)
    if what in ("fakequant", "all"):
        fake_quant()
    if what in ("resnet", "all"):
        resnet(False)
        resnet(True)
    if what in ("infer", "all"):
        infer()
