package org.jqat.qat.br;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Device;
import org.jqat.nn.Blocks;
import org.jqat.nn.Module;
import org.jqat.nn.NamedBlock;
import org.jqat.nn.infer.ChunkedForward;
import org.jqat.nn.infer.Inference;
import org.jqat.nn.infer.InferenceModel;
import org.jqat.qat.convert.QuantLayers;
import org.jqat.qat.train.Objective;

/**
 * Block-replacement QAT (Yu et al., arXiv 2412.15846) as a wrapper around any QAT model: the
 * low-precision (LP) network is trained together with mixed-precision models M_i made by
 * swapping its blocks into a frozen copy of the full-precision (FP) model, so each quantized
 * block learns to stand in for its FP twin and receives gradients through FP blocks as well as
 * through the straight-through estimator.
 *
 * <p>The M_i share the LP blocks (no copies) and start from the LP network's own intermediate
 * features, so each branch costs only its FP suffix; autograd sums every branch's gradient into
 * the LP parameters. The FP copy is frozen (no gradients to its weights) and kept in eval mode
 * (its BatchNorm statistics never change), so its blocks run folded ({@link Inference#fold}: batch
 * norm inside the convolutions, one fused pass per convolution forward and backward). After
 * training, the LP model alone is the result.
 */
public final class BlockReplacement implements Objective {
    private final Module lp;
    private final Module fp;
    private final List<NamedBlock> lpBlocks;
    private List<NamedBlock> fpBlocks;
    private final BrConfig config;
    private final List<Integer> branchPoints;
    /** The last step's loss terms, detached and kept past its TensorScope; read back only when asked. */
    private Map<String, Tensor> lastTerms = Map.of();
    /** The step the next forward belongs to: picks the branch under {@link BrConfig.PerStep#ONE}. */
    private long step;

    private BlockReplacement(Module lp, Module fp, BrConfig config) {
        this.lp = lp;
        this.fp = fp;
        this.config = config;
        this.lpBlocks = cut(lp, config.granularity(), "LP");
        this.fpBlocks = folded(cut(fp, config.granularity(), "FP"));
        List<String> lpNames = lpBlocks.stream().map(NamedBlock::name).toList();
        List<String> fpNames = fpBlocks.stream().map(NamedBlock::name).toList();
        if (!lpNames.equals(fpNames)) {
            throw new IllegalArgumentException("LP and FP models are cut into different blocks: " + lpNames + " vs " + fpNames);
        }
        if (lpBlocks.size() < 2) {
            throw new IllegalArgumentException("block replacement needs at least two blocks, got " + lpNames);
        }
        this.branchPoints = branchPoints(lpBlocks, config);
        if (branchPoints.isEmpty()) {
            throw new IllegalArgumentException("no cut of " + lpNames + " gives a model that mixes quantized and full-precision "
                    + "layers; cut finer (granularity BLOCK) or train every cut (branches ALL)");
        }
    }

    /** The cuts i (1-based, M_i) that are trained, as {@link BrConfig.Branches} decides. */
    private static List<Integer> branchPoints(List<NamedBlock> lpBlocks, BrConfig config) {
        int n = lpBlocks.size();
        boolean[] quantized = new boolean[n];
        for (int j = 0; j < n; j++) {
            quantized[j] = lpBlocks.get(j).module().namedModules().values().stream().anyMatch(QuantLayers::isQuantLayer);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            boolean keep = switch (config.branches()) {
                case ALL -> true;
                case MIXED -> config.layout() == BrConfig.Layout.SINGLE
                        ? quantized[i - 1]
                        : any(quantized, 0, i) && any(quantized, i, n);
            };
            if (keep) {
                out.add(i);
            }
        }
        return List.copyOf(out);
    }

    private static boolean any(boolean[] v, int from, int to) {
        for (int j = from; j < to; j++) {
            if (v[j]) {
                return true;
            }
        }
        return false;
    }

    /**
     * Wraps an LP (QAT) model and its pre-trained FP counterpart. The FP model is copied onto the
     * LP model's device ({@link Module#device()}), frozen and put in eval mode; the caller's FP
     * model is left as it was. Move the LP model first (or both later with {@link #to}).
     */
    public static BlockReplacement wrap(Module lpModel, Module fpModel, BrConfig config) {
        Module frozen = fpModel.copy().to(lpModel.device());
        frozen.freeze();
        frozen.eval();
        return new BlockReplacement(lpModel, frozen, config);
    }

    /** The frozen FP blocks folded for speed ({@link Inference#fold}); the names stay the cut's. */
    private static List<NamedBlock> folded(List<NamedBlock> blocks) {
        return blocks.stream().map(b -> new NamedBlock(b.name(), Inference.fold(b.module()))).toList();
    }

    private static List<NamedBlock> cut(Module m, BrConfig.Granularity g, String which) {
        if (!(m instanceof Blocks b)) {
            throw new IllegalArgumentException(which + " model " + m.getClass().getSimpleName()
                    + " does not expose blocks (implement org.jqat.nn.Blocks)");
        }
        return List.copyOf(g == BrConfig.Granularity.STAGE ? b.stages() : b.blocks());
    }

    @Override
    public Module model() {
        return lp;
    }

    /**
     * Moves the LP model and the frozen FP copy to {@code device} (see {@link Module#to}: build
     * the optimizer afterwards); returns this. The LP block list stays valid (modules move in
     * place); the folded FP blocks are folded again from the moved copy.
     */
    public BlockReplacement to(Device device) {
        lp.to(device);
        fp.to(device);
        fpBlocks = folded(cut(fp, config.granularity(), "FP"));
        return this;
    }

    /** The frozen FP copy (for tests and inspection). */
    public Module fpModel() {
        return fp;
    }

    /** The LP model's blocks the branches run (live modules of the LP model, not copies). */
    public List<NamedBlock> lowPrecisionBlocks() {
        return lpBlocks;
    }

    /**
     * The mixed-precision models trained, by cut: i means M_i (LP blocks 1..i then FP blocks in the
     * progressive layout; LP block i alone in the single layout), 1-based, ascending.
     */
    public List<Integer> branchPoints() {
        return branchPoints;
    }

    /** One line: the blocks and the mixed-precision models trained, e.g. "M2 = LP stem..layer1 + FP layer2..head". */
    public String describe() {
        List<String> names = blockNames();
        int n = names.size();
        List<String> models = new ArrayList<>();
        for (int i : branchPoints) {
            models.add("M" + i + " = " + (config.layout() == BrConfig.Layout.SINGLE
                    ? "FP with LP " + names.get(i - 1)
                    : "LP " + span(names, 0, i) + " + FP " + span(names, i, n)));
        }
        return "block replacement over " + names + ": " + String.join("; ", models)
                + (config.perStep() == BrConfig.PerStep.ONE && models.size() > 1 ? " (one per step, in turn)" : "");
    }

    private static String span(List<String> names, int from, int to) {
        return to - from == 1 ? names.get(from) : names.get(from) + ".." + names.get(to - 1);
    }

    /** Names of the blocks the models are cut into. */
    public List<String> blockNames() {
        return lpBlocks.stream().map(NamedBlock::name).toList();
    }

    /** The loss terms of the last step, for logging: ce_lp, kd_lp, and kd_m{i} / ce_m{i} per branch. */
    public Map<String, Float> lastTerms() {
        Map<String, Float> out = new LinkedHashMap<>();
        lastTerms.forEach((k, v) -> out.put(k, v.item()));
        return Collections.unmodifiableMap(out);
    }

    /** Follows the trainer's global step, so the branch turn of {@link BrConfig.PerStep#ONE} survives a resume. */
    @Override
    public void startStep(long globalStep) {
        step = globalStep;
    }

    /**
     * The branches (indices into {@link #branchPoints()}) that step {@code s} runs, in cut order:
     * all of them, or under {@link BrConfig.PerStep#ONE} the one whose turn it is.
     */
    int[] branchesAt(long s) {
        int m = config.beta() > 0 || config.gamma() > 0 ? branchPoints.size() : 0;
        if (m == 0) {
            return new int[0];
        }
        return switch (config.perStep()) {
            case ALL -> IntStream.range(0, m).toArray();
            case ONE -> new int[] {(int) Math.floorMod(s, (long) m)};
        };
    }

    @Override
    public StepResult forward(Tensor images, int[] labels) {
        int n = lpBlocks.size();
        List<Tensor> fpFeatures = frozenFeatures(images);
        Tensor teacher = fpFeatures.get(n);
        List<Tensor> lpFeatures = new ArrayList<>(n + 1);
        Tensor h = images;
        lpFeatures.add(h);
        for (NamedBlock b : lpBlocks) {
            h = b.module().forward(h);
            lpFeatures.add(h);
        }
        Tensor lpLogits = h;
        float t = config.temperature();
        // Terms stay on the device (no host round trip per term and step); lastTerms() reads them.
        Map<String, Tensor> terms = new LinkedHashMap<>();
        Tensor loss = Functional.crossEntropy(lpLogits, labels);
        terms.put("ce_lp", loss);
        if (config.alpha() > 0) {
            Tensor kd = Functional.distillationLoss(lpLogits, teacher, t);
            terms.put("kd_lp", kd);
            loss = loss.add(kd.mul(config.alpha()));
        }
        // With β = γ = 0 no branch term counts: none runs (distillation only). One per step stands
        // for all m, so its weight is m times its share.
        int m = branchPoints.size();
        int[] run = branchesAt(step++);
        double share = run.length == m ? 1 : (double) m / run.length;
        for (int k : run) {
            int i = branchPoints.get(k);
            Tensor logits = branch(i, lpFeatures, fpFeatures);
            float w = (float) (config.branchWeight(k + 1, m) * share);
            Tensor term = null;
            if (config.beta() > 0) {
                Tensor kd = Functional.distillationLoss(logits, teacher, t);
                terms.put("kd_m" + i, kd);
                term = kd.mul(config.beta());
            }
            if (config.gamma() > 0) {
                Tensor ce = Functional.crossEntropy(logits, labels);
                terms.put("ce_m" + i, ce);
                term = term == null ? ce.mul(config.gamma()) : term.add(ce.mul(config.gamma()));
            }
            if (term != null) {
                loss = loss.add(term.mul(w));
            }
        }
        lastTerms.values().forEach(Tensor::close);
        Map<String, Tensor> kept = new LinkedHashMap<>();
        terms.forEach((k, v) -> kept.put(k, TensorScope.keep(v.detach())));
        lastTerms = kept;
        return new StepResult(loss, lpLogits);
    }

    /**
     * The frozen FP model's input and block outputs (index j: after j blocks; the last is the
     * teacher's logits). They are targets only, so they run without a graph, in chunks of images
     * at inference speed ({@link ChunkedForward}); the features no branch starts from are not
     * kept (null): in the progressive layout only the logits are.
     */
    private List<Tensor> frozenFeatures(Tensor images) {
        int n = fpBlocks.size();
        boolean[] keep = new boolean[n];
        if (config.layout() == BrConfig.Layout.SINGLE) {
            for (int i : branchPoints) {
                if (i >= 2) {
                    keep[i - 2] = true; // M_i starts from the FP feature after block i − 1
                }
            }
        }
        Tensor[] outputs = ChunkedForward.run(fpBlocks.stream().map(NamedBlock::module).toList(), images,
                InferenceModel.DEFAULT_CHUNK, keep);
        List<Tensor> features = new ArrayList<>(n + 1);
        features.add(images);
        features.addAll(Arrays.asList(outputs));
        return features;
    }

    /** Logits of mixed-precision model M_i (1-based). */
    private Tensor branch(int i, List<Tensor> lpFeatures, List<Tensor> fpFeatures) {
        int n = lpBlocks.size();
        Tensor z;
        if (config.layout() == BrConfig.Layout.PROGRESSIVE) {
            // LP blocks 1..i are the LP network's own: start from its feature after block i.
            z = lpFeatures.get(i);
        } else {
            // FP blocks 1..i−1 (their output is the FP feature, no graph), then LP block i.
            z = lpBlocks.get(i - 1).module().forward(fpFeatures.get(i - 1));
        }
        for (int j = i; j < n; j++) {
            z = fpBlocks.get(j).module().forward(z);
        }
        return z;
    }

    /**
     * The logits of every mixed-precision model trained ({@link #branchPoints()}) for a batch,
     * without a graph (for evaluation and tests), in cut order.
     */
    public List<Tensor> branchLogits(Tensor images) {
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            List<Tensor> lpFeatures = new ArrayList<>();
            List<Tensor> fpFeatures = new ArrayList<>();
            Tensor a = images;
            Tensor b = images;
            lpFeatures.add(a);
            fpFeatures.add(b);
            for (int j = 0; j < lpBlocks.size(); j++) {
                a = lpBlocks.get(j).module().forward(a);
                b = fpBlocks.get(j).module().forward(b);
                lpFeatures.add(a);
                fpFeatures.add(b);
            }
            List<Tensor> out = new ArrayList<>();
            for (int i : branchPoints) {
                out.add(branch(i, lpFeatures, fpFeatures));
            }
            return out;
        }
    }
}
