package org.jqat.qat.infer;

/**
 * Where the valid outputs of one conv tile go: a tile covers {@code T} consecutive positions of the
 * grid {@code o = (image·hs + y)·ws + x} over which {@link IntConv} computes, and its outputs with
 * {@code y < oh, x < ow} fall into runs, one per grid row it touches. Run {@code i} is tile columns
 * {@code from[i] .. from[i] + len[i]} and goes to {@code at[i] + co·oh·ow} of the output
 * {@code [n][channels][oh][ow]} for output channel {@code co}. Computed once per tile (not once
 * per tile row) and walked without a division per run; per thread, reused, with the staging
 * arrays the epilogue requantizes a tile row into.
 */
final class TileRuns {
    int count;
    /** The tile's first position in the grid of the whole call (images from 0), and how many of its positions lie in the part's grid. */
    int origin;
    int valid;
    int[] from = new int[8];
    int[] len = new int[8];
    int[] at = new int[8];
    /** The tile's first image and grid position, for epilogues that index their own inputs (option A). */
    int[] img = new int[8];
    int[] y = new int[8];
    int[] x = new int[8];

    private byte[] codes = new byte[0];
    private int[] ints = new int[0];
    private int[] shortcut = new int[0];

    /** Staging for one requantized tile row, as codes. */
    byte[] codes(int tile) {
        return codes.length >= tile ? codes : (codes = new byte[tile]);
    }

    /** Staging for one requantized tile row, as int32. */
    int[] ints(int tile) {
        return ints.length >= tile ? ints : (ints = new int[tile]);
    }

    /** Staging for the shortcut's values at one tile row's positions. */
    int[] shortcut(int tile) {
        return shortcut.length >= tile ? shortcut : (shortcut = new int[tile]);
    }

    /**
     * The runs of the tile starting at grid position {@code o0}, {@code tile} positions long, of a
     * grid of {@code gridLen} positions over images {@code i0 ..} ({@code hs × ws} per image) with
     * outputs {@code oh × ow} and {@code channels} output channels.
     */
    void of(int o0, int tile, int gridLen, int i0, int hs, int ws, int oh, int ow, int channels) {
        count = 0;
        origin = i0 * hs * ws + o0;
        valid = Math.min(tile, gridLen - o0);
        int end = Math.min(gridLen, o0 + tile);
        int row = o0 / ws;
        int image = row / hs;
        int yy = row - image * hs;
        for (int start = row * ws; start < end; start += ws) {
            int x0 = Math.max(o0, start) - start;
            int x1 = Math.min(ow, end - start);
            if (yy < oh && x1 > x0) {
                add(start + x0 - o0, x1 - x0, ((i0 + image) * channels * oh + yy) * ow + x0, i0 + image, yy, x0);
            }
            if (++yy == hs) {
                yy = 0;
                image++;
            }
        }
    }

    private void add(int f, int l, int a, int image, int yy, int xx) {
        if (count == from.length) {
            from = java.util.Arrays.copyOf(from, 2 * count);
            len = java.util.Arrays.copyOf(len, 2 * count);
            at = java.util.Arrays.copyOf(at, 2 * count);
            img = java.util.Arrays.copyOf(img, 2 * count);
            y = java.util.Arrays.copyOf(y, 2 * count);
            x = java.util.Arrays.copyOf(x, 2 * count);
        }
        from[count] = f;
        len[count] = l;
        at[count] = a;
        img[count] = image;
        y[count] = yy;
        x[count] = xx;
        count++;
    }
}
