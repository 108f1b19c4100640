package org.jqat.qat.convert;

/**
 * One quantized layer of a converted model, as {@link Qat#layers} reports it.
 *
 * @param inputMethod   null when the input stays float (then inputBits is 0)
 * @param signedInput   whether the input levels are signed
 */
public record QuantLayerInfo(String name, String weightMethod, int weightBits, boolean perChannel,
                             String inputMethod, int inputBits, boolean signedInput) {
}
