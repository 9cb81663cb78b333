package dev.thinet4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parsed {@code --key value} options of one command. Unknown options are rejected when the command
 * calls {@link #finish()}, so a typo never passes silently.
 */
final class CliArgs {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Set<String> used = new LinkedHashSet<>();

    private CliArgs(String command) {
        this.command = command;
    }

    /**
     * @param command the sub-command name, for messages
     * @param args    everything after the sub-command; options are {@code --name value} or {@code --flag}
     */
    static CliArgs parse(String command, List<String> args, Set<String> flags) {
        CliArgs a = new CliArgs(command);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException(command + ": unexpected argument '" + arg + "' (options look like --name value)");
            }
            String key = arg.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (flags.contains(key)) {
                value = "true";
            } else {
                if (i + 1 >= args.size()) {
                    throw new UsageException(command + ": option --" + key + " needs a value");
                }
                value = args.get(++i);
            }
            if (a.values.put(key, value) != null) {
                throw new UsageException(command + ": option --" + key + " given twice");
            }
        }
        return a;
    }

    Optional<String> get(String key) {
        used.add(key);
        return Optional.ofNullable(values.get(key));
    }

    String require(String key) {
        return get(key).orElseThrow(() -> new UsageException(command + ": missing required option --" + key));
    }

    boolean flag(String key) {
        return get(key).map(Boolean::parseBoolean).orElse(false);
    }

    int getInt(String key, int defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.get().trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + key + " expects an integer, got '" + v.get() + "'");
        }
    }

    /** A file that must exist and be readable. */
    Path existingFile(String key) {
        Path p = Path.of(require(key));
        if (!Files.exists(p)) {
            throw new UsageException(command + ": --" + key + " " + p + ": no such file or directory");
        }
        if (!Files.isReadable(p)) {
            throw new UsageException(command + ": --" + key + " " + p + ": not readable");
        }
        return p;
    }

    /** Call after reading every option: rejects options the command does not know. */
    void finish() {
        for (String k : values.keySet()) {
            if (!used.contains(k)) {
                throw new UsageException(command + ": unknown option --" + k);
            }
        }
    }
}
