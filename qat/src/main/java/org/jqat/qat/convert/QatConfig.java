package org.jqat.qat.convert;

import java.util.ArrayList;
import java.util.List;
import org.jqat.qat.quant.MinMaxQuantizer;
import org.jqat.qat.quant.QuantRange;

/**
 * What {@link Qat#convert} does; immutable, built with {@link #builder()}.
 *
 * <p>Defaults: LSQ, 4-bit weights and inputs, first and last layer {@link LayerPolicy#FULL_PRECISION},
 * shortcut (downsample) convolutions quantized, per-channel weights only for {@link QatMethod#MINMAX}
 * (PyTorch's default; the LSQ, LSQ+ and DoReFa papers quantize weights per tensor), PACT α = 10,
 * min/max averaging constant 0.01.
 */
public final class QatConfig {
    private final QatMethod method;
    private final int weightBits;
    private final int activationBits;
    private final Boolean perChannelWeights;
    private final LayerPolicy firstLayer;
    private final LayerPolicy lastLayer;
    private final boolean quantizeShortcuts;
    private final float pactAlpha;
    private final float averagingConstant;
    private final List<LayerOverride> overrides;

    private QatConfig(Builder b) {
        this.method = b.method;
        this.weightBits = b.weightBits;
        this.activationBits = b.activationBits;
        this.perChannelWeights = b.perChannelWeights;
        this.firstLayer = b.firstLayer;
        this.lastLayer = b.lastLayer;
        this.quantizeShortcuts = b.quantizeShortcuts;
        this.pactAlpha = b.pactAlpha;
        this.averagingConstant = b.averagingConstant;
        this.overrides = List.copyOf(b.overrides);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The default configuration (LSQ W4A4, float first/last layers). */
    public static QatConfig defaults() {
        return builder().build();
    }

    public QatMethod method() {
        return method;
    }

    public int weightBits() {
        return weightBits;
    }

    public int activationBits() {
        return activationBits;
    }

    /** Per-channel weights: the explicit setting, else true only for MINMAX. */
    public boolean perChannelWeights() {
        return perChannelWeights != null ? perChannelWeights : method == QatMethod.MINMAX;
    }

    public LayerPolicy firstLayer() {
        return firstLayer;
    }

    public LayerPolicy lastLayer() {
        return lastLayer;
    }

    public boolean quantizeShortcuts() {
        return quantizeShortcuts;
    }

    public float pactAlpha() {
        return pactAlpha;
    }

    public float averagingConstant() {
        return averagingConstant;
    }

    public List<LayerOverride> overrides() {
        return overrides;
    }

    /** Builder with the defaults above. */
    public static final class Builder {
        private QatMethod method = QatMethod.LSQ;
        private int weightBits = 4;
        private int activationBits = 4;
        private Boolean perChannelWeights;
        private LayerPolicy firstLayer = LayerPolicy.FULL_PRECISION;
        private LayerPolicy lastLayer = LayerPolicy.FULL_PRECISION;
        private boolean quantizeShortcuts = true;
        private float pactAlpha = 10f;
        private float averagingConstant = MinMaxQuantizer.DEFAULT_AVERAGING_CONSTANT;
        private final List<LayerOverride> overrides = new ArrayList<>();

        private Builder() {
        }

        public Builder method(QatMethod m) {
            this.method = java.util.Objects.requireNonNull(m, "method");
            return this;
        }

        public Builder weightBits(int bits) {
            this.weightBits = QuantRange.checkBits(bits);
            return this;
        }

        public Builder activationBits(int bits) {
            this.activationBits = QuantRange.checkBits(bits);
            return this;
        }

        /** Same bit width for weights and inputs. */
        public Builder bits(int bits) {
            return weightBits(bits).activationBits(bits);
        }

        public Builder perChannelWeights(boolean on) {
            this.perChannelWeights = on;
            return this;
        }

        public Builder firstLayer(LayerPolicy p) {
            this.firstLayer = java.util.Objects.requireNonNull(p);
            return this;
        }

        public Builder lastLayer(LayerPolicy p) {
            this.lastLayer = java.util.Objects.requireNonNull(p);
            return this;
        }

        /** The same policy for the first and the last layer. */
        public Builder firstLast(LayerPolicy p) {
            return firstLayer(p).lastLayer(p);
        }

        public Builder quantizeShortcuts(boolean on) {
            this.quantizeShortcuts = on;
            return this;
        }

        public Builder pactAlpha(float alpha) {
            if (!(alpha > 0)) {
                throw new IllegalArgumentException("PACT alpha must be > 0, got " + alpha);
            }
            this.pactAlpha = alpha;
            return this;
        }

        public Builder averagingConstant(float c) {
            if (!(c > 0 && c <= 1)) {
                throw new IllegalArgumentException("averaging constant must be in (0, 1], got " + c);
            }
            this.averagingConstant = c;
            return this;
        }

        /** Adds a per-layer override; later overrides win over earlier ones. */
        public Builder override(LayerOverride o) {
            overrides.add(java.util.Objects.requireNonNull(o));
            return this;
        }

        public QatConfig build() {
            return new QatConfig(this);
        }
    }
}
