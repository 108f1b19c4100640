package org.jqat.core.conformance;

import java.util.Set;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/** Golden cases for the ops that live in core. */
public final class CoreCases implements CaseHandler {
    /** Single-op tolerances PyTorch-based projects use (golden README). */
    static final double FWD_ATOL = 1e-5;
    static final double FWD_RTOL = 1e-4;
    static final double GRAD_ATOL = 1e-4;
    static final double GRAD_RTOL = 1e-3;

    @Override
    public Set<String> ops() {
        return Set.of("conv2d", "linear", "batchnorm2d", "maxpool2d", "avgpool2d", "global_avgpool", "relu",
                "cross_entropy", "kd_kl");
    }

    @Override
    public CaseResult run(GoldenCase c) {
        return switch (c.op()) {
            case "conv2d" -> conv2d(c);
            case "linear" -> linear(c);
            case "batchnorm2d" -> batchNorm(c);
            case "maxpool2d", "avgpool2d" -> pool(c);
            case "global_avgpool" -> unaryOp(c, Functional::globalAvgPool2d);
            case "relu" -> unaryOp(c, Tensor::relu);
            case "cross_entropy" -> crossEntropy(c);
            case "kd_kl" -> distillation(c);
            default -> CaseResult.skip("op '" + c.op() + "' is not handled by core");
        };
    }

    private static Tensor param(GoldenCase c, String name) {
        Tensor t = c.optionalTensor(name);
        return t == null ? null : t.requiresGrad(true);
    }

    private static CaseResult conv2d(GoldenCase c) {
        Tensor x = param(c, "x");
        Tensor w = param(c, "weight");
        Tensor b = param(c, "bias");
        Tensor y = Functional.conv2d(x, w, b, c.attrInts("stride", 1), c.attrInts("padding", 0),
                c.attrInts("dilation", 1), c.attrInt("groups", 1));
        y.backward(c.tensor("grad_y"));
        Comparison cmp = new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL);
        return gradients(c, cmp, x, w, b).result();
    }

    private static CaseResult linear(GoldenCase c) {
        Tensor x = param(c, "x");
        Tensor w = param(c, "weight");
        Tensor b = param(c, "bias");
        Tensor y = Functional.linear(x, w, b);
        y.backward(c.tensor("grad_y"));
        Comparison cmp = new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL);
        return gradients(c, cmp, x, w, b).result();
    }

    private static CaseResult batchNorm(GoldenCase c) {
        Tensor x = param(c, "x");
        Tensor w = param(c, "weight");
        Tensor b = param(c, "bias");
        Tensor rm = c.optionalTensor("running_mean");
        Tensor rv = c.optionalTensor("running_var");
        boolean training = c.attrBool("training");
        Tensor y = Functional.batchNorm(x, rm, rv, w, b, training, (float) c.attrDouble("momentum", 0.1),
                (float) c.attrDouble("eps", 1e-5));
        y.backward(c.tensor("grad_y"));
        Comparison cmp = new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL);
        if (c.has("running_mean_out")) {
            cmp.check("running_mean_out", rm, c.tensor("running_mean_out"), FWD_ATOL, FWD_RTOL);
        }
        if (c.has("running_var_out")) {
            cmp.check("running_var_out", rv, c.tensor("running_var_out"), FWD_ATOL, FWD_RTOL);
        }
        return gradients(c, cmp, x, w, b).result();
    }

    private static CaseResult pool(GoldenCase c) {
        if (c.attrBool("ceil_mode", false)) {
            return CaseResult.fail("ceil_mode=true is not supported by pooling");
        }
        Tensor x = param(c, "x");
        int[] kernel = c.attrInts("kernel");
        int[] stride = c.attrInts("stride", kernel);
        int[] padding = c.attrInts("padding", 0);
        Tensor y;
        if (c.op().equals("maxpool2d")) {
            if (c.hasAttr("dilation") && !java.util.Arrays.stream(c.attrInts("dilation")).allMatch(d -> d == 1)) {
                return CaseResult.fail("dilated max pooling is not supported");
            }
            y = Functional.maxPool2d(x, kernel, stride, padding);
        } else {
            if (!c.attrBool("count_include_pad", true)) {
                return CaseResult.fail("count_include_pad=false is not supported");
            }
            y = Functional.avgPool2d(x, kernel, stride, padding);
        }
        y.backward(c.tensor("grad_y"));
        Comparison cmp = new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL);
        return cmp.check("grad_x", x.grad(), c.tensor("grad_x"), GRAD_ATOL, GRAD_RTOL).result();
    }

    private static CaseResult unaryOp(GoldenCase c, java.util.function.UnaryOperator<Tensor> f) {
        Tensor x = param(c, "x");
        Tensor y = f.apply(x);
        y.backward(c.tensor("grad_y").reshape(y.shape()));
        Comparison cmp = new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL);
        return cmp.check("grad_x", x.grad(), c.tensor("grad_x"), GRAD_ATOL, GRAD_RTOL).result();
    }

    private static CaseResult crossEntropy(GoldenCase c) {
        Tensor logits = param(c, "logits");
        int[] target = c.ints("target");
        float smoothing = (float) c.attrDouble("label_smoothing", 0);
        String reduction = c.attr("reduction", "mean");
        Tensor loss = Functional.crossEntropy(logits, target, smoothing);
        loss = switch (reduction) {
            case "mean" -> loss;
            case "sum" -> loss.mul(target.length);
            default -> throw new IllegalArgumentException("reduction '" + reduction + "' is not supported");
        };
        loss.backward();
        Comparison cmp = new Comparison().check("loss", loss, c.tensor("loss"), FWD_ATOL, FWD_RTOL);
        return cmp.check("grad_logits", logits.grad(), c.tensor("grad_logits"), GRAD_ATOL, GRAD_RTOL).result();
    }

    private static CaseResult distillation(GoldenCase c) {
        Tensor student = param(c, "student");
        Tensor teacher = c.tensor("teacher");
        float t = (float) c.attrDouble("temperature");
        Tensor loss = Functional.distillationLoss(student, teacher, t, c.attrBool("scaled_by_t2", true));
        String reduction = c.attr("reduction", "batchmean");
        loss = switch (reduction) {
            case "batchmean" -> loss;
            case "sum" -> loss.mul(student.size(0));
            case "mean" -> loss.div(student.size(1));
            default -> throw new IllegalArgumentException("reduction '" + reduction + "' is not supported");
        };
        loss.backward();
        Comparison cmp = new Comparison().check("loss", loss, c.tensor("loss"), FWD_ATOL, FWD_RTOL);
        return cmp.check("grad_student", student.grad(), c.tensor("grad_student"), GRAD_ATOL, GRAD_RTOL).result();
    }

    /** Compares grad_x, grad_weight and grad_bias when the case has them. */
    private static Comparison gradients(GoldenCase c, Comparison cmp, Tensor x, Tensor w, Tensor b) {
        String[] names = {"grad_x", "grad_weight", "grad_bias"};
        Tensor[] params = {x, w, b};
        for (int i = 0; i < names.length; i++) {
            if (c.has(names[i])) {
                if (params[i] == null || params[i].grad() == null) {
                    cmp.fail(names[i] + ": no gradient computed");
                } else {
                    cmp.check(names[i], params[i].grad(), c.tensor(names[i]), GRAD_ATOL, GRAD_RTOL);
                }
            }
        }
        return cmp;
    }
}
