package org.jqat.nn.conformance;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.conformance.CaseHandler;
import org.jqat.core.conformance.CaseResult;
import org.jqat.core.conformance.Comparison;
import org.jqat.core.conformance.GoldenCase;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.sched.CosineAnnealingLR;
import org.jqat.nn.loss.CrossEntropyLoss;
import org.jqat.nn.zoo.CifarResNet;

/** Golden cases for the ops of the nn module: {@code sgd}, {@code cosine_lr} and {@code resnet_cifar}. */
public final class NnCases implements CaseHandler {
    static final double FWD_ATOL = 1e-5;
    static final double FWD_RTOL = 1e-4;
    /** Whole-network tolerance from the golden README. */
    static final double NET_ATOL = 1e-3;
    static final double NET_RTOL = 1e-3;

    @Override
    public Set<String> ops() {
        return Set.of("sgd", "cosine_lr", "resnet_cifar");
    }

    @Override
    public CaseResult run(GoldenCase c) {
        return switch (c.op()) {
            case "sgd" -> sgd(c);
            case "cosine_lr" -> cosineLr(c);
            case "resnet_cifar" -> resnetCifar(c);
            default -> CaseResult.skip("op '" + c.op() + "' is not handled by nn");
        };
    }

    /** {@code steps} steps of SGD, with grads {@code grad_1, grad_2, ...}, against {@code param_after_<steps>}. */
    private static CaseResult sgd(GoldenCase c) {
        Tensor p = c.tensor("param").requiresGrad(true);
        double momentum = c.attrDouble("momentum", 0);
        SGD opt = new SGD(List.of(new ParamGroup("p", List.of(p), c.attrDouble("lr"), c.attrDouble("weight_decay", 0))),
                momentum, c.attrDouble("dampening", 0), c.attrBool("nesterov", false));
        int steps = c.attrInt("steps", 2);
        for (int s = 1; s <= steps; s++) {
            p.setGrad(c.tensor("grad_" + s));
            opt.step();
        }
        Comparison cmp = new Comparison();
        String name = "param_after_" + steps;
        return cmp.check(name, p, c.tensor(name), FWD_ATOL, FWD_RTOL).result();
    }

    /** The rate at epochs 0..len-1 of CosineAnnealingLR. */
    private static CaseResult cosineLr(GoldenCase c) {
        Tensor expected = c.tensor("lr");
        int n = expected.numel();
        Tensor dummy = Tensor.zeros(1).requiresGrad(true);
        SGD opt = new SGD(List.of(dummy), c.attrDouble("base_lr"), 0, 0, false);
        CosineAnnealingLR sched = new CosineAnnealingLR(opt, c.attrInt("t_max"), c.attrDouble("eta_min", 0),
                c.attrInt("warmup", 0), c.attrDouble("warmup_start_factor", 0));
        float[] lr = new float[n];
        for (int t = 0; t < n; t++) {
            lr[t] = (float) sched.lr(0);
            sched.step();
        }
        return new Comparison().check("lr", Tensor.of(lr, expected.shape()), expected, 1e-7, 1e-5).result();
    }

    /**
     * Whole CIFAR ResNet: loads {@code param.*}, compares eval-mode and training-mode logits, the
     * cross-entropy loss, every parameter gradient and the running statistics after the
     * training-mode forward.
     */
    private static CaseResult resnetCifar(GoldenCase c) {
        int depth = c.attrInt("depth");
        // The classifier's shape decides when the attribute is absent.
        int classes = c.hasAttr("classes") ? c.attrInt("classes")
                : c.has("param.fc.bias") ? c.entry("param.fc.bias").shape()[0] : 10;
        String sc = c.attr("shortcut", "conv1x1_bn");
        CifarResNet.Shortcut shortcut = sc.equals("conv1x1_bn") ? CifarResNet.Shortcut.B : CifarResNet.Shortcut.A;
        Tensor x = c.tensor("x");
        CifarResNet model = new CifarResNet(x.size(1), depth, classes, shortcut, (float) c.attrDouble("bn_eps", 1e-5),
                (float) c.attrDouble("bn_momentum", 0.1), new Rng(0));
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (String name : c.file().names()) {
            if (name.startsWith("param.")) {
                state.put(name.substring("param.".length()), c.tensor(name));
            }
        }
        model.loadStateDict(state, true);
        Comparison cmp = new Comparison();
        if (c.has("logits_eval")) {
            model.eval();
            try (var ng = org.jqat.core.Autograd.noGrad()) {
                cmp.check("logits_eval", model.forward(x), c.tensor("logits_eval"), NET_ATOL, NET_RTOL);
            }
        }
        model.train();
        Tensor logits = model.forward(x);
        if (c.has("logits_train")) {
            cmp.check("logits_train", logits, c.tensor("logits_train"), NET_ATOL, NET_RTOL);
        }
        Tensor loss = new CrossEntropyLoss((float) c.attrDouble("label_smoothing", 0)).forward(logits, c.ints("target"));
        if (c.has("loss")) {
            cmp.check("loss", loss, c.tensor("loss"), NET_ATOL, NET_RTOL);
        }
        loss.backward();
        Map<String, Tensor> params = model.namedParameters();
        Map<String, Tensor> buffers = model.namedBuffers();
        int grads = 0;
        int after = 0;
        for (String name : c.file().names()) {
            if (name.startsWith("grad.")) {
                String key = name.substring("grad.".length());
                Tensor p = params.get(key);
                if (p == null || p.grad() == null) {
                    cmp.fail(name + ": no such parameter gradient in the model");
                } else {
                    cmp.check(name, p.grad(), c.tensor(name), NET_ATOL, NET_RTOL);
                    grads++;
                }
            } else if (name.startsWith("after.")) {
                String key = name.substring("after.".length());
                Tensor b = buffers.get(key);
                if (b == null) {
                    if (!key.endsWith("num_batches_tracked")) {
                        cmp.fail(name + ": no such buffer in the model");
                    }
                } else {
                    cmp.check(name, b, c.tensor(name), NET_ATOL, NET_RTOL);
                    after++;
                }
            }
        }
        return cmp.note(grads + " gradients, " + after + " buffers compared").result();
    }
}
