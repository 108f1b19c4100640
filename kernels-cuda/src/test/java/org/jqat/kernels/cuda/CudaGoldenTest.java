package org.jqat.kernels.cuda;

import static org.jqat.kernels.cuda.CudaTestSupport.requireGpu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Device;
import org.jqat.core.conformance.CaseResult;
import org.jqat.core.conformance.Comparison;
import org.jqat.core.conformance.GoldenCase;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.testing.GoldenDir;
import org.junit.jupiter.api.Test;

/**
 * The single-op PyTorch golden cases run on the GPU. ConformanceRunner.run(dir, backend, out)
 * only accepts host backends (Backends.using), so this harness uploads each case's inputs with
 * {@code .to(Device.CUDA)} and compares on the host with the tolerances of core's CoreCases.
 * lsq cases run {@code Functional.fakeQuantize} on the GPU and on the host backend, which must agree
 * (forward bit-exact); the host path is checked against PyTorch by qat's conformance test.
 */
class CudaGoldenTest {
    static final double FWD_ATOL = 1e-5;
    static final double FWD_RTOL = 1e-4;
    static final double GRAD_ATOL = 1e-4;
    static final double GRAD_RTOL = 1e-3;

    private static Tensor up(GoldenCase c, String name, boolean grad) {
        Tensor t = c.optionalTensor(name);
        if (t == null) {
            return null;
        }
        Tensor d = t.to(Device.CUDA);
        return grad ? d.requiresGrad(true) : d;
    }

    private static Comparison grads(GoldenCase c, Comparison cmp, Tensor x, Tensor w, Tensor b) {
        String[] names = {"grad_x", "grad_weight", "grad_bias"};
        Tensor[] ps = {x, w, b};
        for (int i = 0; i < 3; i++) {
            if (c.has(names[i])) {
                if (ps[i] == null || ps[i].grad() == null) {
                    cmp.fail(names[i] + ": no gradient computed");
                } else {
                    cmp.check(names[i], ps[i].grad(), c.tensor(names[i]), GRAD_ATOL, GRAD_RTOL);
                }
            }
        }
        return cmp;
    }

    static CaseResult run(GoldenCase c) {
        String op = c.op();
        switch (op) {
            case "conv2d": {
                Tensor x = up(c, "x", true), w = up(c, "weight", true), b = up(c, "bias", true);
                Tensor y = Functional.conv2d(x, w, b, c.attrInts("stride", 1), c.attrInts("padding", 0),
                        c.attrInts("dilation", 1), c.attrInt("groups", 1));
                assertEquals(Device.CUDA, y.device());
                y.backward(c.tensor("grad_y").to(Device.CUDA));
                return grads(c, new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL), x, w, b).result();
            }
            case "linear": {
                Tensor x = up(c, "x", true), w = up(c, "weight", true), b = up(c, "bias", true);
                Tensor y = Functional.linear(x, w, b);
                y.backward(c.tensor("grad_y").to(Device.CUDA));
                return grads(c, new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL), x, w, b).result();
            }
            case "batchnorm2d": {
                Tensor x = up(c, "x", true), w = up(c, "weight", true), b = up(c, "bias", true);
                Tensor rm = up(c, "running_mean", false), rv = up(c, "running_var", false);
                Tensor y = Functional.batchNorm(x, rm, rv, w, b, c.attrBool("training"),
                        (float) c.attrDouble("momentum", 0.1), (float) c.attrDouble("eps", 1e-5));
                y.backward(c.tensor("grad_y").to(Device.CUDA));
                Comparison cmp = new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL);
                if (c.has("running_mean_out")) {
                    cmp.check("running_mean_out", rm, c.tensor("running_mean_out"), FWD_ATOL, FWD_RTOL);
                }
                if (c.has("running_var_out")) {
                    cmp.check("running_var_out", rv, c.tensor("running_var_out"), FWD_ATOL, FWD_RTOL);
                }
                return grads(c, cmp, x, w, b).result();
            }
            case "maxpool2d":
            case "avgpool2d": {
                if (c.attrBool("ceil_mode", false)) {
                    return CaseResult.skip("ceil_mode");
                }
                Tensor x = up(c, "x", true);
                int[] k = c.attrInts("kernel");
                Tensor y = op.equals("maxpool2d")
                        ? Functional.maxPool2d(x, k, c.attrInts("stride", k), c.attrInts("padding", 0))
                        : Functional.avgPool2d(x, k, c.attrInts("stride", k), c.attrInts("padding", 0));
                y.backward(c.tensor("grad_y").to(Device.CUDA));
                return new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL)
                        .check("grad_x", x.grad(), c.tensor("grad_x"), GRAD_ATOL, GRAD_RTOL).result();
            }
            case "global_avgpool":
            case "relu": {
                Tensor x = up(c, "x", true);
                Tensor y = op.equals("relu") ? x.relu() : Functional.globalAvgPool2d(x);
                y.backward(c.tensor("grad_y").reshape(y.shape()).to(Device.CUDA));
                return new Comparison().check("y", y, c.tensor("y"), FWD_ATOL, FWD_RTOL)
                        .check("grad_x", x.grad(), c.tensor("grad_x"), GRAD_ATOL, GRAD_RTOL).result();
            }
            case "cross_entropy": {
                Tensor logits = up(c, "logits", true);
                int[] target = c.ints("target");
                Tensor loss = Functional.crossEntropy(logits, target, (float) c.attrDouble("label_smoothing", 0));
                String red = c.attr("reduction", "mean");
                if (red.equals("sum")) {
                    loss = loss.mul(target.length);
                } else if (!red.equals("mean")) {
                    return CaseResult.skip("reduction " + red);
                }
                loss.backward();
                return new Comparison().check("loss", loss, c.tensor("loss"), FWD_ATOL, FWD_RTOL)
                        .check("grad_logits", logits.grad(), c.tensor("grad_logits"), GRAD_ATOL, GRAD_RTOL).result();
            }
            case "kd_kl": {
                Tensor s = up(c, "student", true), t = up(c, "teacher", false);
                Tensor loss = Functional.distillationLoss(s, t, (float) c.attrDouble("temperature"), c.attrBool("scaled_by_t2", true));
                String red = c.attr("reduction", "batchmean");
                loss = switch (red) {
                    case "batchmean" -> loss;
                    case "sum" -> loss.mul(s.size(0));
                    case "mean" -> loss.div(s.size(1));
                    default -> null;
                };
                if (loss == null) {
                    return CaseResult.skip("reduction " + red);
                }
                loss.backward();
                return new Comparison().check("loss", loss, c.tensor("loss"), FWD_ATOL, FWD_RTOL)
                        .check("grad_student", s.grad(), c.tensor("grad_student"), GRAD_ATOL, GRAD_RTOL).result();
            }
            case "lsq":
                return lsq(c);
            default:
                return CaseResult.skip("op '" + op + "' is not part of the CUDA single-op harness");
        }
    }

    /** LSQ on the GPU against the same fused op on the host backend. */
    private static CaseResult lsq(GoldenCase c) {
        int bits = c.attrInt("bits");
        float qmin, qmax;
        if (c.hasAttr("qn") && c.hasAttr("qp")) {
            qmin = -c.attrInt("qn");
            qmax = c.attrInt("qp");
        } else {
            boolean signed = c.attrBool("signed", "weight".equals(c.attr("kind", "weight").toLowerCase(Locale.ROOT)));
            qmin = signed ? -(1 << (bits - 1)) : 0;
            qmax = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        }
        Tensor x = c.tensor("x");
        Tensor step = c.tensor("step").reshape(1);
        float g = c.hasAttr("grad_scale") ? (float) c.attrDouble("grad_scale")
                : (float) (1.0 / Math.sqrt((double) x.numel() * qmax));
        Tensor gy = c.tensor("grad_y");

        Tensor xh = x.cloneData().requiresGrad(true), sh = step.cloneData().requiresGrad(true);
        Tensor yh = Functional.fakeQuantize(xh, sh, null, -1, qmin, qmax, g, true);
        yh.backward(gy.reshape(yh.shape()));

        Tensor xd = x.to(Device.CUDA).requiresGrad(true), sd = step.to(Device.CUDA).requiresGrad(true);
        Tensor yd = Functional.fakeQuantize(xd, sd, null, -1, qmin, qmax, g, true);
        assertEquals(Device.CUDA, yd.device());
        yd.backward(gy.reshape(yd.shape()).to(Device.CUDA));
        return new Comparison()
                .check("y (vs host)", yd, yh, 0, 0)
                .check("grad_x (vs host)", xd.grad(), xh.grad(), 0, 0)
                .check("grad_step (vs host)", sd.grad(), sh.grad(), 1e-6, 1e-5)
                .result();
    }

    static List<Path> cases(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    @Test
    void singleOpGoldenCasesOnGpu() throws IOException {
        requireGpu();
        Path dir = GoldenDir.locate();
        List<String> failures = new ArrayList<>();
        int passed = 0;
        int skipped = 0;
        for (Path p : cases(dir)) {
            CaseResult r;
            String op = "?";
            try (SafetensorsFile sf = SafetensorsFile.open(p)) {
                GoldenCase c = new GoldenCase(sf);
                op = c.op();
                r = op == null ? CaseResult.skip("no op") : run(c);
            } catch (RuntimeException | AssertionError e) {
                r = CaseResult.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            System.out.printf(Locale.ROOT, "%-4s %-36s %-16s %s%n", r.status(), dir.relativize(p), op,
                    r.detail() == null ? "" : r.detail());
            switch (r.status()) {
                case PASS -> passed++;
                case SKIP -> skipped++;
                case FAIL -> failures.add(p.getFileName() + ": " + r.detail());
            }
        }
        System.out.println(passed + " passed, " + failures.size() + " failed, " + skipped + " skipped (CUDA)");
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(passed >= 10, "too few golden cases ran on the GPU: " + passed);
    }
}
