package org.jqat.qat.br;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.datasets.Batch;
import org.jqat.nn.Blocks;
import org.jqat.nn.Module;
import org.jqat.nn.NamedBlock;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.LayerOverride;
import org.jqat.qat.convert.LayerPolicy;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.jqat.qat.train.Objective;
import org.junit.jupiter.api.Test;

class BlockReplacementTest {

    static CifarResNet fpModel() {
        return new CifarResNet(8, 5, CifarResNet.Shortcut.A, 1e-5f, 0.1f, new Rng(11));
    }

    static Module lpModel(CifarResNet fp, QatMethod method) {
        return Qat.convert(fp, QatConfig.builder().method(method).bits(2).build());
    }

    static Batch batch(long seed) {
        return batch(seed, 6);
    }

    static Batch batch(long seed, int images) {
        Rng r = new Rng(seed);
        int[] labels = new int[images];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = r.nextInt(5);
        }
        return new Batch(Tensor.randn(r, images, 3, 8, 8), labels, new int[images], 0, 0);
    }

    private static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void branchesShareTheLowPrecisionBlocks() {
        CifarResNet fp = fpModel();
        Module lp = lpModel(fp, QatMethod.LSQ);
        BlockReplacement br = BlockReplacement.wrap(lp, fp, BrConfig.defaults());
        assertEquals(List.of("stem", "layer1", "layer2", "layer3", "head"), br.blockNames());
        assertSame(lp, br.model());
        // No copies of LP parameters: the branches run the LP model's own modules.
        for (NamedBlock b : br.lowPrecisionBlocks()) {
            for (Map.Entry<String, Module> child : b.module().namedChildren().entrySet()) {
                String path = b.name().equals("stem") || b.name().equals("head") ? child.getKey() : b.name() + "." + child.getKey();
                assertSame(lp.submodule(path), child.getValue(), path);
            }
        }
        Map<String, Tensor> before = lp.namedParameters();
        br.forward(batch(1)).loss().backward();
        // Every trainable LP parameter (the quantizer steps of unused layers aside) got a gradient.
        for (Map.Entry<String, Tensor> e : lp.namedParameters().entrySet()) {
            assertSame(before.get(e.getKey()), e.getValue(), "parameter replaced: " + e.getKey());
        }
        assertTrue(lp.namedParameters().get("layer1.0.conv1.weight").grad() != null);
        assertTrue(lp.namedParameters().get("conv1.weight").grad() != null);
        // The FP copy receives none.
        for (Tensor t : br.fpModel().parameters()) {
            assertEquals(null, t.grad());
            assertFalse(t.requiresGrad());
        }
    }

    @Test
    void fullPrecisionWeightsAndStatisticsNeverChange() {
        CifarResNet fp = fpModel();
        Module lp = lpModel(fp, QatMethod.LSQ);
        Map<String, float[]> fpBefore = snapshot(fp);
        BlockReplacement br = BlockReplacement.wrap(lp, fp, BrConfig.defaults());
        Map<String, float[]> copyBefore = snapshot(br.fpModel());
        Map<String, float[]> lpBefore = snapshot(lp);
        SGD opt = new SGD(lp.trainableParameters(), 0.05, 0.9, 5e-4, true);
        for (int step = 0; step < 3; step++) {
            opt.zeroGrad();
            br.forward(batch(step)).loss().backward();
            opt.step();
        }
        for (var e : snapshot(br.fpModel()).entrySet()) {
            assertArrayEquals(copyBefore.get(e.getKey()), e.getValue(), "FP copy changed: " + e.getKey());
        }
        for (var e : snapshot(fp).entrySet()) {
            assertArrayEquals(fpBefore.get(e.getKey()), e.getValue(), "caller's FP model changed: " + e.getKey());
        }
        assertFalse(java.util.Arrays.equals(lpBefore.get("layer2.0.conv1.weight"), snapshot(lp).get("layer2.0.conv1.weight")),
                "LP weights should train");
        assertNotEquals(lpBefore.get("layer1.0.bn1.running_mean")[0], snapshot(lp).get("layer1.0.bn1.running_mean")[0]);
    }

    /**
     * The whole BR loss and its gradients equal the sum of each term taken on its own as one graph
     * over the batch: for a batch within one chunk of the teacher's chunked forward (6 images) and
     * for one of three chunks (20 images: 8, 8 and 4).
     */
    @Test
    void lowPrecisionGradientIsTheSumOfTheBranchGradients() {
        gradientIsTheSumOfTheTerms(6);
        gradientIsTheSumOfTheTerms(20);
    }

    private static void gradientIsTheSumOfTheTerms(int images) {
        CifarResNet fp = fpModel();
        Module lp = lpModel(fp, QatMethod.LSQ);
        BrConfig cfg = BrConfig.defaults().withWeighting(BrConfig.Weighting.HALVING).withLossWeights(0.7f, 1.3f, 0.6f);
        BlockReplacement br = BlockReplacement.wrap(lp, fp, cfg);
        Batch b = batch(3, images);
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            lp.forward(b.images()); // initialise the LSQ steps first, so every pass below is the same function
        }
        lp.zeroGrad();
        Tensor loss = br.forward(b).loss();
        double lossValue = loss.item();
        loss.backward();
        Map<String, float[]> combined = new LinkedHashMap<>();
        lp.namedParameters().forEach((k, v) -> combined.put(k, v.grad() == null ? null : v.grad().toFloatArray()));

        List<NamedBlock> lpStages = ((Blocks) lp).stages();
        List<NamedBlock> fpStages = ((Blocks) br.fpModel()).stages();
        int n = lpStages.size();
        Tensor teacher;
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            teacher = br.fpModel().forward(b.images());
        }
        List<java.util.function.Supplier<Tensor>> terms = new ArrayList<>();
        terms.add(() -> Functional.crossEntropy(lp.forward(b.images()), b.labels()));
        terms.add(() -> Functional.distillationLoss(lp.forward(b.images()), teacher, 4f).mul(0.7f));
        List<Integer> cuts = br.branchPoints();
        assertEquals(List.of(2, 3), cuts, "stem and head hold no quantized layer (first and last layers stay FP)");
        for (int k = 0; k < cuts.size(); k++) {
            int cut = cuts.get(k);
            float w = (float) Math.pow(0.5, cuts.size() - 1 - k);
            terms.add(() -> {
                Tensor z = Blocks.run(lpStages.subList(0, cut), b.images());
                z = Blocks.run(fpStages.subList(cut, n), z);
                return Functional.distillationLoss(z, teacher, 4f).mul(1.3f * w).add(Functional.crossEntropy(z, b.labels()).mul(0.6f * w));
            });
        }
        Map<String, double[]> summed = new LinkedHashMap<>();
        double valueSum = 0;
        for (var term : terms) {
            lp.zeroGrad();
            Tensor t = term.get();
            valueSum += t.item();
            t.backward();
            lp.namedParameters().forEach((k, v) -> {
                if (v.grad() != null) {
                    float[] g = v.grad().toFloatArray();
                    double[] acc = summed.computeIfAbsent(k, key -> new double[g.length]);
                    for (int j = 0; j < g.length; j++) {
                        acc[j] += g[j];
                    }
                }
            });
        }
        assertEquals(valueSum, lossValue, 1e-5 * Math.abs(valueSum), images + " images: the loss is the sum of its terms");
        assertEquals(summed.keySet(), combined.entrySet().stream().filter(e -> e.getValue() != null).map(Map.Entry::getKey)
                .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new)));
        for (var e : summed.entrySet()) {
            float[] got = combined.get(e.getKey());
            for (int j = 0; j < got.length; j++) {
                assertEquals(e.getValue()[j], got[j], 1e-5 + 1e-4 * Math.abs(e.getValue()[j]), images + " images: " + e.getKey() + "[" + j + "]");
            }
        }
    }

    /**
     * One branch per step: the steps take the branches in turn, each term weighted m·w_k, so the
     * mean loss over a turn is the loss that runs every branch each step.
     */
    @Test
    void onePerStepTakesTheBranchesInTurnAndAveragesToTheFullLoss() {
        CifarResNet fp = fpModel();
        Module lp = lpModel(fp, QatMethod.LSQ);
        BrConfig all = BrConfig.defaults().withWeighting(BrConfig.Weighting.HALVING).withLossWeights(0.7f, 1.3f, 0.6f);
        Batch b = batch(4);
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            lp.forward(b.images()); // initialise the LSQ steps first, so every pass below is the same function
        }
        double full = BlockReplacement.wrap(lp, fp, all).forward(b).loss().item();
        BlockReplacement one = BlockReplacement.wrap(lp, fp, all.withPerStep(BrConfig.PerStep.ONE));
        assertEquals(List.of(2, 3), one.branchPoints());
        assertTrue(one.describe().endsWith("(one per step, in turn)"), one.describe());
        double[] losses = new double[4];
        List<List<String>> terms = new ArrayList<>();
        one.startStep(10); // a resumed run: the turn follows the trainer's global step
        for (int s = 0; s < losses.length; s++) {
            losses[s] = one.forward(b).loss().item();
            terms.add(List.copyOf(one.lastTerms().keySet()));
        }
        assertEquals(List.of("ce_lp", "kd_lp", "kd_m2", "ce_m2"), terms.get(0), "step 10: branch 10 mod 2 = 0, M2");
        assertEquals(List.of("ce_lp", "kd_lp", "kd_m3", "ce_m3"), terms.get(1));
        assertEquals(terms.get(0), terms.get(2));
        assertEquals(losses[0], losses[2], 1e-6 * Math.abs(losses[0]));
        assertNotEquals(losses[0], losses[1]);
        assertEquals(full, (losses[0] + losses[1]) / 2, 1e-5 * Math.abs(full), "mean over a turn = every branch each step");
        assertArrayEquals(new int[] {0, 1}, BlockReplacement.wrap(lp, fp, all).branchesAt(7));
        assertArrayEquals(new int[] {1}, one.branchesAt(7));
        assertArrayEquals(new int[0], BlockReplacement.wrap(lp, fp, all.withPerStep(BrConfig.PerStep.ONE)
                .withLossWeights(1f, 0f, 0f)).branchesAt(3), "no branch term: no branch runs");
    }

    @Test
    void wrapsEveryQuantizerAndBothLayouts() {
        for (QatMethod method : new QatMethod[] {QatMethod.LSQ, QatMethod.LSQ_PLUS, QatMethod.DOREFA_PACT}) {
            for (BrConfig.Layout layout : BrConfig.Layout.values()) {
                CifarResNet fp = fpModel();
                Module lp = lpModel(fp, method);
                BrConfig cfg = BrConfig.defaults().withLayout(layout).withGranularity(BrConfig.Granularity.BLOCK)
                        .withLossWeights(1f, 1f, 1f);
                BlockReplacement br = BlockReplacement.wrap(lp, fp, cfg);
                SGD opt = new SGD(lp.trainableParameters(), 0.02, 0.9, 0, false);
                Batch b = batch(5);
                float first = Float.NaN;
                float last = Float.NaN;
                for (int step = 0; step < 6; step++) {
                    opt.zeroGrad();
                    Objective.StepResult r = br.forward(b);
                    last = r.loss().item();
                    first = step == 0 ? last : first;
                    r.loss().backward();
                    opt.step();
                }
                assertTrue(Float.isFinite(last) && last < first, method + "/" + layout + ": loss " + first + " -> " + last);
                assertEquals(br.branchPoints().size(), br.branchLogits(b.images()).size());
                assertTrue(br.lastTerms().containsKey("kd_m" + br.branchPoints().get(0)), br.lastTerms().toString());
            }
        }
    }

    @Test
    void onlyModelsThatMixPrecisionsAreTrainedUnlessAllAreAsked() {
        CifarResNet fp = fpModel();
        Module lpFpEnds = lpModel(fp, QatMethod.LSQ); // first conv and fc stay full precision
        BrConfig cfg = BrConfig.defaults().withGranularity(BrConfig.Granularity.BLOCK);
        // blocks: stem, layer1.0, layer2.0, layer3.0, head
        assertEquals(List.of(2, 3), BlockReplacement.wrap(lpFpEnds, fp, cfg).branchPoints());
        assertEquals("block replacement over [stem, layer1.0, layer2.0, layer3.0, head]: M2 = LP stem..layer1.0 + FP layer2.0..head; "
                + "M3 = LP stem..layer2.0 + FP layer3.0..head", BlockReplacement.wrap(lpFpEnds, fp, cfg).describe());
        assertEquals(List.of(2, 3, 4), BlockReplacement.wrap(lpFpEnds, fp, cfg.withLayout(BrConfig.Layout.SINGLE)).branchPoints());
        assertEquals(List.of(1, 2, 3, 4), BlockReplacement.wrap(lpFpEnds, fp, cfg.withBranches(BrConfig.Branches.ALL)).branchPoints());
        Module lpAll = Qat.convert(fp, QatConfig.builder().bits(2).firstLast(LayerPolicy.SAME).build());
        assertEquals(List.of(1, 2, 3, 4), BlockReplacement.wrap(lpAll, fp, cfg).branchPoints());
        // a model whose only quantized layers sit in one block has nothing to mix progressively
        MnistCnn mfp = new MnistCnn(new Rng(2));
        Module mlp = Qat.convert(mfp, QatConfig.builder().bits(2).build()); // conv2 and fc1 quantized: blocks block2, head
        assertEquals(List.of(2), BlockReplacement.wrap(mlp, mfp, BrConfig.defaults()).branchPoints());
        Module convOnly = Qat.convert(mfp, QatConfig.builder().bits(2).override(LayerOverride.of("fc1").skip()).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlockReplacement.wrap(convOnly, mfp,
                BrConfig.defaults()).branchPoints());
        assertTrue(e.getMessage().contains("mixes quantized and full-precision"), e.getMessage());
    }

    @Test
    void withoutBranchTermsNoBranchRuns() {
        CifarResNet fp = fpModel();
        Module lp = lpModel(fp, QatMethod.LSQ);
        BlockReplacement br = BlockReplacement.wrap(lp, fp, BrConfig.defaults().withLossWeights(1f, 0f, 0f));
        Batch b = batch(7);
        Objective.StepResult r = br.forward(b);
        assertEquals(List.of("ce_lp", "kd_lp"), List.copyOf(br.lastTerms().keySet()));
        Tensor teacher;
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            teacher = br.fpModel().forward(b.images());
        }
        Tensor logits = lp.forward(b.images());
        float expected = Functional.crossEntropy(logits, b.labels()).item() + Functional.distillationLoss(logits, teacher, 4f).item();
        assertEquals(expected, r.loss().item(), 1e-5f);
    }

    @Test
    void mismatchedModelsAreRejected() {
        CifarResNet fp = fpModel();
        Module lp = lpModel(new CifarResNet(14, 5, CifarResNet.Shortcut.A, 1e-5f, 0.1f, new Rng(1)), QatMethod.LSQ);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockReplacement.wrap(lp, fp, BrConfig.defaults().withGranularity(BrConfig.Granularity.BLOCK)));
        assertTrue(e.getMessage().contains("different blocks"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BrConfig(BrConfig.Granularity.STAGE, BrConfig.Layout.PROGRESSIVE,
                BrConfig.Weighting.UNIFORM, -1f, 1f, 1f, 4f, BrConfig.Branches.MIXED, BrConfig.PerStep.ALL));
    }
}
