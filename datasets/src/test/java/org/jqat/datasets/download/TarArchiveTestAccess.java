package org.jqat.datasets.download;

/** Lets tests in other packages build tar archives with {@link Tars}. */
public final class TarArchiveTestAccess {
    private final Tars tars = new Tars();

    public TarArchiveTestAccess file(String name, byte[] data) {
        tars.file(name, data);
        return this;
    }

    public byte[] bytes() {
        return tars.bytes();
    }
}
