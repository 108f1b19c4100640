package org.jqat.qat.reproduce;

import java.util.List;

/**
 * One finished run of a reproduction.
 *
 * @param method    "FP", the quantizer name (plain QAT) or the quantizer name plus "+BR"
 * @param curve     test top-1 after each epoch
 */
public record RunRecord(String method, int weightBits, int activationBits, int seed, double top1, double bestTop1,
                        List<Double> curve, double imagesPerSecond, double seconds) {

    /** "W/A" as the tables write it, or "32/32" for full precision. */
    public String bitsLabel() {
        return weightBits + "/" + activationBits;
    }
}
