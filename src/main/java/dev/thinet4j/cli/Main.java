package dev.thinet4j.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code bin/thinet4j}. Exit codes: 0 success, 1 failure while working
 * (bad model, bad data), 2 wrong command line. Errors are one line on standard error.
 */
public final class Main {
    private static final List<Command> COMMANDS = List.of(new InfoCommand(), new EvalCommand(), new PruneCommand(), new FoldCommand(), new SlimCommand(),
            new SensitivityCommand(), new BenchCommand());

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command line; returns the exit code instead of exiting (used by tests). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        Command cmd = COMMANDS.stream().filter(c -> c.name().equals(args[0])).findFirst().orElse(null);
        if (cmd == null) {
            err.println("thinet4j: unknown command '" + args[0] + "'; commands: "
                    + String.join(", ", COMMANDS.stream().map(Command::name).toList()));
            return 2;
        }
        try {
            return cmd.run(Arrays.asList(args).subList(1, args.length), out);
        } catch (UsageException e) {
            err.println("thinet4j " + e.getMessage());
            err.println("usage: " + cmd.usage());
            return 2;
        } catch (Exception | OutOfMemoryError e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            err.println("thinet4j " + cmd.name() + ": error: " + msg.replace('\n', ' '));
            if (System.getenv("THINET4J_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }

    private static void usage(PrintStream s) {
        s.println("thinet4j — structured CNN pruning (ThiNet) for ONNX models");
        s.println("usage:");
        for (Command c : COMMANDS) {
            s.println("  " + c.usage());
        }
        s.println("Set THINET4J_DEBUG=1 for stack traces.");
    }
}
