/**
 * Data sets (CIFAR, MNIST, image folders), transforms and batch loaders producing
 * {@code org.jqat.core} tensors; missing data sets are downloaded with checksums.
 */
module org.jqat.datasets {
    requires transitive org.jqat.core;
    requires java.desktop;
    requires transitive java.net.http;

    exports org.jqat.datasets;
    exports org.jqat.datasets.download;
    exports org.jqat.datasets.transforms;
}
