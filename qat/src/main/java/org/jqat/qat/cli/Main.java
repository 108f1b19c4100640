package org.jqat.qat.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jqat} command line: one subcommand per job. */
@Command(name = "jqat", mixinStandardHelpOptions = true, version = "jqat 0.1.0-SNAPSHOT",
        description = "A pure-JVM tensor engine with quantization-aware training.",
        subcommands = {ConformanceCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (tests call this). */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }
}
