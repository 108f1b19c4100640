#!/usr/bin/env python3
"""Writes extra PyTorch golden cases (same format as shared/golden) with varied shapes and
attributes, to check that the conformance runner handles cases it has never seen.

    /usr/bin/python3 tools/make_golden.py OUT_DIR [SEED]

Needs Debian's python3-torch; safetensors is written by hand (no extra package).
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F


def save(path, tensors, meta):
    header, blobs, offset = {"__metadata__": {k: str(v) for k, v in meta.items()}}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def leaf(*shape):
    return torch.randn(*shape, requires_grad=True)


def conv_case(out, i, n, cin, h, w, cout, k, stride, pad, dil, groups, bias):
    x, wt = leaf(n, cin, h, w), leaf(cout, cin // groups, *k)
    b = leaf(cout) if bias else None
    y = F.conv2d(x, wt, b, stride, pad, dil, groups)
    gy = torch.randn_like(y)
    y.backward(gy)
    t = {"x": x, "weight": wt, "y": y, "grad_y": gy, "grad_x": x.grad, "grad_weight": wt.grad}
    if bias:
        t.update(bias=b, grad_bias=b.grad)
    save(f"{out}/conv2d_x{i}.safetensors", t,
         {"op": "conv2d", "stride": stride, "padding": pad, "dilation": dil, "groups": groups})


def main():
    out = sys.argv[1]
    torch.manual_seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    conv_case(out, 0, 3, 5, 11, 7, 7, (3, 3), 2, 1, 1, 1, True)
    conv_case(out, 1, 1, 6, 9, 9, 4, (3, 1), (1, 2), (2, 0), (2, 1), 2, False)
    conv_case(out, 2, 2, 16, 5, 5, 16, (3, 3), 1, 1, 1, 16, True)
    conv_case(out, 3, 2, 3, 13, 13, 8, (5, 5), 3, 2, 1, 1, True)
    conv_case(out, 4, 4, 32, 4, 4, 64, (1, 1), 2, 0, 1, 1, False)

    x, wt, b = leaf(3, 5, 9), leaf(6, 9), leaf(6)
    y = F.linear(x, wt, b)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(f"{out}/linear_x.safetensors", {"x": x, "weight": wt, "bias": b, "y": y, "grad_y": gy,
                                         "grad_x": x.grad, "grad_weight": wt.grad, "grad_bias": b.grad}, {"op": "linear"})

    for training in (True, False):
        x, wt, b = leaf(3, 7, 4, 6), leaf(7), leaf(7)
        rm, rv = torch.randn(7), torch.rand(7) + 0.5
        rm0, rv0 = rm.clone(), rv.clone()
        y = F.batch_norm(x, rm, rv, wt, b, training, 0.3, 1e-3)
        gy = torch.randn_like(y)
        y.backward(gy)
        t = {"x": x, "weight": wt, "bias": b, "running_mean": rm0, "running_var": rv0, "y": y, "grad_y": gy,
             "grad_x": x.grad, "grad_weight": wt.grad, "grad_bias": b.grad}
        if training:
            t.update(running_mean_out=rm, running_var_out=rv)
        save(f"{out}/batchnorm2d_x{int(training)}.safetensors", t,
             {"op": "batchnorm2d", "training": str(training).lower(), "momentum": 0.3, "eps": 1e-3})

    for i, (k, s, p) in enumerate([(2, 2, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0))]):
        for op, fn in (("maxpool2d", F.max_pool2d), ("avgpool2d", F.avg_pool2d)):
            x = leaf(2, 3, 9, 7)
            y = fn(x, k, s, p)
            gy = torch.randn_like(y)
            y.backward(gy)
            save(f"{out}/{op}_x{i}.safetensors", {"x": x, "y": y, "grad_y": gy, "grad_x": x.grad},
                 {"op": op, "kernel": k, "stride": s, "padding": p})

    x = leaf(3, 5, 6, 7)
    y = F.adaptive_avg_pool2d(x, 1)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(f"{out}/global_avgpool_x.safetensors", {"x": x, "y": y, "grad_y": gy, "grad_x": x.grad}, {"op": "global_avgpool"})

    x = leaf(4, 3, 5)
    y = F.relu(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(f"{out}/relu_x.safetensors", {"x": x, "y": y, "grad_y": gy, "grad_x": x.grad}, {"op": "relu"})

    logits, target = leaf(9, 13), torch.randint(0, 13, (9,))
    loss = F.cross_entropy(logits, target)
    loss.backward()
    save(f"{out}/cross_entropy_x.safetensors", {"logits": logits, "target": target, "loss": loss.reshape(1),
                                                "grad_logits": logits.grad}, {"op": "cross_entropy", "reduction": "mean"})

    s, t = leaf(5, 7), torch.randn(5, 7)
    T = 2.5
    loss = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T
    loss.backward()
    save(f"{out}/kd_kl_x.safetensors", {"student": s, "teacher": t, "loss": loss.reshape(1), "grad_student": s.grad},
         {"op": "kd_kl", "temperature": T, "reduction": "batchmean", "scaled_by_t2": "true"})
    for i, (kind, bits, signed, shape) in enumerate([("weight", 3, True, (6, 5, 3, 3)), ("act", 8, False, (2, 4, 7, 5)),
                                                   ("act", 5, False, (3, 3, 4, 4)), ("weight", 8, True, (4, 9))]):
        qn, qp = (2 ** (bits - 1), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
        x = torch.randn(*shape) if signed else torch.relu(torch.randn(*shape)) * 2
        step_init = 2 * x.abs().mean() / qp ** 0.5
        step = step_init * 0.8
        g = 1.0 / (x.numel() * qp) ** 0.5
        v = x / step
        inside = (v >= -qn) & (v <= qp)
        y = torch.round(torch.clamp(v, -qn, qp)) * step
        gy = torch.randn_like(x)
        grad_x = gy * inside
        grad_step = (gy * torch.where(inside, torch.round(v) - v, torch.clamp(v, -qn, qp))).sum() * g
        save(f"{out}/lsq_x{i}.safetensors", {"x": x, "step": step.reshape(1), "y": y, "grad_y": gy, "grad_x": grad_x,
                                             "grad_step": grad_step.reshape(1), "step_init": step_init.reshape(1)},
             {"op": "lsq", "kind": kind, "bits": bits, "signed": str(signed).lower(), "qn": qn, "qp": qp, "grad_scale": g})


if __name__ == "__main__":
    main()
