package org.jqat.qat.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jqat} command line: one subcommand per job. */
@Command(name = "jqat", mixinStandardHelpOptions = true, version = "jqat 0.1.0-SNAPSHOT",
        description = "A pure-JVM tensor engine with quantization-aware training.",
        subcommands = {ReproduceCommand.class, TrainCommand.class, QatCommand.class, EvalCommand.class, ExportCommand.class, ImportCommand.class, InferCommand.class, InfoCommand.class, ConformanceCommand.class,
            CommandLine.HelpCommand.class})
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
        ConsoleLog.install();
        CommandLine cli = new CommandLine(new Main());
        // Bad values found after parsing (a negative batch size, an unknown data set) are usage
        // errors too: report them in one line instead of a stack trace.
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("jqat " + cmd.getCommandName() + ": " + e.getMessage());
                return 2;
            }
            // Bad data files, unreadable checkpoints and diverged runs: the message says what and where.
            if (e instanceof org.jqat.datasets.DatasetException || e instanceof org.jqat.core.io.SafetensorsException
                    || e instanceof org.jqat.nn.checkpoint.TorchFormatException || e instanceof org.jqat.nn.StateDictException
                    || e instanceof java.io.UncheckedIOException || e instanceof org.jqat.qat.train.TrainingDivergedException
                    || e instanceof IllegalStateException || e instanceof org.jqat.nn.StateDictException) {
                cmd.getErr().println("jqat " + cmd.getCommandName() + ": " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }
}
