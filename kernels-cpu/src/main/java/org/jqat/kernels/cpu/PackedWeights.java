package org.jqat.kernels.cpu;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Packed convolution weights kept with constant weight arrays
 * ({@link org.jqat.core.backend.Storage#markConstant}): {@link DirectConv} packs a layer's weights
 * into its tiles' order on every call, which an inference model (weights folded once, a call per
 * chunk of images) repeats for every chunk. Keyed by the array itself (identity) and held weakly:
 * a packing lives as long as its weights. One map per layout, since the same weights can meet both
 * (the channel tiles take narrow maps, the row tiles wide ones).
 */
final class PackedWeights {
    private static final Map<float[], float[]> ROW_TILES = Collections.synchronizedMap(new WeakHashMap<>());
    private static final Map<float[], float[]> CHANNEL_TILES = Collections.synchronizedMap(new WeakHashMap<>());

    private PackedWeights() {
    }

    /** The packing of constant {@code w} for the channel tiles or the row tiles, made by {@code pack} on first use. */
    static float[] get(float[] w, boolean channelTiles, Supplier<float[]> pack) {
        Map<float[], float[]> cache = channelTiles ? CHANNEL_TILES : ROW_TILES;
        float[] packed = cache.get(w);
        if (packed == null) {
            // packed outside the lock: two threads may both pack the first time, with equal results
            packed = pack.get();
            cache.put(w, packed);
        }
        return packed;
    }

    /** Packings held now (tests). */
    static int size() {
        return ROW_TILES.size() + CHANNEL_TILES.size();
    }
}
