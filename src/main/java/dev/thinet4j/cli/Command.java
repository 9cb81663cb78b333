package dev.thinet4j.cli;

import java.io.PrintStream;
import java.util.List;

/** One sub-command of {@code bin/thinet4j}. */
interface Command {
    String name();

    /** One-line synopsis shown by {@code thinet4j help}. */
    String usage();

    /**
     * @param args the arguments after the sub-command name
     * @param out  where results go (standard output)
     * @return the exit code
     */
    int run(List<String> args, PrintStream out) throws Exception;
}
