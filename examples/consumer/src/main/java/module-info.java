/** The consumer as a named module: it needs only jqat's QAT module (which brings core, nn and datasets). */
module org.example.consumer {
    requires org.jqat.qat;
}
