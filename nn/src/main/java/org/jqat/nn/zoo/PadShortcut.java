package org.jqat.nn.zoo;

import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/**
 * He et al.'s option-A shortcut: subsample spatially by the stride and pad the new channels
 * with zeros (half before, half after), so the shortcut has no parameters.
 */
public final class PadShortcut extends Module {
    public final int stride;
    public final int outChannels;

    public PadShortcut(int stride, int outChannels) {
        this.stride = stride;
        this.outChannels = outChannels;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor s = stride == 1 ? x : x.slice(2, 0, x.size(2), stride).slice(3, 0, x.size(3), stride);
        int extra = outChannels - s.size(1);
        if (extra < 0) {
            throw new IllegalArgumentException("option-A shortcut cannot reduce channels " + s.size(1) + " to " + outChannels);
        }
        if (extra == 0) {
            return s;
        }
        int before = extra / 2;
        int after = extra - before;
        int n = s.size(0);
        int h = s.size(2);
        int w = s.size(3);
        Tensor zb = Tensor.zeros(n, before, h, w).to(x.device());
        Tensor za = Tensor.zeros(n, after, h, w).to(x.device());
        return before == 0 ? Tensor.concat(1, s, za) : Tensor.concat(1, zb, s, za);
    }

    @Override
    protected String describe() {
        return "PadShortcut(stride=" + stride + ", out=" + outChannels + ")";
    }
}
