/**
 * Neural-network building blocks on top of {@code org.jqat.core}: modules and layers, losses,
 * initialisers, optimizers, learning-rate schedulers, the model zoo and checkpoints.
 */
module org.jqat.nn {
    requires transitive org.jqat.core;

    exports org.jqat.nn;
    exports org.jqat.nn.checkpoint;
    exports org.jqat.nn.infer;
    exports org.jqat.nn.init;
    exports org.jqat.nn.layers;
    exports org.jqat.nn.loss;
    exports org.jqat.nn.optim;
    exports org.jqat.nn.sched;
    exports org.jqat.nn.zoo;

    provides org.jqat.core.conformance.CaseHandler with org.jqat.nn.conformance.NnCases;
}
