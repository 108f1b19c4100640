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
 */
public record BrConfig(Granularity granularity, Layout layout, Weighting weighting, float alpha, float beta,
                       float gamma, float temperature) {

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

    /** Branch weights w_i for i = 1..n−1. */
    public enum Weighting {
        /** w_i = 1/(n−1): the branch terms are averaged. */
        UNIFORM,
        /** w_i = 1/2^(n−i): more weight to branches with more quantized blocks. */
        HALVING
    }

    public BrConfig {
        if (!(alpha >= 0 && beta >= 0 && gamma >= 0)) {
            throw new IllegalArgumentException("loss weights must be non-negative: alpha=" + alpha + " beta=" + beta + " gamma=" + gamma);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
    }

    /**
     * The defaults: stage granularity, progressive layout, uniform weights, α = 1, β = 0, γ = 1,
     * T = 4. β = 0 (branches trained by cross-entropy only, the LP network distilled from FP) was
     * the best block-replacement variant of the smoke ablation in docs/reproduction.md.
     */
    public static BrConfig defaults() {
        return new BrConfig(Granularity.STAGE, Layout.PROGRESSIVE, Weighting.UNIFORM, 1f, 0f, 1f, 4f);
    }

    public BrConfig withGranularity(Granularity g) {
        return new BrConfig(g, layout, weighting, alpha, beta, gamma, temperature);
    }

    public BrConfig withLayout(Layout l) {
        return new BrConfig(granularity, l, weighting, alpha, beta, gamma, temperature);
    }

    public BrConfig withWeighting(Weighting w) {
        return new BrConfig(granularity, layout, w, alpha, beta, gamma, temperature);
    }

    public BrConfig withLossWeights(float a, float b, float g) {
        return new BrConfig(granularity, layout, weighting, a, b, g, temperature);
    }

    public BrConfig withTemperature(float t) {
        return new BrConfig(granularity, layout, weighting, alpha, beta, gamma, t);
    }

    /** The weight of branch i (1-based) of n blocks. */
    double branchWeight(int i, int n) {
        return switch (weighting) {
            case UNIFORM -> 1.0 / (n - 1);
            case HALVING -> Math.pow(0.5, n - i);
        };
    }
}
