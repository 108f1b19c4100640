package org.jqat.qat.br;

/**
 * Settings of block-replacement QAT. The loss is
 *
 * <pre>
 *   L = CE(LP) + α·T²·KL(FP ‖ LP) + Σ_i w_i·[β·T²·KL(FP ‖ M_i) + γ·CE(M_i)]
 * </pre>
 *
 * over the mixed-precision models M_i of the chosen {@link Layout}, with w_i set by
 * {@link Weighting}. Defaults and the evidence behind them are in {@code docs/reproduction.md}.
 *
 * @param granularity where the models are cut: per stage or per residual block
 * @param layout      how the mixed-precision models are assembled
 * @param weighting   the branch weights w_i
 * @param alpha       weight of the LP network's own distillation term
 * @param beta        weight of each branch's distillation term
 * @param gamma       weight of each branch's cross-entropy term
 * @param temperature distillation temperature T
 * @param branches    which of the mixed-precision models are trained
 * @param perStep     whether a step runs all of them or one, in turn
 */
public record BrConfig(Granularity granularity, Layout layout, Weighting weighting, float alpha, float beta,
                       float gamma, float temperature, Branches branches, PerStep perStep) {

    /** Where LP and FP models are cut into blocks. */
    public enum Granularity {
        /** Stem, each stage (layer1, layer2, ...), head. */
        STAGE,
        /** Stem, each residual block, head. */
        BLOCK
    }

    /** How mixed-precision models are assembled from LP and FP blocks. */
    public enum Layout {
        /** M_i = LP blocks 1..i then FP blocks i+1..n (the paper's block-by-block replacement). */
        PROGRESSIVE,
        /** M_i = FP everywhere but LP block i (an ablation). */
        SINGLE
    }

    /** Branch weights w over the m mixed-precision models trained, in cut order k = 1..m. */
    public enum Weighting {
        /** w_k = 1/m: the branch terms are averaged. */
        UNIFORM,
        /** w_k = 1/2^(m−k): more weight to branches with more quantized blocks. */
        HALVING
    }

    /** Which cuts give a mixed-precision model that is trained. */
    public enum Branches {
        /**
         * Only models that really mix precisions. Progressive layout: M_i is kept when LP blocks
         * 1..i hold a quantized layer and so do the LP twins of FP blocks i+1..n (with the first and
         * last layers left in full precision, a stem or head block holds none: M_i that swaps only
         * the stem is the FP model again, and one that keeps only the FP head is the LP model with
         * the teacher's classifier). Single layout: M_i is kept when LP block i holds a quantized layer.
         */
        MIXED,
        /** Every cut i = 1..n−1. */
        ALL
    }

    /** How many of the m trained mixed-precision models one training step runs. */
    public enum PerStep {
        /** All m: the loss as written above, every step. */
        ALL,
        /**
         * One, in turn (step s runs the model k = s mod m, in cut order), its term weighted m·w_k
         * instead of w_k: over any m consecutive steps each model runs once, so the mean of their
         * losses is the loss as written (what ALL computes every step), at about 1/m of the
         * branches' cost. The turn follows the trainer's global step, so a resumed run replays it.
         */
        ONE
    }

    public BrConfig {
        if (!(alpha >= 0 && beta >= 0 && gamma >= 0)) {
            throw new IllegalArgumentException("loss weights must be non-negative: alpha=" + alpha + " beta=" + beta + " gamma=" + gamma);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        if (granularity == null || layout == null || weighting == null || branches == null || perStep == null) {
            throw new IllegalArgumentException("granularity, layout, weighting, branches and perStep must be set");
        }
    }

    /**
     * The defaults: stage granularity, progressive layout, uniform weights, α = 1, β = 1, γ = 0,
     * T = 4, mixed branches only: the best-measured variant of the ResNet-20 ablation in
     * docs/reproduction.md (the branches learn from the FP model's logits, not from the labels).
     */
    public static BrConfig defaults() {
        return new BrConfig(Granularity.STAGE, Layout.PROGRESSIVE, Weighting.UNIFORM, 1f, 1f, 0f, 4f, Branches.MIXED, PerStep.ALL);
    }

    public BrConfig withGranularity(Granularity g) {
        return new BrConfig(g, layout, weighting, alpha, beta, gamma, temperature, branches, perStep);
    }

    public BrConfig withLayout(Layout l) {
        return new BrConfig(granularity, l, weighting, alpha, beta, gamma, temperature, branches, perStep);
    }

    public BrConfig withWeighting(Weighting w) {
        return new BrConfig(granularity, layout, w, alpha, beta, gamma, temperature, branches, perStep);
    }

    public BrConfig withLossWeights(float a, float b, float g) {
        return new BrConfig(granularity, layout, weighting, a, b, g, temperature, branches, perStep);
    }

    public BrConfig withTemperature(float t) {
        return new BrConfig(granularity, layout, weighting, alpha, beta, gamma, t, branches, perStep);
    }

    public BrConfig withBranches(Branches b) {
        return new BrConfig(granularity, layout, weighting, alpha, beta, gamma, temperature, b, perStep);
    }

    public BrConfig withPerStep(PerStep p) {
        return new BrConfig(granularity, layout, weighting, alpha, beta, gamma, temperature, branches, p);
    }

    /** The weight of the k-th (1-based) of the m branches trained. */
    double branchWeight(int k, int m) {
        return switch (weighting) {
            case UNIFORM -> 1.0 / m;
            case HALVING -> Math.pow(0.5, m - k);
        };
    }
}
